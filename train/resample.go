package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/robustdata/robustdata/pipeline/schema"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// ResampleOptions configures Mixture.Resample.
type ResampleOptions struct {
	// Rows is N, the number of rows to draw. Default: the dataset's rows.
	Rows int64
	// Seed chooses which rows are drawn. The same mixture, dataset, Rows
	// and Seed give the same rows in the same order.
	Seed uint64
	// Decoders is how many row groups of a shard are decoded at once
	// (stream.WithDecoders); the rows do not depend on it.
	// Default: the pipeline's.
	Decoders int
}

// TaskCounts apportions n rows over tasks in proportion to weights (which
// need not sum to 1) by the largest-remainder method: every count is
// floor(n·w_k/Σw) or one more, and they add up to n. Ties go to the lower
// task.
func TaskCounts(weights []float64, n int64) []int64 {
	counts := make([]int64, len(weights))
	var sum float64
	for _, w := range weights {
		sum += w
	}
	if sum <= 0 || n <= 0 {
		return counts
	}
	rem := make([]float64, len(weights))
	left := n
	for k, w := range weights {
		exact := float64(n) * w / sum
		counts[k] = int64(math.Floor(exact))
		rem[k] = exact - float64(counts[k])
		left -= counts[k]
	}
	order := make([]int, len(weights))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rem[a] > rem[b]:
			return -1
		case rem[a] < rem[b]:
			return 1
		}
		return 0
	})
	for i := 0; left > 0 && i < len(order); i++ {
		if weights[order[i]] > 0 {
			counts[order[i]]++
			left--
		}
	}
	return counts
}

// Resample returns a reader of N rows of the dataset in datasetDir (the
// one the mixture was made from) drawn by the mixture's task weights:
// task k gets n_k = TaskCounts(TaskWeights, N)[k] rows. A task of R_k rows
// gives every row floor(n_k/R_k) times and n_k mod R_k of them, chosen
// without replacement by Seed, once more: the draw is stratified, so each
// task's share is its weight to within one row, and no row is repeated
// more than needed. Rows come task by task, then pass by pass in dataset
// order; a row's c-th repeat (c ≥ 1) gets doc_id "ID#c", so doc_ids stay
// unique. The batches have the dataset's schema (task column included)
// and do not depend on Decoders. It also returns the counts n_k.
//
// Write the reader with partition.WriteShards to get a dataset with a
// manifest (what `robustdata mix -o` does).
func (m *Mixture) Resample(ctx context.Context, datasetDir string, opts ResampleOptions) (stream.Reader, []int64, error) {
	man, err := dataset.OpenDataset(datasetDir)
	if err != nil {
		return nil, nil, err
	}
	if len(man.Tasks) != len(m.TaskWeights) {
		return nil, nil, &stream.DataError{Source: filepath.Join(datasetDir, dataset.ManifestName), Row: -1,
			Err: fmt.Errorf("%d tasks; the mixture has %d task weights", len(man.Tasks), len(m.TaskWeights))}
	}
	n := opts.Rows
	if n <= 0 {
		n = man.TotalRows
	}
	counts := TaskCounts(m.TaskWeights, n)
	r := &resampler{ctx: ctx, dir: datasetDir, man: man, counts: counts, seed: opts.Seed}
	if opts.Decoders > 0 {
		r.popts = append(r.popts, stream.WithDecoders(opts.Decoders))
	}
	for k, t := range man.Tasks {
		if counts[k] > 0 && t.Rows == 0 {
			return nil, nil, fmt.Errorf("robustdata/train: task %d has weight %v but no rows", k, m.TaskWeights[k])
		}
	}
	// The schema, from the first shard.
	for _, t := range man.Tasks {
		if len(t.Shards) == 0 {
			continue
		}
		rd, err := stream.Open(ctx, []string{r.shardPath(t.Shards[0])}, append(r.popts, stream.WithLimit(0))...)
		if err != nil {
			return nil, nil, err
		}
		r.schema = rd.Schema()
		rd.Close()
		break
	}
	if r.schema == nil {
		return nil, nil, &stream.DataError{Source: filepath.Join(datasetDir, dataset.ManifestName), Row: -1, Err: errors.New("the dataset has no task shards")}
	}
	r.idCol = -1
	if idx := r.schema.FieldIndices(schema.DocIDColumn); len(idx) > 0 && r.schema.Field(idx[0]).Type.ID() == arrow.STRING {
		r.idCol = idx[0]
	}
	r.task = -1
	return r, counts, nil
}

// resampler is the reader Resample returns. It walks tasks, then passes
// (full copies, then the chosen rows), then the task's shards.
type resampler struct {
	ctx    context.Context
	dir    string
	man    *dataset.Manifest
	counts []int64
	seed   uint64
	popts  []stream.Option
	schema *arrow.Schema
	idCol  int

	task   int     // current task
	passes int     // passes over the task: full copies, then a partial one
	chosen []int64 // rows of the partial pass, ascending (task row numbers)
	pass   int
	shard  int
	first  int64 // task row number of the current shard's first row
	row    int64 // task row number of the next row read from rd
	rd     stream.Reader
	out    arrow.RecordBatch
	err    error
}

func (r *resampler) Schema() *arrow.Schema { return r.schema }

func (r *resampler) shardPath(s dataset.ManifestShard) string {
	return filepath.Join(r.dir, filepath.FromSlash(s.Path))
}

// nextTask moves to the next task with rows to give; false at the end.
func (r *resampler) nextTask() bool {
	for r.task+1 < len(r.counts) {
		r.task++
		n, rows := r.counts[r.task], r.man.Tasks[r.task].Rows
		if n == 0 {
			continue
		}
		full, part := n/rows, n%rows
		r.passes = int(full)
		r.chosen = nil
		if part > 0 {
			r.passes++
			r.chosen = chooseRows(rows, part, r.seed, r.task)
		}
		r.pass, r.shard = 0, -1
		return true
	}
	return false
}

// chooseRows draws m distinct numbers of [0, n) (Floyd's algorithm), with
// a generator seeded by seed and task, and returns them ascending.
func chooseRows(n, m int64, seed uint64, task int) []int64 {
	rng := rand.New(rand.NewPCG(seed, 0x6d6978<<32|uint64(task)))
	set := make(map[int64]struct{}, m)
	out := make([]int64, 0, m)
	for j := n - m; j < n; j++ {
		t := rng.Int64N(j + 1)
		if _, ok := set[t]; ok {
			t = j
		}
		set[t] = struct{}{}
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// partial tells whether the current pass is the one over chosen rows.
func (r *resampler) partial() bool { return r.chosen != nil && r.pass == r.passes-1 }

// nextShard opens the next shard of the current pass that has rows to
// give; false when the pass is over.
func (r *resampler) nextShard() (bool, error) {
	shards := r.man.Tasks[r.task].Shards
	for r.shard+1 < len(shards) {
		r.shard++
		s := shards[r.shard]
		r.first = 0
		for _, p := range shards[:r.shard] {
			r.first += p.Rows
		}
		if r.partial() {
			i, _ := slices.BinarySearch(r.chosen, r.first)
			if i == len(r.chosen) || r.chosen[i] >= r.first+s.Rows {
				continue // no chosen row in this shard
			}
		}
		rd, err := stream.Open(r.ctx, []string{r.shardPath(s)}, r.popts...)
		if err != nil {
			return false, err
		}
		if diff := sameFields(r.schema, rd.Schema()); diff != "" {
			rd.Close()
			return false, &stream.DataError{Source: r.shardPath(s), Row: -1, Err: fmt.Errorf("schema differs from the dataset's first shard: %s", diff)}
		}
		r.rd, r.row = rd, r.first
		return true, nil
	}
	return false, nil
}

func sameFields(a, b *arrow.Schema) string {
	if a.NumFields() != b.NumFields() {
		return fmt.Sprintf("%d columns, not %d", b.NumFields(), a.NumFields())
	}
	for i := range a.NumFields() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || !arrow.TypeEqual(fa.Type, fb.Type) {
			return fmt.Sprintf("column %d is %s %s, not %s %s", i, fb.Name, fb.Type, fa.Name, fa.Type)
		}
	}
	return ""
}

// Read returns the next batch of drawn rows.
func (r *resampler) Read() (arrow.RecordBatch, error) {
	if r.out != nil {
		r.out.Release()
		r.out = nil
	}
	for r.err == nil {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			break
		}
		if r.rd == nil {
			if r.task < 0 || r.task >= len(r.counts) {
				if !r.nextTask() {
					r.err = io.EOF
					break
				}
			}
			ok, err := r.nextShard()
			if err != nil {
				r.err = err
				break
			}
			if !ok {
				r.pass++
				r.shard = -1
				if r.pass >= r.passes && !r.nextTask() {
					r.err = io.EOF
				}
				continue
			}
		}
		rec, err := r.rd.Read()
		if errors.Is(err, io.EOF) {
			rd := r.rd
			r.rd = nil
			if err := rd.Close(); err != nil {
				r.err = fmt.Errorf("robustdata/train: resampling: %w", err)
			}
			continue
		}
		if err != nil {
			r.err = err
			break
		}
		from := r.row
		r.row += rec.NumRows()
		out, err := r.draw(rec, from)
		if err != nil {
			r.err = fmt.Errorf("robustdata/train: resampling task %d: %w", r.task, err)
			break
		}
		if out != nil {
			r.out = out
			return out, nil
		}
	}
	if r.rd != nil {
		r.rd.Close()
		r.rd = nil
	}
	return nil, r.err
}

// draw returns the rows of rec (task rows from..) the current pass gives,
// relabelled with the reader's schema and with doc_ids of repeats
// suffixed; nil when it gives none.
func (r *resampler) draw(rec arrow.RecordBatch, from int64) (arrow.RecordBatch, error) {
	n := rec.NumRows()
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	if r.partial() {
		lo, _ := slices.BinarySearch(r.chosen, from)
		hi, _ := slices.BinarySearch(r.chosen, from+n)
		if lo == hi {
			return nil, nil
		}
		idx := make([]int32, hi-lo)
		for i, c := range r.chosen[lo:hi] {
			idx[i] = int32(c - from)
		}
		ia := array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, len(idx),
			[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(idx))}, nil, 0, 0))
		defer ia.Release()
		for c, col := range rec.Columns() {
			out, err := compute.TakeArray(r.ctx, col, ia)
			if err != nil {
				return nil, fmt.Errorf("column %q: %w", rec.ColumnName(c), err)
			}
			cols[c] = out
		}
		n = int64(len(idx))
	} else {
		for c, col := range rec.Columns() {
			col.Retain()
			cols[c] = col
		}
	}
	if r.pass > 0 && r.idCol >= 0 {
		ids := cols[r.idCol].(*array.String)
		b := array.NewStringBuilder(memory.DefaultAllocator)
		defer b.Release()
		suffix := "#" + strconv.Itoa(r.pass)
		for i := range ids.Len() {
			if ids.IsNull(i) {
				b.AppendNull()
			} else {
				b.Append(ids.Value(i) + suffix)
			}
		}
		ids.Release()
		cols[r.idCol] = b.NewArray()
	}
	return array.NewRecordBatch(r.schema, cols, n), nil
}

// Close releases the reader's batch and closes its shard.
func (r *resampler) Close() error {
	if r.out != nil {
		r.out.Release()
		r.out = nil
	}
	var err error
	if r.rd != nil {
		err = r.rd.Close()
		r.rd = nil
	}
	if r.err == nil {
		r.err = errors.New("robustdata/train: resampler closed")
	}
	return err
}

// WriteResampled writes the resampled dataset of mix over the dataset in
// shards (see Resample) to out with the shard writer, its manifest naming
// the source dataset's manifest as input and the mix settings as config.
// It returns the manifest and the rows drawn per task.
func WriteResampled(ctx context.Context, mix *Mixture, shards, out string, opts ResampleOptions, overwrite bool, codec stream.Compression) (*dataset.Manifest, []int64, error) {
	src, err := dataset.ReadManifest(shards)
	if err != nil {
		return nil, nil, err
	}
	rd, counts, err := mix.Resample(ctx, shards, opts)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	inputs, err := stream.HashInputs(ctx, []stream.Input{{Name: dataset.ManifestName, Path: filepath.Join(shards, dataset.ManifestName)}})
	if err != nil {
		return nil, nil, err
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	taskCol, _ := src.Config[dataset.ConfigTaskColumn].(string)
	m := dataset.Manifest{Inputs: inputs, Seed: opts.Seed, PartitionModel: src.PartitionModel, Config: map[string]any{
		"mix": map[string]any{"strategy": mix.Strategy, "weights": mix.Weights, "task_weights": mix.TaskWeights, "rows": total},
	}}
	man, err := dataset.WriteShards(ctx, rd, out, dataset.ShardOptions{
		TaskColumn: taskCol, Tasks: len(counts), Overwrite: overwrite, Manifest: m,
		// A resampled dataset keeps the columns of its source's shards,
		// feature columns included when they have them.
		KeepFeatures: true,
		Writer:       []stream.Option{stream.WithCompression(codec)},
	})
	return man, counts, err
}
