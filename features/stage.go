package features

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// Semantic modes.
const (
	ModeLSA     = "lsa"
	ModeVectors = "vectors"
	ModeColumn  = "column"
)

// Defaults of Config.
const (
	DefaultSample = 100_000
	// maxSampleText bounds the bytes of one sampled text used for fitting
	// (the whole text is still featurised when the stage applies).
	maxSampleText = 64 << 10
)

// Reject reasons of the features stage.
const (
	ReasonNullText  = "features: null text"
	ReasonEmptyText = "features: empty text"
	ReasonNullEmb   = "features: null embedding"
)

// Config configures the features stage.
type Config struct {
	// TextCol names the text column (default "text").
	TextCol string
	// Semantic is "lsa" (default), "vectors=FILE" or "column=NAME".
	Semantic string
	// Dim is the number of LSA dimensions (default DefaultDim, 96).
	Dim int
	// Vocab bounds the LSA vocabulary (default DefaultVocab, 32768).
	Vocab int
	// SingularPower weighs the LSA dimensions by their singular values
	// (see LSAConfig.SingularPower; 0: DefaultSingularPower, negative:
	// none).
	SingularPower float64
	// Sample is the number of documents models are fitted on (default
	// 100,000), drawn uniformly from the whole input.
	Sample int
	// Workers bounds the goroutines (default GOMAXPROCS); the output does
	// not depend on it.
	Workers int
	// Seed seeds the sample and the fit.
	Seed uint64
	// Mem allocates the output columns (default memory.DefaultAllocator).
	Mem memory.Allocator
	// Log receives progress messages (default: discard).
	Log *slog.Logger
	// Provenance, when set, is recorded in the output schema's metadata.
	Provenance *stream.Provenance
}

// Record is the configuration as recorded in provenance and manifests:
// everything that changes the output (not Workers, which does not).
func (c Config) Record() map[string]any {
	c.defaults()
	rec := map[string]any{"text_col": c.TextCol, "semantic": c.Semantic, "dim": c.Dim,
		"vocab": c.Vocab, "sample": c.Sample}
	if c.SingularPower != 0 {
		rec["singular_power"] = c.SingularPower
	}
	return rec
}

func (c *Config) defaults() {
	if c.TextCol == "" {
		c.TextCol = schema.TextColumn
	}
	if c.Semantic == "" {
		c.Semantic = ModeLSA
	}
	if c.Dim <= 0 {
		c.Dim = DefaultDim
	}
	if c.Sample <= 0 {
		c.Sample = DefaultSample
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Mem == nil {
		c.Mem = memory.DefaultAllocator
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// ParseSemantic splits a --semantic value into its mode and argument.
func ParseSemantic(spec string) (mode, arg string, err error) {
	mode, arg, _ = strings.Cut(spec, "=")
	switch {
	case mode == ModeLSA && arg == "":
		return mode, "", nil
	case (mode == ModeVectors || mode == ModeColumn) && arg != "":
		return mode, arg, nil
	}
	return "", "", fmt.Errorf("--semantic must be lsa, vectors=FILE or column=NAME, not %q", spec)
}

// Model is what the semantic features are computed with.
type Model struct {
	// Mode is ModeLSA, ModeVectors or ModeColumn.
	Mode string
	// Dim is the number of semantic dimensions.
	Dim int
	// LSA is the model of ModeLSA.
	LSA *LSA
	// SIF is the model of ModeVectors.
	SIF *SIF
	// Column names the embedding column of ModeColumn.
	Column string
}

// Prepare returns the model the stage needs: for LSA and word vectors, it
// reads the first pass of rp to draw a uniform sample of cfg.Sample
// texts (reservoir sampling, seeded) and fits on it; for an embedding
// column it reads the column's dimension. source names the input in
// error messages.
func Prepare(ctx context.Context, rp *stream.Replay, cfg Config, source string) (*Model, error) {
	cfg.defaults()
	mode, arg, err := ParseSemantic(cfg.Semantic)
	if err != nil {
		return nil, err
	}
	col := cfg.TextCol
	if mode == ModeColumn {
		col = arg
	}
	rd, err := rp.First(col)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return PrepareFrom(ctx, rd, cfg, source)
}

// PrepareFrom is Prepare reading the first pass from rd, to its end.
func PrepareFrom(ctx context.Context, rd stream.Reader, cfg Config, source string) (*Model, error) {
	cfg.defaults()
	mode, arg, err := ParseSemantic(cfg.Semantic)
	if err != nil {
		return nil, err
	}
	if mode == ModeColumn {
		dim, err := columnDim(rd, arg, source)
		if err != nil {
			return nil, err
		}
		return &Model{Mode: ModeColumn, Column: arg, Dim: dim}, nil
	}
	var vec *WordVectors
	if mode == ModeVectors {
		if vec, err = LoadWordVectors(arg); err != nil {
			return nil, err
		}
	}
	sample, seen, err := Sample(ctx, rd, cfg.TextCol, cfg.Sample, cfg.Seed, source)
	if err != nil {
		return nil, err
	}
	cfg.Log.Info("features: sampled texts", "sample", len(sample), "usable_rows", seen)
	if mode == ModeVectors {
		sif, err := FitSIF(ctx, sample, vec, cfg.Workers)
		if err != nil {
			return nil, err
		}
		return &Model{Mode: ModeVectors, Dim: vec.Dim, SIF: sif}, nil
	}
	if len(sample) < 2 {
		// Blank, null or rejected rows only (or a single document): the
		// input, not the run, is what is wrong.
		return nil, &stream.DataError{Source: source, Row: -1, Column: cfg.TextCol,
			Err: fmt.Errorf("%d usable (non-blank) texts: fitting LSA needs at least 2 (give a larger corpus, or --model with a fitted features model)", seen)}
	}
	lsa, err := FitLSA(ctx, sample, LSAConfig{Dim: cfg.Dim, Vocab: cfg.Vocab, SingularPower: cfg.SingularPower, Seed: cfg.Seed, Workers: cfg.Workers})
	var de *stream.DataError
	if errors.As(err, &de) && de.Source == "features sample" {
		de.Source = source
	}
	if err != nil {
		return nil, err
	}
	cfg.Log.Info("features: fitted LSA", "vocabulary", len(lsa.Buckets), "dim", lsa.Dim, "rank", len(lsa.Singular), "idf_power", math.Round(lsa.IDFPower*1000)/1000)
	return &Model{Mode: ModeLSA, Dim: lsa.Dim, LSA: lsa}, nil
}

// Sample reads rd to its end and returns a uniform random sample of k of
// its usable texts (not null, not blank, not rejected upstream), each cut
// to its first 64 KiB, and the number of usable texts seen. The sample is
// the bottom k of a seeded hash of each text (stream.BottomK), in that
// hash's order: the same texts in the same order whatever the order of
// the input rows or files, so the model fitted on it is too. (Equal texts
// share a key and are interchangeable; two different texts whose 64-bit
// keys collide at the sample's edge are the only order-dependent case.)
func Sample(ctx context.Context, rd stream.Reader, textCol string, k int, seed uint64, source string) ([][]byte, int64, error) {
	idx, err := textIndex(rd.Schema(), textCol, source)
	if err != nil {
		return nil, 0, err
	}
	res := stream.NewBottomK(k)
	var sample [][]byte
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		texts := newTextColumn(rec.Column(idx))
		rejects := stream.Rejects(rec)
		for i := 0; i < int(rec.NumRows()); i++ {
			if stream.IsRejected(rejects, i) || texts.IsNull(i) {
				continue
			}
			t := texts.Value(i)
			if len(trimSpace(t)) == 0 {
				continue
			}
			t = stream.CutText(t, maxSampleText)
			slot, keep := res.Offer(stream.SampleKey(seed, t), "")
			if !keep {
				continue
			}
			c := append([]byte(nil), t...)
			if slot == len(sample) {
				sample = append(sample, c)
			} else {
				sample[slot] = c
			}
		}
	}
	ordered := make([][]byte, len(sample))
	for i, slot := range res.Order() {
		ordered[i] = sample[slot]
	}
	return ordered, res.Seen(), nil
}

// textColumn reads a string or large-string column as bytes.
type textColumn struct {
	s  *array.String
	ls *array.LargeString
}

func newTextColumn(a arrow.Array) textColumn {
	switch c := a.(type) {
	case *array.String:
		return textColumn{s: c}
	case *array.LargeString:
		return textColumn{ls: c}
	}
	return textColumn{}
}

func (t textColumn) IsNull(i int) bool {
	if t.s != nil {
		return t.s.IsNull(i)
	}
	return t.ls.IsNull(i)
}

// Value returns row i's bytes without copying (valid while the batch is).
func (t textColumn) Value(i int) []byte {
	if t.s != nil {
		o := t.s.ValueOffsets()
		return t.s.ValueBytes()[o[i]-o[0] : o[i+1]-o[0]]
	}
	o := t.ls.ValueOffsets()
	return t.ls.ValueBytes()[o[i]-o[0] : o[i+1]-o[0]]
}

// textIndex finds the text column and checks its type.
func textIndex(sc *arrow.Schema, name, source string) (int, error) {
	idx := sc.FieldIndices(name)
	if len(idx) == 0 {
		names := make([]string, sc.NumFields())
		for i, f := range sc.Fields() {
			names[i] = f.Name
		}
		return 0, &stream.DataError{Source: source, Row: -1, Column: name,
			Err: fmt.Errorf("no such text column; the input has %s (give --text-col)", strings.Join(names, ", "))}
	}
	switch t := sc.Field(idx[0]).Type.ID(); t {
	case arrow.STRING, arrow.LARGE_STRING:
		return idx[0], nil
	default:
		return 0, &stream.DataError{Source: source, Row: -1, Column: name,
			Err: fmt.Errorf("text column is %s, expected string", sc.Field(idx[0]).Type)}
	}
}

// OutputSchema is the schema the stage writes for input schema in: the
// input's columns (without earlier pattern/semantic columns), then
// pattern, semantic and, when in lacks it, reject_reason.
func OutputSchema(in *arrow.Schema, m *Model) *arrow.Schema {
	var fields []arrow.Field
	for _, f := range in.Fields() {
		if f.Name != schema.PatternColumn && f.Name != schema.SemanticColumn {
			fields = append(fields, f)
		}
	}
	patMeta := arrow.NewMetadata(
		[]string{schema.PatternNamesKey, schema.PatternVersionKey},
		[]string{strings.Join(schema.PatternNames(), ","), "1"})
	semMeta := arrow.NewMetadata(
		[]string{schema.SemanticModeKey, schema.SemanticDimKey},
		[]string{m.Mode, strconv.Itoa(m.Dim)})
	fields = append(fields,
		arrow.Field{Name: schema.PatternColumn, Type: arrow.FixedSizeListOf(schema.NumPattern, arrow.PrimitiveTypes.Float32), Metadata: patMeta},
		arrow.Field{Name: schema.SemanticColumn, Type: arrow.FixedSizeListOf(int32(m.Dim), arrow.PrimitiveTypes.Float32), Metadata: semMeta})
	if len(in.FieldIndices(schema.RejectColumn)) == 0 {
		fields = append(fields, stream.RejectField)
	}
	md := in.Metadata()
	return arrow.NewSchema(fields, &md)
}

// Apply returns src with the feature columns appended to every batch
// (see OutputSchema), computed by cfg.Workers goroutines; the output is
// the same for any number of workers. Rows with a null or blank text get
// zero features and a reject reason. Close the result to close src.
func Apply(ctx context.Context, src stream.Reader, m *Model, cfg Config, source string) (stream.Reader, error) {
	cfg.defaults()
	in := src.Schema()
	textIdx, err := textIndex(in, cfg.TextCol, source)
	if err != nil {
		return nil, err
	}
	embIdx := -1
	if m.Mode == ModeColumn {
		if embIdx, err = embeddingIndex(in, m.Column, source); err != nil {
			return nil, err
		}
	}
	out := OutputSchema(in, m)
	if cfg.Provenance != nil {
		if out, err = stream.WithProvenance(out, cfg.Provenance); err != nil {
			return nil, err
		}
	}
	newFn := func() stream.MapFunc {
		w := &worker{ctx: ctx, m: m, mem: cfg.Mem, out: out, textIdx: textIdx, embIdx: embIdx, source: source}
		w.a.collectTerms = m.Mode != ModeColumn
		return w.apply
	}
	return stream.ParallelMap(ctx, src, out, cfg.Workers, newFn), nil
}

// embedBlockDocs is the number of documents whose LSA vectors are
// computed together (see LSA.embedBlock): each projection row is read once
// per block, and the block's vectors are summed 32 dimensions at a time
// (docs×128 bytes of cache). With the 65,536-row vocabulary (25 MB of
// projection) 16,384 beat 4,096 by 15-20% on 2 cores.
const embedBlockDocs = 16384

// cancelCheckRows is how often (in rows) a worker checks for
// cancellation.
const cancelCheckRows = 256

// worker computes the features of batches, keeping scratch state.
type worker struct {
	// ctx, when set, is checked every cancelCheckRows rows: a batch of
	// long documents takes long enough that an interrupted command would
	// otherwise wait for it.
	ctx     context.Context
	m       *Model
	mem     memory.Allocator
	out     *arrow.Schema
	textIdx int
	embIdx  int
	source  string
	a       analyzer
	lsa     lsaScratch
	reasons []string
}

func (w *worker) apply(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	d := w.m.Dim
	patBuf := newFloatBuffer(w.mem, n*schema.NumPattern)
	defer patBuf.Release()
	semBuf := newFloatBuffer(w.mem, n*d)
	defer semBuf.Release()
	pat := arrow.Float32Traits.CastFromBytes(patBuf.Bytes())
	sem := arrow.Float32Traits.CastFromBytes(semBuf.Bytes())
	clear(pat)
	clear(sem)

	texts := newTextColumn(rec.Column(w.textIdx))
	rejects := stream.Rejects(rec)
	var emb *embeddings
	if w.m.Mode == ModeColumn {
		e, err := newEmbeddings(rec, w.embIdx, d, w.source)
		if err != nil {
			return nil, err
		}
		emb = e
	}
	w.reasons = w.reasons[:0]
	blockStart := 0
	for i := range n {
		if i%cancelCheckRows == 0 && w.ctx != nil && w.ctx.Err() != nil {
			return nil, w.ctx.Err()
		}
		reason := ""
		switch {
		case stream.IsRejected(rejects, i):
		case texts.IsNull(i):
			reason = ReasonNullText
		case len(trimSpace(texts.Value(i))) == 0:
			reason = ReasonEmptyText
		case emb != nil && emb.isNull(i):
			reason = ReasonNullEmb
		default:
			w.a.analyze(texts.Value(i), pat[i*schema.NumPattern:(i+1)*schema.NumPattern])
			v := sem[i*d : (i+1)*d]
			switch w.m.Mode {
			case ModeLSA:
				w.m.LSA.termRows(w.a.terms, &w.lsa, int32(i-blockStart))
			case ModeVectors:
				w.m.SIF.embed(w.a.terms, v)
			case ModeColumn:
				if err := emb.copyTo(i, v); err != nil {
					return nil, err
				}
				normalize(v)
			}
		}
		w.reasons = append(w.reasons, reason)
		if w.m.Mode == ModeLSA && (i+1-blockStart == embedBlockDocs || i == n-1) {
			w.m.LSA.embedBlock(&w.lsa, sem[blockStart*d:(i+1)*d], i+1-blockStart)
			blockStart = i + 1
		}
	}

	cols := make([]arrow.Array, 0, w.out.NumFields())
	for j, f := range rec.Schema().Fields() {
		if f.Name != schema.PatternColumn && f.Name != schema.SemanticColumn && f.Name != schema.RejectColumn {
			cols = append(cols, rec.Column(j))
		}
	}
	patArr := fixedSizeList(patBuf, n, schema.NumPattern)
	defer patArr.Release()
	semArr := fixedSizeList(semBuf, n, d)
	defer semArr.Release()
	rej := stream.MergeRejects(rejects, w.reasons, w.mem)
	defer rej.Release()
	// Keep the reject column where the input had it, else last.
	cols = append(cols, patArr, semArr)
	if ri := rec.Schema().FieldIndices(schema.RejectColumn); len(ri) > 0 {
		pos := w.out.FieldIndices(schema.RejectColumn)[0]
		cols = append(cols[:pos], append([]arrow.Array{rej}, cols[pos:]...)...)
	} else {
		cols = append(cols, rej)
	}
	return array.NewRecordBatch(w.out, cols, int64(n)), nil
}

func newFloatBuffer(mem memory.Allocator, n int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(n * arrow.Float32SizeBytes)
	return b
}

// fixedSizeList wraps n×d float32 values as a fixed_size_list<float32>[d].
func fixedSizeList(values *memory.Buffer, n, d int) arrow.Array {
	vals := array.NewData(arrow.PrimitiveTypes.Float32, n*d, []*memory.Buffer{nil, values}, nil, 0, 0)
	defer vals.Release()
	data := array.NewData(arrow.FixedSizeListOf(int32(d), arrow.PrimitiveTypes.Float32), n, []*memory.Buffer{nil}, []arrow.ArrayData{vals}, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// finite tells whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
