package stream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// readErr opens args and reads to the end, returning the first error.
func readErr(opts []Option, args ...string) error {
	rd, err := Open(context.Background(), args, opts...)
	if err != nil {
		return err
	}
	defer rd.Close()
	for {
		_, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestBadInput(t *testing.T) {
	mem := checkedMem(t)
	dir := t.TempDir()
	sc := testSchema()
	recs := makeBatches(t, mem, 300, 100)
	defer releaseAll(recs)
	good := filepath.Join(dir, "good.parquet")
	writeFile(t, good, sc, recs, WithAllocator(mem), WithRowGroupRows(100))
	goodData, _ := os.ReadFile(good)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stream := filepath.Join(dir, "good.arrows")
	writeFile(t, stream, sc, recs, WithAllocator(mem))
	streamData, _ := os.ReadFile(stream)
	// Where the stream can be cut between whole batches: after the
	// schema and after each batch (before the end-of-stream marker).
	var cuts []int
	{
		var buf bytes.Buffer
		w := ipc.NewWriter(&buf, ipc.WithSchema(sc), ipc.WithAllocator(mem))
		w.Write(recs[0]) // the schema goes out with the first batch
		cuts = append(cuts, buf.Len())
		for _, r := range recs[1:] {
			w.Write(r)
			cuts = append(cuts, buf.Len())
		}
		w.Close()
		if !bytes.Equal(buf.Bytes(), streamData) || len(cuts) < 3 {
			t.Fatalf("stream written batch by batch differs from the file (%d cuts)", len(cuts))
		}
	}

	// A second file whose "n" column is a string.
	other := arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}, {Name: "n", Type: arrow.BinaryTypes.String}}, nil)
	ob := array.NewRecordBuilder(mem, other)
	ob.Field(0).(*array.StringBuilder).Append("x")
	ob.Field(1).(*array.StringBuilder).Append("1")
	orec := ob.NewRecordBatch()
	ob.Release()
	twoCols := filepath.Join(dir, "twocols.parquet")
	writeFile(t, twoCols, other, []arrow.RecordBatch{orec}, WithAllocator(mem))
	orec.Release()
	typed := arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}, {Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	tb := array.NewRecordBuilder(mem, typed)
	tb.Field(0).(*array.StringBuilder).Append("y")
	tb.Field(1).(*array.Int64Builder).Append(2)
	trec := tb.NewRecordBatch()
	tb.Release()
	typedFile := filepath.Join(dir, "typed.parquet")
	writeFile(t, typedFile, typed, []arrow.RecordBatch{trec}, WithAllocator(mem))
	trec.Release()
	os.Mkdir(filepath.Join(dir, "emptydir"), 0o755)

	for _, tc := range []struct {
		name  string
		args  []string
		stdin []byte
		opts  []Option
		want  []string // substrings of the one-line message
	}{
		{name: "missing file", args: []string{filepath.Join(dir, "nope.parquet")}, want: []string{"nope.parquet", "no such file"}},
		{name: "truncated parquet", args: []string{write("trunc.parquet", goodData[:len(goodData)/2])}, want: []string{"trunc.parquet", "not a valid Parquet file"}},
		{name: "parquet footer cut", args: []string{write("cut.parquet", goodData[:len(goodData)-3])}, want: []string{"cut.parquet", "not a valid Parquet file"}},
		{name: "not parquet", args: []string{write("text.parquet", []byte("hello, I am a CSV file\n1,2,3\n"))}, want: []string{"text.parquet", "not a valid Parquet file"}},
		{name: "ipc stream cut mid-batch", args: []string{write("cut.arrows", streamData[:len(streamData)*2/3])}, want: []string{"cut.arrows", "truncated Arrow IPC stream"}},
		{name: "ipc stream cut on stdin", args: []string{"-"}, stdin: streamData[:len(streamData)-100], want: []string{"stdin", "truncated Arrow IPC stream"}},
		{name: "ipc stream cut between batches", args: []string{write("cut2.arrows", streamData[:cuts[1]])}, want: []string{"cut2.arrows", "truncated Arrow IPC stream", "end-of-stream marker"}},
		{name: "ipc stream cut between batches on stdin", args: []string{"-"}, stdin: streamData[:cuts[0]], want: []string{"stdin", "end-of-stream marker"}},
		{name: "ipc stream without its end-of-stream marker", args: []string{"-"}, stdin: streamData[:len(streamData)-8], want: []string{"stdin", "end-of-stream marker"}},
		{name: "jsonl broken line", args: []string{write("broken.jsonl", []byte("{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\": \"c\n{\"text\":\"d\"}\n"))}, want: []string{"broken.jsonl", "line 3"}},
		{name: "jsonl wrong type", args: []string{write("typed.jsonl", []byte("{\"text\":\"a\",\"n\":1}\n{\"text\":\"b\",\"n\":\"two\"}\n"))},
			opts: []Option{WithSchema(typed)}, want: []string{"typed.jsonl", "line 2", `"n"`}},
		{name: "column type differs between files", args: []string{typedFile, twoCols}, want: []string{"twocols.parquet", "schema differs from", "typed.parquet", `"n"`, "utf8", "int64"}},
		{name: "columns differ between files", args: []string{good, twoCols}, want: []string{"twocols.parquet", "schema differs from", "good.parquet", "2 columns"}},
		{name: "empty file", args: []string{write("empty.parquet", nil)}, want: []string{"empty.parquet", "empty file"}},
		{name: "empty jsonl", args: []string{write("empty.jsonl", nil)}, want: []string{"empty.jsonl", "empty file"}},
		{name: "empty stdin", args: []string{"-"}, stdin: []byte{}, want: []string{"stdin", "empty input"}},
		{name: "unknown stdin", args: []string{"-"}, stdin: []byte("id,text\n1,hello\n"), want: []string{"stdin", "not Parquet, Arrow IPC or JSONL"}},
		{name: "empty folder", args: []string{filepath.Join(dir, "emptydir")}, want: []string{"emptydir", "no Parquet, Arrow or JSONL file"}},
		{name: "glob without match", args: []string{filepath.Join(dir, "*.nothing")}, want: []string{"*.nothing", "no file matches"}},
		{name: "same file twice", args: []string{good, good}, want: []string{"good.parquet", "read twice"}},
		{name: "missing column", args: []string{good}, opts: []Option{WithColumns("text", "nope")}, want: []string{"good.parquet", `"nope"`, "no such column", "text, label"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]Option{WithAllocator(mem)}, tc.opts...)
			if tc.stdin != nil {
				opts = append(opts, WithStdin(bytes.NewReader(tc.stdin)))
			}
			err := readErr(opts, tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			if !IsDataError(err) {
				t.Errorf("error is not a DataError (exit 3): %T %v", err, err)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("message spans lines: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
		})
	}
}

// TestFailedWriteLeavesNothing checks that an aborted or failed sink
// leaves neither the output nor a temporary file.
func TestFailedWriteLeavesNothing(t *testing.T) {
	mem := checkedMem(t)
	sc := testSchema()
	recs := makeBatches(t, mem, 50, 10)
	defer releaseAll(recs)
	for _, format := range roundTripFormats {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out."+format)
			w, err := Create(out, sc, WithAllocator(mem))
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(recs[0]); err != nil {
				t.Fatal(err)
			}
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("aborted output is visible: %v", err)
			}
			noTempFiles(t, dir)
			if err := w.Close(); err != nil && !strings.Contains(err.Error(), "closed") {
				t.Logf("Close after Abort: %v", err)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("Close after Abort made the output visible")
			}
		})
	}
	t.Run("schema mismatch", func(t *testing.T) {
		dir := t.TempDir()
		out := filepath.Join(dir, "out.parquet")
		other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
		w, err := Create(out, other, WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(recs[0]); err == nil {
			t.Fatal("writing a batch of another schema succeeded")
		}
		if err := w.Close(); err == nil {
			t.Fatal("Close after a failed Write succeeded")
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("failed output is visible")
		}
		noTempFiles(t, dir)
	})
}
