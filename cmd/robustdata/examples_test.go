package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/robustdata/robustdata/internal/longtest"
)

// binary builds the robustdata command once per test binary run into a
// temporary folder and returns its path; tests that run it as a real
// process (pipes, scripts, signals) skip when the go tool is missing. The
// build (a link of ≈ 90 MB) is shared by every test that asks for it.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() { builtBin, buildSkip, buildErr = buildBinary() })
	if buildSkip != "" {
		t.Skip(buildSkip)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// TestMain runs the tests and removes the shared binary and fixtures
// afterwards.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
		// The whole suite runs: the binary is a fixture of the package,
		// built before the tests, so that no test's time includes it.
		buildOnce.Do(func() { builtBin, buildSkip, buildErr = buildBinary() })
	}
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	sharedMu.Lock()
	for _, d := range sharedDirs {
		os.RemoveAll(d)
	}
	sharedMu.Unlock()
	os.Exit(code)
}

var (
	sharedMu   sync.Mutex
	sharedDirs []string
)

// sharedDir makes a temporary folder for a fixture that several tests
// share (built once per test binary run); TestMain removes it.
func sharedDir(t *testing.T, pattern string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "robustdata-test-"+pattern+"-")
	if err != nil {
		t.Fatal(err)
	}
	sharedMu.Lock()
	sharedDirs = append(sharedDirs, dir)
	sharedMu.Unlock()
	return dir
}

var (
	buildOnce sync.Once
	builtBin  string
	buildSkip string
	buildErr  error
)

// buildBinary runs go build into a folder of its own; it returns the
// binary's path, or why the tests that need it skip, or the build error.
func buildBinary() (string, string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", "the go tool is not on PATH: cannot build the binary", nil
	}
	dir, err := os.MkdirTemp("", "robustdata-test-bin-")
	if err != nil {
		return "", "", err
	}
	// TestMain removes the folder after the tests.
	bin := filepath.Join(dir, "robustdata")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		// The packages are already compiled with -race for the tests:
		// a race build reuses them, a plain one compiles them all again
		// (minutes on a fresh clone).
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, "", nil
}

// shell runs a script with ROBUSTDATA set to the built binary, from the
// repository root.
func shell(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", args...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "ROBUSTDATA="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestUnixPipelineExample runs examples/unix-pipeline/pipeline.sh with
// the real binary — features | partition | shard through OS pipes — and
// checks its dataset equals the batch job's, manifest included.
func TestUnixPipelineExample(t *testing.T) {
	longtest.Skip(t, "the whole fortunes corpus through OS pipes and as a batch job")
	bin := binary(t)
	dir := t.TempDir()
	out := shell(t, bin, "examples/unix-pipeline/pipeline.sh", "examples/data/fortunes.parquet", filepath.Join(dir, "pipe"))
	if !strings.Contains(out, ": OK") || !strings.Contains(out, `"task":`) {
		t.Fatalf("pipeline output lacks verify OK or the peek:\n%s", out)
	}
	batch := filepath.Join(dir, "batch") + "/"
	cmd := exec.Command(bin, "-q", "partition", "-i", "examples/data/fortunes.parquet", "--k", "12", "--label-col", "label", "-o", batch)
	cmd.Dir = "../.."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("batch job: %v\n%s", err, b)
	}
	b, p := datasetFiles(t, batch), datasetFiles(t, filepath.Join(dir, "pipe"))
	delete(b, "partition.json")
	delete(b, "report.md")
	delete(b, "features.model") // the batch job saves the features model it fitted; the pipe's features stage does not
	sameDataset(t, b, p, "pipe (OS processes) against batch")
	h := sha256.Sum256(p["manifest.json"])
	t.Logf("manifest sha256 %x, pipe and batch", h)
}

// TestBringYourOwnEmbeddingsExample runs the example and checks the NMI it
// reports.
func TestBringYourOwnEmbeddingsExample(t *testing.T) {
	bin := binary(t)
	out := shell(t, bin, "examples/bring-your-own-embeddings/run.sh", filepath.Join(t.TempDir(), "byo"))
	if !strings.Contains(out, "NMI 0.") || !strings.Contains(out, ": OK") {
		t.Fatalf("unexpected output:\n%s", out)
	}
}

// TestPipeFailurePropagates checks that a stage failing in the middle of
// a pipe makes the next stage fail too, instead of taking the cut stream
// for complete.
func TestPipeFailurePropagates(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	// A corpus whose 3rd line is broken: features fails after the schema.
	bad := filepath.Join(dir, "bad.jsonl")
	var buf bytes.Buffer
	for i := range 5000 {
		if i == 4000 {
			buf.WriteString("{\"text\": broken\n")
			continue
		}
		buf.WriteString(`{"text":"line number ` + strings.Repeat("word ", i%7+1) + `"}` + "\n")
	}
	os.WriteFile(bad, buf.Bytes(), 0o644)
	script := bin + " -q cat -i " + bad + " --batch-rows 100 | " + bin + " -q cat -o " + filepath.Join(dir, "out.parquet") + "; echo \"exit ${PIPESTATUS[0]} ${PIPESTATUS[1]}\""
	out, _ := exec.Command("bash", "-c", script).CombinedOutput()
	if !strings.Contains(string(out), "exit 3 3") {
		t.Fatalf("want both stages to exit 3:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.parquet")); !os.IsNotExist(err) {
		t.Fatal("the downstream stage wrote its output from a cut stream")
	}
}

// TestETLExample checks that the cron line and the systemd service of
// examples/etl run the same command, then runs that command as a
// scheduler would on three nights in a copy of the example's folders: the
// first night runs every stage, an unchanged second night skips them all,
// and a third night with a new input file reruns the chain. Each night's
// last stderr line is the JSON run summary.
func TestETLExample(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("../../examples/etl", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// The robustdata arguments of the crontab line and of ExecStart.
	var cronArgs, unitArgs []string
	for _, line := range strings.Split(read("crontab"), "\n") {
		if f := strings.Fields(line); len(f) > 5 && !strings.HasPrefix(line, "#") {
			cmd := strings.Join(f[5:], " ")
			_, after, ok := strings.Cut(cmd, "bin/robustdata ")
			if !ok {
				t.Fatalf("crontab line does not run bin/robustdata: %q", line)
			}
			before, _, _ := strings.Cut(after, ">>")
			cronArgs = strings.Fields(before)
		}
	}
	for _, line := range strings.Split(read("robustdata-nightly.service"), "\n") {
		if rest, ok := strings.CutPrefix(line, "ExecStart="); ok {
			f := strings.Fields(rest)
			if !strings.HasSuffix(f[0], "/bin/robustdata") {
				t.Fatalf("ExecStart does not run bin/robustdata: %q", line)
			}
			unitArgs = f[1:]
		}
	}
	want := []string{"--log-format", "json", "run", "examples/etl/nightly.yaml"}
	if strings.Join(cronArgs, " ") != strings.Join(want, " ") || strings.Join(unitArgs, " ") != strings.Join(want, " ") {
		t.Fatalf("cron runs %q and the service %q, want both %q", cronArgs, unitArgs, want)
	}
	timer := read("robustdata-nightly.timer")
	for _, s := range []string{"OnCalendar=*-*-* 02:30:00", "Persistent=true", "WantedBy=timers.target"} {
		if !strings.Contains(timer, s) {
			t.Errorf("timer lacks %q", s)
		}
	}

	// A copy of the repository's layout: the config and the data folder.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "examples/etl"), 0o755)
	os.MkdirAll(filepath.Join(root, "examples/data"), 0o755)
	nightly := read("nightly.yaml")
	if !longtest.Enabled() {
		// make test runs the nights with fewer training steps and a
		// smaller LSA: the schedule, not the model, is under test here.
		small := strings.NewReplacer("steps: 120", "steps: 8", "checkpoint_every: 40", "checkpoint_every: 4", "dim: 64", "dim: 16").Replace(nightly)
		if strings.Contains(small, "steps: 120") || !strings.Contains(small, "steps: 8") || !strings.Contains(small, "dim: 16") {
			t.Fatalf("examples/etl/nightly.yaml changed: update the test's smaller settings\n%s", nightly)
		}
		nightly = small
	}
	os.WriteFile(filepath.Join(root, "examples/etl/nightly.yaml"), []byte(nightly), 0o644)
	data, err := os.ReadFile("../../examples/data/appstream.parquet")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "examples/data/appstream.parquet"), data, 0o644)

	bin := binary(t)
	type summary struct {
		Msg    string `json:"msg"`
		Output string `json:"output"`
		Report string `json:"report"`
		Stages []struct {
			Stage  string `json:"stage"`
			Status string `json:"status"`
			Rows   *int64 `json:"rows"`
		} `json:"stages"`
	}
	night := func() summary {
		t.Helper()
		cmd := exec.Command(bin, want...)
		cmd.Dir = root
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("nightly run: %v\n%s", err, stderr.String())
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		var s summary
		for _, l := range lines {
			if !json.Valid([]byte(l)) {
				t.Fatalf("a log line is not JSON: %q", l)
			}
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil || s.Msg != "run summary" {
			t.Fatalf("last line is not the run summary: %q (%v)", lines[len(lines)-1], err)
		}
		return s
	}
	statuses := func(s summary) map[string]string {
		m := map[string]string{}
		for _, st := range s.Stages {
			m[st.Stage] = st.Status
		}
		return m
	}
	stages := []string{"features", "partition", "train:erm", "train:minimax", "eval", "report"}
	first := night()
	for _, st := range stages {
		if statuses(first)[st] != "ran" {
			t.Errorf("first night: %s is %q, want ran (%+v)", st, statuses(first)[st], first.Stages)
		}
	}
	if _, err := os.Stat(filepath.Join(root, first.Report)); err != nil {
		t.Errorf("first night: no report: %v", err)
	}
	second := night()
	for _, st := range stages {
		if statuses(second)[st] != "skipped" {
			t.Errorf("unchanged night: %s is %q, want skipped", st, statuses(second)[st])
		}
	}
	// Tonight's drop: a new file the glob picks up.
	extra := filepath.Join(root, "examples/data/appstream-2026-11-27.parquet")
	cmd := exec.Command(bin, "-q", "cat", "-i", filepath.Join(root, "examples/data/appstream.parquet"), "--limit", "100", "-o", extra)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	third := night()
	for _, st := range stages {
		if statuses(third)[st] != "ran" {
			t.Errorf("night with a new file: %s is %q, want ran", st, statuses(third)[st])
		}
	}
	var n1, n3 int64
	for _, st := range first.Stages {
		if st.Stage == "partition" && st.Rows != nil {
			n1 = *st.Rows
		}
	}
	for _, st := range third.Stages {
		if st.Stage == "partition" && st.Rows != nil {
			n3 = *st.Rows
		}
	}
	if n1 == 0 || n3 != n1+100 {
		t.Errorf("partition rows: first night %d, with the new file %d, want +100", n1, n3)
	}
	out, err := exec.Command(bin, "verify", filepath.Join(root, "out/etl/dataset")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": OK") {
		t.Errorf("verify: %v\n%s", err, out)
	}
}

// TestStrategiesConfigs checks that the strategy comparison's configs
// (examples/strategies, run by compare.sh, about 15 minutes) are valid and
// plan the five strategies; the comparison itself is too long for tests.
func TestStrategiesConfigs(t *testing.T) {
	for _, tasks := range []string{"cluster", "pos"} {
		code, stdout, stderr := runCLI(t, context.Background(), nil, false, "run", "--dry-run", "../../examples/strategies/"+tasks+".yaml")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tasks, code, stderr)
		}
		for _, s := range []string{"erm", "uniform", "minimax", "group-dro", "doremi"} {
			if !strings.Contains(string(stdout), "train:"+s+" ") {
				t.Errorf("%s: the plan lacks train:%s:\n%s", tasks, s, stdout)
			}
		}
	}
	script, err := os.ReadFile("../../examples/strategies/compare.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"strategies/$t.yaml", "runs/erm runs/uniform runs/minimax runs/group-dro runs/doremi", "--downstream"} {
		if !strings.Contains(string(script), s) {
			t.Errorf("compare.sh lacks %q", s)
		}
	}
}
