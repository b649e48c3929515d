package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// lanesFile writes rows rows of testSchema in row groups of rgRows rows.
func lanesFile(t *testing.T, rows, rgRows int) string {
	t.Helper()
	mem := checkedMem(t)
	recs := makeBatches(t, mem, rows, 100)
	defer releaseAll(recs)
	path := filepath.Join(t.TempDir(), "lanes.parquet")
	writeFile(t, path, testSchema(), recs, WithAllocator(mem), WithRowGroupRows(int64(rgRows)))
	return path
}

// TestParquetDecoders reads a file of 15 row groups with 1 to 6 decoding
// lanes: the batches (their sizes and contents) are the same, and no batch
// spans two row groups.
func TestParquetDecoders(t *testing.T) {
	const rows, rgRows, batch = 1000, 70, 32
	path := lanesFile(t, rows, rgRows)
	var want []int
	for left := rows; left > 0; left -= rgRows {
		for n := min(left, rgRows); n > 0; n -= batch {
			want = append(want, min(n, batch))
		}
	}
	var first []arrow.Array
	for _, d := range []int{1, 2, 3, 6} {
		t.Run(fmt.Sprint(d, " decoders"), func(t *testing.T) {
			mem := checkedMem(t)
			rd, err := Open(context.Background(), []string{path}, WithAllocator(mem), WithDecoders(d), WithBatchRows(batch))
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			recs := readBatches(t, rd)
			var sizes []int
			for _, rec := range recs {
				sizes = append(sizes, int(rec.NumRows()))
			}
			cols := concatColumns(t, rd.Schema(), recs, memory.DefaultAllocator)
			releaseAll(recs)
			if !slices.Equal(sizes, want) {
				t.Errorf("batch sizes %v, want %v (row groups of %d rows in batches of %d)", sizes, want, rgRows, batch)
			}
			if first == nil {
				first = cols
				return
			}
			for i := range cols {
				if !array.Equal(cols[i], first[i]) {
					t.Errorf("column %s differs from the one read with 1 decoder", rd.Schema().Field(i).Name)
				}
			}
		})
	}
}

// TestParquetDecodersCorruptRowGroup: a corrupt page in a late row group
// is a DataError once the rows before it are read, whichever lane decodes
// it, and nothing leaks.
func TestParquetDecodersCorruptRowGroup(t *testing.T) {
	const rows, rgRows = 1000, 70
	path := lanesFile(t, rows, rgRows)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Garble the text column's first data page of row group 9 after its
	// header.
	f, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := f.MetaData().RowGroup(9).ColumnChunk(0)
	if err != nil {
		t.Fatal(err)
	}
	off := cc.DataPageOffset()
	if cc.HasDictionaryPage() {
		off = cc.DictionaryPageOffset()
	}
	f.Close()
	for i := off + 40; i < off+cc.TotalCompressedSize() && i < int64(len(data)); i++ {
		data[i] ^= 0x5a
	}
	bad := filepath.Join(t.TempDir(), "bad.parquet")
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []int{1, 4} {
		t.Run(fmt.Sprint(d, " decoders"), func(t *testing.T) {
			mem := checkedMem(t)
			rd, err := Open(context.Background(), []string{bad}, WithAllocator(mem), WithDecoders(d))
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			n := 0
			for {
				rec, err := rd.Read()
				if err == nil {
					n += int(rec.NumRows())
					continue
				}
				if errors.Is(err, io.EOF) {
					t.Fatalf("read all %d rows of a corrupt file", n)
				}
				if !IsDataError(err) {
					t.Errorf("error %T %v, want a DataError", err, err)
				}
				break
			}
			if n != 9*rgRows {
				t.Errorf("%d rows before the error, want the %d of the 9 good row groups", n, 9*rgRows)
			}
		})
	}
}

// TestParquetCloseEarly closes a reader whose lanes are decoding ahead:
// every buffer is released and every lane goroutine ends.
func TestParquetCloseEarly(t *testing.T) {
	path := lanesFile(t, 1000, 50)
	before := runtime.NumGoroutine()
	mem := checkedMem(t)
	rd, err := Open(context.Background(), []string{path}, WithAllocator(mem), WithDecoders(4), WithBatchRows(10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Read(); err != nil {
		t.Fatal(err)
	}
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	if rec, err := rd.Read(); rec != nil || err == nil {
		t.Errorf("Read after Close: a batch, error %v", err)
	}
	if err := rd.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before Open", n, before)
	}
}
