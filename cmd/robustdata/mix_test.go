package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/train"
)

// TestMix: `mix` writes a blend list and a JSON whose per-task sums are
// the run's time-averaged weights; without --shards it is a usage error.
func TestMix(t *testing.T) {
	ds := trDataset(t)
	run := filepath.Join(t.TempDir(), "run")
	trTrain(t, "-i", ds, "-o", run, "--strategy", "minimax")
	var w train.Weights
	data, err := os.ReadFile(filepath.Join(run, train.WeightsFile))
	if err != nil || json.Unmarshal(data, &w) != nil {
		t.Fatalf("weights.json: %v", err)
	}
	out := t.TempDir()
	blend, js := filepath.Join(out, "blend.txt"), filepath.Join(out, "mix.json")
	if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "mix", "--shards", ds, "--blend", blend, "--json", js, run); code != 0 {
		t.Fatalf("mix: exit %d: %s", code, stderr)
	}
	var mix train.Mixture
	if data, err := os.ReadFile(js); err != nil || json.Unmarshal(data, &mix) != nil {
		t.Fatalf("mix.json: %v", err)
	}
	taskOf := map[string]int{}
	sums := make([]float64, len(w.Average))
	for _, s := range mix.Shards {
		taskOf[strings.TrimSuffix(s.Path, filepath.Ext(s.Path))] = s.Task
		sums[s.Task] += s.Probability
	}
	data, err = os.ReadFile(blend)
	if err != nil {
		t.Fatal(err)
	}
	paths, weights, err := train.ReadBlend(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	bsums := make([]float64, len(w.Average))
	for i, p := range paths {
		bsums[taskOf[p]] += weights[i]
	}
	for k, want := range w.Average {
		if math.Abs(sums[k]-want) > 1e-9 || math.Abs(bsums[k]-want) > 1e-9 {
			t.Errorf("task %d: JSON %v, blend list %v, run %v", k, sums[k], bsums[k], want)
		}
	}
	// The resampled dataset: shares within 1% of the weights, verify
	// passes, byte-identical whatever --workers.
	var first map[string][]byte
	for i, workers := range []string{"1", "3"} {
		dir := filepath.Join(out, "mixed"+workers)
		if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "--seed", "5", "mix", "--shards", ds, "-o", dir, "--rows", "2500", "--workers", workers, run); code != 0 {
			t.Fatalf("mix -o: exit %d: %s", code, stderr)
		}
		got := dataset(t, dir)
		if i == 0 {
			first = got
			m, err := stream.ReadManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			if m.TotalRows != 2500 || m.Seed != 5 || len(m.Tasks) != len(w.Average) {
				t.Fatalf("resampled manifest: %d rows, seed %d, %d tasks", m.TotalRows, m.Seed, len(m.Tasks))
			}
			for k, tk := range m.Tasks {
				if share := float64(tk.Rows) / 2500; math.Abs(share-w.Average[k]) > 0.01 {
					t.Errorf("resampled task %d: share %.4f, weight %v", k, share, w.Average[k])
				}
			}
			if code, stdout, _ := runCLI(t, context.Background(), nil, false, "verify", dir); code != 0 {
				t.Errorf("verify of the resampled dataset: exit %d: %s", code, stdout)
			}
		} else {
			sameDataset(t, first, got, "mix -o with --workers "+workers)
		}
	}
	if code, _, _ := runCLI(t, context.Background(), nil, false, "mix", "--shards", ds, "-o", filepath.Join(out, "mixed1"), run); code != exitUsage {
		t.Errorf("mix -o into a dataset without --overwrite: exit %d", code)
	}
	if code, _, _ := runCLI(t, context.Background(), nil, false, "mix", "--shards", ds, "--rows", "10", run); code != exitUsage {
		t.Errorf("mix --rows without -o: exit %d", code)
	}
	if code, _, _ := runCLI(t, context.Background(), nil, false, "mix", run); code != exitUsage {
		t.Errorf("mix without --shards: exit %d", code)
	}
	if code, _, _ := runCLI(t, context.Background(), nil, false, "mix", "--shards", ds, filepath.Join(out, "none")); code != exitBadInput {
		t.Errorf("mix of a missing run: exit %d", code)
	}
}
