// Package rowbench holds what the per-row cost benchmarks share (issue
// 16): a deterministic corpus of short documents — the shipped fortunes
// texts repeated, each copy with a distinguishing suffix — and the
// metrics every component reports: µs of CPU per row and CPU-seconds per
// GB of text (the benchmarks run on one goroutine, so wall time is CPU
// time).
//
// scripts/bench-rows.sh runs the benchmarks (BenchmarkRowCost in
// pipeline/stream, features, partition and pipeline/dataset) and prints
// the breakdown as one table.
package rowbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// DefaultDocs is the size of the benchmarks' corpus: 200,000 short
// documents, about 34 MB of text (mean ≈ 170 bytes).
// ROBUSTDATA_ROWS_DOCS overrides it.
const DefaultDocs = 200_000

// Docs is the benchmark corpus' size: ROBUSTDATA_ROWS_DOCS or DefaultDocs.
func Docs() int {
	if n, err := strconv.Atoi(os.Getenv("ROBUSTDATA_ROWS_DOCS")); err == nil && n > 0 {
		return n
	}
	return DefaultDocs
}

// Fortunes is the shipped corpus the short documents are made of,
// relative to the module root.
const Fortunes = "examples/data/fortunes.parquet"

// moduleRoot finds the folder holding go.mod from the working directory
// up (tests run in their package's folder).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("robustdata/rowbench: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Corpus returns the path of the short-document corpus of docs rows in
// the temporary folder, building it once (the name holds docs, so a
// stale file is never reused).
func Corpus(ctx context.Context, docs int) (string, error) {
	dir := filepath.Join(os.TempDir(), "robustdata-bench")
	path := filepath.Join(dir, fmt.Sprintf("short-%d.parquet", docs))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	return path, Write(ctx, filepath.Join(root, Fortunes), docs, path)
}

// Write writes docs short documents to out (Parquet, or any format
// stream.Create knows): the texts and labels of the Parquet file src in
// order, again and again, copy c's texts ending with " #c" (c from 1) so
// that no two documents are the same. The output is the same for the
// same src and docs.
func Write(ctx context.Context, src string, docs int, out string) error {
	texts, labels, err := readTexts(ctx, src)
	if err != nil {
		return err
	}
	if len(texts) == 0 {
		return fmt.Errorf("robustdata/rowbench: %s has no text", src)
	}
	sc := arrow.NewSchema([]arrow.Field{
		{Name: schema.TextColumn, Type: arrow.BinaryTypes.String},
		{Name: schema.LabelColumn, Type: arrow.BinaryTypes.String},
	}, nil)
	w, err := stream.Create(out, sc)
	if err != nil {
		return err
	}
	const batch = 8192
	tb := array.NewStringBuilder(memory.DefaultAllocator)
	defer tb.Release()
	lb := array.NewStringBuilder(memory.DefaultAllocator)
	defer lb.Release()
	var buf []byte
	for i := 0; i < docs; i++ {
		j := i % len(texts)
		buf = append(append(buf[:0], texts[j]...), " #"...)
		buf = strconv.AppendInt(buf, int64(i/len(texts)+1), 10)
		tb.BinaryBuilder.Append(buf)
		lb.Append(labels[j])
		if tb.Len() == batch || i == docs-1 {
			cols := []arrow.Array{tb.NewArray(), lb.NewArray()}
			rec := array.NewRecordBatch(sc, cols, int64(cols[0].Len()))
			cols[0].Release()
			cols[1].Release()
			err := w.Write(rec)
			rec.Release()
			if err != nil {
				w.Abort()
				return err
			}
		}
	}
	return w.Close()
}

func readTexts(ctx context.Context, src string) (texts, labels []string, err error) {
	rd, err := stream.Open(ctx, []string{src}, stream.WithColumns(schema.TextColumn, schema.LabelColumn))
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return texts, labels, nil
		}
		if err != nil {
			return nil, nil, err
		}
		t := rec.Column(0).(*array.String)
		l := rec.Column(1).(*array.String)
		for i := 0; i < t.Len(); i++ {
			texts, labels = append(texts, t.Value(i)), append(labels, l.Value(i))
		}
	}
}

// Load builds (once) and reads the benchmark corpus of Docs() rows, with a
// doc_id column as every stage adds it, and returns its batches (the
// caller releases them), rows and text bytes.
func Load(tb testing.TB) ([]arrow.RecordBatch, int64, int64) {
	tb.Helper()
	ctx := context.Background()
	path, err := Corpus(ctx, Docs())
	if err != nil {
		tb.Fatal(err)
	}
	rd, err := stream.Open(ctx, []string{path}, stream.WithDocID(schema.DocIDColumn))
	if err != nil {
		tb.Fatal(err)
	}
	defer rd.Close()
	var recs []arrow.RecordBatch
	var rows, bytes int64
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		rec.Retain()
		recs = append(recs, rec)
		rows += rec.NumRows()
		bytes += TextBytes(rec)
	}
	return recs, rows, bytes
}

// TextBytes sums the bytes of a batch's text column.
func TextBytes(rec arrow.RecordBatch) int64 {
	idx := rec.Schema().FieldIndices(schema.TextColumn)
	if len(idx) == 0 {
		return 0
	}
	col, ok := rec.Column(idx[0]).(*array.String)
	if !ok || col.Len() == 0 {
		return 0
	}
	o := col.ValueOffsets()
	return int64(o[len(o)-1] - o[0])
}

// CPU is the process' CPU time (user + system) so far.
func CPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report sets b's bytes per operation to the text bytes and reports, per
// operation that handled rows rows of bytes text bytes: µs of CPU per row
// and CPU-seconds per GB of text (process CPU time since start, a CPU()
// taken just before the timed loop, so a component that runs goroutines
// of its own is charged for them), and wall µs per row. Call it right
// after the timed loop.
func Report(b *testing.B, start time.Duration, rows, bytes int64) {
	b.Helper()
	cpu := float64((CPU() - start).Nanoseconds()) / float64(b.N)
	b.SetBytes(bytes)
	wall := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(cpu/1e3/float64(rows), "cpu-µs/row")
	b.ReportMetric(cpu/float64(bytes), "CPU-s/GB")
	b.ReportMetric(wall/1e3/float64(rows), "wall-µs/row")
}

// Batches is a stream.Reader over batches held in memory (not released
// by Close: their owner releases them).
type Batches struct {
	Recs []arrow.RecordBatch
	next int
}

var _ stream.Reader = (*Batches)(nil)

// Schema is the schema of the first batch.
func (b *Batches) Schema() *arrow.Schema { return b.Recs[0].Schema() }

// Read returns the next batch, valid while its owner holds it.
func (b *Batches) Read() (arrow.RecordBatch, error) {
	if b.next == len(b.Recs) {
		return nil, io.EOF
	}
	b.next++
	return b.Recs[b.next-1], nil
}

// Close does nothing.
func (b *Batches) Close() error { return nil }
