package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/robustdata/robustdata/internal/longtest"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// TestSIGKILLLeftoversSwept kills the real binary with SIGKILL while it
// writes (features to a file, partition to a dataset with its spool in
// TMPDIR, shard to a dataset) and reruns the same command: the rerun
// succeeds, sweeps every staging name the killed process left, and
// leaves the user's look-alike files alone.
func TestSIGKILLLeftoversSwept(t *testing.T) {
	longtest.Skip(t, "builds the binary and kills it mid-write")
	bin := binary(t)
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	os.Mkdir(tmp, 0o755)
	corpus := filepath.Join(dir, "big.parquet")
	badCLI(t, "synth", "--docs", "60000", "--tasks", "4", "-o", corpus)
	small := []string{"--dim", "16", "--vocab", "4096", "--sample", "2000"}
	for _, tc := range []struct {
		name string
		args []string // OUT stands for the output folder
	}{
		{"features", append([]string{"features", "-i", corpus, "-o", "OUT/f.parquet"}, small...)},
		{"partition", []string{"partition", "-i", corpus, "-o", "OUT/ds/", "--k", "4", "--features-sample", "2000", "--dim", "16", "--vocab", "4096"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+tc.name)
			os.Mkdir(out, 0o755)
			// The user's files, some with names like the tool's old ones.
			for _, f := range []string{"photos.old-2020/precious.jpg", "notes.tmp-keep.txt", ".f.parquet.tmp-0123456789abcdef", "ds.tmp-abc/keep"} {
				writeFileT(t, filepath.Join(out, f), "mine")
			}
			args := []string{"-q"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "OUT", out))
			}
			run := func() *exec.Cmd {
				cmd := exec.Command(bin, args...)
				cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
				return cmd
			}
			staged := func() bool {
				for _, n := range append(badLeftovers(out), badLeftovers(tmp)...) {
					if stream.IsStagingName(filepath.Base(n)) {
						return true
					}
				}
				return false
			}
			cmd := run()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			deadline := time.Now().Add(60 * time.Second)
			for !staged() {
				select {
				case <-done:
					t.Fatal("finished before it could be killed")
				case <-time.After(5 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("wrote no staging file within 60 s")
				}
			}
			time.Sleep(200 * time.Millisecond)
			cmd.Process.Kill() // SIGKILL: no clean-up runs
			<-done
			if !staged() {
				t.Fatal("the killed process left nothing to sweep: the test does not test")
			}
			if b, err := run().CombinedOutput(); err != nil {
				t.Fatalf("rerun: %v\n%s", err, b)
			}
			if left := badTempNames(append(badLeftovers(out), badLeftovers(tmp)...)); len(left) != 0 {
				// Only the user's look-alikes may remain.
				for _, l := range left {
					if !strings.HasPrefix(l, "photos.old-2020") && !strings.HasPrefix(l, "notes.tmp-keep") && !strings.HasPrefix(l, ".f.parquet.tmp-") && !strings.HasPrefix(l, "ds.tmp-abc") {
						t.Errorf("left after the rerun: %s", l)
					}
				}
			}
			for _, f := range []string{"photos.old-2020/precious.jpg", "notes.tmp-keep.txt", ".f.parquet.tmp-0123456789abcdef", "ds.tmp-abc/keep"} {
				if b, err := os.ReadFile(filepath.Join(out, f)); err != nil || string(b) != "mine" {
					t.Errorf("the user's %s was touched: %v", f, err)
				}
			}
		})
	}
}

func writeFileT(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
