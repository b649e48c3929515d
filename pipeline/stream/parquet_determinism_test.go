package stream

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/robustdata/robustdata/internal/longtest"
)

// TestParquetHighCardinalityByteIdentical writes a 200k-row file whose
// short-string and integer columns start out repetitive (so they get a
// dictionary) and then turn all distinct, 20 times: every file must be
// byte-identical, and no column chunk may mix dictionary and PLAIN data
// pages (arrow-go orders the encoding statistics of such a chunk by
// ranging over a Go map, so its footer bytes vary from run to run).
func TestParquetHighCardinalityByteIdentical(t *testing.T) {
	mem := checkedMem(t)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "key", Type: arrow.BinaryTypes.String},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64},
		{Name: "label", Type: arrow.BinaryTypes.String},
	}, nil)
	// 64K distinct 44-byte keys (2.8 MB) overflow the writer's 1 MB
	// dictionary page limit: without the writer's precaution the key
	// column's dictionary falls back to PLAIN. 200K rows in make test-long.
	const per = 8192
	rows := 64 * 1024
	if longtest.Enabled() {
		rows = 200_000
	}
	var recs []arrow.RecordBatch
	defer func() { releaseAll(recs) }()
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	for i := range rows {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("doc-%08d", i))
		v := int64(i)
		if i < per {
			v = int64(i % 10) // the first batch repeats: a dictionary is chosen
		}
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("key-%040d", v))
		b.Field(2).(*array.Int64Builder).Append(v * 7919)
		b.Field(3).(*array.StringBuilder).Append([]string{"a", "b", "c"}[i%3])
		if (i+1)%per == 0 || i == rows-1 {
			recs = append(recs, b.NewRecordBatch())
		}
	}
	dir := t.TempDir()
	// The 20 writes run side by side: the footer's map order differs
	// between runs whatever the scheduling.
	// 20 writes in make test-long; 4 in make test (under -race), which
	// an unstable footer fails 7 times in 8.
	runs := 4
	if longtest.Enabled() {
		runs = 20
	}
	files := make([][]byte, runs)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for run := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			path := filepath.Join(dir, fmt.Sprintf("run%02d.parquet", run))
			writeFile(t, path, sc, recs, WithAllocator(mem), WithCompression(Uncompressed))
			files[run], _ = os.ReadFile(path)
		}()
	}
	wg.Wait()
	checkNoDictFallback(t, filepath.Join(dir, "run00.parquet"))
	for run, got := range files[1:] {
		if len(got) == 0 || !bytes.Equal(got, files[0]) {
			t.Fatalf("run %d wrote different bytes than run 0 (%d vs %d bytes)", run+1, len(got), len(files[0]))
		}
	}
}

// checkNoDictFallback fails when a column chunk of path has data pages of
// more than one encoding, or has no dictionary where one is expected.
func checkNoDictFallback(t *testing.T, path string) {
	t.Helper()
	rd, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	dictSeen := map[string]bool{}
	for g := range rd.NumRowGroups() {
		rg := rd.MetaData().RowGroup(g)
		for c := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			name := cc.PathInSchema().String()
			data := map[parquet.Encoding]bool{}
			for _, st := range cc.EncodingStats() {
				if st.PageType == 0 || st.PageType == 3 { // DATA_PAGE, DATA_PAGE_V2
					data[st.Encoding] = true
				}
			}
			if len(data) > 1 {
				t.Errorf("row group %d column %s: data pages in %d encodings (dictionary fell back to PLAIN)", g, name, len(data))
			}
			if cc.HasDictionaryPage() {
				dictSeen[name] = true
			}
		}
	}
	for _, want := range []string{"key", "label"} {
		if !dictSeen[want] {
			t.Errorf("column %s: no dictionary (it repeats in the first batch)", want)
		}
	}
	if dictSeen["id"] {
		t.Errorf("column id: a dictionary for all-distinct values")
	}
}

func TestDictRowsFit(t *testing.T) {
	mem := checkedMem(t)
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for _, v := range []string{"aaaa", "bb", "cccccc", "d"} { // 8, 6, 10, 5 bytes with lengths
		b.Append(v)
	}
	col := b.NewArray()
	defer col.Release()
	for _, tc := range []struct{ off, n, room, want int64 }{
		{0, 4, 100, 4}, {0, 4, 29, 4}, {0, 4, 28, 3}, {0, 4, 24, 3}, {0, 4, 23, 2},
		{0, 4, 8, 1}, {0, 4, 7, 0}, {1, 3, 6, 1}, {1, 3, 0, 0}, {2, 2, 15, 2},
	} {
		if got := dictRowsFit(col, tc.off, tc.n, tc.room); got != tc.want {
			t.Errorf("dictRowsFit(off %d, n %d, room %d) = %d, want %d", tc.off, tc.n, tc.room, got, tc.want)
		}
	}
}
