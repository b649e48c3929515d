package partition

import (
	"context"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/internal/gemm"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// OutputSchema is the schema Assign writes for input schema in: the
// input's columns (without earlier task columns), then task (int32, null
// on rejected rows) and task_distance (float32, the Euclidean distance to
// the task's centroid in the weighted space).
func OutputSchema(in *arrow.Schema) *arrow.Schema {
	var fields []arrow.Field
	for _, f := range in.Fields() {
		if f.Name != TaskColumn && f.Name != DistanceColumn {
			fields = append(fields, f)
		}
	}
	fields = append(fields,
		arrow.Field{Name: TaskColumn, Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: DistanceColumn, Type: arrow.PrimitiveTypes.Float32, Nullable: true})
	md := in.Metadata()
	return arrow.NewSchema(fields, &md)
}

// Metadata keys of the task column: K and the partition model's sha256,
// so that the shard stage knows them at the end of a pipe.
const (
	MetaK         = "robustdata.partition.k"
	MetaModelHash = "robustdata.partition.model_sha256"
)

// OutputSchemaFor is OutputSchema with the task column carrying K and the
// model's hash in its metadata.
func OutputSchemaFor(in *arrow.Schema, m *Model, modelHash string) *arrow.Schema {
	sc := OutputSchema(in)
	fields := sc.Fields()
	for i := range fields {
		if fields[i].Name == TaskColumn {
			fields[i].Metadata = arrow.NewMetadata([]string{MetaK, MetaModelHash}, []string{strconv.Itoa(m.K), modelHash})
		}
	}
	md := sc.Metadata()
	return arrow.NewSchema(fields, &md)
}

// Assign returns src with every usable row assigned to its nearest task,
// computed by cfg.Workers goroutines in input order (the output does not
// depend on the worker count). out is the output schema (OutputSchema,
// possibly with provenance metadata). Close the result to close src.
func Assign(ctx context.Context, src stream.Reader, m *Model, cfg Config, out *arrow.Schema, source string) (stream.Reader, error) {
	cfg.defaults()
	in := src.Schema()
	pi, pdim, err := vectorColumn(in, PatternColumn, source)
	if err != nil {
		return nil, err
	}
	si, sdim, err := vectorColumn(in, SemanticColumn, source)
	if err != nil {
		return nil, err
	}
	if pdim != m.PatternDim || sdim != m.SemanticDim {
		return nil, &stream.DataError{Source: source, Row: -1,
			Err: fmt.Errorf("features have %d pattern and %d semantic values, the partition model expects %d and %d", pdim, sdim, m.PatternDim, m.SemanticDim)}
	}
	// The centroids are packed once for the distance products of every
	// batch.
	cent := m.centroidMatrix()
	pc, cn := packRows(cent), rowNorms(cent)
	newFn := func() stream.MapFunc {
		return func(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
			return assignBatch(rec, m, pc, cn, pi, si, out, cfg.Mem, source)
		}
	}
	return stream.ParallelMap(ctx, src, out, cfg.Workers, newFn), nil
}

// assignBatch assigns the rows of one batch to the centroids packed in pc
// (squared norms cn), on the calling goroutine.
func assignBatch(rec arrow.RecordBatch, m *Model, pc *gemm.PackedT, cn []float64, pi, si int, out *arrow.Schema, mem memory.Allocator, source string) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	pdim, sdim := m.PatternDim, m.SemanticDim
	rej := stream.Rejects(rec)
	pv := rec.Column(pi).(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
	sv := rec.Column(si).(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
	pOff := rec.Column(pi).Data().Offset() * pdim
	sOff := rec.Column(si).Data().Offset() * sdim
	// The transformed rows of the batch (rejected rows stay zero).
	x := mat.NewDense(max(n, 1), pdim+sdim, nil)
	t := m.transform()
	pat := make([]float64, pdim)
	sem := make([]float64, sdim)
	idCol := optionalString(rec.Schema(), stream.DefaultDocIDColumn)
	for i := range n {
		if stream.IsRejected(rej, i) {
			continue
		}
		if err := checkFinite(rec, idCol, i, pv[pOff+i*pdim:pOff+(i+1)*pdim], sv[sOff+i*sdim:sOff+(i+1)*sdim], source); err != nil {
			return nil, err
		}
		for j, v := range pv[pOff+i*pdim : pOff+(i+1)*pdim] {
			pat[j] = float64(v)
		}
		for j, v := range sv[sOff+i*sdim : sOff+(i+1)*sdim] {
			sem[j] = float64(v)
		}
		t.row(pat, sem, x.RawRowView(i))
	}
	assign := make([]int, max(n, 1))
	dist := make([]float64, max(n, 1))
	if n > 0 {
		nearest(x.Slice(0, n, 0, pdim+sdim).(*mat.Dense), pc, cn, assign, dist, 1)
	}
	tb := array.NewInt32Builder(mem)
	defer tb.Release()
	db := array.NewFloat32Builder(mem)
	defer db.Release()
	tb.Reserve(n)
	db.Reserve(n)
	for i := range n {
		if stream.IsRejected(rej, i) {
			tb.AppendNull()
			db.AppendNull()
			continue
		}
		tb.UnsafeAppend(int32(assign[i]))
		db.UnsafeAppend(float32(dist[i]))
	}
	task := tb.NewArray()
	defer task.Release()
	d := db.NewArray()
	defer d.Release()
	cols := make([]arrow.Array, 0, out.NumFields())
	for j, f := range rec.Schema().Fields() {
		if f.Name != TaskColumn && f.Name != DistanceColumn {
			cols = append(cols, rec.Column(j))
		}
	}
	cols = append(cols, task, d)
	return array.NewRecordBatch(out, cols, int64(n)), nil
}

// Stats counts the rows of a partitioned stream: per task, rejected, and
// (label, task) pairs when a label column is named.
type Stats struct {
	K        int
	Rows     int64
	Rejected int64
	Reasons  map[string]int64
	TaskRows []int64
	// LabelTask counts the usable rows of each (label, task) pair, when a
	// label column is named (a null label counts as "").
	LabelTask map[string][]int64
}

// Observe returns a Reader passing rd's batches through while counting
// them into s. labelCol may be "" (no label statistics).
func (s *Stats) Observe(rd stream.Reader, labelCol string) stream.Reader {
	if s.TaskRows == nil {
		s.TaskRows = make([]int64, s.K)
	}
	if s.Reasons == nil {
		s.Reasons = map[string]int64{}
	}
	if s.LabelTask == nil && labelCol != "" {
		s.LabelTask = map[string][]int64{}
	}
	return &observer{Reader: rd, s: s, label: labelCol}
}

type observer struct {
	stream.Reader
	s     *Stats
	label string
}

func (o *observer) Read() (arrow.RecordBatch, error) {
	rec, err := o.Reader.Read()
	if err != nil {
		return rec, err
	}
	s := o.s
	ti := rec.Schema().FieldIndices(TaskColumn)
	if len(ti) == 0 {
		return rec, nil
	}
	tasks := rec.Column(ti[0]).(*array.Int32)
	var labels *array.String
	if li := optionalString(rec.Schema(), o.label); li >= 0 {
		labels = rec.Column(li).(*array.String)
	}
	rej := stream.Rejects(rec)
	for i := 0; i < int(rec.NumRows()); i++ {
		s.Rows++
		if stream.IsRejected(rej, i) {
			s.Rejected++
			s.Reasons[rej.Value(i)]++
			continue
		}
		t := int(tasks.Value(i))
		if t >= 0 && t < len(s.TaskRows) {
			s.TaskRows[t]++
		}
		if labels != nil && t >= 0 && t < s.K {
			l := ""
			if labels.IsValid(i) {
				l = labels.Value(i)
			}
			c := s.LabelTask[l]
			if c == nil {
				c = make([]int64, s.K)
				s.LabelTask[l] = c
			}
			c[t]++
		}
	}
	return rec, nil
}
