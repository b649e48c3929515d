package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sliceReader serves batches from memory (each Read retains for the caller
// as a normal reader would own it).
type sliceReader struct {
	recs   []arrow.RecordBatch
	i      int
	err    error // returned after the batches, instead of io.EOF
	closed bool
}

func (s *sliceReader) Schema() *arrow.Schema { return s.recs[0].Schema() }
func (s *sliceReader) Read() (arrow.RecordBatch, error) {
	if s.i >= len(s.recs) {
		if s.err != nil {
			return nil, s.err
		}
		return nil, io.EOF
	}
	s.i++
	return s.recs[s.i-1], nil
}
func (s *sliceReader) Close() error { s.closed = true; return nil }

// doubleN multiplies column n by 2 after a random pause, so that workers
// finish out of order.
func doubleN(mem memory.Allocator) func() MapFunc {
	return func() MapFunc {
		rng := rand.New(rand.NewPCG(1, 2))
		return func(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
			time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond)
			col := rec.Column(rec.Schema().FieldIndices("n")[0]).(*array.Int64)
			b := array.NewInt64Builder(mem)
			defer b.Release()
			for i := 0; i < col.Len(); i++ {
				b.Append(col.Value(i) * 2)
			}
			out := b.NewArray()
			defer out.Release()
			sc := arrow.NewSchema([]arrow.Field{{Name: "n2", Type: arrow.PrimitiveTypes.Int64}}, nil)
			return array.NewRecordBatch(sc, []arrow.Array{out}, rec.NumRows()), nil
		}
	}
}

func TestParallelMapKeepsOrder(t *testing.T) {
	mem := checkedMem(t)
	recs := makeBatches(t, mem, 2000, 37)
	defer releaseAll(recs)
	sc := arrow.NewSchema([]arrow.Field{{Name: "n2", Type: arrow.PrimitiveTypes.Int64}}, nil)
	for _, workers := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			src := &sliceReader{recs: recs}
			rd := ParallelMap(context.Background(), src, sc, workers, doubleN(mem))
			got, batches := readAll(t, rd, mem)
			defer releaseArrays(got)
			if err := rd.Close(); err != nil || !src.closed {
				t.Fatalf("Close: %v, src closed %v", err, src.closed)
			}
			if batches != len(recs) {
				t.Fatalf("%d batches, want %d", batches, len(recs))
			}
			n := got[0].(*array.Int64)
			for i := 0; i < n.Len(); i++ {
				want := int64(i)*1_000_000_007 - 5
				if i%7 == 3 { // null rows of makeBatches hold 0
					want = 0
				}
				if n.Value(i) != 2*want {
					t.Fatalf("row %d: %d, want %d", i, n.Value(i), 2*want)
				}
			}
		})
	}
}

func TestParallelMapErrors(t *testing.T) {
	mem := checkedMem(t)
	recs := makeBatches(t, mem, 1000, 10)
	defer releaseAll(recs)
	sc := arrow.NewSchema([]arrow.Field{{Name: "n2", Type: arrow.PrimitiveTypes.Int64}}, nil)
	boom := errors.New("boom")
	t.Run("worker error", func(t *testing.T) {
		calls := 0
		failing := func() MapFunc {
			ok := doubleN(mem)()
			return func(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
				if rec.Column(2).(*array.Int64).Value(0) == 50*1_000_000_007-5 {
					return nil, boom
				}
				calls++
				return ok(rec)
			}
		}
		rd := ParallelMap(context.Background(), &sliceReader{recs: recs}, sc, 1, failing)
		n := 0
		var err error
		for {
			var rec arrow.RecordBatch
			rec, err = rd.Read()
			if err != nil {
				break
			}
			n++
			_ = rec
		}
		if !errors.Is(err, boom) || n != 5 {
			t.Fatalf("got %d batches then %v, want 5 then boom", n, err)
		}
		rd.Close()
	})
	t.Run("source error", func(t *testing.T) {
		rd := ParallelMap(context.Background(), &sliceReader{recs: recs[:4], err: boom}, sc, 3, doubleN(mem))
		n := 0
		var err error
		for {
			if _, err = rd.Read(); err != nil {
				break
			}
			n++
		}
		if !errors.Is(err, boom) || n != 4 {
			t.Fatalf("got %d batches then %v, want 4 then boom", n, err)
		}
		rd.Close()
	})
	t.Run("close mid-stream", func(t *testing.T) {
		rd := ParallelMap(context.Background(), &sliceReader{recs: recs}, sc, 4, doubleN(mem))
		for range 3 {
			if _, err := rd.Read(); err != nil {
				t.Fatal(err)
			}
		}
		if err := rd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := rd.Read(); err == nil {
			t.Fatal("Read after Close succeeded")
		}
	})
	t.Run("cancelled before the first batch", func(t *testing.T) {
		// The dispatcher stops before reading anything: the reader must
		// say so, not end as if the source were empty.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rd := ParallelMap(ctx, &sliceReader{recs: recs}, sc, 2, doubleN(mem))
		if _, err := rd.Read(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Read: %v, want context.Canceled", err)
		}
		rd.Close()
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		rd := ParallelMap(ctx, &sliceReader{recs: recs}, sc, 2, doubleN(mem))
		rd.Read()
		cancel()
		var err error
		for range len(recs) {
			if _, err = rd.Read(); err != nil {
				break
			}
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("after cancel: %v", err)
		}
		rd.Close()
	})
}

// gatedReader serves its first batch at once and its second only after
// the test's gate opens (the test cancels the map's context first).
type gatedReader struct {
	sliceReader
	gate chan struct{}
}

func (g *gatedReader) Read() (arrow.RecordBatch, error) {
	if g.i == 1 {
		<-g.gate
	}
	return g.sliceReader.Read()
}

// TestParallelMapCancelNeverHangs cancels a map while its dispatcher
// holds a batch read after the cancellation: whichever way the
// dispatcher's selects go (the batch queued for a worker or not), Read
// returns the context's error at once — it used to wait forever, one run
// in four, for a job no worker would take (a SIGTERM'd features command
// hung) — and Close releases every batch.
func TestParallelMapCancelNeverHangs(t *testing.T) {
	mem := checkedMem(t)
	recs := makeBatches(t, mem, 300, 100)
	defer releaseAll(recs)
	sc := arrow.NewSchema([]arrow.Field{{Name: "n2", Type: arrow.PrimitiveTypes.Int64}}, nil)
	for trial := range 60 {
		ctx, cancel := context.WithCancel(context.Background())
		src := &gatedReader{sliceReader: sliceReader{recs: recs}, gate: make(chan struct{})}
		rd := ParallelMap(ctx, src, sc, 1, doubleN(mem))
		if rec, err := rd.Read(); err != nil || rec.NumRows() != 100 {
			t.Fatalf("trial %d: first batch: %v", trial, err)
		}
		cancel()
		close(src.gate)
		got := make(chan error, 1)
		go func() {
			_, err := rd.Read()
			got <- err
		}()
		select {
		case err := <-got:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("trial %d: Read after cancel: %v, want context.Canceled", trial, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("trial %d: Read hangs after the context was cancelled", trial)
		}
		if err := rd.Close(); err != nil || !src.closed {
			t.Fatalf("trial %d: Close: %v", trial, err)
		}
	}
}
