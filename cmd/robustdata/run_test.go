package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/internal/longtest"
	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/record"
	"github.com/robustdata/robustdata/train"
)

// smallRunConfig is the test pipeline: the first 2000 rows of the shipped
// corpus, a small LSA (dim 16, vocabulary 2000), k 4, a short training of a
// small model (steps and checkpoint_every filled in).
const smallRunConfig = `output: out
seed: 1
inputs:
  paths: [small.parquet]
  label_col: label
features: {dim: 16, vocab: 2000}
partition: {k: 4}
train:
  strategies: [erm, minimax]
  hidden: 16
  steps: %d
  checkpoint_every: %d
eval:
  downstream: ["small=small.parquet:label"]
report: false
`

// runTestDir makes a folder with small.parquet (the first 2000 rows of the
// shipped corpus) and pipeline.yaml; it returns the config's path.
func runTestDir(t *testing.T, steps, every int) string {
	t.Helper()
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "cat", "-i", corpus, "--limit", "2000", "-o", filepath.Join(dir, "small.parquet")); code != 0 {
		t.Fatal(stderr)
	}
	cfg := filepath.Join(dir, "pipeline.yaml")
	writeRunConfig(t, cfg, fmt.Sprintf(smallRunConfig, steps, every))
	return cfg
}

func writeRunConfig(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runSummary is the "run summary" log line.
type runSummary struct {
	Stages  []pipeline.StageSummary `json:"stages"`
	Seconds float64                 `json:"seconds"`
	Output  string                  `json:"output"`
}

func (s *runSummary) statuses() map[string]string {
	out := map[string]string{}
	if s != nil {
		for _, st := range s.Stages {
			out[st.Stage] = st.Status
		}
	}
	return out
}

// runJSON runs the CLI with JSON logs and returns the run summary, if one
// was logged.
func runJSON(t *testing.T, ctx context.Context, args ...string) (int, string, string, *runSummary) {
	t.Helper()
	code, stdout, stderr := runCLI(t, ctx, nil, false, append([]string{"--log-format", "json"}, args...)...)
	var sum *runSummary
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Msg string `json:"msg"`
			runSummary
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "run summary" {
			s := line.runSummary
			sum = &s
		}
	}
	return code, string(stdout), stderr, sum
}

func wantStatuses(t *testing.T, what string, sum *runSummary, want map[string]string) {
	t.Helper()
	got := sum.statuses()
	if len(got) != len(want) {
		t.Errorf("%s: stages %v, want %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: stages %v, want %v", what, got, want)
			return
		}
	}
}

func allStatuses(status string) map[string]string {
	return map[string]string{"features": status, "partition": status, "train:erm": status, "train:minimax": status, "eval": status}
}

// fileState is a file's sha256 and modification time.
type fileState struct {
	sha   string
	mtime time.Time
}

// snapshot sums every file under dir (relative paths).
func snapshot(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		h := sha256.Sum256(data)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = fileState{hex.EncodeToString(h[:]), st.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunSkipsUpToDate: the first run makes every stage's outputs and
// records; a second run skips everything in a fraction of the time;
// changing only a train setting reruns train and eval and leaves the
// features and the dataset alone.
func TestRunSkipsUpToDate(t *testing.T) {
	ctx := context.Background()
	cfg := runTestDir(t, 30, 10)
	out := filepath.Join(filepath.Dir(cfg), "out")

	t0 := time.Now()
	code, _, stderr, sum := runJSON(t, ctx, "run", cfg)
	first := time.Since(t0)
	if code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	wantStatuses(t, "first run", sum, allStatuses("ran"))
	if sum.Output != out {
		t.Errorf("summary output %q, want %q", sum.Output, out)
	}
	for _, f := range []string{
		"features/features.arrow", "features/features.model", "features/" + record.StageRecordName,
		"dataset/manifest.json", "dataset/partition.json", "dataset/report.md", "dataset/task=003/part-00000.parquet",
		".robustdata-stage.partition.json",
		"runs/erm/checkpoint.safetensors", "runs/erm/model.json", "runs/erm/eval.json", "runs/erm/" + record.StageRecordName,
		"runs/minimax/train_log.parquet", "runs/minimax/weights.json", "runs/minimax/" + record.StageRecordName,
		"eval/eval.json", "eval/downstream/small.arrow", "eval/" + record.StageRecordName,
	} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("after the first run: %v", err)
		}
	}
	for _, gone := range []string{record.RunLockName, "runs/erm/" + record.StageStartName} {
		if _, err := os.Stat(filepath.Join(out, gone)); err == nil {
			t.Errorf("%s left after the run", gone)
		}
	}
	var ev map[string]json.RawMessage
	if data, err := os.ReadFile(filepath.Join(out, "eval/eval.json")); err != nil || json.Unmarshal(data, &ev) != nil || len(ev) != 2 {
		t.Errorf("eval.json: %d runs, %v", len(ev), err)
	}
	if sum.Stages[1].Rows == nil || *sum.Stages[1].Rows != 2000 {
		t.Errorf("partition rows %v", sum.Stages[1].Rows)
	}
	// The dataset still verifies: the run's records sit outside it.
	if code, stdout, stderr := runCLI(t, ctx, nil, false, "verify", filepath.Join(out, "dataset")); code != 0 {
		t.Errorf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
	before := snapshot(t, out)

	t0 = time.Now()
	code, _, stderr, sum = runJSON(t, ctx, "run", cfg)
	second := time.Since(t0)
	if code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	wantStatuses(t, "unchanged rerun", sum, allStatuses("skipped"))
	if !strings.Contains(stderr, `"msg":"features: up to date"`) {
		t.Errorf("no skip line:\n%s", stderr)
	}
	t.Logf("first run %v, unchanged rerun %v (%.1f%%)", first.Round(time.Millisecond), second.Round(time.Millisecond), 100*second.Seconds()/first.Seconds())
	// That the rerun did no stage work is shown by the statuses and the
	// unchanged files, not by a timing (which a busy machine breaks).
	if after := snapshot(t, out); !mapsEqual(before, after) {
		t.Errorf("an unchanged rerun changed files")
	}

	// Only a train setting changes.
	writeRunConfig(t, cfg, fmt.Sprintf(smallRunConfig, 40, 10))
	code, _, stderr, sum = runJSON(t, ctx, "run", cfg)
	if code != 0 {
		t.Fatalf("run with other steps: exit %d\n%s", code, stderr)
	}
	wantStatuses(t, "steps changed", sum, map[string]string{"features": "skipped", "partition": "skipped", "train:erm": "ran", "train:minimax": "ran", "eval": "ran"})
	if !strings.Contains(stderr, "steps 30 → 40") {
		t.Errorf("the log does not say why train runs:\n%s", stderr)
	}
	after := snapshot(t, out)
	for f, st := range before {
		if strings.HasPrefix(f, "features/") || strings.HasPrefix(f, "dataset/") || f == ".robustdata-stage.partition.json" {
			if after[f] != st {
				t.Errorf("%s changed: %v → %v", f, st, after[f])
			}
		}
	}
	if before["runs/erm/checkpoint.safetensors"].sha == after["runs/erm/checkpoint.safetensors"].sha {
		t.Errorf("train did not rerun")
	}
}

// TestRunPathSpelling: the same input files named by absolute paths
// instead of relative ones, or the config given by a relative path from
// its own folder, are the same inputs: every stage is up to date and no
// file changes. Another file is another input.
func TestRunPathSpelling(t *testing.T) {
	ctx := context.Background()
	cfg := runTestDir(t, 10, 5)
	dir := filepath.Dir(cfg)
	out := filepath.Join(dir, "out")
	if code, _, stderr, sum := runJSON(t, ctx, "run", cfg); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	} else {
		wantStatuses(t, "first run", sum, allStatuses("ran"))
	}
	before := snapshot(t, out)
	small := filepath.Join(dir, "small.parquet")
	abs := strings.NewReplacer("paths: [small.parquet]", "paths: ["+small+"]",
		`"small=small.parquet:label"`, `"small=`+small+`:label"`).Replace(fmt.Sprintf(smallRunConfig, 10, 5))
	if !strings.Contains(abs, small+"]") || !strings.Contains(abs, "small="+small) {
		t.Fatalf("the config was not rewritten:\n%s", abs)
	}
	writeRunConfig(t, cfg, abs)
	code, _, stderr, sum := runJSON(t, ctx, "run", cfg)
	if code != 0 {
		t.Fatalf("absolute paths: exit %d\n%s", code, stderr)
	}
	wantStatuses(t, "absolute paths", sum, allStatuses("skipped"))
	if after := snapshot(t, out); !mapsEqual(before, after) {
		t.Errorf("absolute paths changed files")
	}

	t.Chdir(dir)
	code, _, stderr, sum = runJSON(t, ctx, "run", "pipeline.yaml")
	if code != 0 {
		t.Fatalf("config by a relative path: exit %d\n%s", code, stderr)
	}
	wantStatuses(t, "config by a relative path", sum, allStatuses("skipped"))

	// Another file with the same content under another name is another
	// input: its name is part of what the stage was made from.
	if err := os.Rename(small, filepath.Join(dir, "other.parquet")); err != nil {
		t.Fatal(err)
	}
	writeRunConfig(t, cfg, strings.ReplaceAll(abs, small, filepath.Join(dir, "other.parquet")))
	code, plan, stderr, _ := runJSON(t, ctx, "run", "--dry-run", cfg)
	if code != 0 {
		t.Fatalf("renamed input, dry run: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(plan, "other.parquet") {
		t.Errorf("the plan does not name the renamed input:\n%s", plan)
	}
}

func mapsEqual(a, b map[string]fileState) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRunDryRunAndFrom: --dry-run plans without writing; --from forces a
// stage and everything downstream of it.
func TestRunDryRunAndFrom(t *testing.T) {
	ctx := context.Background()
	cfg := runTestDir(t, 30, 10)
	out := filepath.Join(filepath.Dir(cfg), "out")

	code, stdout, stderr, _ := runJSON(t, ctx, "run", "--dry-run", cfg)
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s", code, stderr)
	}
	for _, st := range []string{"features", "partition", "train:erm", "train:minimax", "eval"} {
		if !regexpLine(stdout, st, "run") {
			t.Errorf("dry run does not plan %s to run:\n%s", st, stdout)
		}
	}
	if !strings.Contains(stdout, "no completion record") || !strings.Contains(stdout, "upstream features runs") {
		t.Errorf("dry run does not say why:\n%s", stdout)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("dry run created %s", out)
	}

	if code, _, stderr, _ := runJSON(t, ctx, "run", cfg); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	before := snapshot(t, out)
	code, stdout, _, _ = runJSON(t, ctx, "run", "--dry-run", cfg)
	if code != 0 || strings.Count(stdout, "up to date") != 5 {
		t.Errorf("dry run after a run: exit %d\n%s", code, stdout)
	}
	// Another k: partition and what follows would run.
	writeRunConfig(t, cfg, strings.Replace(fmt.Sprintf(smallRunConfig, 30, 10), "k: 4", "k: 5", 1))
	code, stdout, _, _ = runJSON(t, ctx, "run", "--dry-run", cfg)
	if code != 0 || !regexpLine(stdout, "features", "up to date") || !regexpLine(stdout, "partition", "run") ||
		!strings.Contains(stdout, `settings changed: k "4" → "5"`) || !regexpLine(stdout, "eval", "run") {
		t.Errorf("dry run with another k: exit %d\n%s", code, stdout)
	}
	code, stdout, _, _ = runJSON(t, ctx, "run", "--dry-run", "--from", "train", cfg)
	if code != 0 || !strings.Contains(stdout, "forced by --from train") {
		t.Errorf("dry run --from train: exit %d\n%s", code, stdout)
	}
	if after := snapshot(t, out); !mapsEqual(before, after) {
		t.Errorf("dry runs changed files")
	}

	writeRunConfig(t, cfg, fmt.Sprintf(smallRunConfig, 30, 10))
	code, _, stderr, sum := runJSON(t, ctx, "run", "--from", "partition", cfg)
	if code != 0 {
		t.Fatalf("--from partition: exit %d\n%s", code, stderr)
	}
	wantStatuses(t, "--from partition", sum, map[string]string{"features": "skipped", "partition": "ran", "train:erm": "ran", "train:minimax": "ran", "eval": "ran"})
	// The same settings and seed: the same outputs.
	after := snapshot(t, out)
	for f, st := range before {
		if after[f].sha != st.sha {
			t.Errorf("%s differs after a forced rerun", f)
		}
	}
	if code, _, stderr := runCLI(t, ctx, nil, false, "run", "--from", "shard", cfg); code != exitUsage || !strings.Contains(stderr, "--from must be features, partition, train, eval or report") {
		t.Errorf("--from shard: exit %d %s", code, stderr)
	}
}

// regexpLine tells whether a plan line names stage then what.
func regexpLine(plan, stage, what string) bool {
	for _, l := range strings.Split(plan, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == stage && strings.HasPrefix(strings.Join(f[1:], " "), what) {
			return true
		}
	}
	return false
}

// TestRunBadConfig: config mistakes are exit status 3 naming the key and
// its line; so are missing inputs.
func TestRunBadConfig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "pipeline.yaml")
	writeRunConfig(t, cfg, "output: out\ninputs:\n  paths: [x.parquet]\npartition:\n  k: 4\n  smaple: 100\n")
	code, _, stderr := runCLI(t, ctx, nil, false, "run", cfg)
	if code != exitBadInput || !strings.Contains(stderr, cfg+": line 6: unknown key \"smaple\" in partition") || !strings.Contains(stderr, "known: k, k_range, sample") {
		t.Errorf("unknown key: exit %d %q", code, stderr)
	}
	writeRunConfig(t, cfg, "output: out\ninputs:\n  paths: [x.parquet]\npartition: {k: 4}\ntrain: {steps: lots}\n")
	code, _, stderr = runCLI(t, ctx, nil, false, "run", cfg)
	if code != exitBadInput || !strings.Contains(stderr, "line 5: train.steps: expected a whole number") {
		t.Errorf("wrong type: exit %d %q", code, stderr)
	}
	writeRunConfig(t, cfg, "output: out\npartition: {k: 4}\n")
	code, _, stderr = runCLI(t, ctx, nil, false, "run", cfg)
	if code != exitBadInput || !strings.Contains(stderr, `missing key "paths" in inputs`) {
		t.Errorf("no inputs: exit %d %q", code, stderr)
	}
	writeRunConfig(t, cfg, "output: out\ninputs:\n  paths: [x.parquet]\npartition: {k: 4}\n")
	for _, args := range [][]string{{"run", cfg}, {"run", "--dry-run", cfg}} {
		code, _, stderr = runCLI(t, ctx, nil, false, args...)
		if code != exitBadInput || !strings.Contains(stderr, filepath.Join(dir, "x.parquet")+": no such file") {
			t.Errorf("%v with a missing input: exit %d %q", args, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Errorf("a failed config created the output root")
	}
	code, _, stderr = runCLI(t, ctx, nil, false, "run", filepath.Join(dir, "none.yaml"))
	if code != exitBadInput || !strings.Contains(stderr, "none.yaml: no such file") {
		t.Errorf("missing config: exit %d %q", code, stderr)
	}
	code, _, stderr = runCLI(t, ctx, nil, false, "run")
	if code != exitUsage {
		t.Errorf("no config: exit %d %q", code, stderr)
	}
	writeRunConfig(t, cfg, "output: out\nseed: 3\ninputs:\n  paths: [x.parquet]\npartition: {k: 4}\n")
	code, _, stderr = runCLI(t, ctx, nil, false, "--seed", "4", "run", cfg)
	if code != exitUsage || !strings.Contains(stderr, "--seed 4 disagrees with the config's seed 3") {
		t.Errorf("--seed against the config: exit %d %q", code, stderr)
	}
}

// TestRunLock: a lock of a live process stops the run; a stale one is
// taken over; the lock is gone after the run.
func TestRunLock(t *testing.T) {
	ctx := context.Background()
	cfg := runTestDir(t, 10, 10)
	out := filepath.Join(filepath.Dir(cfg), "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(out, record.RunLockName)
	host, _ := os.Hostname()
	writeLock := func(pid int) {
		data, _ := json.Marshal(record.LockInfo{PID: pid, Host: host, Since: "2001-02-03T04:05:06Z", Command: "robustdata run"})
		if err := os.WriteFile(lockPath, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeLock(os.Getpid())
	code, _, stderr := runCLI(t, ctx, nil, false, "run", cfg)
	want := fmt.Sprintf("robustdata: %s is locked by robustdata run (pid %d, since 2001-02-03T04:05:06Z); remove %s if that process is gone", out, os.Getpid(), lockPath)
	if code != exitFailure || !strings.Contains(stderr, want) {
		t.Errorf("live lock: exit %d\n%s\nwant %s", code, stderr, want)
	}
	if _, err := os.Stat(filepath.Join(out, "features")); err == nil {
		t.Errorf("a locked run started a stage")
	}
	if _, err := os.Stat(lockPath); err != nil {
		t.Errorf("the other process's lock was removed")
	}

	writeLock(2147483646) // no such process
	code, _, stderr, sum := runJSON(t, ctx, "run", cfg)
	if code != 0 || !strings.Contains(stderr, "took over the lock of a process that is gone") || !strings.Contains(stderr, `"pid":2147483646`) {
		t.Errorf("stale lock: exit %d\n%s", code, stderr)
	}
	wantStatuses(t, "after a stale lock", sum, allStatuses("ran"))
	if _, err := os.Stat(lockPath); err == nil {
		t.Errorf("lock left after the run")
	}
}

// TestRunFailureAndInterrupt: a failing stage's status is the run's, the
// stages before it are kept, and the lock is removed; an interrupted run
// (SIGINT) removes its lock and the next run continues training from the
// checkpoint.
func TestRunFailureAndInterrupt(t *testing.T) {
	ctx := context.Background()
	cfg := runTestDir(t, 200, 10)
	out := filepath.Join(filepath.Dir(cfg), "out")
	good := fmt.Sprintf(smallRunConfig, 200, 10)
	writeRunConfig(t, cfg, strings.Replace(good, "  steps:", "  vector_col: nosuch\n  steps:", 1))
	code, _, stderr, sum := runJSON(t, ctx, "run", cfg)
	if code != exitBadInput || !strings.Contains(stderr, `"nosuch"`) {
		t.Errorf("failing train: exit %d\n%s", code, stderr)
	}
	wantStatuses(t, "failing train", sum, map[string]string{"features": "ran", "partition": "ran", "train:erm": "failed"})
	for _, f := range []string{"features/" + record.StageRecordName, ".robustdata-stage.partition.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("record of a finished stage: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, record.RunLockName)); err == nil {
		t.Errorf("lock left after a failure")
	}

	writeRunConfig(t, cfg, good)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for cctx.Err() == nil {
			if _, err := os.Stat(filepath.Join(out, "runs/erm/checkpoint.safetensors")); err == nil {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	code, _, stderr, sum = runJSON(t, cctx, "run", cfg)
	if code != exitSignal || !strings.Contains(stderr, "interrupted") {
		t.Errorf("interrupted run: exit %d\n%s", code, stderr)
	}
	if st := sum.statuses(); st["train:erm"] != "failed" || st["features"] != "skipped" {
		t.Errorf("interrupted run: %v", st)
	}
	if _, err := os.Stat(filepath.Join(out, record.RunLockName)); err == nil {
		t.Errorf("lock left after an interrupt")
	}
	code, _, stderr, sum = runJSON(t, ctx, "run", cfg)
	if code != 0 || !strings.Contains(stderr, "train:erm: continuing the interrupted run") || !strings.Contains(stderr, `"msg":"train: resumed"`) {
		t.Errorf("run after the interrupt: exit %d\n%s", code, stderr)
	}
	wantStatuses(t, "after the interrupt", sum, map[string]string{"features": "skipped", "partition": "skipped", "train:erm": "ran", "train:minimax": "ran", "eval": "ran"})
}

// TestRunKillResume kills `robustdata run` with SIGKILL at several points
// and restarts it each time; the outputs, records included, must equal an
// uninterrupted run's byte for byte.
func TestRunKillResume(t *testing.T) {
	longtest.Skip(t, "builds the binary and runs the pipeline seven times")
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: cannot build the robustdata binary for the kill test")
	}
	bin := filepath.Join(t.TempDir(), "robustdata")
	if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := runTestDir(t, 400, 20)
	out := filepath.Join(filepath.Dir(cfg), "out")
	start := func() (*exec.Cmd, *bytes.Buffer) {
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "run", cfg)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &stderr
	}
	exists := func(rel string) bool {
		_, err := os.Stat(filepath.Join(out, rel))
		return err == nil
	}
	sums := func() map[string]string {
		m := map[string]string{}
		for f, st := range snapshot(t, out) {
			m[f] = st.sha
		}
		return m
	}

	t0 := time.Now()
	cmd, stderr := start()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, stderr)
	}
	t.Logf("uninterrupted run: %v", time.Since(t0).Round(time.Millisecond))
	want := sums()
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}

	type killPoint struct {
		name   string
		record string // the stage's record: absent when the kill hit the stage
		ready  func() bool
	}
	points := []killPoint{
		{"features (fitting or writing features.arrow)", "features/" + record.StageRecordName,
			func() bool { return exists("features") }},
		{"partition (k-means, before the dataset is published)", ".robustdata-stage.partition.json",
			func() bool { return exists("features/"+record.StageRecordName) && !exists("dataset") }},
		{"partition (dataset published, stage record not yet written)", ".robustdata-stage.partition.json",
			func() bool { return exists("dataset/manifest.json") }},
		{"train:erm (after a checkpoint and its log)", "runs/erm/" + record.StageRecordName,
			func() bool { return exists("runs/erm/checkpoint.safetensors") }},
		{"train:minimax (as its first checkpoint appears, maybe before its log)", "runs/minimax/" + record.StageRecordName,
			func() bool { return exists("runs/minimax/checkpoint.safetensors") }},
		{"eval (featurizing the downstream set or probing)", "eval/" + record.StageRecordName,
			func() bool { return exists("eval") }},
	}
	var hit, missed []string
	resumed, restarted := 0, 0
	for _, p := range points {
		cmd, stderr := start()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		killed := false
	poll:
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("run before the kill point %q failed: %v\n%s", p.name, err, stderr)
				}
				break poll
			default:
			}
			if p.ready() {
				cmd.Process.Kill() // SIGKILL
				<-done
				killed = true
				break
			}
			time.Sleep(500 * time.Microsecond)
		}
		if strings.Contains(stderr.String(), "continuing the interrupted run") {
			resumed++
		}
		if strings.Contains(stderr.String(), "cannot continue the interrupted run") {
			restarted++
		}
		// Whenever the run stops, partition.json and report.md are
		// there if the dataset is: published with it, never after it.
		if exists("dataset/manifest.json") && (!exists("dataset/"+dataset.ModelFile) || !exists("dataset/"+dataset.ReportFile)) {
			t.Errorf("killed at %q: dataset published without its %s and %s", p.name, dataset.ModelFile, dataset.ReportFile)
		}
		if !killed {
			missed = append(missed, p.name+" (the run finished first)")
			break
		}
		if exists(p.record) {
			missed = append(missed, p.name+" (the stage had finished)")
		} else {
			hit = append(hit, p.name)
		}
	}
	cmd, stderr = start()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final run: %v\n%s", err, stderr)
	}
	if strings.Contains(stderr.String(), "continuing the interrupted run") {
		resumed++
	}
	if strings.Contains(stderr.String(), "cannot continue the interrupted run") {
		restarted++
	}
	t.Logf("kill points hit: %q", hit)
	if len(missed) > 0 {
		t.Logf("kill points missed: %q", missed)
	}
	t.Logf("restarts that continued a training run from its checkpoint: %d; that started one again (checkpoint without its log): %d", resumed, restarted)
	if len(hit) < 3 {
		t.Errorf("only %d kill points hit", len(hit))
	}
	got := sums()
	for f, s := range want {
		if got[f] != s {
			t.Errorf("%s differs from the uninterrupted run's", f)
		}
	}
	for f := range got {
		if _, ok := want[f]; !ok {
			t.Errorf("%s is left over (not in the uninterrupted run)", f)
		}
	}
	if len(want) < 20 {
		t.Errorf("only %d files compared", len(want))
	}
}

// TestRunConfigMapsToFlags checks the run config against the CLI: with
// the minimal config every job setting equals the default of the flag of
// the same meaning, and every YAML key set to something else reaches its
// job (so that a stage run by run and the same stage typed by hand agree).
func TestRunConfigMapsToFlags(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, f := range []string{"c.parquet", "d.parquet"} {
		if code, _, stderr := runCLI(t, ctx, nil, false, "-q", "cat", "-i", corpus, "--limit", "5", "-o", filepath.Join(dir, f)); code != 0 {
			t.Fatal(stderr)
		}
	}
	e := &env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, isTerminal: func(any) bool { return false }}
	commandsByName := map[string]*cobra.Command{}
	for _, c := range commands(e) {
		commandsByName[c.Name()] = c
	}
	jobsOf := func(path string) (map[string]any, []string, *pipeline.RunConfig) {
		t.Helper()
		parsed, err := pipeline.LoadRunConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		jobs, err := pipeline.StageJobs(ctx, pipeline.Env{Seed: 1}, parsed)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]any{}
		var names []string
		for _, j := range jobs {
			byName[j.Stage] = j.Job
			names = append(names, j.Stage)
		}
		return byName, names, parsed
	}
	// settings lists each job value as the flag of the same meaning.
	type setting struct{ stage, command, flag, value string }
	settings := func(jobs map[string]any, strat string) []setting {
		f := jobs["features"].(pipeline.FeaturesJob)
		p := jobs["partition"].(pipeline.PartitionJob)
		tr := jobs["train:"+strat].(train.Config)
		fs := func(v any) string { return fmt.Sprint(v) }
		return []setting{
			{"features", "features", "text-col", f.Config.TextCol},
			{"features", "features", "semantic", f.Config.Semantic},
			{"features", "features", "dim", fs(f.Config.Dim)},
			{"features", "features", "vocab", fs(f.Config.Vocab)},
			{"features", "features", "sample", fs(f.Config.Sample)},
			{"partition", "partition", "text-col", p.Config.TextCol},
			{"partition", "partition", "label-col", p.Config.LabelCol},
			{"partition", "partition", "k-range", p.KRange},
			{"partition", "partition", "sample", fs(p.Config.Sample)},
			{"partition", "partition", "restarts", fs(p.Config.Restarts)},
			{"partition", "partition", "max-iter", fs(p.Config.MaxIter)},
			{"partition", "partition", "weights", fmt.Sprintf("pattern=%g,semantic=%g", p.Config.PatternWeight, p.Config.SemanticWeight)},
			{"partition", "partition", "max-rows", fs(p.Shard.MaxRows)},
			{"partition", "partition", "max-bytes", fs(p.Shard.MaxBytes)},
			{"train:" + strat, "train", "objective", tr.Objective},
			{"train:" + strat, "train", "tasks", tr.Tasks},
			{"train:" + strat, "train", "steps", fs(tr.Steps)},
			{"train:" + strat, "train", "patience", fs(tr.Patience)},
			{"train:" + strat, "train", "eval-every", fs(tr.EvalEvery)},
			{"train:" + strat, "train", "per-task-batch", fs(tr.PerTask)},
			{"train:" + strat, "train", "lr", fs(tr.LR)},
			{"train:" + strat, "train", "temperature", fs(tr.Temp)},
			{"train:" + strat, "train", "smoothing", fs(tr.Smoothing)},
			{"train:" + strat, "train", "eta", fs(tr.Eta)},
			{"train:" + strat, "train", "checkpoint-every", fs(tr.CheckpointEvery)},
			{"train:" + strat, "train", "vocab", fs(tr.Vocab)},
			{"train:" + strat, "train", "window", fs(tr.Window)},
			{"train:" + strat, "train", "hidden", fs(tr.Hidden)},
			{"train:" + strat, "train", "embed", fs(tr.Embed)},
			{"train:" + strat, "train", "samples", fs(tr.Samples)},
			{"train:" + strat, "train", "vector-col", tr.VectorCol},
			{"train:" + strat, "train", "text-col", tr.TextCol},
		}
	}

	// Defaults: every setting has the command's own default.
	minimal := filepath.Join(dir, "min.yaml")
	writeRunConfig(t, minimal, "output: out\ninputs: {paths: [c.parquet]}\npartition: {k: 3}\ntrain: {strategies: [erm, doremi]}\n")
	jobs, _, _ := jobsOf(minimal)
	for _, s := range settings(jobs, "erm") {
		f := commandsByName[s.command].Flags().Lookup(s.flag)
		if f == nil {
			t.Errorf("%s: %s has no flag --%s", s.stage, s.command, s.flag)
			continue
		}
		if s.value != f.DefValue {
			t.Errorf("%s: %s --%s: the config's default %q is not the flag's %q", s.stage, s.command, s.flag, s.value, f.DefValue)
		}
	}
	if p := jobs["partition"].(pipeline.PartitionJob); p.Config.K != 3 {
		t.Errorf("partition.k 3 → K %d", p.Config.K)
	}

	// Every key set to something else reaches its job.
	full := filepath.Join(dir, "full.yaml")
	writeRunConfig(t, full, `output: o
seed: 9
inputs: {paths: [c.parquet, d.parquet], text_col: text, label_col: label}
features: {semantic: lsa, dim: 16, vocab: 1000, sample: 50}
partition: {k: auto, k_range: "3:7", sample: 60, restarts: 2, max_iter: 7, weights: {pattern: 0.5, semantic: 2}}
shard: {max_rows: 11, max_bytes: 12345}
train:
  objective: masked-token
  tasks: pos
  strategies: [doremi, group-dro, erm]
  steps: 13
  patience: 2
  eval_every: 4
  per_task_batch: 5
  lr: 0.02
  temperature: 0.3
  smoothing: 0.4
  eta: 0.05
  checkpoint_every: 6
  vocab: 512
  window: 8
  hidden: 24
  embed: 12
  vector_col: vec
  text_col: label
eval: {downstream: ["dd=d.parquet:label"]}
report: true
`)
	jobs, names, parsed := jobsOf(full)
	if !slices.Equal(names, []string{"features", "partition", "train:erm", "train:doremi", "train:group-dro", "eval", "report"}) {
		t.Fatalf("stages %v", names)
	}
	o := filepath.Join(dir, "o")
	want := map[string]string{
		"features text-col": "text", "features semantic": "lsa", "features dim": "16", "features vocab": "1000", "features sample": "50",
		"partition text-col": "text", "partition label-col": "label", "partition k-range": "3:7", "partition sample": "60",
		"partition restarts": "2", "partition max-iter": "7", "partition weights": "pattern=0.5,semantic=2",
		"partition max-rows": "11", "partition max-bytes": "12345",
		"train objective": "masked-token", "train tasks": "pos", "train steps": "13", "train patience": "2", "train eval-every": "4",
		"train per-task-batch": "5", "train lr": "0.02", "train temperature": "0.3", "train smoothing": "0.4", "train eta": "0.05",
		"train checkpoint-every": "6", "train vocab": "512", "train window": "8", "train hidden": "24", "train embed": "12",
		"train samples": fmt.Sprint(train.DefaultSamples), "train vector-col": "vec", "train text-col": "label",
	}
	for _, s := range settings(jobs, "group-dro") {
		if w := want[s.command+" "+s.flag]; s.value != w {
			t.Errorf("%s --%s: %q, want %q", s.stage, s.flag, s.value, w)
		}
	}
	f := jobs["features"].(pipeline.FeaturesJob)
	var ins []string
	for _, in := range f.Inputs {
		ins = append(ins, in.Path)
	}
	if !slices.Equal(ins, []string{filepath.Join(dir, "c.parquet"), filepath.Join(dir, "d.parquet")}) {
		t.Errorf("inputs.paths → features inputs %q", ins)
	}
	if f.ModelOut != filepath.Join(o, "features", "features.model") {
		t.Errorf("features model out %q", f.ModelOut)
	}
	p := jobs["partition"].(pipeline.PartitionJob)
	if p.Config.K != 0 || p.Config.KMin != 3 || p.Config.KMax != 7 || !p.Dir || p.Output != filepath.Join(o, "dataset")+string(filepath.Separator) {
		t.Errorf("partition: K %d, range %d:%d, dir %v, output %q", p.Config.K, p.Config.KMin, p.Config.KMax, p.Dir, p.Output)
	}
	for _, strat := range []string{"erm", "doremi", "group-dro"} {
		tr := jobs["train:"+strat].(train.Config)
		if tr.Strategy != strat || tr.Dataset != filepath.Join(o, "dataset") || tr.RunDir != filepath.Join(o, "runs", strat) || !tr.Resume {
			t.Errorf("train:%s: strategy %q, dataset %q, run %q, resume %v", strat, tr.Strategy, tr.Dataset, tr.RunDir, tr.Resume)
		}
		if ref := filepath.Join(o, "runs", "erm"); (strat == "doremi") != (tr.Reference == ref) {
			t.Errorf("train:%s: reference %q", strat, tr.Reference)
		}
	}
	ev := jobs["eval"].(pipeline.EvalJob)
	if ev.Shards != filepath.Join(o, "dataset") || !slices.Equal(ev.Runs, []string{filepath.Join(o, "runs", "erm"), filepath.Join(o, "runs", "doremi"), filepath.Join(o, "runs", "group-dro")}) {
		t.Errorf("eval: shards %q, runs %q", ev.Shards, ev.Runs)
	}
	if len(ev.Downstream) != 1 || ev.Downstream[0].Name != "dd" || ev.Downstream[0].Path != filepath.Join(dir, "d.parquet") || ev.Downstream[0].LabelCol != "label" {
		t.Errorf("eval.downstream → %+v", ev.Downstream)
	}
	// masked-token reads text: the downstream set is given as it is.
	if len(ev.Featurize) != 0 {
		t.Errorf("masked-token eval featurizes its downstream sets: %+v", ev.Featurize)
	}
	if rp := jobs["report"].(pipeline.ReportJob); rp.Dir != o || rp.Output != filepath.Join(o, "report.html") {
		t.Errorf("report: %+v", rp)
	}
	if parsed.Seed != 9 || !parsed.SeedSet {
		t.Errorf("seed %d", parsed.Seed)
	}
}

// TestRunQuickstartConfig parses the shipped example config and checks
// it names the shipped corpus.
func TestRunQuickstartConfig(t *testing.T) {
	cfg, err := pipeline.LoadRunConfig("../../examples/quickstart/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Resolve(cfg.Inputs.Paths[0]); got != filepath.Clean(corpus) {
		t.Errorf("input %q, want %q", got, corpus)
	}
	if got := cfg.OutputDir(); got != filepath.Clean("../../out/quickstart") {
		t.Errorf("output %q", got)
	}
	if cfg.Partition.K != "12" || cfg.Train.Steps != 300 || !slices.Equal(cfg.Train.Strategies, []string{"erm", "minimax"}) || !cfg.Report.Enabled {
		t.Errorf("quickstart config: %+v", cfg)
	}
}

// TestRunExampleConfig runs the config that run --example-config prints,
// as it is, from a folder laid out like the repository (a 1,500-row slice
// of the example corpus under examples/data/): every stage runs and the
// report is written.
func TestRunExampleConfig(t *testing.T) {
	longtest.Skip(t, "runs the whole chain with the default settings")
	ctx := context.Background()
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, ctx, nil, false, "run", "--example-config")
	if code != 0 {
		t.Fatalf("--example-config: exit %d %s", code, stderr)
	}
	cfg := filepath.Join(dir, "robustdata.yaml")
	if err := os.WriteFile(cfg, stdout, 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "examples/data"), 0o755)
	if code, _, stderr := runCLI(t, ctx, nil, false, "-q", "cat", "-i", "../../examples/data/fortunes.parquet", "--limit", "1500", "-o", filepath.Join(dir, "examples/data/fortunes.parquet")); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr, sum := runJSON(t, ctx, "run", cfg)
	if code != 0 {
		t.Fatalf("the example config: exit %d\n%s", code, stderr)
	}
	wantStatuses(t, "example config", sum, map[string]string{"features": "ran", "partition": "ran", "train:minimax": "ran", "eval": "ran", "report": "ran"})
	if _, err := os.Stat(filepath.Join(dir, "out/example/report.html")); err != nil {
		t.Errorf("no report: %v", err)
	}
}
