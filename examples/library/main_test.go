package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/robustdata/robustdata/internal/longtest"
	"github.com/robustdata/robustdata/pipeline/dataset"
)

// TestLibraryExample runs the example's chain on the shipped corpus (few
// steps) and checks what it leaves: a dataset that verifies, both runs'
// evaluations and the report.
func TestLibraryExample(t *testing.T) {
	longtest.Skip(t, "runs the whole chain (about 10 s)")
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "lib")
	if err := run(ctx, "../data/fortunes.parquet", out, 20); err != nil {
		t.Fatal(err)
	}
	rep, err := dataset.Verify(ctx, filepath.Join(out, "dataset"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 || rep.Tasks != 8 {
		t.Fatalf("dataset: %d tasks, problems %q", rep.Tasks, rep.Problems)
	}
	data, err := os.ReadFile(filepath.Join(out, "eval", dataset.EvalFile))
	if err != nil {
		t.Fatal(err)
	}
	var evals map[string]dataset.RunEval
	if err := json.Unmarshal(data, &evals); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"erm", "minimax"} {
		e, ok := evals[filepath.Join(out, "runs", s)]
		if !ok || e.Eval == nil || len(e.Tasks) != 8 || !(e.Worst >= e.Mean) {
			t.Errorf("%s: eval %+v", s, e)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Error(err)
	}
}
