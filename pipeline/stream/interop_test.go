package stream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
)

const duckdbParquet = "testdata/duckdb-fortunes.parquet"

// duckdbRow is one line of the JSON DuckDB exported from the same query.
type duckdbRow struct {
	Text  *string   `json:"text"`
	Label *string   `json:"label"`
	N     *int64    `json:"n"`
	Score *float64  `json:"score"`
	Flag  *bool     `json:"flag"`
	Vec   []float64 `json:"vec"`
	Maybe *string   `json:"maybe"`
}

func readDuckDBExpected(t *testing.T) []duckdbRow {
	t.Helper()
	f, err := os.Open("testdata/duckdb-fortunes.expected.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []duckdbRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r duckdbRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestReadsParquetWrittenByDuckDB checks every value our Parquet reader
// returns for a file DuckDB wrote against DuckDB's own JSON export.
func TestReadsParquetWrittenByDuckDB(t *testing.T) {
	mem := checkedMem(t)
	want := readDuckDBExpected(t)
	rd := openOne(t, []Option{WithAllocator(mem), WithBatchRows(256)}, duckdbParquet)
	defer rd.Close()
	cols, batches := readAll(t, rd, mem)
	defer releaseArrays(cols)
	if batches < 3000/256 {
		t.Errorf("read %d batches, want at least %d for batch size 256", batches, 3000/256)
	}
	if cols[0].Len() != len(want) || len(want) != 3000 {
		t.Fatalf("read %d rows, DuckDB exported %d (want 3000)", cols[0].Len(), len(want))
	}
	sc := rd.Schema()
	idx := func(name string) int {
		i := sc.FieldIndices(name)
		if len(i) != 1 {
			t.Fatalf("column %q missing from %s", name, sc)
		}
		return i[0]
	}
	text := cols[idx("text")].(*array.String)
	label := cols[idx("label")].(*array.String)
	n := cols[idx("n")].(*array.Int64)
	score := cols[idx("score")].(*array.Float64)
	flag := cols[idx("flag")].(*array.Boolean)
	vec := cols[idx("vec")].(*array.List)
	vecVals := vec.ListValues().(*array.Float32)
	maybe := cols[idx("maybe")].(*array.String)
	for i, w := range want {
		if text.Value(i) != *w.Text || label.Value(i) != *w.Label || n.Value(i) != *w.N ||
			score.Value(i) != *w.Score || flag.Value(i) != *w.Flag {
			t.Fatalf("row %d differs from DuckDB's export", i)
		}
		start, end := vec.ValueOffsets(i)
		if int(end-start) != len(w.Vec) {
			t.Fatalf("row %d: vec has %d values, want %d", i, end-start, len(w.Vec))
		}
		for j := start; j < end; j++ {
			if float64(vecVals.Value(int(j))) != w.Vec[j-start] {
				t.Fatalf("row %d: vec[%d] = %v, want %v", i, j-start, vecVals.Value(int(j)), w.Vec[j-start])
			}
		}
		if (w.Maybe == nil) != maybe.IsNull(i) || (w.Maybe != nil && maybe.Value(i) != *w.Maybe) {
			t.Fatalf("row %d: maybe differs (null %v, want null %v)", i, maybe.IsNull(i), w.Maybe == nil)
		}
	}
}

// TestDuckDBParquetThroughEveryFormat converts DuckDB's file through
// stdout/stdin into every format and back, keeping every value.
func TestDuckDBParquetThroughEveryFormat(t *testing.T) {
	mem := checkedMem(t)
	rd := openOne(t, []Option{WithAllocator(mem)}, duckdbParquet)
	sc := rd.Schema()
	orig, _ := readAll(t, rd, mem)
	rd.Close()
	defer releaseArrays(orig)
	for _, to := range roundTripFormats {
		t.Run(to, func(t *testing.T) {
			dir := t.TempDir()
			dst := filepath.Join(dir, "copy."+to)
			var pipe bytes.Buffer
			if n := copyFile(t, []string{duckdbParquet}, "-", WithAllocator(mem), WithStdout(&pipe)); n != 3000 {
				t.Fatalf("copied %d rows to stdout, want 3000", n)
			}
			if n := copyFile(t, []string{"-"}, dst, WithAllocator(mem), WithStdin(&pipe)); n != 3000 {
				t.Fatalf("copied %d rows from stdin, want 3000", n)
			}
			back := openOne(t, []Option{WithAllocator(mem), WithSchema(sc)}, dst)
			defer back.Close()
			got, _ := readAll(t, back, mem)
			defer releaseArrays(got)
			assertSameColumns(t, sc, got, orig)
		})
	}
}

// TestInspectAgreesWithWriters checks the row count and row groups that
// InspectFile reports against what the writers were asked to write.
func TestInspectAgreesWithWriters(t *testing.T) {
	mem := checkedMem(t)
	t.Run("duckdb", func(t *testing.T) {
		ins, err := ExpandInputs([]string{duckdbParquet})
		if err != nil {
			t.Fatal(err)
		}
		info, err := InspectFile(context.Background(), ins[0])
		if err != nil {
			t.Fatal(err)
		}
		if info.Rows != 3000 || len(info.RowGroups) != 3 {
			t.Fatalf("inspect: %d rows in %d row groups, DuckDB wrote 3000 in 3", info.Rows, len(info.RowGroups))
		}
		for i, rg := range info.RowGroups {
			if rg.Rows != 1000 {
				t.Errorf("row group %d: %d rows, want 1000", i, rg.Rows)
			}
		}
		if info.CreatedBy == "" || info.Columns[0].Name != "text" || info.Columns[0].Codec != "ZSTD" {
			t.Errorf("inspect: created_by %q, first column %+v", info.CreatedBy, info.Columns[0])
		}
	})
	for _, tc := range []struct {
		rows, per int
		rgRows    int64
		wantRG    []int64
	}{
		{rows: 1000, per: 64, rgRows: 300, wantRG: []int64{300, 300, 300, 100}},
		{rows: 10, per: 3, rgRows: 1 << 20, wantRG: []int64{10}},
		{rows: 0, per: 1, rgRows: 5, wantRG: nil},
	} {
		t.Run("ours", func(t *testing.T) {
			recs := makeBatches(t, mem, tc.rows, tc.per)
			defer releaseAll(recs)
			p := filepath.Join(t.TempDir(), "x.parquet")
			writeFile(t, p, testSchema(), recs, WithAllocator(mem), WithRowGroupRows(tc.rgRows))
			ins, err := ExpandInputs([]string{p})
			if err != nil {
				t.Fatal(err)
			}
			info, err := InspectFile(context.Background(), ins[0])
			if err != nil {
				t.Fatal(err)
			}
			if info.Rows != int64(tc.rows) || len(info.RowGroups) != len(tc.wantRG) {
				t.Fatalf("inspect: %d rows in %d row groups, want %d in %d", info.Rows, len(info.RowGroups), tc.rows, len(tc.wantRG))
			}
			for i, rg := range info.RowGroups {
				if rg.Rows != tc.wantRG[i] {
					t.Errorf("row group %d: %d rows, want %d", i, rg.Rows, tc.wantRG[i])
				}
			}
			if len(info.Columns) != testSchema().NumFields() {
				t.Errorf("inspect: %d columns, want %d", len(info.Columns), testSchema().NumFields())
			}
		})
	}
}
