package stream

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzManifest feeds arbitrary bytes to ParseManifest: no panic, errors
// are one-line DataErrors naming the file, and an accepted manifest holds
// what ParseManifest promises (counts that add up, paths inside the
// folder) and survives encoding and parsing again.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(goodManifest))
	for _, edit := range []struct{ from, to string }{
		{"task=001/part-00000.parquet", "../../etc/passwd"},
		{"task=001/part-00000.parquet", "/etc/passwd"},
		{"task=001/part-00000.parquet", `task=001\\x`},
		{"task=001/part-00000.parquet", "task=001/./x"},
		{`"input_rows": 5`, `"input_rows": 6`},
		{`"input_rows": 5`, `"input_rows": 9223372036854775807`},
		{`"rows": 1, "reasons"`, `"rows": -9223372036854775808, "reasons"`},
		{`"task": 1,`, `"task": 5,`},
		{`"version": 1`, `"version": 2`},
		{`"seed": 7`, `"seed": -7`},
		{`"config": {"k": 2}`, `"config": null`},
		{`"rejected": {"rows": 1, "reasons": {"empty text": 1}}`, `"rejected": {"rows": 1, "shards": [{"path": "rejected/part-00000.parquet", "rows": 1}]}`},
	} {
		f.Add([]byte(strings.Replace(goodManifest, edit.from, edit.to, 1)))
	}
	f.Add([]byte(goodManifest + "\n{}"))
	f.Add([]byte(`{"version":1,"tasks":[],"rejected":{"rows":0}}`))
	f.Add([]byte(`{"version":1,"partition_model_sha256":"00","tasks":[{"task":0,"rows":0,"shards":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest("m.json", data)
		if err != nil {
			if m != nil {
				t.Errorf("ParseManifest returned a manifest and an error: %v", err)
			}
			if !IsDataError(err) || !strings.HasPrefix(err.Error(), "m.json: ") {
				t.Errorf("error %q (%T) is not a DataError naming m.json", err, err)
			}
			checkOneLine(t, "m.json", err)
			return
		}
		if m.Version != ManifestVersion {
			t.Errorf("accepted version %d", m.Version)
		}
		var total int64
		for i, task := range m.Tasks {
			if task.Task != i {
				t.Errorf("tasks[%d] is task %d", i, task.Task)
			}
			var rows int64
			for _, s := range task.Shards {
				if err := CheckRelPath(s.Path); err != nil {
					t.Errorf("accepted shard path %q: %v", s.Path, err)
				}
				if filepath.IsAbs(s.Path) || s.Path == ".." || strings.HasPrefix(s.Path, "../") || strings.Contains(s.Path, "/../") {
					t.Errorf("accepted shard path %q leaves the folder", s.Path)
				}
				rows += s.Rows
			}
			if rows != task.Rows {
				t.Errorf("task %d: rows %d, shards %d", i, task.Rows, rows)
			}
			total += rows
		}
		for _, s := range m.Rejected.Shards {
			if err := CheckRelPath(s.Path); err != nil {
				t.Errorf("accepted rejected shard path %q: %v", s.Path, err)
			}
		}
		if total != m.TotalRows || m.InputRows != m.TotalRows+m.Rejected.Rows {
			t.Errorf("counts do not add up: %+v", m)
		}
		// What was accepted encodes and parses back to the same.
		enc, err := jsonMarshalManifest(m)
		if err != nil {
			t.Fatalf("encoding an accepted manifest: %v", err)
		}
		back, err := ParseManifest("m.json", enc)
		if err != nil {
			t.Fatalf("re-parsing an accepted manifest: %v\n%s", err, enc)
		}
		enc2, err := jsonMarshalManifest(back)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("manifest does not round-trip (%v):\n%s\n%s", err, enc, enc2)
		}
	})
}

// fuzzOpenNames are the file names FuzzOpenBytes writes its input to: one
// per extension Open reads, and one without an extension (sniffed).
var fuzzOpenNames = []string{"in.parquet", "in.arrow", "in.arrows", "in.jsonl", "in"}

// fuzzOpenHang is how long one open-and-drain may take before the input
// counts as a hang. The work is bounded (10,000 rows of 256-row batches),
// so a healthy run takes milliseconds; the margin is for loaded machines.
const fuzzOpenHang = 60 * time.Second

// FuzzOpenBytes writes arbitrary bytes to a file of each extension, and
// feeds them as standard input, opens them with Open and reads every batch
// to the end. It checks that nothing panics or hangs, that every error is
// one line, that every batch matches the reader's schema, and that every
// buffer allocated is released once the reader is closed.
func FuzzOpenBytes(f *testing.F) {
	for _, seed := range fuzzOpenSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for _, name := range fuzzOpenNames {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			fuzzOpenDrain(t, p, []string{p})
		}
		fuzzOpenDrain(t, "stdin", []string{"-"}, WithStdin(bytes.NewReader(data)))
	})
}

// fuzzMaxAlloc bounds what one open-and-drain of a small input may
// allocate, in one buffer or in all: the readers' own buffers (1 MiB per
// bufio.Reader) and 10,000 rows of a fuzz-sized input need far less.
const fuzzMaxAlloc = 256 << 20

// fuzzHardAlloc is the largest buffer fuzzAllocator really allocates; it
// refuses bigger ones by panicking (which arrow-go's readers mostly turn
// into an error), so that a crafted length cannot exhaust the machine.
const fuzzHardAlloc = 1 << 30

// fuzzAllocator is a checked allocator that records the largest buffer
// asked for and refuses those over fuzzHardAlloc.
// Parquet files are decoded by several goroutines: it is safe for
// concurrent use.
type fuzzAllocator struct {
	*memory.CheckedAllocator
	mu      sync.Mutex
	biggest int
	refused bool
}

func (a *fuzzAllocator) ask(size int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.biggest = max(a.biggest, size)
	if size > fuzzHardAlloc {
		a.refused = true
		panic(fmt.Sprintf("fuzz: refused to allocate %d bytes", size))
	}
}

func (a *fuzzAllocator) Allocate(size int) []byte {
	a.ask(size)
	return a.CheckedAllocator.Allocate(size)
}

func (a *fuzzAllocator) Reallocate(size int, b []byte) []byte {
	a.ask(size)
	return a.CheckedAllocator.Reallocate(size, b)
}

// fuzzOpenDrain opens args with a checked allocator, reads to the end,
// closes, and checks errors, batches, leaks, allocations and spool files.
func fuzzOpenDrain(t *testing.T, what string, args []string, extra ...Option) {
	t.Helper()
	mem := &fuzzAllocator{CheckedAllocator: memory.NewCheckedAllocator(memory.NewGoAllocator())}
	spoolDir := t.TempDir()
	opts := append([]Option{WithAllocator(mem), WithLimit(10000), WithBatchRows(256), WithTempDir(spoolDir)}, extra...)
	hang := time.AfterFunc(fuzzOpenHang, func() {
		panic(fmt.Sprintf("FuzzOpenBytes: reading %s took more than %v", what, fuzzOpenHang))
	})
	defer hang.Stop()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rows, err := fuzzOpenRead(t, what, args, opts)
	runtime.ReadMemStats(&after)
	if err != nil {
		checkOneLine(t, what, err)
	}
	if rows > 10000 {
		t.Errorf("%s: %d rows read with WithLimit(10000)", what, rows)
	}
	total := after.TotalAlloc - before.TotalAlloc
	if mem.biggest > fuzzMaxAlloc || total > fuzzMaxAlloc {
		t.Errorf("%s: allocated %d MiB in all, asked the allocator for a buffer of %d bytes (refused: %v); error: %v",
			what, total>>20, mem.biggest, mem.refused, err)
		return
	}
	if n := mem.CurrentAlloc(); n != 0 {
		t.Errorf("%s: %d bytes still allocated after Close (error: %v)", what, n, err)
	}
	mem.AssertSize(t, 0)
	if ents, err := os.ReadDir(spoolDir); err != nil || len(ents) != 0 {
		t.Errorf("%s: %d files left in the temporary folder after Close (%v)", what, len(ents), err)
	}
}

// fuzzOpenRead opens args, reads every batch and closes the reader; it
// returns the rows read and the first error (of Open, Read or Close).
func fuzzOpenRead(t *testing.T, what string, args []string, opts []Option) (int64, error) {
	rd, err := Open(context.Background(), args, opts...)
	if err != nil {
		if rd != nil {
			t.Errorf("%s: Open returned a reader and an error: %v", what, err)
		}
		return 0, err
	}
	var rows, batches int64
	var rerr error
	sc := rd.Schema()
	if sc == nil {
		t.Errorf("%s: Open succeeded with a nil schema", what)
	}
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rerr = err
			if rec != nil {
				t.Errorf("%s: Read returned a batch and an error: %v", what, err)
			}
			break
		}
		if rec == nil {
			t.Errorf("%s: Read returned neither a batch nor an error", what)
			break
		}
		if sc != nil && !rec.Schema().Equal(sc) {
			t.Errorf("%s: batch schema %s differs from the reader's %s", what, rec.Schema(), sc)
		}
		if n := rec.NumRows(); n < 0 || n > 256 {
			t.Errorf("%s: batch of %d rows with WithBatchRows(256)", what, n)
		}
		for i, c := range rec.Columns() {
			if int64(c.Len()) != rec.NumRows() {
				t.Errorf("%s: batch %d (after %d rows): column %d (%s) has %d values in a batch of %d rows", what, batches, rows, i, rec.Schema().Field(i).Name, c.Len(), rec.NumRows())
			}
		}
		rows += rec.NumRows()
		batches++
	}
	if err := rd.Close(); err != nil && rerr == nil {
		rerr = err
	}
	return rows, rerr
}

// checkOneLine fails unless err prints as one non-empty line.
func checkOneLine(t *testing.T, what string, err error) {
	t.Helper()
	msg := err.Error()
	if msg == "" || strings.ContainsAny(msg, "\n\r") {
		t.Errorf("%s: error is not one line: %q (%T)", what, msg, err)
	}
}

// fuzzOpenSeeds are real files: 20-row slices of the shipped examples
// and of the test schema written by Create in every format, the DuckDB
// fixture's first and last 64 KiB, and mutated headers.
func fuzzOpenSeeds(f *testing.F) [][]byte {
	dir := f.TempDir()
	var seeds [][]byte
	add := func(b []byte) { seeds = append(seeds, bytes.Clone(b)) }
	writeAll := func(tag string, sc *arrow.Schema, recs []arrow.RecordBatch) map[string][]byte {
		out := map[string][]byte{}
		for _, ext := range []string{".parquet", ".arrow", ".arrows", ".jsonl", ".jsonl.gz", ".jsonl.zst"} {
			p := filepath.Join(dir, tag+ext)
			writeFile(f, p, sc, recs)
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			out[ext] = b
			add(b)
		}
		return out
	}

	// The shipped examples, 20 rows each (the files are 0.2-6.5 MB: too
	// big to mutate quickly).
	var fortunes map[string][]byte
	examples, _ := filepath.Glob("../../examples/data/*.parquet")
	for _, p := range examples {
		sc, recs := readSlice(f, p, 20)
		got := writeAll(strings.TrimSuffix(filepath.Base(p), ".parquet"), sc, recs)
		releaseAll(recs)
		if filepath.Base(p) == "fortunes.parquet" {
			fortunes = got
		}
	}
	if fortunes == nil {
		f.Fatal("../../examples/data/fortunes.parquet not found")
	}
	// Every type the formats carry, nulls included.
	recs := makeBatches(f, memory.DefaultAllocator, 20, 8)
	typed := writeAll("types", testSchema(), recs)
	releaseAll(recs)

	// The DuckDB fixture: its first and last 64 KiB.
	duck, err := os.ReadFile("testdata/duckdb-fortunes.parquet")
	if err != nil {
		f.Fatal(err)
	}
	add(duck[:64<<10])
	add(duck[len(duck)-64<<10:])

	// Mutated headers and footers.
	pq := fortunes[".parquet"]
	mut := func(b []byte, at int, with ...byte) []byte {
		c := bytes.Clone(b)
		if at < 0 {
			at += len(c)
		}
		copy(c[at:], with)
		return c
	}
	le32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	add(mut(pq, -8, le32(0xFFFFFFF0)...))      // footer length past the start
	add(mut(pq, -8, le32(uint32(len(pq)))...)) // footer length = file length
	add(mut(pq, -8, le32(0)...))               // empty footer
	add(mut(pq, -5, 0x7f))                     // footer length bits flipped
	add(mut(pq, -4, 'P', 'A', 'R', '2'))       // trailing magic broken
	add(pq[:len(pq)/2])                        // truncated
	add(append(bytes.Clone(pq[:4]), pq[len(pq)-8:]...))
	add([]byte("PAR1PAR1"))
	add([]byte("PAR1\x00\x00\x00\x00PAR1"))

	af := typed[".arrow"]
	add(mut(af, 0, 'A', 'R', 'R', 'O', 'W', '2'))
	add(mut(af, -10, le32(0x7FFFFFFF)...)) // footer length
	add(af[:len(af)-12])
	add([]byte("ARROW1\x00\x00"))
	add([]byte("ARROW1\x00\x00ARROW1"))

	as := typed[".arrows"]
	add(mut(as, 4, le32(0x7FFFFFFF)...)) // schema message length
	add(mut(as, 4, le32(0xFFFFFFF8)...)) // negative length
	add(as[:len(as)/2])
	add(as[:len(as)-8]) // no end-of-stream marker
	add([]byte("\xff\xff\xff\xff\x00\x00\x00\x00"))
	add([]byte("\xff\xff\xff\xff\xff\xff\xff\x7f"))

	gz := fortunes[".jsonl.gz"]
	add(gz[:10])
	add(gz[:len(gz)/2])
	add(mut(gz, len(gz)-8, 0, 0, 0, 0)) // crc broken
	zs := fortunes[".jsonl.zst"]
	add(zs[:4])
	add(zs[:len(zs)/2])

	js := fortunes[".jsonl"]
	add(append([]byte(utf8BOM), js[:min(len(js), 2000)]...))
	for _, s := range []string{
		"", "\n", " \n\n", "{}", "{}\n{}\n", `{"a":1}` + "\n" + `{"a":"x"}` + "\n", `{"a":[1,[2]]}`,
		`{"a":1}{"a":2}`, `{"a":` + strings.Repeat("[", 5000), `{"text":"x","text":"y"}`,
		"{\"a\":\"\xff\xfe\"}", `{"a":1e999}`, `{"a":-9223372036854775809}`, `[`, `"x"`, "\x00\x00\x00\x00",
	} {
		add([]byte(s))
	}
	return seeds
}

// readSlice reads the first n rows of path (DefaultAllocator) and returns
// its schema and batches; release the batches.
func readSlice(t testing.TB, path string, n int64) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	rd, err := Open(context.Background(), []string{path}, WithLimit(n))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	return rd.Schema(), readBatches(t, rd)
}

// jsonMarshalManifest encodes a manifest as the dataset writers do.
func jsonMarshalManifest(m *Manifest) ([]byte, error) {
	return json.MarshalIndent(m, "", "  ")
}
