package stream

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestParquetAbortDuringFlush aborts a Parquet output while a row group is
// being encoded in the background (as an interrupted command does): the
// temporary file is gone, every batch is released, and the background
// write stops at its next write to the closed file instead of encoding
// the whole group first.
func TestParquetAbortDuringFlush(t *testing.T) {
	mem := checkedMem(t)
	dir := t.TempDir()
	sc := arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}}, nil)
	const rows = 4096
	batch := func(k int) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, sc)
		defer b.Release()
		for i := range rows {
			var sb strings.Builder
			for j := range 40 {
				fmt.Fprintf(&sb, "w%x ", (uint64(k*rows+i)*40+uint64(j))*0x9E3779B97F4A7C15>>40)
			}
			b.Field(0).(*array.StringBuilder).Append(sb.String())
		}
		return b.NewRecordBatch()
	}
	w, err := Create(filepath.Join(dir, "out.parquet"), sc, WithAllocator(mem), WithRowGroupRows(rows))
	if err != nil {
		t.Fatal(err)
	}
	for k := range 3 {
		rec := batch(k)
		err := w.Write(rec) // from the second on, the previous group is flushed
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("second Abort: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}
