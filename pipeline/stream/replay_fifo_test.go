//go:build unix

package stream

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReplayFIFO reads a FIFO twice through a Replay: the first pass
// spools it (a FIFO cannot be opened again), and the second pass gives the
// same rows. It used to hang on the second open.
func TestReplayFIFO(t *testing.T) {
	mem := checkedMem(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.jsonl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	var lines strings.Builder
	for i := range 500 {
		lines.WriteString(`{"text":"row ` + strings.Repeat("x", i%17) + `"}` + "\n")
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString(lines.String())
		f.Close()
	}()
	in := Input{Name: fifo, Path: fifo, Size: 0}
	if !in.Streamed() {
		t.Fatal("a FIFO is not Streamed")
	}
	done := make(chan [2]int, 1)
	go func() {
		ctx := context.Background()
		r := NewReplay(ctx, []Input{in}, WithAllocator(mem))
		defer r.Close()
		var n [2]int
		first, err := r.First("text")
		if err != nil {
			t.Error(err)
			done <- n
			return
		}
		n[0] = countRows(t, first)
		first.Close()
		second, err := r.Second()
		if err != nil {
			t.Error(err)
			done <- n
			return
		}
		n[1] = countRows(t, second)
		second.Close()
		done <- n
	}()
	select {
	case n := <-done:
		if n[0] != 500 || n[1] != 500 {
			t.Errorf("passes read %d and %d rows, want 500 each", n[0], n[1])
		}
	case <-time.After(15 * time.Second):
		t.Fatal("hung reading a FIFO twice")
	}
}

// countRows reads rd to its end and counts its rows.
func countRows(t testing.TB, rd Reader) int {
	recs := readBatches(t, rd)
	defer releaseAll(recs)
	n := 0
	for _, r := range recs {
		n += int(r.NumRows())
	}
	return n
}
