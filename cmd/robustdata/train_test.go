package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/train"
)

var (
	trOnce sync.Once
	trDS   string
)

// trDataset returns a test's own copy of a small dataset made once with
// the CLI: 1,500 synthetic documents of 3 tasks, partitioned into 3
// tasks.
func trDataset(t *testing.T) string {
	t.Helper()
	trOnce.Do(func() {
		dir := sharedDir(t, "train")
		corpus := filepath.Join(dir, "synth.parquet")
		ds := filepath.Join(dir, "ds") + "/"
		for _, args := range [][]string{
			{"-q", "synth", "--docs", "1500", "--tasks", "3", "--sizes", "50,30,20", "-o", corpus},
			{"-q", "partition", "-i", corpus, "--k", "3", "--dim", "16", "--features-sample", "1500", "--keep-features", "-o", ds},
		} {
			if code, _, stderr := runCLI(t, context.Background(), nil, false, args...); code != 0 {
				t.Errorf("%v: exit %d: %s", args, code, stderr)
				return
			}
		}
		trDS = ds
	})
	if trDS == "" {
		t.Fatal("no training dataset (see the first test that asked for it)")
	}
	ds := filepath.Join(t.TempDir(), "ds")
	if err := os.CopyFS(ds, os.DirFS(trDS)); err != nil {
		t.Fatal(err)
	}
	return ds + "/"
}

// trTrain runs `robustdata -q train` and fails unless it succeeds.
func trTrain(t *testing.T, args ...string) {
	t.Helper()
	code, _, stderr := runCLI(t, context.Background(), nil, false, append([]string{"-q", "train", "--steps", "20", "--hidden", "16"}, args...)...)
	if code != 0 {
		t.Fatalf("train %v: exit %d: %s", args, code, stderr)
	}
}

func trEvalJSON(t *testing.T, run string) *dataset.Eval {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(run, dataset.EvalFile))
	if err != nil {
		t.Fatal(err)
	}
	var ev dataset.Eval
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	return &ev
}

// TestTrainEval trains two runs and compares them with eval: a table with
// a row per task, then mean, worst and worst task, equal to the runs'
// eval.json; --json gives the same numbers for machines.
func TestTrainEval(t *testing.T) {
	ds := trDataset(t)
	runs := t.TempDir()
	erm, mm := filepath.Join(runs, "erm"), filepath.Join(runs, "minimax")
	trTrain(t, "-i", ds, "-o", erm, "--strategy", "erm", "--checkpoint-every", "7")
	trTrain(t, "-i", ds, "-o", mm, "--strategy", "minimax", "--temperature", "0.2", "--smoothing", "0.5")
	for _, run := range []string{erm, mm} {
		for _, name := range []string{dataset.ModelJSON, dataset.CheckpointFile, dataset.TrainLogFile, dataset.WeightsFile, dataset.EvalFile} {
			if _, err := os.Stat(filepath.Join(run, name)); err != nil {
				t.Errorf("%s: %v", run, err)
			}
		}
	}
	evals := []*dataset.Eval{trEvalJSON(t, erm), trEvalJSON(t, mm)}
	var cfg train.Config
	if data, err := os.ReadFile(filepath.Join(mm, dataset.ModelJSON)); err != nil || json.Unmarshal(data, &cfg) != nil {
		t.Fatalf("model.json: %v", err)
	}
	if cfg.Strategy != "minimax" || cfg.Temp != 0.2 || cfg.Smoothing != 0.5 || cfg.Steps != 20 || cfg.Hidden != 16 || cfg.Seed != 1 {
		t.Errorf("model.json does not hold the flags: %+v", cfg)
	}

	code, stdout, stderr := runCLI(t, context.Background(), nil, false, "eval", "--shards", ds, erm, mm)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimRight(string(stdout), "\n"), "\n")
	k := len(evals[0].Tasks)
	if k != 3 || len(lines) != 1+k+3 {
		t.Fatalf("eval printed %d lines for %d tasks:\n%s", len(lines), k, stdout)
	}
	if f := strings.Fields(lines[0]); !reflect.DeepEqual(f, []string{"task", erm, mm}) {
		t.Errorf("header %q", lines[0])
	}
	want := func(name string, v func(*dataset.Eval) string) []string {
		row := strings.Fields(name)
		for _, ev := range evals {
			row = append(row, v(ev))
		}
		return row
	}
	for i := range k {
		checkRow(t, lines[1+i], want(fmt.Sprint(i), func(ev *dataset.Eval) string { return fmt.Sprintf("%.4f", ev.Tasks[i].Loss) }))
	}
	checkRow(t, lines[1+k], want("mean", func(ev *dataset.Eval) string { return fmt.Sprintf("%.4f", ev.Mean) }))
	checkRow(t, lines[2+k], want("worst", func(ev *dataset.Eval) string { return fmt.Sprintf("%.4f", ev.Worst) }))
	checkRow(t, lines[3+k], want("worst task", func(ev *dataset.Eval) string { return fmt.Sprint(ev.WorstTask) }))

	code, stdout, stderr = runCLI(t, context.Background(), nil, false, "eval", "--json", "--shards", ds, erm, mm)
	if code != 0 {
		t.Fatalf("eval --json: exit %d: %s", code, stderr)
	}
	var got map[string]*dataset.Eval
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("eval --json: %v:\n%s", err, stdout)
	}
	if len(got) != 2 || !reflect.DeepEqual(got[erm], evals[0]) || !reflect.DeepEqual(got[mm], evals[1]) {
		t.Errorf("eval --json %s\nwant the runs' eval.json %+v %+v", stdout, *evals[0], *evals[1])
	}
}

func checkRow(t *testing.T, line string, want []string) {
	t.Helper()
	if got := strings.Fields(line); !reflect.DeepEqual(got, want) {
		t.Errorf("row %q, want %q", line, strings.Join(want, "  "))
	}
}

// TestTrainUsage: mistakes in the call exit 2 with one line of error and a
// pointer to --help, before any file is written.
func TestTrainUsage(t *testing.T) {
	ds := trDataset(t)
	out := filepath.Join(t.TempDir(), "run")
	for _, args := range [][]string{
		{"train", "-o", out},
		{"train", "-i", ds},
		{"train", "-i", ds, "-o", out, "--smoothing", "1"},
		{"train", "-i", ds, "-o", out, "--smoothing", "-0.1"},
		{"train", "-i", ds, "-o", out, "--smoothing", "many"},
		{"train", "-i", ds, "-o", out, "--steps", "0"},
		{"train", "-i", ds, "-o", out, "--temperature", "0"},
		{"train", "-i", ds, "-o", out, "--temperature-warmup", "-1"},
		{"train", "-i", ds, "-o", out, "--temperature-warmup", "2.5"},
		{"train", "-i", ds, "-o", out, "--lr", "-1"},
		{"train", "-i", ds, "-o", out, "--no-such-flag"},
		{"eval", filepath.Join(t.TempDir(), "run")},
		{"eval", "--shards", ds},
	} {
		code, stdout, stderr := runCLI(t, context.Background(), nil, false, args...)
		if code != exitUsage || len(stdout) != 0 || !strings.HasPrefix(stderr, "robustdata: ") || !strings.Contains(stderr, "--help") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and a usage message", args, code, stdout, stderr, exitUsage)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v wrote %s", args, out)
		}
	}
}

// TestTrainUsageStrategy: a strategy's settings that cannot work are
// mistakes in the call too (exit 2), found before training.
func TestTrainUsageStrategy(t *testing.T) {
	ds := trDataset(t)
	out := filepath.Join(t.TempDir(), "run")
	for _, args := range [][]string{
		{"train", "-i", ds, "-o", out, "--strategy", "doremi"}, // no --reference
		{"train", "-i", ds, "-o", out, "--strategy", "best"},
		{"train", "-i", ds, "-o", out, "--objective", "masked-pixels"},
		{"train", "-i", ds, "-o", out, "--tasks", "topics"},
	} {
		code, _, stderr := runCLI(t, context.Background(), nil, false, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, stderr %q; want exit %d", args, code, stderr, exitUsage)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v wrote %s", args, out)
			os.RemoveAll(out)
		}
	}
}

// TestTrainBadData: a corrupted dataset exits 3 naming the shard; a loss
// that blows up exits 1 telling to lower --lr.
func TestTrainBadData(t *testing.T) {
	ds := trDataset(t)
	m, err := dataset.ReadManifest(ds)
	if err != nil {
		t.Fatal(err)
	}
	shard := filepath.Join(ds, m.Tasks[0].Shards[0].Path)
	good, err := os.ReadFile(shard)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), good...)
	bad[len(bad)/3] ^= 1
	if err := os.WriteFile(shard, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runCLI(t, context.Background(), nil, false, "train", "-i", ds, "-o", out)
	if code != exitBadInput || !strings.Contains(stderr, "corrupted shard") || !strings.Contains(stderr, m.Tasks[0].Shards[0].Path) {
		t.Errorf("corrupted shard: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused dataset left %s", out)
	}
	code, _, stderr = runCLI(t, context.Background(), nil, false, "eval", "--shards", ds, out)
	if code != exitBadInput {
		t.Errorf("eval of a missing run on a corrupted dataset: exit %d, stderr %q", code, stderr)
	}
	if err := os.WriteFile(shard, good, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, context.Background(), nil, false, "train", "-i", ds, "-o", out, "--lr", "1e30", "--steps", "5")
	if code != exitFailure || !strings.Contains(stderr, "step 1: task") || !strings.Contains(stderr, "lower --lr") {
		t.Errorf("--lr 1e30: exit %d, stderr %q", code, stderr)
	}
	// A masked-regression run probed on a raw text file: exit 3 saying
	// that the features stage makes the vectors.
	run := filepath.Join(t.TempDir(), "reg")
	trTrain(t, "-i", ds, "-o", run, "--steps", "2")
	raw := filepath.Join(t.TempDir(), "raw.parquet")
	if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "synth", "--docs", "50", "--tasks", "2", "-o", raw); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr = runCLI(t, context.Background(), nil, false, "eval", "--shards", ds, run, "--downstream", "raw="+raw)
	if code != exitBadInput || !strings.Contains(stderr, raw+`: column "semantic": no such column`) ||
		!strings.Contains(stderr, "robustdata features -i "+raw+" --model") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("eval --downstream of a raw file: exit %d, stderr %q", code, stderr)
	}
}

// TestTrainExistingRun: train into a folder that holds a finished run
// exits 2 and leaves it untouched unless --overwrite or --resume is given;
// eval of the run on a dataset of another number of tasks exits 3 and
// says both counts.
func TestTrainExistingRun(t *testing.T) {
	ds := trDataset(t)
	run := filepath.Join(t.TempDir(), "run")
	trTrain(t, "-i", ds, "-o", run, "--strategy", "erm")
	before, err := os.ReadFile(filepath.Join(run, dataset.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "train", "--steps", "20", "--hidden", "16", "-i", ds, "-o", run, "--strategy", "minimax")
	if code != exitUsage || !strings.Contains(stderr, "finished run") || !strings.Contains(stderr, "--overwrite") {
		t.Errorf("train into a finished run: exit %d, stderr %q; want exit %d naming --overwrite", code, stderr, exitUsage)
	}
	if after, _ := os.ReadFile(filepath.Join(run, dataset.CheckpointFile)); !reflect.DeepEqual(after, before) {
		t.Errorf("the refused train changed the run's checkpoint")
	}
	code, _, stderr = runCLI(t, context.Background(), nil, false, "train", "-i", ds, "-o", run, "--resume", "--overwrite")
	if code != exitUsage {
		t.Errorf("--resume --overwrite: exit %d, stderr %q", code, stderr)
	}
	trTrain(t, "-i", ds, "-o", run, "--strategy", "erm", "--resume")
	trTrain(t, "-i", ds, "-o", run, "--strategy", "minimax", "--overwrite")
	if after, _ := os.ReadFile(filepath.Join(run, dataset.CheckpointFile)); reflect.DeepEqual(after, before) {
		t.Errorf("--overwrite kept the old checkpoint")
	}

	// The same corpus partitioned into 2 tasks.
	dir := t.TempDir()
	corpus, ds2 := filepath.Join(dir, "synth.parquet"), filepath.Join(dir, "ds2")+"/"
	for _, args := range [][]string{
		{"-q", "synth", "--docs", "600", "--tasks", "2", "-o", corpus},
		{"-q", "partition", "-i", corpus, "--k", "2", "--dim", "16", "--features-sample", "600", "--keep-features", "-o", ds2},
	} {
		if code, _, stderr := runCLI(t, context.Background(), nil, false, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	code, _, stderr = runCLI(t, context.Background(), nil, false, "eval", "--shards", ds2, run)
	if code != exitBadInput || !strings.Contains(stderr, "2 tasks") || !strings.Contains(stderr, "trained on 3") {
		t.Errorf("eval on a dataset of 2 tasks: exit %d, stderr %q; want exit %d naming both counts", code, stderr, exitBadInput)
	}
}

// TestTrainShardsWithoutFeatures: shards carry no feature columns unless
// --keep-features (issue 16), and masked-regression over them says so
// (exit 3, naming the flag); masked-token trains on their text.
func TestTrainShardsWithoutFeatures(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	corpus, ds := filepath.Join(dir, "synth.parquet"), filepath.Join(dir, "ds")+"/"
	for _, args := range [][]string{
		{"-q", "synth", "--docs", "300", "--tasks", "2", "-o", corpus},
		{"-q", "partition", "-i", corpus, "--k", "2", "--dim", "8", "-o", ds},
	} {
		if code, _, stderr := runCLI(t, ctx, nil, false, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	code, _, stderr := runCLI(t, ctx, nil, false, "-q", "train", "-i", ds, "-o", filepath.Join(dir, "reg"), "--steps", "2")
	if code != exitBadInput || !strings.Contains(stderr, "--keep-features") {
		t.Errorf("masked-regression on shards without features: exit %d, stderr %q; want exit %d naming --keep-features", code, stderr, exitBadInput)
	}
	code, _, stderr = runCLI(t, ctx, nil, false, "-q", "train", "-i", ds, "-o", filepath.Join(dir, "tok"), "--objective", "masked-token",
		"--steps", "2", "--vocab", "256", "--embed", "8", "--hidden", "8", "--per-task-batch", "4", "--patience", "0")
	if code != 0 {
		t.Errorf("masked-token on shards without features: exit %d, stderr %q", code, stderr)
	}
}
