package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/synth"
)

// benchDocs is the size of the benchmark corpus: 400,000 synthetic
// documents, about 215 MB of text. ROBUSTDATA_BENCH_DOCS overrides it (for
// example 800000 to check that memory does not grow with the input).
func benchDocs() int64 {
	var n int64 = 400_000
	if s := os.Getenv("ROBUSTDATA_BENCH_DOCS"); s != "" {
		fmt.Sscan(s, &n)
	}
	return n
}

// benchCorpus returns a deterministic synthetic text corpus in Parquet and
// its text bytes, building it once in the temporary folder (the file name
// holds its parameters, so a stale one is never reused).
func benchCorpus(b *testing.B) (string, int64) {
	b.Helper()
	docs := benchDocs()
	dir := filepath.Join(os.TempDir(), "robustdata-bench")
	path := filepath.Join(dir, fmt.Sprintf("synth-%d-k8-s1.parquet", docs))
	if _, err := os.Stat(path); err != nil {
		os.MkdirAll(dir, 0o755)
		rd, err := synth.NewReader(synth.Config{Docs: docs, Tasks: 8, Seed: 1}, memory.DefaultAllocator)
		if err != nil {
			b.Fatal(err)
		}
		w, err := Create(path, rd.Schema())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Copy(context.Background(), w, rd); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		rd.Close()
	}
	return path, textBytes(b, path)
}

// textBytes sums the bytes of the text column.
func textBytes(b *testing.B, path string) int64 {
	rd, err := Open(context.Background(), []string{path}, WithColumns("text"))
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	var n int64
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		col := rec.Column(0).(*array.String)
		o := col.ValueOffsets()
		n += int64(o[len(o)-1] - o[0])
	}
}

// BenchmarkParquetRead reads every column of the corpus; MB/s is of text.
func BenchmarkParquetRead(b *testing.B) {
	path, text := benchCorpus(b)
	b.SetBytes(text)
	b.ResetTimer()
	for range b.N {
		rd, err := Open(context.Background(), []string{path})
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		for {
			rec, err := rd.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows += rec.NumRows()
		}
		rd.Close()
		if rows != benchDocs() {
			b.Fatalf("read %d rows", rows)
		}
	}
}

// BenchmarkParquetReadWrite is `robustdata cat -i corpus.parquet -o
// copy.parquet`; MB/s is of text.
func BenchmarkParquetReadWrite(b *testing.B) {
	benchCopy(b, "copy.parquet")
}

// BenchmarkParquetToIPC is `robustdata cat -i corpus.parquet -o - >
// file`, the pipe path; MB/s is of text.
func BenchmarkParquetToIPC(b *testing.B) {
	benchCopy(b, "copy.arrows")
}

func benchCopy(b *testing.B, name string) {
	path, text := benchCorpus(b)
	out := filepath.Join(b.TempDir(), name)
	b.SetBytes(text)
	b.ResetTimer()
	for range b.N {
		ctx := context.Background()
		rd, err := Open(ctx, []string{path})
		if err != nil {
			b.Fatal(err)
		}
		w, err := Create(out, rd.Schema())
		if err != nil {
			b.Fatal(err)
		}
		rows, err := Copy(ctx, w, rd)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		rd.Close()
		if rows != benchDocs() {
			b.Fatalf("copied %d rows", rows)
		}
	}
}
