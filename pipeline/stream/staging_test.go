//go:build unix

package stream

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSweepStagingLiveAndDead(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "out.parquet")
	live, err := createStagingFile(final)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if !IsStagingName(filepath.Base(live.Name())) || !strings.HasPrefix(filepath.Base(live.Name()), ".out.parquet.robustdata-tmp-") {
		t.Fatalf("staging name %s", live.Name())
	}
	liveDir, err := NewStagingDir(filepath.Join(dir, "ds"))
	if err != nil {
		t.Fatal(err)
	}
	defer liveDir.Release()
	// A process's lock is gone with it: a dead writer's staging entries
	// are the same names without a lock held.
	deadFile := filepath.Join(dir, ".out.parquet.robustdata-tmp-12-00000000000000aa")
	writeTestFile(t, deadFile, "half")
	other := filepath.Join(dir, ".other.parquet.robustdata-tmp-12-00000000000000bb")
	writeTestFile(t, other, "half")

	done, err := SweepStaging(dir, "out.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(done, []string{deadFile}) {
		t.Errorf("swept %v, want only %s", done, deadFile)
	}
	for _, p := range []string{live.Name(), liveDir.Path, other} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
	// A lock held by another process (a live writer) holds too.
	if _, err := exec.LookPath("flock"); err == nil {
		held := filepath.Join(dir, ".ds2.robustdata-tmp-77-00000000000000cc")
		os.Mkdir(held, 0o755)
		writeTestFile(t, held+".lock", "{}")
		cmd := exec.Command("flock", "-x", held+".lock", "sleep", "30")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // sleep holds the lock too
		kill := func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() }
		if err := cmd.Start(); err == nil {
			defer kill()
			// flock takes the lock before sleep starts; wait for it.
			locked := false
			for range 500 {
				if f, err := os.Open(held + ".lock"); err == nil {
					ok, _ := tryLockFile(f)
					f.Close()
					if !ok {
						locked = true
						break
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
			if !locked {
				t.Fatal("flock(1) did not take the lock within 5 s")
			}
			if done, _ := SweepStaging(dir, "ds2"); len(done) != 0 {
				t.Errorf("swept the folder of a live process: %v", done)
			}
			kill()
			// The lock goes when the last process holding it has exited.
			var done []string
			for range 500 {
				if done, _ = SweepStaging(dir, "ds2"); len(done) > 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if len(done) != 1 {
				t.Errorf("after its writer died: swept %v", done)
			}
		}
	}
}

func TestSweepStagingRestoresMovedAside(t *testing.T) {
	dir := t.TempDir()
	ds := filepath.Join(dir, "ds")
	writeTestFile(t, filepath.Join(ds, ManifestName), "old dataset")
	aside, err := MoveAside(ds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ds); err == nil {
		t.Fatal("still in place after MoveAside")
	}
	// Killed here: the lock goes with the process. Closing the lock file
	// releases it the same way.
	aside.lock.Close()
	aside.lock = nil
	done, err := SweepStaging(dir, "ds")
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 2 {
		t.Errorf("swept %v", done)
	}
	b, err := os.ReadFile(filepath.Join(ds, ManifestName))
	if err != nil || string(b) != "old dataset" {
		t.Fatalf("old dataset not restored: %q %v", b, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left %v", entries)
	}

	// With the new dataset in place, the old one is removed instead.
	aside, err = MoveAside(ds)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(ds, ManifestName), "new dataset")
	aside.lock.Close()
	aside.lock = nil
	if _, err := SweepStaging(dir, ""); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(filepath.Join(ds, ManifestName))
	entries, _ = os.ReadDir(dir)
	if string(b) != "new dataset" || len(entries) != 1 {
		t.Errorf("got %q and %v", b, entries)
	}
}

func TestAtomicWriteSweepsItsOwnLeftovers(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "x.parquet")
	dead := filepath.Join(dir, ".x.parquet.robustdata-tmp-5-0000000000000001")
	lookalike := filepath.Join(dir, ".x.parquet.tmp-0000000000000001")
	writeTestFile(t, dead, "half")
	writeTestFile(t, lookalike, "user's")
	if err := WriteFileAtomic(final, func(w io.Writer) error { _, err := w.Write([]byte("ok")); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); err == nil {
		t.Errorf("dead writer's file not swept")
	}
	if _, err := os.Stat(lookalike); err != nil {
		t.Errorf("look-alike removed")
	}
}
