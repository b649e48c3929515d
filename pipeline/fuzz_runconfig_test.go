package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/train"
)

// FuzzRunConfig feeds arbitrary bytes to ParseRunConfig: no panic, no
// hang; every error is a one-line DataError naming the file; an accepted
// config holds the required keys, values in their ranges, and parses the
// same again.
func FuzzRunConfig(f *testing.F) {
	seeds, _ := filepath.Glob("../examples/*/*.yaml")
	if !slices.Contains(seeds, "../examples/quickstart/pipeline.yaml") {
		f.Fatal("../examples/quickstart/pipeline.yaml not found")
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"output: out\ninputs: {paths: [a.parquet]}\npartition: {k: auto}\n",
		"output: out\ninputs: {paths: a.parquet}\npartition: {k: \"3\"}\ntrain: {objective: masked-token, tasks: pos, strategies: [doremi, erm]}\n",
		"output: &o out\ninputs: {paths: [*o], text_col: *o}\npartition: {k: 2, weights: {pattern: 0, semantic: 1e6}}\neval: {downstream: [\"a=b:c\", \"b=c\"]}\n",
		"{output: out, inputs: {paths: [x]}, partition: {k: 1}, seed: 18446744073709551615, shard: {max_rows: 1, max_bytes: 9223372036854775807}}",
		"", "---", "--- \n...\n", "output: out\n---\noutput: out2\n", "[1, 2]", "output:\n  - a\n", "output: out\noutput: out\n",
		"\ufeffoutput: out\n", "output: out\r\ninputs:\r\n  paths: [a]\r\npartition: {k: 0x10}\r\n", "output: out\n\tinputs: x\n",
	} {
		f.Add([]byte(s))
	}
	const name = "configs/run.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		hang := time.AfterFunc(30*time.Second, func() {
			panic(fmt.Sprintf("FuzzRunConfig: ParseRunConfig took more than 30s on %d bytes", len(data)))
		})
		defer hang.Stop()
		cfg, err := ParseRunConfig(name, data)
		if err != nil {
			if cfg != nil {
				t.Errorf("ParseRunConfig returned a config and an error: %v", err)
			}
			msg := err.Error()
			if !stream.IsDataError(err) || !strings.HasPrefix(msg, name+": ") {
				t.Fatalf("error %q (%T) is not a stream.DataError naming %s", msg, err, name)
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			return
		}
		if cfg.Path != name || cfg.Dir != "configs" {
			t.Errorf("Path %q, Dir %q", cfg.Path, cfg.Dir)
		}
		if strings.TrimSpace(cfg.Output) == "" || len(cfg.Inputs.Paths) == 0 || cfg.Partition.K == "" {
			t.Fatalf("accepted without a required key: output %q, %d inputs, k %q", cfg.Output, len(cfg.Inputs.Paths), cfg.Partition.K)
		}
		for _, p := range cfg.Inputs.Paths {
			if strings.TrimSpace(p) == "" || p == "-" {
				t.Errorf("accepted input path %q", p)
			}
		}
		if k, err := strconv.Atoi(cfg.Partition.K); cfg.Partition.K != "auto" && (err != nil || k < 1) {
			t.Errorf("accepted k %q", cfg.Partition.K)
		}
		var lo, hi int
		if n, err := fmt.Sscanf(cfg.Partition.KRange, "%d:%d", &lo, &hi); n != 2 || err != nil || lo < 2 || hi < lo {
			t.Errorf("accepted k_range %q", cfg.Partition.KRange)
		}
		if mode, arg, _ := strings.Cut(cfg.Features.Semantic, "="); cfg.Features.Semantic != "lsa" && !((mode == "vectors" || mode == "column") && arg != "") {
			t.Errorf("accepted semantic %q", cfg.Features.Semantic)
		}
		if cfg.Features.Dim < 1 || cfg.Features.Dim > 4096 || cfg.Features.Vocab < 1 || cfg.Features.Sample < 2 {
			t.Errorf("accepted features %+v", cfg.Features)
		}
		if cfg.Partition.Sample < 2 || cfg.Partition.Restarts < 1 || cfg.Partition.MaxIter < 1 ||
			!(cfg.Partition.PatternWeight >= 0 && cfg.Partition.PatternWeight <= 1e6) || !(cfg.Partition.SemanticWeight >= 0 && cfg.Partition.SemanticWeight <= 1e6) {
			t.Errorf("accepted partition %+v", cfg.Partition)
		}
		if cfg.Shard.MaxRows < 1 || cfg.Shard.MaxBytes < 1 {
			t.Errorf("accepted shard %+v", cfg.Shard)
		}
		tr := cfg.Train
		if len(tr.Strategies) == 0 || tr.Steps < 1 || tr.PerTaskBatch < 1 || !(tr.LR > 0) || !(tr.Temperature > 0) ||
			!(tr.Smoothing >= 0 && tr.Smoothing < 1) || !(tr.Eta >= 0) || tr.TextCol == "" || tr.VectorCol == "" {
			t.Errorf("accepted train %+v", tr)
		}
		seen := map[string]bool{}
		for i, s := range tr.Strategies {
			if !slices.Contains(RunStrategies, s) || seen[s] || (s == "erm" && i != 0) {
				t.Errorf("accepted strategies %q", tr.Strategies)
			}
			seen[s] = true
		}
		if seen["doremi"] && !seen["erm"] {
			t.Errorf("accepted doremi without erm")
		}
		if tr.Tasks == "pos" && tr.Objective != "masked-token" {
			t.Errorf("accepted tasks pos with objective %s", tr.Objective)
		}
		names := map[string]bool{}
		for _, item := range cfg.Eval.Downstream {
			d, err := train.ParseDownstream(item)
			if err != nil || strings.TrimSpace(d.Name) == "" || d.Path == "" || d.LabelCol == "" || names[d.Name] {
				t.Errorf("accepted downstream %q", item)
			}
			names[d.Name] = true
		}
		_ = cfg.OutputDir()
		// The same bytes parse to the same config.
		again, err := ParseRunConfig(name, data)
		if err != nil || !reflect.DeepEqual(cfg, again) {
			t.Fatalf("a second parse differs (%v)", err)
		}
	})
}
