package stream

import (
	"bytes"
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
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// TestConcatFolderGlobAndFormats reads one dataset spread over files of
// several formats, named as a folder, a glob and files, as one stream in
// path order.
func TestConcatFolderGlobAndFormats(t *testing.T) {
	mem := checkedMem(t)
	sc := testSchema()
	recs := makeBatches(t, mem, 400, 100) // 4 batches of 100 rows
	defer releaseAll(recs)
	all := concatColumns(t, sc, recs, mem)
	defer releaseArrays(all)
	dir := t.TempDir()
	sub := filepath.Join(dir, "data")
	os.MkdirAll(filepath.Join(sub, "b"), 0o755)
	os.MkdirAll(filepath.Join(sub, "_skip"), 0o755)
	// Path order: a.parquet < b/c.arrow < b/d.jsonl < e.arrows
	writeFile(t, filepath.Join(sub, "a.parquet"), sc, recs[0:1], WithAllocator(mem))
	writeFile(t, filepath.Join(sub, "b", "c.arrow"), sc, recs[1:2], WithAllocator(mem))
	writeFile(t, filepath.Join(sub, "b", "d.jsonl"), sc, recs[2:3], WithAllocator(mem))
	writeFile(t, filepath.Join(sub, "e.arrows"), sc, recs[3:4], WithAllocator(mem))
	// Skipped: hidden, underscore, unknown extension.
	os.WriteFile(filepath.Join(sub, ".hidden.parquet"), []byte("junk"), 0o644)
	os.WriteFile(filepath.Join(sub, "_skip", "x.parquet"), []byte("junk"), 0o644)
	os.WriteFile(filepath.Join(sub, "README"), []byte("junk"), 0o644)

	for name, args := range map[string][]string{
		"folder": {sub},
		"files":  {filepath.Join(sub, "a.parquet"), filepath.Join(sub, "b", "c.arrow"), filepath.Join(sub, "b", "d.jsonl"), filepath.Join(sub, "e.arrows")},
		"globs":  {filepath.Join(sub, "a.*"), filepath.Join(sub, "b", "*"), filepath.Join(sub, "e.arrows")},
	} {
		t.Run(name, func(t *testing.T) {
			rd := openOne(t, []Option{WithAllocator(mem)}, args...)
			defer rd.Close()
			got, _ := readAll(t, rd, mem)
			defer releaseArrays(got)
			assertSameColumns(t, sc, got, all)
		})
	}
}

func TestDocID(t *testing.T) {
	mem := checkedMem(t)
	sc := testSchema()
	recs := makeBatches(t, mem, 250, 100)
	defer releaseAll(recs)
	dir := t.TempDir()
	a := filepath.Join(dir, "a.parquet")
	b := filepath.Join(dir, "b.jsonl")
	writeFile(t, a, sc, recs, WithAllocator(mem), WithRowGroupRows(60))
	writeFile(t, b, sc, recs, WithAllocator(mem)) // same texts again
	ids := func(opts ...Option) []string {
		rd := openOne(t, append([]Option{WithAllocator(mem), WithDocID(DefaultDocIDColumn), WithBatchRows(37)}, opts...), a, b)
		defer rd.Close()
		cols, _ := readAll(t, rd, mem)
		defer releaseArrays(cols)
		last := rd.Schema().Field(rd.Schema().NumFields() - 1)
		if last.Name != "doc_id" || last.Type.ID() != arrow.STRING {
			t.Fatalf("last column is %v, want doc_id string", last)
		}
		col := cols[len(cols)-1].(*array.String)
		out := make([]string, col.Len())
		for i := range out {
			out[i] = col.Value(i)
		}
		return out
	}
	first := ids()
	if len(first) != 500 {
		t.Fatalf("%d ids, want 500", len(first))
	}
	seen := map[string]bool{}
	for _, id := range first {
		if seen[id] {
			t.Fatalf("doc_id %q appears twice although the two files hold the same texts", id)
		}
		seen[id] = true
	}
	if first[0] != a+":0" || first[249] != a+":249" || first[250] != b+":0" || first[499] != b+":249" {
		t.Errorf("ids are not input:row: %q %q %q %q", first[0], first[249], first[250], first[499])
	}
	again := ids(WithBatchRows(1000))
	for i := range first {
		if first[i] != again[i] {
			t.Fatalf("doc_id of row %d changed between runs: %q then %q", i, first[i], again[i])
		}
	}
	// An input that has a doc_id keeps it, even when --columns leaves it out.
	withID := filepath.Join(dir, "withid.parquet")
	copyFile(t, []string{a}, withID, WithAllocator(mem), WithDocID("doc_id"))
	rd := openOne(t, []Option{WithAllocator(mem), WithDocID("doc_id"), WithColumns("label")}, withID)
	defer rd.Close()
	if got := columnList(rd.Schema()); got != "label, doc_id" {
		t.Fatalf("columns %q, want label, doc_id", got)
	}
	cols, _ := readAll(t, rd, mem)
	defer releaseArrays(cols)
	if v := cols[1].(*array.String).Value(7); v != a+":7" {
		t.Errorf("kept doc_id row 7 = %q, want %q", v, a+":7")
	}
}

func TestLimitAndColumns(t *testing.T) {
	mem := checkedMem(t)
	sc := testSchema()
	recs := makeBatches(t, mem, 300, 100)
	defer releaseAll(recs)
	dir := t.TempDir()
	p := filepath.Join(dir, "x.parquet")
	j := filepath.Join(dir, "x.jsonl")
	writeFile(t, p, sc, recs, WithAllocator(mem))
	writeFile(t, j, sc, recs, WithAllocator(mem))
	all := concatColumns(t, sc, recs, mem)
	defer releaseArrays(all)
	for _, tc := range []struct {
		limit int64
		cols  []string
	}{
		{limit: 0}, {limit: 1}, {limit: 150}, {limit: 300}, {limit: 10000},
		{limit: -1, cols: []string{"label", "text"}},
		{limit: 42, cols: []string{"vec"}},
	} {
		for _, path := range []string{p, j} {
			t.Run(fmt.Sprintf("%s_limit%d_%v", filepath.Ext(path), tc.limit, tc.cols), func(t *testing.T) {
				opts := []Option{WithAllocator(mem), WithLimit(tc.limit), WithSchema(sc)}
				if tc.cols != nil {
					opts = append(opts, WithColumns(tc.cols...))
				}
				rd := openOne(t, opts, path)
				defer rd.Close()
				got, _ := readAll(t, rd, mem)
				defer releaseArrays(got)
				wantRows := int64(300)
				if tc.limit >= 0 && tc.limit < wantRows {
					wantRows = tc.limit
				}
				names := tc.cols
				if names == nil {
					names = []string{"text", "label", "n", "small", "score", "f32", "flag", "vec", "emb"}
				}
				if len(got) != len(names) {
					t.Fatalf("%d columns, want %d", len(got), len(names))
				}
				for i, name := range names {
					if rd.Schema().Field(i).Name != name {
						t.Fatalf("column %d is %q, want %q", i, rd.Schema().Field(i).Name, name)
					}
					want := array.NewSlice(all[sc.FieldIndices(name)[0]], 0, wantRows)
					if !array.Equal(got[i], want) {
						t.Errorf("column %s differs", name)
					}
					want.Release()
				}
			})
		}
	}
}

// TestLimitStopsReading checks that --limit N stops reading a JSONL
// input at N rows: a broken line after row N is not an error, with an
// inferred or a given schema, from a file, from standard input, and when
// the rows come from two files; a limit that reaches the broken line
// still fails on it.
func TestLimitStopsReading(t *testing.T) {
	mem := checkedMem(t)
	dir := t.TempDir()
	var good strings.Builder
	for i := range 5 {
		fmt.Fprintf(&good, "{\"text\":\"row %d\",\"n\":%d}\n", i, i)
	}
	broken := good.String() + "{\"text\": \"cut here\n{\"text\":\"row 6\",\"n\":6}\n"
	one := filepath.Join(dir, "one.jsonl")
	two := filepath.Join(dir, "two.jsonl")
	if err := os.WriteFile(one, []byte(good.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(two, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	read := func(limit int64, stdin bool, schema bool, files ...string) (int, error) {
		opts := []Option{WithAllocator(mem), WithLimit(limit)}
		if schema {
			opts = append(opts, WithSchema(sc))
		}
		args := files
		if stdin {
			opts = append(opts, WithStdin(strings.NewReader(broken)))
			args = []string{"-"}
		}
		rd, err := Open(context.Background(), args, opts...)
		if err != nil {
			return 0, err
		}
		defer rd.Close()
		rows := 0
		for {
			rec, err := rd.Read()
			if errors.Is(err, io.EOF) {
				return rows, nil
			}
			if err != nil {
				return rows, err
			}
			rows += int(rec.NumRows())
		}
	}
	for _, tc := range []struct {
		name   string
		limit  int64
		stdin  bool
		schema bool
		files  []string
		rows   int
		fails  bool
	}{
		{name: "file inferred", limit: 5, files: []string{two}, rows: 5},
		{name: "file given schema", limit: 5, schema: true, files: []string{two}, rows: 5},
		{name: "fewer rows", limit: 2, files: []string{two}, rows: 2},
		{name: "stdin", limit: 5, stdin: true, rows: 5},
		{name: "two files", limit: 8, files: []string{one, two}, rows: 8},
		{name: "limit reaches the broken line", limit: 6, files: []string{two}, fails: true},
		{name: "no limit", limit: -1, files: []string{two}, fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := read(tc.limit, tc.stdin, tc.schema, tc.files...)
			if tc.fails {
				var de *DataError
				if !errors.As(err, &de) || de.Line != 6 {
					t.Fatalf("got %d rows, error %v; want a DataError on line 6", rows, err)
				}
				return
			}
			if err != nil || rows != tc.rows {
				t.Fatalf("got %d rows, error %v; want %d rows and no error", rows, err, tc.rows)
			}
		})
	}
}

// TestParquetBatchBytesBound checks that a Parquet source bounds a batch
// by bytes as well as rows, so big documents do not blow memory up.
func TestParquetBatchBytesBound(t *testing.T) {
	mem := checkedMem(t)
	sc := arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewStringBuilder(mem)
	doc := string(bytes.Repeat([]byte("word "), 2000)) // 10 KB
	for range 1000 {
		b.Append(doc)
	}
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(sc, []arrow.Array{col}, 1000)
	col.Release()
	defer rec.Release()
	p := filepath.Join(t.TempDir(), "big.parquet")
	writeFile(t, p, sc, []arrow.RecordBatch{rec}, WithAllocator(mem))
	rd := openOne(t, []Option{WithAllocator(mem), WithBatchBytes(100 << 10)}, p)
	defer rd.Close()
	batches, rows := 0, int64(0)
	for {
		r, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.NumRows() > 10 {
			t.Fatalf("batch of %d rows of 10 KB exceeds the 100 KB bound", r.NumRows())
		}
		batches++
		rows += r.NumRows()
	}
	if rows != 1000 || batches < 100 {
		t.Fatalf("%d rows in %d batches", rows, batches)
	}
}

// TestAbortedStdoutPoisonsTheStream checks that a stage reading a stream
// whose writer aborted fails, rather than taking the stream for complete.
func TestAbortedStdoutPoisonsTheStream(t *testing.T) {
	mem := checkedMem(t)
	sc := testSchema()
	recs := makeBatches(t, mem, 100, 50)
	defer releaseAll(recs)
	var buf bytes.Buffer
	w, err := Create("-", sc, WithAllocator(mem), WithStdout(&buf))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(recs[0]); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	err = readErr([]Option{WithAllocator(mem), WithStdin(&buf)}, "-")
	if err == nil || !IsDataError(err) {
		t.Fatalf("reading an aborted stream: %v, want a DataError", err)
	}
	// A stream closed properly reads back whole.
	buf.Reset()
	w, _ = Create("-", sc, WithAllocator(mem), WithStdout(&buf))
	for _, r := range recs {
		w.Write(r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rd, err := ipc.NewReader(&buf, ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	n := int64(0)
	for rd.Next() {
		n += rd.RecordBatch().NumRows()
	}
	rd.Release()
	if n != 100 {
		t.Fatalf("read %d rows back, want 100", n)
	}
}

func TestCopyStopsOnCancel(t *testing.T) {
	mem := checkedMem(t)
	sc := testSchema()
	recs := makeBatches(t, mem, 1000, 10)
	defer releaseAll(recs)
	p := filepath.Join(t.TempDir(), "x.arrows")
	writeFile(t, p, sc, recs, WithAllocator(mem))
	ctx, cancel := context.WithCancel(context.Background())
	rd, err := Open(ctx, []string{p}, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	w := &cancelAfter{n: 3, cancel: cancel}
	rows, err := Copy(ctx, w, rd)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Copy after cancel: %v, want context.Canceled", err)
	}
	if rows >= 1000 || w.seen > 5 {
		t.Fatalf("Copy went on after cancel: %d rows, %d batches written", rows, w.seen)
	}
}

type cancelAfter struct {
	n, seen int
	cancel  func()
}

func (c *cancelAfter) Write(arrow.RecordBatch) error {
	c.seen++
	if c.seen == c.n {
		c.cancel()
	}
	return nil
}

// TestDocIDAmongColumns places a made-up doc_id where --columns names it.
func TestDocIDAmongColumns(t *testing.T) {
	mem := checkedMem(t)
	sc := testSchema()
	recs := makeBatches(t, mem, 20, 7)
	defer releaseAll(recs)
	p := filepath.Join(t.TempDir(), "x.parquet")
	writeFile(t, p, sc, recs, WithAllocator(mem))
	for _, tc := range []struct {
		cols []string
		want string
	}{
		{[]string{"doc_id", "label", "text"}, "doc_id, label, text"},
		{[]string{"label", "doc_id", "text"}, "label, doc_id, text"},
		{[]string{"label", "text", "doc_id"}, "label, text, doc_id"},
		{[]string{"label"}, "label, doc_id"},
	} {
		rd := openOne(t, []Option{WithAllocator(mem), WithDocID("doc_id"), WithColumns(tc.cols...), WithLimit(12)}, p)
		if got := columnList(rd.Schema()); got != tc.want {
			t.Errorf("columns %v: schema %q, want %q", tc.cols, got, tc.want)
		}
		cols, _ := readAll(t, rd, mem)
		idCol := cols[rd.Schema().FieldIndices("doc_id")[0]].(*array.String)
		labels := cols[rd.Schema().FieldIndices("label")[0]]
		if idCol.Len() != 12 || idCol.Value(11) != p+":11" || labels.Len() != 12 {
			t.Errorf("columns %v: %d ids, last %q", tc.cols, idCol.Len(), idCol.Value(idCol.Len()-1))
		}
		releaseArrays(cols)
		rd.Close()
	}
}
