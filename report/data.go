package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// Columns read from the shards besides the configured text, label and
// task columns.
const (
	distanceColumn = schema.DistanceColumn
	docIDColumn    = schema.DocIDColumn
	// patternNamesKey is the pattern field's metadata key naming its
	// values (written by the features stage).
	patternNamesKey = schema.PatternNamesKey
	// keepTextBytes bounds the text kept per sampled row.
	keepTextBytes = 2000
	// maxFeatureText bounds the text a sampled row's recomputed features
	// are computed from (as features.RowTap bounds the k-means sample's).
	maxFeatureText = 1 << 20
	// minPerTask is the smallest share of the sample a task gets (when it
	// has that many rows), so that small tasks still show examples.
	minPerTask = 5
)

// loaded is what the report reads from a dataset folder.
type loaded struct {
	dir   string
	man   *dataset.Manifest
	model *partition.Model // nil without partition.json
	k     int
	// mdTerms are the top terms of report.md, nil without it: the HTML
	// report names the tasks by the same words as the Markdown one.
	mdTerms [][]string

	textCol, labelCol, taskCol string
	patternNames               []string
	// fm, when set, recomputes the sampled rows' features (the shards
	// carry none; see loadFeaturesModel).
	fm *features.Model
	// hasPattern and hasSemantic tell whether the shards have the
	// feature columns (fixed_size_list<float32>).
	hasPattern, hasSemantic bool

	sample sample
	// cont is the labels × tasks table over all rows, nil without a
	// label column.
	cont *partition.Contingency
}

// sample is the rows drawn evenly from the shards.
type sample struct {
	task     []int
	pattern  []float64 // row-major, pdim per row
	semantic []float64 // row-major, sdim per row
	pdim     int
	sdim     int
	texts    []string
	ids      []string
	dist     []float64 // task_distance, NaN when absent
	// full are the sampled rows' whole texts, kept when the features are
	// recomputed (loaded.fm).
	full [][]byte
}

func (s *sample) len() int { return len(s.task) }

// readDataset reads the manifest, the partition model (when there is
// one), a sample of at most n rows and, with a label column, the labels
// × tasks table over every row.
func readDataset(ctx context.Context, dir string, opts Options) (*loaded, error) {
	man, err := dataset.OpenDataset(dir)
	if err != nil {
		return nil, err
	}
	d := &loaded{dir: dir, man: man, k: len(man.Tasks)}
	if d.k == 0 {
		return nil, &stream.DataError{Source: filepath.Join(dir, dataset.ManifestName), Row: -1, Err: errors.New("the dataset has no task")}
	}
	mp := filepath.Join(dir, dataset.ModelFile)
	if _, err := os.Stat(mp); err == nil {
		if d.model, err = partition.LoadModel(mp); err != nil {
			return nil, err
		}
	}
	if md, err := os.ReadFile(filepath.Join(dir, dataset.ReportFile)); err == nil {
		d.mdTerms = partition.ReadTopTerms(string(md), d.k)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("robustdata/report: reading %s: %w", filepath.Join(dir, dataset.ReportFile), err)
	}
	d.taskCol = configString(man.Config, "", dataset.ConfigTaskColumn, schema.TaskColumn)
	d.textCol = cmp.Or(opts.TextCol, configString(man.Config, "features", "text_col", schema.TextColumn))

	first := firstShard(d)
	if first == "" {
		return nil, &stream.DataError{Source: filepath.Join(dir, dataset.ManifestName), Row: -1, Err: errors.New("the dataset has no rows in task shards")}
	}
	sc, err := shardSchema(ctx, first)
	if err != nil {
		return nil, err
	}
	d.loadFeaturesModel(sc, opts)
	if err := d.columns(sc, opts, first); err != nil {
		return nil, err
	}
	if err := d.read(ctx, sc, opts.SampleRows); err != nil {
		return nil, err
	}
	if d.fm != nil {
		if err := d.recomputeFeatures(ctx); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// loadFeaturesModel loads the features model the sampled rows' features
// are recomputed with, when the shards carry no feature column but have
// their text: opts.FeaturesModel, else the dataset folder's
// features.model. A model that cannot be loaded (or one of an embedding
// column, which the shards may not have) is logged and left out: the
// report then goes without the projection.
func (d *loaded) loadFeaturesModel(sc *arrow.Schema, opts Options) {
	if len(sc.FieldIndices(schema.PatternColumn)) > 0 || len(sc.FieldIndices(schema.SemanticColumn)) > 0 {
		return
	}
	if idx := sc.FieldIndices(d.textCol); len(idx) == 0 || sc.Field(idx[0]).Type.ID() != arrow.STRING {
		return
	}
	path := opts.FeaturesModel
	if path == "" {
		path = filepath.Join(d.dir, dataset.FeaturesModelFile)
		if _, err := os.Stat(path); err != nil {
			return
		}
	}
	fm, err := features.LoadModel(path, features.Config{TextCol: d.textCol})
	if err == nil && fm.Mode == features.ModeColumn {
		err = errors.New("an embedding-column model: the shards may not have the column")
	}
	if err != nil {
		opts.Log.Warn("report: the shards carry no features and the features model cannot be used: no projection", "model", path, "err", err)
		return
	}
	d.fm = fm
}

// recomputeFeatures computes the sampled rows' pattern and semantic
// features from their texts with d.fm, as the partition stage did.
func (d *loaded) recomputeFeatures(ctx context.Context) error {
	s := &d.sample
	sc := arrow.NewSchema([]arrow.Field{{Name: d.textCol, Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	for _, t := range s.full {
		b.BinaryBuilder.Append(t)
	}
	col := b.NewArray()
	rec := array.NewRecordBatch(sc, []arrow.Array{col}, int64(col.Len()))
	col.Release()
	rd, err := features.Apply(ctx, &oneBatch{schema: sc, rec: rec}, d.fm, features.Config{TextCol: d.textCol, Workers: 1}, d.dir)
	if err != nil {
		rec.Release()
		return err
	}
	defer rd.Close()
	s.pdim, s.sdim = schema.NumPattern, d.fm.Dim
	s.pattern, s.semantic = s.pattern[:0], s.semantic[:0]
	for {
		out, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pc := out.Column(out.Schema().FieldIndices(schema.PatternColumn)[0])
		sm := out.Column(out.Schema().FieldIndices(schema.SemanticColumn)[0])
		for i := range int(out.NumRows()) {
			s.pattern = appendVector(s.pattern, pc, i, s.pdim)
			s.semantic = appendVector(s.semantic, sm, i, s.sdim)
		}
	}
	s.full = nil
	return nil
}

// oneBatch serves one batch it owns (Close releases it).
type oneBatch struct {
	schema *arrow.Schema
	rec    arrow.RecordBatch
	done   bool
}

func (o *oneBatch) Schema() *arrow.Schema { return o.schema }

func (o *oneBatch) Read() (arrow.RecordBatch, error) {
	if o.done || o.rec == nil {
		return nil, io.EOF
	}
	o.done = true
	return o.rec, nil
}

func (o *oneBatch) Close() error {
	if o.rec != nil {
		o.rec.Release()
		o.rec = nil
	}
	return nil
}

// configString returns man.Config[stage][key] (or man.Config[key] when
// stage is "") when it is a non-empty string, else def.
func configString(cfg map[string]any, stage, key, def string) string {
	m := cfg
	if stage != "" {
		sub, ok := cfg[stage].(map[string]any)
		if !ok {
			return def
		}
		m = sub
	}
	if s, ok := m[key].(string); ok && s != "" {
		return s
	}
	return def
}

// firstShard returns the path of the first task shard.
func firstShard(d *loaded) string {
	for _, t := range d.man.Tasks {
		if len(t.Shards) > 0 {
			return filepath.Join(d.dir, filepath.FromSlash(t.Shards[0].Path))
		}
	}
	return ""
}

// shardSchema returns the schema of one shard.
func shardSchema(ctx context.Context, path string) (*arrow.Schema, error) {
	rd, err := stream.Open(ctx, []string{path})
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return rd.Schema(), nil
}

// columns decides which columns to read.
func (d *loaded) columns(sc *arrow.Schema, opts Options, source string) error {
	isString := func(name string) bool {
		idx := sc.FieldIndices(name)
		return name != "" && len(idx) > 0 && sc.Field(idx[0]).Type.ID() == arrow.STRING
	}
	switch {
	case opts.LabelCol != "":
		if !isString(opts.LabelCol) {
			return &stream.DataError{Source: source, Row: -1, Column: opts.LabelCol,
				Err: fmt.Errorf("no such string label column; the shards have %s", fieldNames(sc))}
		}
		d.labelCol = opts.LabelCol
	case isString(configString(d.man.Config, "partition", "label_col", "")):
		d.labelCol = configString(d.man.Config, "partition", "label_col", "")
	case isString("label"):
		d.labelCol = "label"
	}
	if !isString(d.textCol) {
		d.textCol = ""
	}
	if idx := sc.FieldIndices(schema.PatternColumn); len(idx) > 0 && isFloatVector(sc.Field(idx[0]).Type) {
		d.hasPattern = true
		d.sample.pdim = vectorLen(sc.Field(idx[0]).Type)
		d.patternNames = patternNames(sc.Field(idx[0]), d.sample.pdim)
	}
	if idx := sc.FieldIndices(schema.SemanticColumn); len(idx) > 0 && isFloatVector(sc.Field(idx[0]).Type) {
		d.hasSemantic = true
		d.sample.sdim = vectorLen(sc.Field(idx[0]).Type)
	}
	if d.fm != nil {
		// Recomputed from the texts after the read (recomputeFeatures).
		d.hasPattern, d.hasSemantic = true, true
		d.sample.pdim, d.sample.sdim = schema.NumPattern, d.fm.Dim
		d.patternNames = schema.PatternNames()
	}
	if d.model != nil && (d.model.K != d.k || d.model.PatternDim != d.sample.pdim || d.model.SemanticDim != d.sample.sdim) {
		// A model of other tasks or features: not this dataset's.
		d.model = nil
	}
	return nil
}

func isFloatVector(t arrow.DataType) bool {
	fl, ok := t.(*arrow.FixedSizeListType)
	return ok && fl.Elem().ID() == arrow.FLOAT32 && fl.Len() > 0
}

func vectorLen(t arrow.DataType) int { return int(t.(*arrow.FixedSizeListType).Len()) }

// patternNames names the pattern values from the field's metadata, else
// the features stage's names when the width matches, else pattern[j].
func patternNames(f arrow.Field, n int) []string {
	if i := f.Metadata.FindKey(patternNamesKey); i >= 0 {
		if names := strings.Split(f.Metadata.Values()[i], ","); len(names) == n {
			return names
		}
	}
	if names := schema.PatternNames(); len(names) == n {
		return names
	}
	names := make([]string, n)
	for j := range names {
		names[j] = fmt.Sprintf("pattern[%d]", j)
	}
	return names
}

func fieldNames(sc *arrow.Schema) string {
	names := make([]string, sc.NumFields())
	for i, f := range sc.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// quotas splits n sample rows among tasks of the given sizes: every task
// gets min(rows, minPerTask) first, the rest in proportion to the
// remaining rows (largest remainders, ties to the lower task). A dataset
// of at most n rows is taken whole.
func quotas(rows []int64, n int) []int64 {
	q := make([]int64, len(rows))
	var total int64
	for _, r := range rows {
		total += r
	}
	if total <= int64(n) {
		copy(q, rows)
		return q
	}
	var reserved int64
	for t, r := range rows {
		q[t] = min(r, minPerTask)
		reserved += q[t]
	}
	if reserved > int64(n) {
		clear(q)
		reserved = 0
	}
	rest, avail := int64(n)-reserved, total-reserved
	type rem struct {
		t    int
		frac int64
	}
	rems := make([]rem, len(rows))
	var given int64
	for t, r := range rows {
		share := rest * (r - q[t])
		q[t] += share / avail
		given += share / avail
		rems[t] = rem{t, share % avail}
	}
	slices.SortStableFunc(rems, func(a, b rem) int { return cmp.Compare(b.frac, a.frac) })
	for i := int64(0); i < rest-given; i++ {
		q[rems[i].t]++
	}
	return q
}

// read streams every task's shards once: it keeps the rows at evenly
// spaced positions of each task and counts (label, task) pairs.
func (d *loaded) read(ctx context.Context, sc *arrow.Schema, n int) error {
	rows := make([]int64, d.k)
	for t, mt := range d.man.Tasks {
		rows[t] = mt.Rows
	}
	q := quotas(rows, n)
	var cols []string
	for _, c := range []string{schema.PatternColumn, schema.SemanticColumn, d.taskCol, distanceColumn, d.textCol, d.labelCol, docIDColumn} {
		if c != "" && len(sc.FieldIndices(c)) > 0 && !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	if !d.hasPattern {
		cols = slices.DeleteFunc(cols, func(c string) bool { return c == schema.PatternColumn })
	}
	if !d.hasSemantic {
		cols = slices.DeleteFunc(cols, func(c string) bool { return c == schema.SemanticColumn })
	}
	var counts map[string][]int64
	if d.labelCol != "" {
		counts = map[string][]int64{}
	}
	for t, mt := range d.man.Tasks {
		if len(mt.Shards) == 0 || mt.Rows == 0 {
			continue
		}
		paths := make([]string, len(mt.Shards))
		for i, s := range mt.Shards {
			paths[i] = filepath.Join(d.dir, filepath.FromSlash(s.Path))
		}
		if err := d.readTask(ctx, t, paths, cols, q[t], mt.Rows, counts); err != nil {
			return err
		}
	}
	if counts != nil {
		d.cont = contingency(counts, d.k)
	}
	return nil
}

// readTask reads one task's shards.
func (d *loaded) readTask(ctx context.Context, t int, paths, cols []string, quota, rows int64, counts map[string][]int64) error {
	rd, err := stream.Open(ctx, paths, stream.WithColumns(cols...))
	if err != nil {
		return err
	}
	defer rd.Close()
	col := func(rec arrow.RecordBatch, name string) int {
		if name == "" {
			return -1
		}
		if idx := rec.Schema().FieldIndices(name); len(idx) > 0 {
			return idx[0]
		}
		return -1
	}
	// want returns the position of the j-th sampled row of the task.
	want := func(j int64) int64 {
		if j >= quota {
			return -1
		}
		return (2*j + 1) * rows / (2 * quota)
	}
	var pos, j int64
	next := want(0)
	s := &d.sample
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pi, si := col(rec, schema.PatternColumn), col(rec, schema.SemanticColumn)
		ti, di := col(rec, d.taskCol), col(rec, distanceColumn)
		xi, li, ii := col(rec, d.textCol), col(rec, d.labelCol), col(rec, docIDColumn)
		nr := int(rec.NumRows())
		if counts != nil && li >= 0 {
			labels, _ := rec.Column(li).(*array.String)
			for i := range nr {
				tt := taskAt(rec, ti, i, t, d.k)
				l := ""
				if labels != nil && labels.IsValid(i) {
					l = labels.Value(i)
				}
				c := counts[l]
				if c == nil {
					c = make([]int64, d.k)
					counts[l] = c
				}
				c[tt]++
			}
		}
		for next >= 0 && next < pos+int64(nr) {
			i := int(next - pos)
			s.task = append(s.task, taskAt(rec, ti, i, t, d.k))
			if pi >= 0 {
				s.pattern = appendVector(s.pattern, rec.Column(pi), i, s.pdim)
			}
			if si >= 0 {
				s.semantic = appendVector(s.semantic, rec.Column(si), i, s.sdim)
			}
			s.texts = append(s.texts, stream.StringAt(rec, xi, i, keepTextBytes))
			if d.fm != nil {
				s.full = append(s.full, []byte(stream.StringAt(rec, xi, i, maxFeatureText)))
			}
			s.ids = append(s.ids, stream.StringAt(rec, ii, i, 256))
			dist := math.NaN()
			if di >= 0 {
				if f, ok := rec.Column(di).(*array.Float32); ok && f.IsValid(i) {
					dist = float64(f.Value(i))
				}
			}
			s.dist = append(s.dist, dist)
			j++
			next = want(j)
		}
		pos += int64(nr)
	}
	return nil
}

// taskAt returns row i's task from the task column, or def when the
// column is absent, null or out of range.
func taskAt(rec arrow.RecordBatch, ti, i, def, k int) int {
	if ti < 0 {
		return def
	}
	var v int64 = -1
	switch c := rec.Column(ti).(type) {
	case *array.Int32:
		if c.IsValid(i) {
			v = int64(c.Value(i))
		}
	case *array.Int64:
		if c.IsValid(i) {
			v = c.Value(i)
		}
	}
	if v < 0 || v >= int64(k) {
		return def
	}
	return int(v)
}

// appendVector appends row i of a fixed_size_list<float32> column.
func appendVector(dst []float64, col arrow.Array, i, dim int) []float64 {
	fl := col.(*array.FixedSizeList)
	vals := fl.ListValues().(*array.Float32).Float32Values()
	off := (fl.Data().Offset() + i) * dim
	for _, v := range vals[off : off+dim] {
		dst = append(dst, float64(v))
	}
	return dst
}

// contingency builds the labels × tasks table, labels sorted.
func contingency(counts map[string][]int64, k int) *partition.Contingency {
	c := &partition.Contingency{}
	for l := range counts {
		c.Labels = append(c.Labels, l)
	}
	slices.Sort(c.Labels)
	for t := range k {
		c.Clusters = append(c.Clusters, t)
	}
	for _, l := range c.Labels {
		c.Counts = append(c.Counts, counts[l])
		for _, v := range counts[l] {
			c.N += v
		}
	}
	return c
}

// projection is the sample projected on two principal components.
type projection struct {
	xs, ys []float64
	// explained is the share of variance of each of the two components.
	explained [2]float64
	// between: the components are those of the task centroids (the
	// directions along which the tasks differ most), and explained is
	// the share of the between-task variance; else those of the rows.
	between bool
	// space says which vectors were projected.
	space string
}

// project projects the sample's feature vectors — the rows k-means saw
// (standardised, weighted pattern block beside the centred, renormalised,
// weighted semantic block, as partition.json says) when the model is
// there, else the semantic vectors, else the standardised pattern vectors
// — on the first two principal components of the task centroids
// (weighted by the tasks' sampled rows): the plane in which the tasks lie
// furthest apart, so that they show as separate clouds rather than one
// blob. With fewer than three tasks in the sample, the components are
// those of the rows. It returns nil when there is nothing to project.
func (d *loaded) project() *projection {
	s := &d.sample
	n := s.len()
	if n < 3 {
		return nil
	}
	var x *mat.Dense
	var space string
	switch {
	case d.model != nil && d.hasPattern && d.hasSemantic:
		x = mat.NewDense(n, s.pdim+s.sdim, nil)
		for i := range n {
			d.model.Transform(s.pattern[i*s.pdim:(i+1)*s.pdim], s.semantic[i*s.sdim:(i+1)*s.sdim], x.RawRowView(i))
		}
		space = fmt.Sprintf("the rows k-means clustered (partition.json): the %d pattern features standardised and scaled by %g/√%d, beside the %d semantic values centred on the sample mean, renormalised and scaled by %g",
			s.pdim, d.model.PatternWeight, s.pdim, s.sdim, d.model.SemanticWeight)
	case d.hasSemantic:
		x = mat.NewDense(n, s.sdim, slices.Clone(s.semantic))
		space = fmt.Sprintf("the %d values of the semantic column (no usable partition.json)", s.sdim)
	case d.hasPattern:
		mean, std := colStats(s.pattern, n, s.pdim)
		x = mat.NewDense(n, s.pdim, nil)
		for i := range n {
			for j := range s.pdim {
				if std[j] > 0 {
					x.Set(i, j, (s.pattern[i*s.pdim+j]-mean[j])/std[j])
				}
			}
		}
		space = fmt.Sprintf("the %d pattern features, standardised (no semantic column)", s.pdim)
	default:
		return nil
	}
	_, dim := x.Dims()
	var pc stat.PC
	between := false
	if cents, weights := taskCentroids(x, s.task, d.k); cents != nil {
		between = pc.PrincipalComponents(cents, weights)
	}
	if !between && !pc.PrincipalComponents(x, nil) {
		return nil
	}
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	vars := pc.VarsTo(nil)
	_, nc := vecs.Dims()
	if nc < 2 {
		return nil
	}
	// Fix each component's sign (its largest loading positive), so that
	// the picture does not depend on the SVD's sign choice.
	for c := range 2 {
		best := 0
		for r := range dim {
			if math.Abs(vecs.At(r, c)) > math.Abs(vecs.At(best, c)) {
				best = r
			}
		}
		if vecs.At(best, c) < 0 {
			for r := range dim {
				vecs.Set(r, c, -vecs.At(r, c))
			}
		}
	}
	means := make([]float64, dim)
	for j := range dim {
		means[j] = mat.Sum(x.ColView(j)) / float64(n)
	}
	p := &projection{xs: make([]float64, n), ys: make([]float64, n), space: space, between: between}
	for i := range n {
		row := x.RawRowView(i)
		for j, v := range row {
			c := v - means[j]
			p.xs[i] += c * vecs.At(j, 0)
			p.ys[i] += c * vecs.At(j, 1)
		}
	}
	var total float64
	for _, v := range vars {
		total += v
	}
	if total > 0 {
		p.explained = [2]float64{vars[0] / total, vars[1] / total}
	}
	return p
}

// colStats returns the mean and population standard deviation of each
// column of the first n rows of a row-major matrix of d columns (0 for a
// constant column), as partition standardises pattern features; n > 0.
func colStats(v []float64, n, d int) (mean, std []float64) {
	return partition.Standardisation(mat.NewDense(n, d, v[:n*d]))
}

// topTerms are, per task, the top terms of the dataset's report.md, so
// that both reports agree; without report.md, the content words of the
// task's sampled texts ranked as partition ranks them
// (partition.TopTerms: c-TF-IDF; words met once in the task and words
// that name nothing are left out).
func (d *loaded) topTerms(n int) (terms [][]string, fromMarkdown bool) {
	if d.mdTerms != nil {
		return d.mdTerms, true
	}
	return partition.TopTerms(d.sample.texts, d.sample.task, d.k, n, features.ContentWords), false
}

// standOut names, per task, the n pattern features whose mean over the
// task's sampled rows is furthest from the overall mean, in standard
// deviations (partition.json's standardisation, else the sample's).
func (d *loaded) standOut(n int) [][]string {
	s := &d.sample
	out := make([][]string, d.k)
	if !d.hasPattern || s.len() == 0 {
		return out
	}
	p := s.pdim
	var mean, std []float64
	if d.model != nil {
		mean, std = d.model.PatternMean, d.model.PatternStd
	} else {
		mean, std = colStats(s.pattern, s.len(), p)
	}
	row := func(i int) []float64 { return s.pattern[i*p : (i+1)*p] }
	return partition.StandOut(len(s.task), row, s.task, d.k, mean, std, d.patternNames, n)
}

// examples returns, per task, up to n sampled rows with a text: those
// nearest the task's centroid (task_distance) first, in sample order
// without distances.
func (d *loaded) examples(n int) [][]int {
	s := &d.sample
	out := make([][]int, d.k)
	for i, t := range s.task {
		if strings.TrimSpace(s.texts[i]) != "" {
			out[t] = append(out[t], i)
		}
	}
	for t := range out {
		slices.SortStableFunc(out[t], func(a, b int) int {
			da, db := s.dist[a], s.dist[b]
			switch {
			case math.IsNaN(da) && math.IsNaN(db):
				return 0
			case math.IsNaN(da):
				return 1
			case math.IsNaN(db):
				return -1
			}
			return cmp.Compare(da, db)
		})
		out[t] = out[t][:min(n, len(out[t]))]
	}
	return out
}

// snippet flattens white space and cuts text to about n bytes.
func snippet(text string, n int) string {
	t := strings.Join(strings.Fields(text), " ")
	if len(t) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(t[cut]) {
			cut--
		}
		t = t[:cut] + "…"
	}
	return t
}

// varianceOf names the variance the components' shares are of.
func (p *projection) varianceOf() string {
	if p.between {
		return "between-task "
	}
	return ""
}

// taskCentroids returns the mean row of x of each task with rows (task[i]
// is row i's task, of k) and the tasks' row counts, or nil with fewer
// than three such tasks (their centroids span less than a plane).
func taskCentroids(x *mat.Dense, task []int, k int) (*mat.Dense, []float64) {
	n, dim := x.Dims()
	sums := make([][]float64, k)
	counts := make([]float64, k)
	for i := range n {
		t := task[i]
		if sums[t] == nil {
			sums[t] = make([]float64, dim)
		}
		for j, v := range x.RawRowView(i) {
			sums[t][j] += v
		}
		counts[t]++
	}
	var rows []float64
	var weights []float64
	for t := range k {
		if counts[t] == 0 {
			continue
		}
		for j := range dim {
			rows = append(rows, sums[t][j]/counts[t])
		}
		weights = append(weights, counts[t])
	}
	if len(weights) < 3 {
		return nil, nil
	}
	return mat.NewDense(len(weights), dim, rows), weights
}
