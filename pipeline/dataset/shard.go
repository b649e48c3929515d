package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/robustdata/robustdata/pipeline/schema"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// Defaults of ShardOptions.
const (
	DefaultMaxRows      = 1 << 20
	DefaultMaxBytes     = 256 << 20
	DefaultMemoryBudget = 192 << 20
	// MinRowGroupBytes is the smallest row-group buffer a shard writer
	// is given, however many tasks share the memory budget.
	MinRowGroupBytes = 1 << 20
)

// RejectedDir is the folder of a dataset that holds the rejected rows.
const RejectedDir = "rejected"

// ConfigTaskColumn is the Manifest.Config key WriteShards sets when the
// task column is not schema.TaskColumn, so that Verify reads the right
// column.
const ConfigTaskColumn = "task_column"

// ErrExists is wrapped by the error WriteShards returns when its output
// folder already holds a dataset (and ShardOptions.Overwrite is false) or
// holds other files (whatever Overwrite): the CLI reports it as a usage
// error.
var ErrExists = errors.New("output folder exists")

// ShardOptions configures WriteShards.
type ShardOptions struct {
	// TaskColumn names the int32 or int64 column that holds each row's
	// task, 0..Tasks-1; it may be null or -1 only on rejected rows.
	// Default: schema.TaskColumn ("task").
	TaskColumn string
	// Tasks is K, the number of tasks. Tasks 0..K-1 all appear in the
	// manifest, empty ones with 0 rows and no shard. A row that is not
	// rejected and whose task is null, negative or >= K is a
	// *stream.DataError. Required (at least 1).
	Tasks int
	// MaxRows starts a new shard file of a task once its current one
	// holds this many rows. Default: DefaultMaxRows (1,048,576).
	MaxRows int64
	// MaxBytes starts a new shard file of a task once its current one
	// holds about this many bytes of Arrow data (uncompressed; the file
	// is smaller). Default: DefaultMaxBytes (256 MiB).
	MaxBytes int64
	// MemoryBudget bounds the Arrow bytes buffered across all open shard
	// writers: each of the K+1 writers (tasks and rejected) buffers at
	// most two row groups of max(MinRowGroupBytes, MemoryBudget/(2(K+1)))
	// bytes, so memory stays bounded whatever K is (until the 1 MiB floor
	// takes over, above K ≈ MemoryBudget/2 MiB).
	// Default: DefaultMemoryBudget (256 MiB).
	MemoryBudget int64
	// KeepFeatures keeps the feature columns (schema.PatternColumn and
	// schema.SemanticColumn) of src in the shards. Without it the shards
	// carry every other column of src — the input columns, task and
	// task_distance — and a consumer that needs features recomputes them
	// from the features model. Default: false.
	KeepFeatures bool
	// Overwrite replaces an output folder that already holds a dataset
	// (a manifest.json). Without it such a folder is refused with an
	// error wrapping ErrExists. A folder that is not empty and holds no
	// manifest.json is always refused, and an empty one always used.
	// Default: false.
	Overwrite bool
	// Writer are the options given to stream.Create for every shard
	// (compression, allocator). WriteShards adds WithRowGroupBytes after
	// them. Default: none.
	Writer []stream.Option
	// Allocator allocates the batches gathered for each task (give it
	// the one of stream.WithAllocator in Writer, if any).
	// Default: memory.DefaultAllocator.
	Allocator memory.Allocator
	// Manifest is pre-filled by the caller: Inputs, Config, Seed,
	// PartitionModel. WriteShards fills Version, ToolVersion, Tasks,
	// Rejected, InputRows and TotalRows, and sets Config[ConfigTaskColumn]
	// when TaskColumn is not the default (in its copy of Config).
	Manifest Manifest
	// BeforePublish, when set, is called once every shard and the
	// manifest are written, with the staging folder that becomes dir:
	// files it writes there (a partition model, a report) appear together
	// with the dataset or not at all. An error aborts the dataset.
	// Default: nil.
	BeforePublish func(staging string) error
}

func (o *ShardOptions) defaults() {
	if o.TaskColumn == "" {
		o.TaskColumn = schema.TaskColumn
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MemoryBudget <= 0 {
		o.MemoryBudget = DefaultMemoryBudget
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
}

// rowGroupBytes is the row-group buffer of each of the k+1 shard writers
// (k tasks and the rejected rows): each holds at most two row groups, so
// together they hold about budget.
func rowGroupBytes(budget int64, k int) int64 {
	return max(MinRowGroupBytes, budget/(2*int64(k+1)))
}

// TaskDir is the folder name of task t among k tasks: "task=" and t
// zero-padded to max(3, digits of k-1).
func TaskDir(t, k int) string {
	width := max(3, len(strconv.Itoa(max(k-1, 0))))
	return fmt.Sprintf("task=%0*d", width, t)
}

// ShardName is the file name of a folder's part-th shard.
func ShardName(part int) string { return fmt.Sprintf("part-%05d.parquet", part) }

// WriteShards reads src to its end and writes its rows as a sharded
// dataset in dir:
//
//	dir/task=NNN/part-NNNNN.parquet   rows of task NNN, in input order
//	dir/rejected/part-NNNNN.parquet   rows with a reject reason
//	dir/manifest.json                 Manifest, written last
//
// Every shard has src's schema, without its feature columns unless
// opts.KeepFeatures. The dataset is written into a staging
// folder beside dir ("dir.tmp-<random>") and renamed into place only when
// complete, so that dir never holds a half-written dataset; on any error
// or cancellation of ctx the staging folder is removed. See ShardOptions
// for when an existing dir is replaced. WriteShards does not close src.
// It returns the manifest it wrote.
func WriteShards(ctx context.Context, src stream.Reader, dir string, opts ShardOptions) (*Manifest, error) {
	opts.defaults()
	if opts.Tasks < 1 {
		return nil, fmt.Errorf("robustdata/partition: %d tasks: need at least 1", opts.Tasks)
	}
	dir = filepath.Clean(dir)
	if _, err := checkShardTarget(dir, opts.Overwrite); err != nil {
		return nil, err
	}
	s, err := newSharder(src.Schema(), dir, &opts)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("robustdata/partition: creating %s: %w", parent, err)
	}
	// What a killed writer of dir left beside it goes first (a dataset it
	// had moved aside comes back).
	if _, err := stream.SweepStaging(parent, filepath.Base(dir)); err != nil {
		return nil, fmt.Errorf("robustdata/partition: %w", err)
	}
	stage, err := stream.NewStagingDir(dir)
	if err != nil {
		return nil, fmt.Errorf("robustdata/partition: creating a staging folder beside %s: %w", dir, err)
	}
	defer stage.Release()
	staging := stage.Path
	s.staging = staging
	m, err := s.run(ctx, src)
	if err == nil {
		err = ctx.Err()
	}
	if err == nil && opts.BeforePublish != nil {
		err = opts.BeforePublish(staging)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = publishDataset(staging, dir, opts.Overwrite)
	}
	if err != nil {
		s.abort()
		return nil, err
	}
	return m, nil
}

// target states of an output folder.
const (
	shardTargetAbsent = iota
	shardTargetEmpty
	shardTargetDataset
)

// checkShardTarget tells what dir holds and refuses what must not be replaced.
func checkShardTarget(dir string, overwrite bool) (int, error) {
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return shardTargetAbsent, nil
	}
	if err != nil {
		return 0, fmt.Errorf("robustdata/partition: %w", err)
	}
	if !st.IsDir() {
		return 0, fmt.Errorf("robustdata/partition: %s is not a folder: %w", dir, ErrExists)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("robustdata/partition: %w", err)
	}
	if len(entries) == 0 {
		return shardTargetEmpty, nil
	}
	if _, err := os.Lstat(filepath.Join(dir, ManifestName)); err != nil {
		return 0, fmt.Errorf("robustdata/partition: %s is not empty and holds no %s: refusing to replace it: %w", dir, ManifestName, ErrExists)
	}
	if !overwrite {
		return 0, fmt.Errorf("robustdata/partition: %s already holds a dataset (replace it with --overwrite): %w", dir, ErrExists)
	}
	return shardTargetDataset, nil
}

// publishDataset renames the complete staging folder to dir, moving an existing
// dir aside first and removing it once the new one is in place.
func publishDataset(staging, dir string, overwrite bool) error {
	state, err := checkShardTarget(dir, overwrite)
	if err != nil {
		return err
	}
	if state == shardTargetAbsent {
		if err := os.Rename(staging, dir); err != nil {
			return fmt.Errorf("robustdata/partition: moving the dataset into place: %w", err)
		}
		shardSyncDir(filepath.Dir(dir))
		return nil
	}
	old, err := stream.MoveAside(dir)
	if err != nil {
		return fmt.Errorf("robustdata/partition: moving %s aside: %w", dir, err)
	}
	if err := os.Rename(staging, dir); err != nil {
		if rerr := old.MoveBack(dir); rerr != nil {
			return fmt.Errorf("robustdata/partition: moving the dataset into place: %w (the previous one is in %s)", err, old.Path)
		}
		return fmt.Errorf("robustdata/partition: moving the dataset into place: %w", err)
	}
	shardSyncDir(filepath.Dir(dir))
	// The new dataset is in place: failing to remove the old one leaves
	// garbage beside it (swept by the next write of dir), not a wrong
	// dataset.
	old.Release()
	return nil
}

func shardSyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// shardDest is where the rows of one task (or the rejected rows) go.
type shardDest struct {
	folder string // "task=NNN" or "rejected"
	w      stream.Writer
	rel    string // current shard, relative to the dataset
	rows   int64  // rows in the current shard
	bytes  int64  // Arrow bytes in the current shard
	shards []ManifestShard
}

type sharder struct {
	opts      *ShardOptions
	schema    *arrow.Schema
	dir       string
	staging   string
	source    string // name in error messages
	k         int
	taskCol   int
	rejectCol int // -1: none
	idCol     int // -1: none
	// keep are the columns of the input the shards carry (nil: all).
	keep      []int
	writer    []stream.Option
	rgBytes   int64       // row-group bytes of every shard writer
	dests     []shardDest // k tasks, then the rejected rows
	reasons   map[string]int64
	inputRows int64
	// per batch
	destOf []int32
	order  []int32
	counts []int
}

func newSharder(sc *arrow.Schema, dir string, opts *ShardOptions) (*sharder, error) {
	s := &sharder{opts: opts, dir: dir, k: opts.Tasks, rejectCol: -1, idCol: -1,
		reasons: map[string]int64{}, source: "input"}
	if in := opts.Manifest.Inputs; len(in) == 1 {
		s.source = in[0].Path
	}
	s.keep, s.schema = shardColumns(sc, opts.KeepFeatures)
	idx := sc.FieldIndices(opts.TaskColumn)
	if len(idx) == 0 {
		return nil, &stream.DataError{Source: s.source, Row: -1, Column: opts.TaskColumn,
			Err: fmt.Errorf("no task column; the input has %s", shardColumnList(sc))}
	}
	s.taskCol = idx[0]
	if id := sc.Field(s.taskCol).Type.ID(); id != arrow.INT32 && id != arrow.INT64 {
		return nil, &stream.DataError{Source: s.source, Row: -1, Column: opts.TaskColumn,
			Err: fmt.Errorf("task column is %s, expected int32 or int64; the input has %s", sc.Field(s.taskCol).Type, shardColumnList(sc))}
	}
	if idx := sc.FieldIndices(schema.RejectColumn); len(idx) > 0 {
		s.rejectCol = idx[0]
		if sc.Field(s.rejectCol).Type.ID() != arrow.STRING {
			return nil, &stream.DataError{Source: s.source, Row: -1, Column: schema.RejectColumn,
				Err: fmt.Errorf("reject column is %s, expected string", sc.Field(s.rejectCol).Type)}
		}
	}
	if idx := sc.FieldIndices(schema.DocIDColumn); len(idx) > 0 {
		s.idCol = idx[0]
	}
	s.rgBytes = rowGroupBytes(opts.MemoryBudget, s.k)
	s.writer = append(append([]stream.Option(nil), opts.Writer...), stream.WithRowGroupBytes(s.rgBytes))
	s.dests = make([]shardDest, s.k+1)
	for t := range s.k {
		s.dests[t].folder = TaskDir(t, s.k)
	}
	s.dests[s.k].folder = RejectedDir
	s.counts = make([]int, s.k+1)
	return s, nil
}

// shardColumns returns the columns of sc that shards carry (nil: all of
// them) and the shards' schema: without the feature columns unless keep.
func shardColumns(sc *arrow.Schema, keep bool) ([]int, *arrow.Schema) {
	if keep || (len(sc.FieldIndices(schema.PatternColumn)) == 0 && len(sc.FieldIndices(schema.SemanticColumn)) == 0) {
		return nil, sc
	}
	var cols []int
	var fields []arrow.Field
	for i, f := range sc.Fields() {
		if f.Name != schema.PatternColumn && f.Name != schema.SemanticColumn {
			cols, fields = append(cols, i), append(fields, f)
		}
	}
	md := sc.Metadata()
	return cols, arrow.NewSchema(fields, &md)
}

// project returns the columns of rec the shards carry, as a batch the
// caller releases.
func (s *sharder) project(rec arrow.RecordBatch) arrow.RecordBatch {
	if s.keep == nil {
		rec.Retain()
		return rec
	}
	cols := make([]arrow.Array, len(s.keep))
	for i, c := range s.keep {
		cols[i] = rec.Column(c)
	}
	return array.NewRecordBatch(s.schema, cols, rec.NumRows())
}

func shardColumnList(sc *arrow.Schema) string {
	names := make([]string, sc.NumFields())
	for i, f := range sc.Fields() {
		names[i] = strconv.Quote(f.Name)
	}
	if len(names) == 0 {
		return "no columns"
	}
	return "columns " + strings.Join(names, ", ")
}

// run writes every shard and the manifest into the staging folder.
func (s *sharder) run(ctx context.Context, src stream.Reader) (*Manifest, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := src.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := s.batch(rec); err != nil {
			return nil, err
		}
	}
	for i := range s.dests {
		if err := s.closeShard(&s.dests[i]); err != nil {
			return nil, err
		}
	}
	m := s.manifest()
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("robustdata/partition: encoding the manifest: %w", err)
	}
	data = append(data, '\n')
	err = stream.WriteFileAtomic(filepath.Join(s.staging, ManifestName), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("robustdata/partition: writing the manifest: %w", err)
	}
	return m, nil
}

func (s *sharder) manifest() *Manifest {
	m := s.opts.Manifest
	m.Version = ManifestVersion
	m.ToolVersion = stream.ToolVersion
	if m.Inputs == nil {
		m.Inputs = []ManifestInput{}
	}
	if s.opts.TaskColumn != schema.TaskColumn {
		m.Config = maps.Clone(m.Config)
		if m.Config == nil {
			m.Config = map[string]any{}
		}
		if _, ok := m.Config[ConfigTaskColumn]; !ok {
			m.Config[ConfigTaskColumn] = s.opts.TaskColumn
		}
	}
	m.Tasks = make([]ManifestTask, s.k)
	m.TotalRows = 0
	for t := range s.k {
		mt := ManifestTask{Task: t, Shards: s.dests[t].shards}
		if mt.Shards == nil {
			mt.Shards = []ManifestShard{}
		}
		for _, sh := range mt.Shards {
			mt.Rows += sh.Rows
			mt.Bytes += sh.Bytes
		}
		m.TotalRows += mt.Rows
		m.Tasks[t] = mt
	}
	m.Rejected = ManifestRejected{Shards: s.dests[s.k].shards}
	for _, sh := range m.Rejected.Shards {
		m.Rejected.Rows += sh.Rows
	}
	if len(s.reasons) > 0 {
		m.Rejected.Reasons = s.reasons
	}
	m.InputRows = s.inputRows
	return &m
}

// batch routes the rows of rec to their destinations.
func (s *sharder) batch(rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	var rejects *array.String
	if s.rejectCol >= 0 {
		rejects, _ = rec.Column(s.rejectCol).(*array.String)
	}
	tasks := rec.Column(s.taskCol)
	t32, _ := tasks.(*array.Int32)
	t64, _ := tasks.(*array.Int64)
	if t32 == nil && t64 == nil {
		return &stream.DataError{Source: s.source, Row: s.inputRows, Column: s.opts.TaskColumn,
			Err: fmt.Errorf("task column is %s, expected int32 or int64", tasks.DataType())}
	}
	if cap(s.destOf) < n {
		s.destOf = make([]int32, n)
		s.order = make([]int32, n)
	}
	destOf, order := s.destOf[:n], s.order[:n]
	clear(s.counts)
	for i := range n {
		d := s.k
		if rejects != nil && rejects.IsValid(i) {
			r := rejects.Value(i)
			if c, ok := s.reasons[r]; ok {
				s.reasons[r] = c + 1
			} else {
				// Value shares the batch's memory: keep a copy.
				s.reasons[strings.Clone(r)] = 1
			}
		} else {
			if tasks.IsNull(i) {
				return s.taskError(rec, i, "task is null, which only a rejected row may have")
			}
			var v int64
			if t32 != nil {
				v = int64(t32.Value(i))
			} else {
				v = t64.Value(i)
			}
			if v < 0 || v >= int64(s.k) {
				what := fmt.Sprintf("task %d is out of range 0..%d (K=%d)", v, s.k-1, s.k)
				if v < 0 {
					what += ", which only a rejected row may be"
				}
				return s.taskError(rec, i, what)
			}
			d = int(v)
		}
		destOf[i] = int32(d)
		s.counts[d]++
	}
	// Counting sort: the rows of each destination, in input order.
	start := make([]int, len(s.counts))
	for d, off := 1, 0; d < len(s.counts); d++ {
		off += s.counts[d-1]
		start[d] = off
	}
	next := append([]int(nil), start...)
	for i, d := range destOf {
		order[next[d]] = int32(i)
		next[d]++
	}
	rec = s.project(rec)
	defer rec.Release()
	perRow := max(1, batchDataBytes(rec)/int64(n))
	for d := range s.dests {
		if s.counts[d] == 0 {
			continue
		}
		if err := s.write(&s.dests[d], rec, order[start[d]:start[d]+s.counts[d]], perRow); err != nil {
			return err
		}
	}
	s.inputRows += int64(n)
	return nil
}

func (s *sharder) taskError(rec arrow.RecordBatch, i int, what string) error {
	if s.idCol >= 0 {
		if id := rec.Column(s.idCol); id.IsValid(i) {
			what = fmt.Sprintf("doc_id %s: %s", strconv.Quote(id.ValueStr(i)), what)
		}
	}
	return &stream.DataError{Source: s.source, Row: s.inputRows + int64(i), Column: s.opts.TaskColumn,
		Err: errors.New(what)}
}

// write appends rows of rec to d, starting new shards as they fill.
func (s *sharder) write(d *shardDest, rec arrow.RecordBatch, rows []int32, perRow int64) error {
	for len(rows) > 0 {
		if d.w != nil && (d.rows >= s.opts.MaxRows || d.bytes >= s.opts.MaxBytes) {
			if err := s.closeShard(d); err != nil {
				return err
			}
		}
		if d.w == nil {
			if err := s.openShard(d); err != nil {
				return err
			}
		}
		n := min(int64(len(rows)), s.opts.MaxRows-d.rows)
		if room := (s.opts.MaxBytes - d.bytes + perRow - 1) / perRow; room < n {
			n = max(1, room)
		}
		part, err := gatherRows(rec, rows[:n], s.opts.Allocator)
		if err != nil {
			return fmt.Errorf("robustdata/partition: writing shard %s: gathering rows: %w", d.rel, err)
		}
		err = d.w.Write(part)
		d.bytes += batchDataBytes(part)
		part.Release()
		if err != nil {
			return fmt.Errorf("robustdata/partition: writing shard %s: %w", d.rel, err)
		}
		d.rows += n
		rows = rows[n:]
	}
	return nil
}

func (s *sharder) openShard(d *shardDest) error {
	d.rel = d.folder + "/" + ShardName(len(d.shards))
	folder := filepath.Join(s.staging, d.folder)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return fmt.Errorf("robustdata/partition: writing shard %s: %w", d.rel, err)
	}
	w, err := stream.Create(filepath.Join(s.staging, filepath.FromSlash(d.rel)), s.schema, s.writer...)
	if err != nil {
		return fmt.Errorf("robustdata/partition: writing shard %s: %w", d.rel, err)
	}
	d.w, d.rows, d.bytes = w, 0, 0
	return nil
}

func (s *sharder) closeShard(d *shardDest) error {
	if d.w == nil {
		return nil
	}
	w := d.w
	d.w = nil
	if err := w.Close(); err != nil {
		return fmt.Errorf("robustdata/partition: writing shard %s: %w", d.rel, err)
	}
	sum, ok := w.(stream.Summer)
	if !ok {
		return fmt.Errorf("robustdata/partition: writing shard %s: the writer gives no checksum", d.rel)
	}
	size, sha := sum.Sum()
	d.shards = append(d.shards, ManifestShard{Path: d.rel, Rows: d.rows, Bytes: size, SHA256: sha})
	return nil
}

// abort discards the shards being written.
func (s *sharder) abort() {
	for i := range s.dests {
		if w := s.dests[i].w; w != nil {
			w.Abort()
			s.dests[i].w = nil
		}
	}
}

// gatherRows returns the rows of rec at the given ascending indices as a new
// batch with buffers of its own (or rec itself, retained, when that is all
// of it). Rows that come in runs are copied slice by slice; scattered rows
// are taken with arrow's compute Take. The caller releases the result.
func gatherRows(rec arrow.RecordBatch, rows []int32, mem memory.Allocator) (arrow.RecordBatch, error) {
	if len(rows) == int(rec.NumRows()) {
		// Ascending and distinct: all of rec, in order.
		rec.Retain()
		return rec, nil
	}
	runs := 1
	for i := 1; i < len(rows); i++ {
		if rows[i] != rows[i-1]+1 {
			runs++
		}
	}
	if runs*8 > len(rows) {
		if out, err := takeRowIndices(rec, rows, mem); err == nil {
			return out, nil
		}
		// A type Take does not support: copy row by row below.
	}
	return concatRunRows(rec, rows, mem)
}

// concatRunRows copies the runs of consecutive rows of rec.
func concatRunRows(rec arrow.RecordBatch, rows []int32, mem memory.Allocator) (arrow.RecordBatch, error) {
	type run struct{ from, to int64 }
	var runs []run
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j] == rows[j-1]+1 {
			j++
		}
		runs = append(runs, run{int64(rows[i]), int64(rows[j-1]) + 1})
		i = j
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer releaseShardArrays(cols)
	parts := make([]arrow.Array, len(runs))
	for c, col := range rec.Columns() {
		for i, r := range runs {
			parts[i] = array.NewSlice(col, r.from, r.to)
		}
		out, err := array.Concatenate(parts, mem)
		releaseShardArrays(parts)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", rec.ColumnName(c), err)
		}
		cols[c] = out
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(len(rows))), nil
}

// takeRowIndices takes rows of every column of rec with compute.TakeArray.
func takeRowIndices(rec arrow.RecordBatch, rows []int32, mem memory.Allocator) (arrow.RecordBatch, error) {
	idx := array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, len(rows),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(rows))}, nil, 0, 0))
	defer idx.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	cols := make([]arrow.Array, rec.NumCols())
	defer releaseShardArrays(cols)
	for c, col := range rec.Columns() {
		out, err := compute.TakeArrayOpts(ctx, col, idx, compute.TakeOptions{BoundsCheck: false})
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", rec.ColumnName(c), err)
		}
		cols[c] = out
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(len(rows))), nil
}

func releaseShardArrays(cols []arrow.Array) {
	for i, c := range cols {
		if c != nil {
			c.Release()
			cols[i] = nil
		}
	}
}

// batchDataBytes is the size of a batch's Arrow buffers (their lengths, which
// for a slice count the whole parent buffers).
func batchDataBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, col := range rec.Columns() {
		n += arrayDataBytes(col.Data())
	}
	return n
}

func arrayDataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += arrayDataBytes(c)
	}
	if d.DataType().ID() == arrow.DICTIONARY {
		n += arrayDataBytes(d.Dictionary())
	}
	return n
}
