package stream

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

var roundTripFormats = []string{"parquet", "arrow", "arrows", "jsonl", "jsonl.gz", "jsonl.zst"}

// TestRoundTripEveryPair converts every format into every other through
// an Arrow IPC stream on "stdout" read back from "stdin", as
// `robustdata cat -i A -o - | robustdata cat -i - -o B` does, and checks
// that every row and value survives, in order.
func TestRoundTripEveryPair(t *testing.T) {
	mem := checkedMem(t)
	sc := testSchema()
	want := makeBatches(t, mem, 500, 64)
	defer releaseAll(want)
	wantCols := concatColumns(t, sc, want, mem)
	defer releaseArrays(wantCols)

	for _, from := range roundTripFormats {
		for _, to := range roundTripFormats {
			t.Run(from+"_to_"+to, func(t *testing.T) {
				dir := t.TempDir()
				src := filepath.Join(dir, "src."+from)
				dst := filepath.Join(dir, "dst."+to)
				writeFile(t, src, sc, want, WithAllocator(mem), WithRowGroupRows(100))

				// robustdata cat -i src -o -
				var pipe bytes.Buffer
				copyFile(t, []string{src}, "-", WithAllocator(mem), WithSchema(sc), WithStdout(&pipe))
				// robustdata cat -i - -o dst
				copyFile(t, []string{"-"}, dst, WithAllocator(mem), WithStdin(&pipe))

				rd := openOne(t, []Option{WithAllocator(mem), WithSchema(sc)}, dst)
				defer rd.Close()
				got, _ := readAll(t, rd, mem)
				defer releaseArrays(got)
				assertSameColumns(t, sc, got, wantCols)
				noTempFiles(t, dir)
			})
		}
	}
}

// TestStdinSniffsEveryFormat feeds each format's file bytes to "-".
func TestStdinSniffsEveryFormat(t *testing.T) {
	mem := checkedMem(t)
	sc := testSchema()
	want := makeBatches(t, mem, 100, 30)
	defer releaseAll(want)
	wantCols := concatColumns(t, sc, want, mem)
	defer releaseArrays(wantCols)
	for _, format := range roundTripFormats {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "src."+format)
			writeFile(t, src, sc, want, WithAllocator(mem))
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			spool := t.TempDir()
			rd := openOne(t, []Option{WithAllocator(mem), WithSchema(sc), WithStdin(bytes.NewReader(data)), WithTempDir(spool)}, "-")
			got, _ := readAll(t, rd, mem)
			defer releaseArrays(got)
			assertSameColumns(t, sc, got, wantCols)
			if err := rd.Close(); err != nil {
				t.Fatal(err)
			}
			if entries, _ := os.ReadDir(spool); len(entries) != 0 {
				t.Errorf("spool folder not empty after Close: %v", entries)
			}
		})
	}
}

// copyFile is `robustdata cat -i inputs -o output` through the package API.
func copyFile(t *testing.T, inputs []string, output string, opts ...Option) int64 {
	t.Helper()
	ctx := context.Background()
	rd, err := Open(ctx, inputs, opts...)
	if err != nil {
		t.Fatalf("Open(%v): %v", inputs, err)
	}
	defer rd.Close()
	w, err := Create(output, rd.Schema(), opts...)
	if err != nil {
		t.Fatalf("Create(%s): %v", output, err)
	}
	n, err := Copy(ctx, w, rd)
	if err != nil {
		w.Abort()
		t.Fatalf("Copy to %s: %v", output, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close(%s): %v", output, err)
	}
	return n
}
