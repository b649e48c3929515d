package main

import (
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binary builds the robustdata command once per test binary run into a
// temporary folder and returns its path; tests that run it as a real
// process (pipes, scripts, signals) skip when the go tool is missing.
func binary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: cannot build the binary")
	}
	dir := filepath.Join(os.TempDir(), "robustdata-test-bin")
	bin := filepath.Join(dir, "robustdata")
	os.MkdirAll(dir, 0o755)
	// go build is incremental: a rebuild with no change only relinks
	// when needed, and parallel builds of the same output are safe with
	// a per-process temporary name.
	tmp := bin + "." + filepath.Base(t.TempDir())
	cmd := exec.Command(goTool, "build", "-o", tmp, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin
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
	b, p := dataset(t, batch), dataset(t, filepath.Join(dir, "pipe"))
	delete(b, "partition.json")
	delete(b, "report.md")
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
