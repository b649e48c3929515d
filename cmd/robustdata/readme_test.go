package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/internal/longtest"
)

// readmeBlocks returns the README's ```sh blocks, each as its command
// lines (comments and blank lines dropped, trailing comments kept: bash
// ignores them).
func readmeBlocks(t *testing.T) [][]string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks [][]string
	var cur []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case !in && strings.HasPrefix(line, "```sh"):
			in, cur = true, nil
		case in && strings.HasPrefix(line, "```"):
			in = false
			blocks = append(blocks, cur)
		case in && strings.TrimSpace(line) != "" && !strings.HasPrefix(strings.TrimSpace(line), "#"):
			cur = append(cur, line)
		}
	}
	return blocks
}

// TestReadmeCommands runs every command of the README's examples as
// written, in order, with bash in a folder laid out like the repository
// (bin/robustdata, examples/) plus the files the examples name: a
// corpus/ of JSONL shards cut from the shipped fortunes corpus, more.parquet
// and apps.parquet (the shipped AppStream corpus, raw text). The set-up
// block (make) and the memory-measurement recipe are checked by CI and
// the benchmark suite instead; every other command line must exit 0.
func TestReadmeCommands(t *testing.T) {
	longtest.Skip(t, "runs every README command with the real binary, the quickstart chain included")
	blocks := readmeBlocks(t)
	if len(blocks) < 3 {
		t.Fatalf("the README has %d sh blocks, want at least 3", len(blocks))
	}
	bin := binary(t)
	root := t.TempDir()
	for _, d := range []string{"bin", "corpus", "examples/data", "examples/quickstart"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(bin, filepath.Join(root, "bin/robustdata")); err != nil {
		t.Fatal(err)
	}
	copyFile := func(from, to string) {
		t.Helper()
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, to), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(corpus, "examples/data/fortunes.parquet")
	copyFile("../../examples/quickstart/pipeline.yaml", "examples/quickstart/pipeline.yaml")
	copyFile("../../examples/data/appstream.parquet", "apps.parquet")
	runIn := func(line string) {
		t.Helper()
		cmd := exec.Command("bash", "-o", "pipefail", "-c", line)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("README command %q: %v\n%s", line, err, out)
		}
	}
	// The JSONL corpus the cat example reads (3000 fortunes in two
	// files) and a second corpus for the saved features model.
	runIn("bin/robustdata -q cat -i examples/data/fortunes.parquet --limit 1500 -o corpus/part-0.jsonl.zst")
	runIn("bin/robustdata -q cat -i examples/data/fortunes.parquet --limit 3000 -o corpus/part-1.jsonl.zst")
	runIn("bin/robustdata -q cat -i examples/data/fortunes.parquet --limit 300 -o more.parquet")

	ran := 0
	for _, block := range blocks {
		if strings.HasPrefix(block[0], "make ") {
			continue // the set-up commands: .ci/run runs them
		}
		if strings.Contains(strings.Join(block, "\n"), "/usr/bin/time") {
			continue // the memory recipe: scripts/bench-suite.sh measures it
		}
		for _, line := range block {
			runIn(line)
			ran++
		}
	}
	if ran < 20 {
		t.Errorf("ran %d README commands, want at least 20", ran)
	}
	if _, err := os.Stat(filepath.Join(root, "out/quickstart/report.html")); err != nil {
		t.Errorf("the quickstart commands wrote no report: %v", err)
	}
}
