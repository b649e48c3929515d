package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// checkedMem returns an allocator that fails the test when anything it
// allocated is still held at the end of the test.
func checkedMem(t testing.TB) *memory.CheckedAllocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// testSchema has one column of each type the formats must carry.
func testSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "small", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "vec", Type: arrow.ListOf(arrow.PrimitiveTypes.Float32), Nullable: true},
		{Name: "emb", Type: arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
}

// testTexts are documents with the cases that break naive code: quotes,
// escapes, newlines, tabs, control characters, non-ASCII, empty text.
var testTexts = []string{
	"plain text",
	"quotes \" and \\ backslash",
	"line one\nline two\r\n\ttabbed",
	"control \x08 \x07 \x00 chars",
	"non-ASCII: café, naïve, 日本語, emoji 😀",
	"",
	"\u2028 line separator \u2029",
	"<html> & 'single' </html>",
}

// makeBatches builds n rows of testSchema in batches of per rows; row i is
// the same whatever per is. Every 7th row has nulls.
func makeBatches(t testing.TB, mem memory.Allocator, n, per int) []arrow.RecordBatch {
	t.Helper()
	sc := testSchema()
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	var out []arrow.RecordBatch
	for i := 0; i < n; i++ {
		null := i%7 == 3
		if null {
			// Every column but emb is null: Parquet (pqarrow) cannot write
			// a null entry of a fixed-size list.
			for _, f := range b.Fields()[:8] {
				f.AppendNull()
			}
		} else {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("%s #%d", testTexts[i%len(testTexts)], i))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("label-%d", i%3))
			b.Field(2).(*array.Int64Builder).Append(int64(i)*1_000_000_007 - 5)
			b.Field(3).(*array.Int32Builder).Append(int32(-i))
			b.Field(4).(*array.Float64Builder).Append(float64(i) / 7)
			b.Field(5).(*array.Float32Builder).Append(float32(i) * 0.1)
			b.Field(6).(*array.BooleanBuilder).Append(i%2 == 0)
			lb := b.Field(7).(*array.ListBuilder)
			lb.Append(true)
			vb := lb.ValueBuilder().(*array.Float32Builder)
			for j := 0; j < i%4; j++ {
				vb.Append(float32(j) * 0.1)
			}
		}
		fb := b.Field(8).(*array.FixedSizeListBuilder)
		fb.Append(true)
		fv := fb.ValueBuilder().(*array.Float32Builder)
		fv.AppendValues([]float32{float32(i), -0.5, 1e-7}, nil)
		if (i+1)%per == 0 || i == n-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	return out
}

func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// writeFile writes batches to path with Create.
func writeFile(t testing.TB, path string, sc *arrow.Schema, recs []arrow.RecordBatch, opts ...Option) {
	t.Helper()
	w, err := Create(path, sc, opts...)
	if err != nil {
		t.Fatalf("Create(%s): %v", path, err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			w.Abort()
			t.Fatalf("Write(%s): %v", path, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close(%s): %v", path, err)
	}
}

// readTable reads a whole stream into one table-like set of columns
// (concatenated), and the batch count.
func readAll(t testing.TB, rd Reader, mem memory.Allocator) ([]arrow.Array, int) {
	t.Helper()
	recs := readBatches(t, rd)
	defer releaseAll(recs)
	return concatColumns(t, rd.Schema(), recs, mem), len(recs)
}

// readBatches reads rd to its end and returns its batches, retained:
// release them.
func readBatches(t testing.TB, rd Reader) []arrow.RecordBatch {
	t.Helper()
	var recs []arrow.RecordBatch
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return recs
		}
		if err != nil {
			releaseAll(recs)
			t.Fatalf("Read: %v", err)
		}
		rec.Retain()
		recs = append(recs, rec)
	}
}

func concatColumns(t testing.TB, sc *arrow.Schema, recs []arrow.RecordBatch, mem memory.Allocator) []arrow.Array {
	t.Helper()
	cols := make([]arrow.Array, sc.NumFields())
	for i := range cols {
		parts := make([]arrow.Array, len(recs))
		for j, r := range recs {
			parts[j] = r.Column(i)
		}
		if len(parts) == 0 {
			b := array.NewBuilder(mem, sc.Field(i).Type)
			cols[i] = b.NewArray()
			b.Release()
			continue
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatalf("Concatenate: %v", err)
		}
		cols[i] = c
	}
	return cols
}

func releaseArrays(cols []arrow.Array) {
	for _, c := range cols {
		c.Release()
	}
}

// assertSameColumns fails unless got and want hold equal values.
func assertSameColumns(t testing.TB, sc *arrow.Schema, got, want []arrow.Array) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d columns, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Len() != want[i].Len() {
			t.Fatalf("column %s: %d rows, want %d", sc.Field(i).Name, got[i].Len(), want[i].Len())
		}
		if !array.Equal(got[i], want[i]) {
			for r := 0; r < want[i].Len(); r++ {
				if !array.SliceEqual(got[i], int64(r), int64(r+1), want[i], int64(r), int64(r+1)) {
					t.Fatalf("column %s row %d: got %v, want %v", sc.Field(i).Name, r, got[i].GetOneForMarshal(r), want[i].GetOneForMarshal(r))
				}
			}
			t.Fatalf("column %s differs", sc.Field(i).Name)
		}
	}
}

// openOne opens args with opts, failing the test on error.
func openOne(t testing.TB, opts []Option, args ...string) Reader {
	t.Helper()
	rd, err := Open(context.Background(), args, opts...)
	if err != nil {
		t.Fatalf("Open(%v): %v", args, err)
	}
	return rd
}

// noTempFiles fails when dir holds a temporary or partial output.
func noTempFiles(t testing.TB, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if IsStagingName(e.Name()) || strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", filepath.Join(dir, e.Name()))
		}
	}
}

// writeTestFile writes data to path, making its folder.
func writeTestFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
