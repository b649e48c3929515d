package partition

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/internal/longtest"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// shardMem returns an allocator that fails the test when anything it
// allocated is still held at the end of the test.
func shardMem(t testing.TB) *memory.CheckedAllocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// shardRow is one input row.
type shardRow struct {
	ID       string
	Text     string
	Task     int64
	NullTask bool
	Reason   string // "" : not rejected
	Vec      []float32
	Emb      [3]float32
}

// mkRow builds row i; its content depends on i only.
func mkRow(i int, task int64, reason string) shardRow {
	vec := make([]float32, i%4)
	for j := range vec {
		vec[j] = float32(i) + float32(j)/4
	}
	return shardRow{
		ID:     fmt.Sprintf("d%05d", i),
		Text:   fmt.Sprintf("text %d %s", i, strings.Repeat("x", i%13)),
		Task:   task,
		Reason: reason,
		Vec:    vec,
		Emb:    [3]float32{float32(i), -float32(i), 0.25},
	}
}

// inputSpec shapes the input schema.
type inputSpec struct {
	taskName string         // default "task"
	taskType arrow.DataType // default int32; nil with noTask
	noTask   bool
	noReject bool
	noID     bool
}

func (sp inputSpec) schema() *arrow.Schema {
	var fields []arrow.Field
	if !sp.noID {
		fields = append(fields, arrow.Field{Name: "doc_id", Type: arrow.BinaryTypes.String})
	}
	fields = append(fields, arrow.Field{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true})
	if !sp.noTask {
		name, typ := sp.taskName, sp.taskType
		if name == "" {
			name = "task"
		}
		if typ == nil {
			typ = arrow.PrimitiveTypes.Int32
		}
		fields = append(fields, arrow.Field{Name: name, Type: typ, Nullable: true})
	}
	if !sp.noReject {
		fields = append(fields, stream.RejectField)
	}
	fields = append(fields,
		arrow.Field{Name: "vec", Type: arrow.ListOf(arrow.PrimitiveTypes.Float32), Nullable: true},
		arrow.Field{Name: "emb", Type: arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32)})
	return arrow.NewSchema(fields, nil)
}

// buildBatches turns rows into batches of per rows.
func buildBatches(t testing.TB, mem memory.Allocator, sc *arrow.Schema, rows []shardRow, per int) []arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	var out []arrow.RecordBatch
	for i, r := range rows {
		for f, field := range sc.Fields() {
			fb := b.Field(f)
			switch field.Name {
			case "doc_id":
				fb.(*array.StringBuilder).Append(r.ID)
			case "text":
				fb.(*array.StringBuilder).Append(r.Text)
			case stream.RejectColumn:
				if r.Reason == "" {
					fb.AppendNull()
				} else {
					fb.(*array.StringBuilder).Append(r.Reason)
				}
			case "vec":
				lb := fb.(*array.ListBuilder)
				lb.Append(true)
				lb.ValueBuilder().(*array.Float32Builder).AppendValues(r.Vec, nil)
			case "emb":
				lb := fb.(*array.FixedSizeListBuilder)
				lb.Append(true)
				lb.ValueBuilder().(*array.Float32Builder).AppendValues(r.Emb[:], nil)
			default: // the task column
				if r.NullTask {
					fb.AppendNull()
					continue
				}
				switch tb := fb.(type) {
				case *array.Int32Builder:
					tb.Append(int32(r.Task))
				case *array.Int64Builder:
					tb.Append(r.Task)
				case *array.StringBuilder:
					tb.Append(fmt.Sprint(r.Task))
				default:
					t.Fatalf("task column of type %s", field.Type)
				}
			}
		}
		if (i+1)%per == 0 || i == len(rows)-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	return out
}

// memReader serves batches it owns; Close releases them.
type memReader struct {
	schema *arrow.Schema
	recs   []arrow.RecordBatch
	next   int
	// after, when set, is called after the batch of that index is read.
	after map[int]func()
	err   error // returned instead of the batch at index errAt
	errAt int
}

func newMemReader(t testing.TB, mem memory.Allocator, sp inputSpec, rows []shardRow, per int) *memReader {
	sc := sp.schema()
	r := &memReader{schema: sc, recs: buildBatches(t, mem, sc, rows, per), errAt: -1}
	t.Cleanup(func() { r.Close() })
	return r
}

func (r *memReader) Schema() *arrow.Schema { return r.schema }

func (r *memReader) Read() (arrow.RecordBatch, error) {
	if r.next == r.errAt {
		return nil, r.err
	}
	if r.next >= len(r.recs) {
		return nil, io.EOF
	}
	rec := r.recs[r.next]
	if f := r.after[r.next]; f != nil {
		f()
	}
	r.next++
	return rec, nil
}

func (r *memReader) Close() error {
	for _, rec := range r.recs {
		rec.Release()
	}
	r.recs = nil
	return nil
}

// readRows reads a shard back.
func readRows(t testing.TB, mem memory.Allocator, path, taskName string) []shardRow {
	t.Helper()
	if taskName == "" {
		taskName = "task"
	}
	rd, err := stream.OpenInputs(context.Background(),
		[]stream.Input{{Name: path, Path: path, Format: stream.FormatParquet}}, stream.WithAllocator(mem))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer rd.Close()
	var out []shardRow
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		start := len(out)
		out = append(out, make([]shardRow, rec.NumRows())...)
		for c, f := range rec.Schema().Fields() {
			col := rec.Column(c)
			for i := range int(rec.NumRows()) {
				r := &out[start+i]
				switch f.Name {
				case "doc_id":
					r.ID = col.(*array.String).Value(i)
				case "text":
					r.Text = col.(*array.String).Value(i)
				case stream.RejectColumn:
					if col.IsValid(i) {
						r.Reason = col.(*array.String).Value(i)
					}
				case "vec":
					l := col.(*array.List)
					from, to := l.ValueOffsets(i)
					r.Vec = slices.Clone(l.ListValues().(*array.Float32).Float32Values()[from:to])
				case "emb":
					l := col.(*array.FixedSizeList)
					vals := l.ListValues().(*array.Float32).Float32Values()
					off := (l.Data().Offset() + i) * 3
					copy(r.Emb[:], vals[off:off+3])
				case taskName:
					if col.IsNull(i) {
						r.NullTask = true
						continue
					}
					switch a := col.(type) {
					case *array.Int32:
						r.Task = int64(a.Value(i))
					case *array.Int64:
						r.Task = a.Value(i)
					}
				}
			}
		}
	}
	for i := range out {
		if out[i].Vec == nil {
			out[i].Vec = []float32{}
		}
	}
	return out
}

// listFiles returns the files under dir, relative, with "/".
func listFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// noSiblings fails when parent holds anything but the names given.
func noSiblings(t testing.TB, parent string, keep ...string) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !slices.Contains(keep, e.Name()) {
			t.Errorf("left behind in %s: %s", parent, e.Name())
		}
	}
}

// checkDataset checks a written dataset against the input rows: layout,
// order, manifest, sums. maxRows > 0 also checks the exact shard split.
func checkDataset(t *testing.T, mem memory.Allocator, dir string, m *stream.Manifest, k int, rows []shardRow, taskName string, maxRows int64) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, stream.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, []byte("}\n")) || !bytes.HasPrefix(data, []byte("{\n  \"version\": 1,")) {
		t.Errorf("manifest is not indented JSON with a trailing newline:\n%s", data)
	}
	parsed, err := stream.ParseManifest("manifest.json", data)
	if err != nil {
		t.Fatalf("ParseManifest: %v", err)
	}
	if enc, err := json.MarshalIndent(m, "", "  "); err != nil || !bytes.Equal(append(enc, '\n'), data) {
		t.Errorf("returned manifest differs from the file (%v):\n%s\n%s", err, enc, data)
	}
	if parsed.ToolVersion != stream.ToolVersion || len(parsed.Tasks) != k {
		t.Errorf("tool version %q, %d tasks", parsed.ToolVersion, len(parsed.Tasks))
	}
	want := make([][]shardRow, k+1)
	reasons := map[string]int64{}
	for _, r := range rows {
		if r.Reason != "" {
			want[k] = append(want[k], r)
			reasons[r.Reason]++
		} else {
			want[r.Task] = append(want[r.Task], r)
		}
	}
	if parsed.InputRows != int64(len(rows)) || parsed.Rejected.Rows != int64(len(want[k])) {
		t.Errorf("input rows %d, rejected %d; want %d, %d", parsed.InputRows, parsed.Rejected.Rows, len(rows), len(want[k]))
	}
	if len(reasons) == 0 {
		reasons = nil
	}
	if !reflect.DeepEqual(parsed.Rejected.Reasons, reasons) {
		t.Errorf("reasons %v, want %v", parsed.Rejected.Reasons, reasons)
	}
	files := []string{stream.ManifestName}
	checkShards := func(folder string, shards []stream.ManifestShard, want []shardRow) int64 {
		t.Helper()
		var got []shardRow
		var bytes int64
		for i, s := range shards {
			if wantPath := folder + "/" + fmt.Sprintf("part-%05d.parquet", i); s.Path != wantPath {
				t.Errorf("shard %d of %s: path %s, want %s", i, folder, s.Path, wantPath)
			}
			files = append(files, s.Path)
			full := filepath.Join(dir, filepath.FromSlash(s.Path))
			st, err := os.Stat(full)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := shardFileSHA256(full)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() != s.Bytes || sum != s.SHA256 {
				t.Errorf("%s: %d bytes sha256 %s; manifest %d %s", s.Path, st.Size(), sum, s.Bytes, s.SHA256)
			}
			part := readRows(t, mem, full, taskName)
			if int64(len(part)) != s.Rows || s.Rows == 0 {
				t.Errorf("%s: %d rows, manifest %d", s.Path, len(part), s.Rows)
			}
			if maxRows > 0 {
				wantRows := min(maxRows, int64(len(want)-len(got)))
				if s.Rows != wantRows {
					t.Errorf("%s: %d rows, want %d (max rows %d)", s.Path, s.Rows, wantRows, maxRows)
				}
			}
			got = append(got, part...)
			bytes += s.Bytes
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", folder, len(got), len(want))
		}
		for i := range want {
			w := want[i]
			if w.Vec == nil {
				w.Vec = []float32{}
			}
			if !reflect.DeepEqual(got[i], w) {
				t.Fatalf("%s: row %d is\n%+v, want\n%+v", folder, i, got[i], w)
			}
		}
		return bytes
	}
	for task, mt := range parsed.Tasks {
		if mt.Task != task {
			t.Errorf("tasks[%d] is task %d", task, mt.Task)
		}
		if mt.Shards == nil {
			t.Errorf("task %d: shards is null, want []", task)
		}
		if b := checkShards(TaskDir(task, k), mt.Shards, want[task]); b != mt.Bytes {
			t.Errorf("task %d: bytes %d, its shards hold %d", task, mt.Bytes, b)
		}
		if len(want[task]) == 0 {
			if _, err := os.Stat(filepath.Join(dir, TaskDir(task, k))); err == nil {
				t.Errorf("empty task %d has a folder", task)
			}
		}
	}
	checkShards(RejectedDir, parsed.Rejected.Shards, want[k])
	slices.Sort(files)
	if got := listFiles(t, dir); !slices.Equal(got, files) {
		t.Errorf("files\n%v, want\n%v", got, files)
	}
	rep, err := verifyDataset(context.Background(), dir, mem)
	if err != nil {
		t.Fatalf("Verify: %v %v", err, rep.Problems)
	}
	if rep.Rows != parsed.TotalRows || rep.Rejected != parsed.Rejected.Rows || rep.Tasks != k || rep.Files != len(files)-1 {
		t.Errorf("Verify report %+v", rep)
	}
}

// taskRows gives row i the task task(i), or rejects it when reason(i) is
// not empty (with task -1, or null when i is odd).
func taskRows(n int, task func(i int) int64, reason func(i int) string) []shardRow {
	rows := make([]shardRow, n)
	for i := range rows {
		r := ""
		if reason != nil {
			r = reason(i)
		}
		rows[i] = mkRow(i, task(i), r)
		if r != "" {
			rows[i].Task = -1
			if i%2 == 1 {
				rows[i].Task, rows[i].NullTask = 0, true
			}
		}
	}
	return rows
}

func TestWriteShardsLayout(t *testing.T) {
	rejectEvery := func(n int) func(int) string {
		return func(i int) string {
			switch {
			case i%n == 0:
				return "too short"
			case i%n == 1:
				return "duplicate"
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name     string
		k        int
		rows     []shardRow
		per      int
		spec     inputSpec
		opts     ShardOptions
		exact    bool // every shard but a task's last holds MaxRows rows
		wantDirs []string
	}{
		{name: "round robin with rejects", k: 3, per: 7,
			rows:     taskRows(40, func(i int) int64 { return int64(i % 3) }, rejectEvery(9)),
			exact:    true,
			wantDirs: []string{"rejected", "task=000", "task=001", "task=002"}},
		{name: "runs", k: 4, per: 25,
			rows:     taskRows(100, func(i int) int64 { return int64(i / 10 % 4) }, nil),
			exact:    true,
			wantDirs: []string{"task=000", "task=001", "task=002", "task=003"}},
		{name: "one task per batch", k: 2, per: 10,
			rows:     taskRows(40, func(i int) int64 { return int64(i / 10 % 2) }, nil),
			exact:    true,
			wantDirs: []string{"task=000", "task=001"}},
		{name: "max rows", k: 2, per: 7,
			rows:     taskRows(45, func(i int) int64 { return int64(i % 2) }, rejectEvery(20)),
			opts:     ShardOptions{MaxRows: 4},
			exact:    true,
			wantDirs: []string{"rejected", "task=000", "task=001"}},
		{name: "max bytes", k: 2, per: 16,
			rows:     taskRows(200, func(i int) int64 { return int64(i % 2) }, nil),
			opts:     ShardOptions{MaxBytes: 1500},
			wantDirs: []string{"task=000", "task=001"}},
		{name: "empty tasks", k: 5, per: 8,
			rows:     taskRows(30, func(i int) int64 { return int64(i%2) * 3 }, nil),
			exact:    true,
			wantDirs: []string{"task=000", "task=003"}},
		{name: "wide task numbers", k: 1200, per: 8,
			rows:     taskRows(20, func(i int) int64 { return int64(i%2) * 1199 }, nil),
			exact:    true,
			wantDirs: []string{"task=0000", "task=1199"}},
		{name: "no rows", k: 3, per: 8, rows: nil, exact: true},
		{name: "all rejected", k: 2, per: 8,
			rows:     taskRows(20, func(i int) int64 { return 0 }, func(i int) string { return "bad" }),
			exact:    true,
			wantDirs: []string{"rejected"}},
		{name: "int64 task column named cluster", k: 3, per: 6,
			rows:     taskRows(30, func(i int) int64 { return int64(i % 3) }, rejectEvery(7)),
			spec:     inputSpec{taskName: "cluster", taskType: arrow.PrimitiveTypes.Int64},
			opts:     ShardOptions{TaskColumn: "cluster"},
			exact:    true,
			wantDirs: []string{"rejected", "task=000", "task=001", "task=002"}},
		{name: "no reject column, no doc_id", k: 2, per: 5,
			rows:  taskRows(12, func(i int) int64 { return int64(i % 2) }, nil),
			spec:  inputSpec{noReject: true, noID: true},
			exact: true, wantDirs: []string{"task=000", "task=001"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := shardMem(t)
			src := newMemReader(t, mem, tc.spec, tc.rows, tc.per)
			dir := filepath.Join(t.TempDir(), "out", "ds")
			opts := tc.opts
			opts.Tasks = tc.k
			opts.Allocator = mem
			opts.Writer = []stream.Option{stream.WithAllocator(mem)}
			opts.Manifest = stream.Manifest{Seed: 7, Config: map[string]any{"k": tc.k},
				Inputs: []stream.ManifestInput{{Path: "in.parquet", Bytes: 1, SHA256: "00"}}}
			m, err := WriteShards(context.Background(), src, dir, opts)
			if err != nil {
				t.Fatalf("WriteShards: %v", err)
			}
			if m.Seed != 7 || m.Config["k"] != tc.k || len(m.Inputs) != 1 {
				t.Errorf("caller's manifest fields lost: %+v", m)
			}
			if tc.spec.noID {
				for i := range tc.rows {
					tc.rows[i].ID = ""
				}
			}
			if tc.spec.taskName != "" && m.Config[ConfigTaskColumn] != tc.spec.taskName {
				t.Errorf("config task_column %v", m.Config[ConfigTaskColumn])
			}
			maxRows := int64(0)
			if tc.exact {
				maxRows = opts.MaxRows
				if maxRows == 0 {
					maxRows = DefaultMaxRows
				}
			}
			checkDataset(t, mem, dir, m, tc.k, tc.rows, tc.spec.taskName, maxRows)
			entries, _ := os.ReadDir(dir)
			var dirs []string
			for _, e := range entries {
				if e.IsDir() {
					dirs = append(dirs, e.Name())
				}
			}
			if !slices.Equal(dirs, tc.wantDirs) {
				t.Errorf("folders %v, want %v", dirs, tc.wantDirs)
			}
			if tc.opts.MaxBytes > 0 {
				for _, mt := range m.Tasks {
					if len(mt.Shards) < 3 {
						t.Errorf("task %d: %d shards with max bytes %d", mt.Task, len(mt.Shards), tc.opts.MaxBytes)
					}
				}
			}
			noSiblings(t, filepath.Dir(dir), "ds")
		})
	}
}

// TestShardMaxBytes checks that a shard stops near MaxBytes of Arrow data.
func TestShardMaxBytes(t *testing.T) {
	mem := shardMem(t)
	rows := taskRows(300, func(i int) int64 { return 0 }, nil)
	src := newMemReader(t, mem, inputSpec{}, rows, 50)
	perRow := batchDataBytes(src.recs[0]) / 50
	const maxBytes = 4000
	dir := filepath.Join(t.TempDir(), "ds")
	m, err := WriteShards(context.Background(), src, dir, ShardOptions{Tasks: 1, MaxBytes: maxBytes, Allocator: mem,
		Writer: []stream.Option{stream.WithAllocator(mem)}})
	if err != nil {
		t.Fatal(err)
	}
	shards := m.Tasks[0].Shards
	wantRows := (maxBytes + perRow - 1) / perRow
	if len(shards) < 4 {
		t.Errorf("%d shards", len(shards))
	}
	for i, s := range shards[:len(shards)-1] {
		if s.Rows < wantRows*3/4 || s.Rows > wantRows*5/4 {
			t.Errorf("shard %d: %d rows, want about %d bytes / %d per row = %d", i, s.Rows, maxBytes, perRow, wantRows)
		}
	}
	checkDataset(t, mem, dir, m, 1, rows, "", 0)
}

func TestShardDeterministic(t *testing.T) {
	mem := shardMem(t)
	rng := rand.New(rand.NewPCG(1, 2))
	rows := taskRows(500, func(i int) int64 {
		if i/50%2 == 0 {
			return int64(i / 50 % 5) // runs
		}
		return int64(rng.IntN(5))
	}, func(i int) string {
		if i%37 == 5 {
			return fmt.Sprintf("reason %d", i%3)
		}
		return ""
	})
	parent := t.TempDir()
	var trees []map[string][]byte
	for run := range 2 {
		src := newMemReader(t, mem, inputSpec{}, rows, 64)
		dir := filepath.Join(parent, fmt.Sprint("ds", run))
		_, err := WriteShards(context.Background(), src, dir, ShardOptions{Tasks: 5, MaxRows: 40, Allocator: mem,
			Writer:   []stream.Option{stream.WithAllocator(mem)},
			Manifest: stream.Manifest{Seed: 3, Config: map[string]any{"b": 1, "a": []int{1, 2}}}})
		if err != nil {
			t.Fatal(err)
		}
		tree := map[string][]byte{}
		for _, f := range listFiles(t, dir) {
			tree[f], err = os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
		}
		trees = append(trees, tree)
	}
	if len(trees[0]) < 10 {
		t.Fatalf("only %d files", len(trees[0]))
	}
	if !reflect.DeepEqual(trees[0], trees[1]) {
		for f, b := range trees[0] {
			if !bytes.Equal(b, trees[1][f]) {
				t.Errorf("%s differs between runs", f)
			}
		}
		t.Fatal("two runs over the same input differ")
	}
}

// TestShardDeterministic200k writes the same 200k-row dataset 20 times
// and checks every file, manifest included, is
// byte-identical. The text and doc_id columns start out repetitive (the
// writer may choose a dictionary) and then turn all distinct: the shape
// that made arrow-go's footers vary from run to run.
func TestShardDeterministic200k(t *testing.T) {
	longtest.Skip(t, "writes a 200k-row dataset 20 times")
	const runs = 20
	mem := shardMem(t)
	rng := rand.New(rand.NewPCG(7, 8))
	rows := taskRows(200_000, func(int) int64 { return int64(rng.IntN(4)) }, func(i int) string {
		if i%1001 == 3 {
			return "blank text"
		}
		return ""
	})
	for i := range 8192 {
		rows[i].Text = fmt.Sprintf("repeated %d", i%10)
	}
	parent := t.TempDir()
	var first map[string][]byte
	for run := range runs {
		src := newMemReader(t, mem, inputSpec{}, rows, 8192)
		dir := filepath.Join(parent, fmt.Sprint("ds", run))
		if _, err := WriteShards(context.Background(), src, dir, ShardOptions{Tasks: 4, Allocator: mem,
			Writer:   []stream.Option{stream.WithAllocator(mem)},
			Manifest: stream.Manifest{Seed: 1}}); err != nil {
			t.Fatal(err)
		}
		tree := map[string][]byte{}
		for _, f := range listFiles(t, dir) {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			tree[f] = b
		}
		os.RemoveAll(dir)
		if first == nil {
			first = tree
			if len(first) < 6 {
				t.Fatalf("only %d files", len(first))
			}
			continue
		}
		if !reflect.DeepEqual(first, tree) {
			for f, b := range first {
				if !bytes.Equal(b, tree[f]) {
					t.Errorf("run %d: %s differs from run 0", run, f)
				}
			}
			t.FailNow()
		}
	}
}

func TestShardExisting(t *testing.T) {
	write := func(t *testing.T, mem memory.Allocator, dir string, rows []shardRow, overwrite bool) (*stream.Manifest, error) {
		src := newMemReader(t, mem, inputSpec{}, rows, 8)
		return WriteShards(context.Background(), src, dir, ShardOptions{Tasks: 2, MaxRows: 5, Overwrite: overwrite,
			Allocator: mem, Writer: []stream.Option{stream.WithAllocator(mem)}})
	}
	oldRows := taskRows(30, func(i int) int64 { return int64(i % 2) }, nil)
	newRows := taskRows(6, func(i int) int64 { return 0 }, nil)
	badRows := taskRows(6, func(i int) int64 { return int64(i) }, nil) // task 2 >= K
	for _, tc := range []struct {
		name      string
		prepare   func(t *testing.T, mem memory.Allocator, dir string)
		rows      []shardRow
		overwrite bool
		wantErr   string // "" : success
		untouched bool   // the folder is left as it was
	}{
		{name: "dataset without overwrite", prepare: writeOld(oldRows, write), rows: newRows,
			wantErr: "already holds a dataset", untouched: true},
		{name: "dataset with overwrite", prepare: writeOld(oldRows, write), rows: newRows, overwrite: true},
		{name: "dataset with overwrite, bad input", prepare: writeOld(oldRows, write), rows: badRows, overwrite: true,
			wantErr: "out of range", untouched: true},
		{name: "other files", prepare: userFiles, rows: newRows,
			wantErr: "holds no manifest.json", untouched: true},
		{name: "other files with overwrite", prepare: userFiles, rows: newRows, overwrite: true,
			wantErr: "holds no manifest.json", untouched: true},
		{name: "empty folder", prepare: func(t *testing.T, _ memory.Allocator, dir string) {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}, rows: newRows},
		{name: "a file", prepare: func(t *testing.T, _ memory.Allocator, dir string) {
			if err := os.WriteFile(dir, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, rows: newRows, overwrite: true, wantErr: "not a folder", untouched: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := shardMem(t)
			parent := t.TempDir()
			dir := filepath.Join(parent, "ds")
			tc.prepare(t, mem, dir)
			before := snapshot(t, dir)
			m, err := write(t, mem, dir, tc.rows, tc.overwrite)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("WriteShards: %v", err)
				}
				checkDataset(t, mem, dir, m, 2, tc.rows, "", 5)
			} else {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(tc.wantErr, "out of range") {
					if !stream.IsDataError(err) {
						t.Errorf("%v is not a DataError", err)
					}
				} else if !errors.Is(err, ErrExists) || stream.IsDataError(err) {
					t.Errorf("%v does not wrap ErrExists only", err)
				}
			}
			if tc.untouched {
				if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
					t.Errorf("%s changed", dir)
				}
			}
			noSiblings(t, parent, "ds")
		})
	}
}

func writeOld(rows []shardRow, write func(*testing.T, memory.Allocator, string, []shardRow, bool) (*stream.Manifest, error)) func(*testing.T, memory.Allocator, string) {
	return func(t *testing.T, mem memory.Allocator, dir string) {
		if _, err := write(t, mem, dir, rows, false); err != nil {
			t.Fatal(err)
		}
	}
}

func userFiles(t *testing.T, _ memory.Allocator, dir string) {
	if err := os.MkdirAll(filepath.Join(dir, "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"thesis.txt", "notes/a.md"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("precious "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot maps the files under path (or path itself) to their content.
func snapshot(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	st, err := os.Stat(path)
	if err != nil {
		return out
	}
	if !st.IsDir() {
		b, _ := os.ReadFile(path)
		out["."] = string(b)
		return out
	}
	for _, f := range listFiles(t, path) {
		b, err := os.ReadFile(filepath.Join(path, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = string(b)
	}
	return out
}

func TestShardErrors(t *testing.T) {
	rows := func(edit func(r []shardRow)) []shardRow {
		r := taskRows(40, func(i int) int64 { return int64(i % 3) }, nil)
		edit(r)
		return r
	}
	for _, tc := range []struct {
		name string
		spec inputSpec
		rows []shardRow
		want []string
	}{
		{name: "task too large", rows: rows(func(r []shardRow) { r[25].Task = 3 }),
			want: []string{"input: row 25", `column "task"`, `doc_id "d00025"`, "task 3", "K=3"}},
		{name: "negative task", rows: rows(func(r []shardRow) { r[33].Task = -1 }),
			want: []string{"row 33", `doc_id "d00033"`, "task -1", "0..2"}},
		{name: "null task", rows: rows(func(r []shardRow) { r[2].NullTask = true }),
			want: []string{"row 2", `doc_id "d00002"`, "task is null"}},
		{name: "no doc_id", spec: inputSpec{noID: true}, rows: rows(func(r []shardRow) { r[39].Task = 7 }),
			want: []string{"row 39", "task 7"}},
		{name: "missing task column", spec: inputSpec{noTask: true}, rows: rows(func([]shardRow) {}),
			want: []string{`column "task"`, "no task column", `"doc_id"`, `"text"`, `"emb"`}},
		{name: "string task column", spec: inputSpec{taskType: arrow.BinaryTypes.String}, rows: rows(func([]shardRow) {}),
			want: []string{`column "task"`, "utf8", "expected int32 or int64", `"doc_id"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := shardMem(t)
			src := newMemReader(t, mem, tc.spec, tc.rows, 8)
			parent := t.TempDir()
			dir := filepath.Join(parent, "ds")
			_, err := WriteShards(context.Background(), src, dir, ShardOptions{Tasks: 3, MaxRows: 4, Allocator: mem,
				Writer: []stream.Option{stream.WithAllocator(mem)}})
			var de *stream.DataError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a DataError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			noSiblings(t, parent)
		})
	}
	t.Run("no tasks", func(t *testing.T) {
		mem := shardMem(t)
		src := newMemReader(t, mem, inputSpec{}, nil, 8)
		parent := t.TempDir()
		if _, err := WriteShards(context.Background(), src, filepath.Join(parent, "ds"), ShardOptions{}); err == nil {
			t.Fatal("no error for 0 tasks")
		}
		noSiblings(t, parent)
	})
	t.Run("read error", func(t *testing.T) {
		mem := shardMem(t)
		src := newMemReader(t, mem, inputSpec{}, taskRows(40, func(i int) int64 { return 0 }, nil), 8)
		src.errAt, src.err = 3, errors.New("disk on fire")
		parent := t.TempDir()
		_, err := WriteShards(context.Background(), src, filepath.Join(parent, "ds"), ShardOptions{Tasks: 1, MaxRows: 4,
			Allocator: mem, Writer: []stream.Option{stream.WithAllocator(mem)}})
		if err == nil || !strings.Contains(err.Error(), "disk on fire") {
			t.Fatalf("error %v", err)
		}
		noSiblings(t, parent)
	})
}

func TestShardCancel(t *testing.T) {
	for _, at := range []int{0, 2, 4} { // the last batch is 4: cancelled before the manifest
		t.Run(fmt.Sprint("after batch ", at), func(t *testing.T) {
			mem := shardMem(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			src := newMemReader(t, mem, inputSpec{}, taskRows(40, func(i int) int64 { return int64(i % 2) }, nil), 8)
			src.after = map[int]func(){at: cancel}
			parent := t.TempDir()
			_, err := WriteShards(ctx, src, filepath.Join(parent, "ds"), ShardOptions{Tasks: 2, MaxRows: 3,
				Allocator: mem, Writer: []stream.Option{stream.WithAllocator(mem)}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			noSiblings(t, parent)
		})
	}
}

func TestShardRowGroupBytes(t *testing.T) {
	for _, tc := range []struct {
		budget int64
		k      int
		want   int64
	}{
		{DefaultMemoryBudget, 1, DefaultMemoryBudget / 4},
		{DefaultMemoryBudget, 16, DefaultMemoryBudget / 34},
		{DefaultMemoryBudget, 200, MinRowGroupBytes}, // 256 MiB / 402 < 1 MiB
		{1 << 30, 200, (1 << 30) / 402},
		{1 << 20, 3, MinRowGroupBytes},
	} {
		if got := rowGroupBytes(tc.budget, tc.k); got != tc.want {
			t.Errorf("rowGroupBytes(%d, %d) = %d, want %d", tc.budget, tc.k, got, tc.want)
		}
		if got := rowGroupBytes(tc.budget, tc.k); got > MinRowGroupBytes && 2*int64(tc.k+1)*got > tc.budget {
			t.Errorf("rowGroupBytes(%d, %d) = %d: K+1 writers hold more than the budget", tc.budget, tc.k, got)
		}
	}
}

// TestShardManyTasks writes many tasks (64; 200 in make test-long) with
// a small memory budget.
func TestShardManyTasks(t *testing.T) {
	mem := shardMem(t)
	rng := rand.New(rand.NewPCG(5, 6))
	// 64 tasks already give each task the smallest row group (the budget
	// over K is below MinRowGroupBytes); 200 in make test-long.
	k := 64
	if longtest.Enabled() {
		k = 200
	}
	rows := taskRows(4000, func(i int) int64 { return int64(rng.IntN(k - 3)) }, func(i int) string {
		if i%101 == 0 {
			return "noise"
		}
		return ""
	})
	src := newMemReader(t, mem, inputSpec{}, rows, 512)
	opts := ShardOptions{Tasks: k, MemoryBudget: 4 << 20, Allocator: mem,
		Writer: []stream.Option{stream.WithAllocator(mem), stream.WithCompression(stream.Snappy)}}
	defaulted := opts
	defaulted.defaults()
	s, err := newSharder(src.Schema(), "x", &defaulted)
	if err != nil {
		t.Fatal(err)
	}
	if s.rgBytes != MinRowGroupBytes {
		t.Errorf("row-group bytes %d, want %d", s.rgBytes, MinRowGroupBytes)
	}
	dir := filepath.Join(t.TempDir(), "ds")
	m, err := WriteShards(context.Background(), src, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range []int{k - 3, k - 2, k - 1} {
		if m.Tasks[task].Rows != 0 || len(m.Tasks[task].Shards) != 0 {
			t.Errorf("task %d should be empty: %+v", task, m.Tasks[task])
		}
	}
	checkDataset(t, mem, dir, m, k, rows, "", DefaultMaxRows)
}

// TestShardGather checks both ways of gathering rows against the rows
// themselves.
func TestShardGather(t *testing.T) {
	mem := shardMem(t)
	rows := taskRows(64, func(i int) int64 { return 0 }, func(i int) string {
		if i%5 == 0 {
			return "r"
		}
		return ""
	})
	recs := buildBatches(t, mem, inputSpec{}.schema(), rows, 64)
	rec := recs[0]
	defer rec.Release()
	// A slice of the batch: gathering must honour its offset.
	sliced := rec.NewSlice(8, 64)
	defer sliced.Release()
	seq := func(from, to int32) []int32 {
		var out []int32
		for i := from; i < to; i++ {
			out = append(out, i)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		rec  arrow.RecordBatch
		rows []int32
		same bool // rec itself is returned
	}{
		{"all", rec, seq(0, 64), true},
		{"one run", rec, seq(10, 30), false},
		{"runs", rec, append(seq(0, 20), seq(40, 64)...), false},
		{"scattered", rec, []int32{1, 3, 4, 9, 17, 18, 33, 50, 63}, false},
		{"one row", rec, []int32{42}, false},
		{"sliced scattered", sliced, []int32{0, 2, 5, 13, 55}, false},
		{"sliced runs", sliced, seq(3, 40), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := gatherRows(tc.rec, tc.rows, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			if (got == tc.rec) != tc.same {
				t.Errorf("returned the batch itself: %v", got == tc.rec)
			}
			if got.NumRows() != int64(len(tc.rows)) {
				t.Fatalf("%d rows, want %d", got.NumRows(), len(tc.rows))
			}
			for c := range int(got.NumCols()) {
				if !tc.same && got.Column(c).Data().Offset() != 0 {
					t.Errorf("column %d has offset %d", c, got.Column(c).Data().Offset())
				}
				for i, r := range tc.rows {
					if !array.SliceEqual(got.Column(c), int64(i), int64(i+1), tc.rec.Column(c), int64(r), int64(r+1)) {
						t.Fatalf("column %s row %d differs from input row %d", got.ColumnName(c), i, r)
					}
				}
			}
		})
	}
	// Both strategies on the same scattered rows agree.
	idx := []int32{0, 5, 6, 7, 20, 21, 40}
	a, err := concatRunRows(rec, idx, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	b, err := takeRowIndices(rec, idx, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if !array.RecordEqual(a, b) {
		t.Error("concatenated runs and Take disagree")
	}
}

// TestShardManifestJSON checks the manifest's keys are what ParseManifest
// expects, with empty tasks as [] rather than null.
func TestShardManifestJSON(t *testing.T) {
	mem := shardMem(t)
	src := newMemReader(t, mem, inputSpec{}, taskRows(4, func(i int) int64 { return 0 }, nil), 8)
	dir := filepath.Join(t.TempDir(), "ds")
	if _, err := WriteShards(context.Background(), src, dir, ShardOptions{Tasks: 2, Allocator: mem,
		Writer: []stream.Option{stream.WithAllocator(mem)}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, stream.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	tasks := raw["tasks"].([]any)
	if shards := tasks[1].(map[string]any)["shards"]; shards == nil {
		t.Errorf("empty task's shards is null:\n%s", data)
	}
	if raw["inputs"] == nil {
		t.Errorf("inputs is null:\n%s", data)
	}
	if _, err := stream.ParseManifest("m", data); err != nil {
		t.Fatal(err)
	}
}

func TestShardBeforePublish(t *testing.T) {
	run := func(t *testing.T, hook func(staging string) error) (string, string, error) {
		mem := shardMem(t)
		src := newMemReader(t, mem, inputSpec{}, taskRows(20, func(i int) int64 { return int64(i % 2) }, nil), 8)
		parent := t.TempDir()
		dir := filepath.Join(parent, "ds")
		_, err := WriteShards(context.Background(), src, dir, ShardOptions{Tasks: 2, Allocator: mem,
			Writer: []stream.Option{stream.WithAllocator(mem)}, BeforePublish: hook})
		return parent, dir, err
	}
	t.Run("files appear with the dataset", func(t *testing.T) {
		var seen []string
		_, dir, err := run(t, func(staging string) error {
			// The dataset is complete when the hook runs, and dir is not
			// there yet.
			if _, err := os.Stat(filepath.Join(staging, stream.ManifestName)); err != nil {
				t.Errorf("no manifest in the staging folder: %v", err)
			}
			entries, _ := os.ReadDir(staging)
			for _, e := range entries {
				seen = append(seen, e.Name())
			}
			return os.WriteFile(filepath.Join(staging, ModelFile), []byte("{}"), 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(seen, TaskDir(1, 2)) {
			t.Errorf("staging folder held %v when the hook ran, want the task folders", seen)
		}
		if b, err := os.ReadFile(filepath.Join(dir, ModelFile)); err != nil || string(b) != "{}" {
			t.Errorf("%s: %q, %v", ModelFile, b, err)
		}
	})
	t.Run("a failing hook aborts the dataset", func(t *testing.T) {
		parent, _, err := run(t, func(staging string) error {
			if err := os.WriteFile(filepath.Join(staging, ModelFile), []byte("{"), 0o644); err != nil {
				return err
			}
			return errors.New("report failed")
		})
		if err == nil || !strings.Contains(err.Error(), "report failed") {
			t.Fatalf("error %v", err)
		}
		noSiblings(t, parent)
	})
}
