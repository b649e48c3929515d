package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline/stream"
)

const fullRunConfig = `# every key, none at its default
output: out/full
seed: 7
inputs:
  paths: [data/a.parquet, "data/b/*.jsonl"]
  text_col: body
  label_col: topic
features: {semantic: "vectors=glove.txt", dim: 64, vocab: 4096, sample: 5000}
partition:
  k: auto
  k_range: "3:9"
  sample: 1000
  restarts: 2
  max_iter: 50
  weights: {pattern: 0.5, semantic: 2}
shard: {max_rows: 1000, max_bytes: 1000000}
train:
  objective: masked-token
  tasks: pos
  strategies: [minimax, doremi, erm, group-dro, uniform]
  steps: 40
  patience: 5
  eval_every: 20
  per_task_batch: 8
  lr: 2e-3
  temperature: 0.5
  smoothing: 0.5
  eta: 0.02
  checkpoint_every: 10
  vocab: 1024
  window: 16
  hidden: 32
  embed: 16
  samples: 64
  vector_col: emb
  text_col: body2
eval:
  downstream: ["a=down/a.parquet", "b=down/b.parquet:cat"]
report:
  sample: 500
  label_col: topic2
`

func TestRunConfigEveryKey(t *testing.T) {
	cfg, err := ParseRunConfig("conf/pipeline.yaml", []byte(fullRunConfig))
	if err != nil {
		t.Fatal(err)
	}
	want := RunConfig{
		Path: "conf/pipeline.yaml", Dir: "conf",
		Output: "out/full", Seed: 7, SeedSet: true,
		Inputs:   RunInputs{Paths: []string{"data/a.parquet", "data/b/*.jsonl"}, TextCol: "body", LabelCol: "topic"},
		Features: RunFeatures{Semantic: "vectors=glove.txt", Dim: 64, Vocab: 4096, Sample: 5000},
		Partition: RunPartition{K: "auto", KRange: "3:9", Sample: 1000, Restarts: 2, MaxIter: 50,
			PatternWeight: 0.5, SemanticWeight: 2},
		Shard: RunShard{MaxRows: 1000, MaxBytes: 1000000},
		Train: RunTrain{Objective: "masked-token", Tasks: "pos",
			Strategies: []string{"erm", "minimax", "doremi", "group-dro", "uniform"}, // erm first
			Steps:      40, Patience: 5, EvalEvery: 20, PerTaskBatch: 8, LR: 2e-3, Temperature: 0.5, Smoothing: 0.5, Eta: 0.02,
			CheckpointEvery: 10, Vocab: 1024, Window: 16, Hidden: 32, Embed: 16, Samples: 64, VectorCol: "emb", TextCol: "body2"},
		Eval:   RunEval{Downstream: []string{"a=down/a.parquet", "b=down/b.parquet:cat"}},
		Report: RunReport{Enabled: true, Sample: 500, LabelCol: "topic2"},
	}
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("parsed:\n%+v\nwant:\n%+v", *cfg, want)
	}
	if got := cfg.OutputDir(); got != filepath.Join("conf", "out", "full") {
		t.Errorf("OutputDir %q", got)
	}
}

func TestRunConfigDefaults(t *testing.T) {
	cfg, err := ParseRunConfig("p.yaml", []byte("output: out\ninputs: {paths: [a.parquet], text_col: body}\npartition: {k: 3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultRunConfig()
	want.Path, want.Dir, want.Output = "p.yaml", ".", "out"
	want.Inputs.Paths, want.Inputs.TextCol = []string{"a.parquet"}, "body"
	want.Partition.K = "3"
	want.Train.TextCol = "body" // the corpus's text column
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("parsed:\n%+v\nwant:\n%+v", *cfg, want)
	}
	if cfg.SeedSet || cfg.Seed != 1 || !cfg.Report.Enabled || cfg.Report.Sample != 2000 || cfg.Train.Samples != 1024 || cfg.Train.Strategies[0] != "minimax" || cfg.Features.Dim != 96 ||
		cfg.Partition.Sample != 200000 || cfg.Shard.MaxBytes != 268435456 || cfg.Train.Steps != 5000 || cfg.Train.Patience != 3 || cfg.Train.EvalEvery != 100 {
		t.Errorf("defaults: %+v", cfg)
	}
	// Null values, aliases and one string for a list.
	cfg, err = ParseRunConfig("p.yaml", []byte(`
common: &k 5
output: out
inputs: {paths: a.parquet, label_col: }
features:
partition: {k: *k}
`))
	if err == nil || !strings.Contains(err.Error(), `unknown key "common"`) {
		t.Errorf("anchor at an unknown key: %v", err)
	}
	cfg, err = ParseRunConfig("p.yaml", []byte("output: out\ninputs: {paths: a.parquet, label_col: }\nfeatures:\npartition: {k: \"7\"}\ntrain: {strategies: erm}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Inputs.LabelCol != "" || len(cfg.Inputs.Paths) != 1 || cfg.Partition.K != "7" || cfg.Features.Dim != 96 || !reflect.DeepEqual(cfg.Train.Strategies, []string{"erm"}) {
		t.Errorf("nulls and scalars: %+v", cfg)
	}
}

func TestRunConfigResolve(t *testing.T) {
	cfg, err := ParseRunConfig("examples/quickstart/pipeline.yaml", []byte("output: ../../out/q\ninputs: {paths: [../data/x.parquet, /abs/y.parquet]}\npartition: {k: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.OutputDir(); got != filepath.FromSlash("out/q") {
		t.Errorf("output %q", got)
	}
	if got := cfg.Resolve(cfg.Inputs.Paths[0]); got != filepath.FromSlash("examples/data/x.parquet") {
		t.Errorf("relative input %q", got)
	}
	if got := cfg.Resolve(cfg.Inputs.Paths[1]); got != "/abs/y.parquet" {
		t.Errorf("absolute input %q", got)
	}
	cfg.Dir = "/etc/robustdata"
	if got := cfg.Resolve("data/*.parquet"); got != "/etc/robustdata/data/*.parquet" {
		t.Errorf("glob %q", got)
	}
}

func TestRunConfigErrors(t *testing.T) {
	const head = "output: out\ninputs: {paths: [a.parquet]}\n" // lines 1-2
	for _, tc := range []struct {
		name, yaml string
		line       int64
		want       []string
	}{
		{"unknown top key", head + "partition: {k: 2}\nouptut: x\n", 4, []string{`unknown key "ouptut"`, `did you mean "output"?`, "known: output, seed, inputs"}},
		{"unknown partition key", head + "seed: 1\nfeatures: {dim: 8}\nshard: {max_rows: 5}\npartition:\n  k: 4\n  smaple: 10\n", 8,
			[]string{`unknown key "smaple" in partition`, `did you mean "sample"?`, "known: k, k_range, sample, restarts, max_iter, weights"}},
		{"unknown weights key", head + "partition:\n  k: 4\n  weights: {pattern: 1, meaning: 2}\n", 5, []string{`unknown key "meaning" in partition.weights`, "known: pattern, semantic"}},
		{"unknown train key", head + "partition: {k: 2}\ntrain:\n  stesp: 3\n", 5, []string{`unknown key "stesp" in train`, `"steps"`}},
		{"unknown inputs key", "output: out\ninputs:\n  paths: [a]\n  text: t\npartition: {k: 2}\n", 4, []string{`unknown key "text" in inputs`, "known: paths, text_col, label_col"}},
		{"string for int", head + "partition: {k: 2}\ntrain:\n  steps: many\n", 5, []string{"train.steps: expected a whole number, got string \"many\""}},
		{"float for int", head + "partition: {k: 2}\ntrain: {steps: 1.5}\n", 4, []string{"train.steps: expected a whole number, got number 1.5"}},
		{"string for float", head + "partition: {k: 2}\ntrain: {lr: fast}\n", 4, []string{"train.lr: expected a number"}},
		{"bool", head + "partition: {k: 2}\nreport: yes\n", 4, []string{"report: expected true or false, got string \"yes\""}},
		{"tagged bool", head + "partition: {k: 2}\nreport: !!bool yes\n", 4, []string{"report: expected true or false, got \"yes\""}},
		{"tagged int", head + "partition: {k: !!int x}\n", 3, []string{"partition.k: "}},
		{"tagged float", head + "partition: {k: 2}\ntrain: {lr: !!float x}\n", 4, []string{"train.lr: expected a finite number, got x"}},
		{"number for string", "output: out\ninputs: {paths: [a], text_col: 5}\npartition: {k: 2}\n", 2, []string{"inputs.text_col: expected a string, got number 5"}},
		{"mapping for list", "output: out\ninputs:\n  paths: {a: 1}\npartition: {k: 2}\n", 3, []string{"inputs.paths: expected a list of strings, got a mapping"}},
		{"list for section", head + "partition: [1, 2]\n", 3, []string{"partition: expected a mapping"}},
		{"number in list", "output: out\ninputs: {paths: [a, 3]}\npartition: {k: 2}\n", 2, []string{"inputs.paths: expected a list of strings, got number 3"}},
		{"k zero", head + "partition: {k: 0}\n", 3, []string{"partition.k: must be at least 1, got 0"}},
		{"k word", head + "partition: {k: many}\n", 3, []string{"partition.k: expected a whole number of sub-tasks or auto"}},
		{"k_range", head + "partition: {k: auto, k_range: \"1:5\"}\n", 3, []string{"partition.k_range: must be MIN:MAX with 2 <= MIN <= MAX, got \"1:5\""}},
		{"dim range", head + "partition: {k: 2}\nfeatures: {dim: 5000}\n", 4, []string{"features.dim: must be 1..4096, got 5000"}},
		{"semantic", head + "partition: {k: 2}\nfeatures: {semantic: bert}\n", 4, []string{"features.semantic: must be lsa, vectors=FILE or column=NAME"}},
		{"smoothing", head + "partition: {k: 2}\ntrain: {smoothing: 1}\n", 4, []string{"train.smoothing: must be in [0, 1)"}},
		{"negative weight", head + "partition: {k: 2, weights: {pattern: -1}}\n", 3, []string{"partition.weights.pattern: must be a non-negative number"}},
		{"seed", head + "partition: {k: 2}\nseed: -1\n", 4, []string{"seed: must be a whole number from 0"}},
		{"lr zero", head + "partition: {k: 2}\ntrain: {lr: 0}\n", 4, []string{"train.lr: must be positive"}},
		{"max_rows", head + "partition: {k: 2}\nshard: {max_rows: 0}\n", 4, []string{"shard.max_rows: must be at least 1"}},
		{"objective", head + "partition: {k: 2}\ntrain: {objective: gpt}\n", 4, []string{"train.objective: must be masked-regression or masked-token"}},
		{"pos needs tokens", head + "partition: {k: 2}\ntrain:\n  tasks: pos\n", 4, []string{"tasks pos needs objective masked-token"}},
		{"strategy unknown", head + "partition: {k: 2}\ntrain: {strategies: [erm, maximin]}\n", 4, []string{`unknown strategy "maximin"`}},
		{"strategy twice", head + "partition: {k: 2}\ntrain: {strategies: [erm, erm]}\n", 4, []string{`"erm" listed twice`}},
		{"doremi alone", head + "partition: {k: 2}\ntrain:\n  strategies: [minimax, doremi]\n", 5, []string{"doremi needs the erm run"}},
		{"downstream", head + "partition: {k: 2}\neval: {downstream: [nonsense]}\n", 4, []string{"eval.downstream: must be NAME=PATH[:LABELCOL]"}},
		{"downstream twice", head + "partition: {k: 2}\neval: {downstream: [a=x, a=y]}\n", 4, []string{`eval.downstream: must be NAME=PATH[:LABELCOL] items with distinct names, got ["a=x", "a=y"]`}},
		{"stdin", "output: out\ninputs: {paths: [\"-\"]}\npartition: {k: 2}\n", 2, []string{"standard input"}},
		{"duplicate key", head + "partition: {k: 2}\nseed: 1\nseed: 2\n", 5, []string{`duplicate key "seed" (first at line 4)`}},
		{"duplicate nested", head + "partition:\n  k: 2\n  k: 3\n", 5, []string{`duplicate key "k" in partition (first at line 4)`}},
		{"missing output", "inputs: {paths: [a]}\npartition: {k: 2}\n", 1, []string{`missing key "output"`}},
		{"missing inputs", "output: out\npartition: {k: 2}\n", 1, []string{`missing key "paths" in inputs`}},
		{"missing paths", "output: out\ninputs:\n  text_col: t\npartition: {k: 2}\n", 2, []string{`missing key "paths" in inputs`}},
		{"empty paths", "output: out\ninputs: {paths: []}\npartition: {k: 2}\n", 2, []string{"inputs.paths: the list is empty"}},
		{"missing k", head + "partition:\n  sample: 10\n", 3, []string{`missing key "k" in partition`}},
		{"missing partition", head, 1, []string{`missing key "k" in partition`}},
		// yaml.v3 gives the line of the construct that is not closed.
		{"syntax", head + "partition: {k: 2\ntrain: x\n", 2, []string{"not valid YAML", "did not find expected ',' or '}'"}},
		{"bad indentation", head + "partition:\n  k: 2\n   sample: 3\n", 5, []string{"not valid YAML"}},
		{"not a mapping", "- a\n- b\n", 1, []string{"the config: expected a mapping"}},
		{"two documents", head + "partition: {k: 2}\n---\noutput: y\n", 4, []string{"more than one YAML document"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRunConfig("pipeline.yaml", []byte(tc.yaml))
			var de *stream.DataError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T), want a *stream.DataError", err, err)
			}
			if de.Source != "pipeline.yaml" || de.Line != tc.line {
				t.Errorf("%v: source %q line %d, want pipeline.yaml line %d", err, de.Source, de.Line, tc.line)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v: does not say %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "pipeline.yaml: line ") {
				t.Errorf("%v: does not start with the file and line", err)
			}
		})
	}
	for _, empty := range []string{"", "# nothing\n", "~\n"} {
		_, err := ParseRunConfig("p.yaml", []byte(empty))
		if !stream.IsDataError(err) || !strings.Contains(err.Error(), "empty config") {
			t.Errorf("%q: %v", empty, err)
		}
	}
}

func TestRunConfigLoad(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadRunConfig(filepath.Join(dir, "missing.yaml"))
	if !stream.IsDataError(err) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	p := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(p, []byte("output: o\ninputs: {paths: [x]}\npartition: {k: 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadRunConfig(p)
	if err != nil || cfg.Dir != dir || cfg.OutputDir() != filepath.Join(dir, "o") {
		t.Errorf("LoadRunConfig: %+v, %v", cfg, err)
	}
}

func TestRunConfigReport(t *testing.T) {
	base := "output: out\ninputs: {paths: [a.parquet]}\npartition: {k: 3}\n"
	for in, want := range map[string]RunReport{
		"report: false":                       {Enabled: false, Sample: 2000},
		"report: true":                        {Enabled: true, Sample: 2000},
		"report: {sample: 10}":                {Enabled: true, Sample: 10},
		"report: {enabled: false, sample: 7}": {Enabled: false, Sample: 7},
		"report: {label_col: cat}":            {Enabled: true, Sample: 2000, LabelCol: "cat"},
	} {
		cfg, err := ParseRunConfig("p.yaml", []byte(base+in+"\n"))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if cfg.Report != want {
			t.Errorf("%s: %+v, want %+v", in, cfg.Report, want)
		}
	}
	for in, msg := range map[string]string{
		"report: {sample: 0}":   "report.sample: must be at least 1, got 0",
		"report: {samples: 10}": "unknown key",
		"report: 3":             "report",
	} {
		_, err := ParseRunConfig("p.yaml", []byte(base+in+"\n"))
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", in, err, msg)
		}
	}
}

func TestRunConfigDownstreamErrors(t *testing.T) {
	base := "output: out\ninputs: {paths: [a.parquet]}\npartition: {k: 3}\n"
	for in, msg := range map[string]string{
		`eval: {downstream: ["a=x.parquet", "b=x"]}`:           "",
		`eval: {downstream: ["a=x.parquet", "x.parquet"]}`:     `eval.downstream: must be NAME=PATH[:LABELCOL] items with distinct names, got "x.parquet"`,
		`eval: {downstream: ["a=x.parquet:"]}`:                 `got "a=x.parquet:"`,
		`eval: {downstream: ["a=x.parquet", "a=y.parquet:c"]}`: `must be NAME=PATH[:LABELCOL] items with distinct names, got ["a=x.parquet", "a=y.parquet:c"]`,
	} {
		_, err := ParseRunConfig("p.yaml", []byte(base+in+"\n"))
		if (msg == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), msg)) {
			t.Errorf("%s: %v, want %q", in, err, msg)
		}
	}
}
