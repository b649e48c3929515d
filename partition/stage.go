package partition

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"unsafe"

	"github.com/robustdata/robustdata/pipeline/schema"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// Defaults of Config.
const (
	DefaultSample         = 200_000
	DefaultPatternWeight  = 0.2
	DefaultSemanticWeight = 1.0
	DefaultKMin           = 2
	DefaultKMax           = 64
	// snippetBytes bounds the text kept per sampled row for the report.
	snippetBytes = 256
	// silhouetteSample is how many sample rows the silhouette is measured
	// on (it costs their count squared).
	silhouetteSample = 5000
	// sampleStartRows is the sample size up to which DrawSample grows its
	// buffers by doubling.
	sampleStartRows = 1 << 14
)

// Config configures the partition stage.
type Config struct {
	// K is the number of sub-tasks; 0 chooses it by silhouette in
	// [KMin, KMax].
	K, KMin, KMax int
	// Sample is the number of rows k-means is fitted on (default 200,000),
	// drawn uniformly from the whole input.
	Sample int
	// Restarts and MaxIter configure k-means (defaults 4 and 100).
	Restarts, MaxIter int
	// NoPatternScale turns off the per-feature pattern scaling (see
	// Model.PatternScale): every standardised pattern feature then counts
	// the same.
	NoPatternScale bool
	// PatternWeight and SemanticWeight weigh the two feature blocks. The
	// standardised pattern block is divided by √P so that, at weight w,
	// its expected squared norm is w², as is the unit semantic block's at
	// its weight.
	PatternWeight, SemanticWeight float64
	// Workers bounds the goroutines (default GOMAXPROCS); the output does
	// not depend on it.
	Workers int
	// Seed seeds the sample and k-means.
	Seed uint64
	// TextCol and LabelCol name the text (for the report's snippets and
	// terms) and an optional label column (for NMI, ARI and purity).
	TextCol, LabelCol string
	// Mem allocates the output columns.
	Mem memory.Allocator
	// Log receives progress messages.
	Log *slog.Logger
}

func (c *Config) defaults() {
	if c.Sample <= 0 {
		c.Sample = DefaultSample
	}
	if c.KMin <= 0 {
		c.KMin = DefaultKMin
	}
	if c.KMax <= 0 {
		c.KMax = DefaultKMax
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.TextCol == "" {
		c.TextCol = "text"
	}
	if c.Mem == nil {
		c.Mem = memory.DefaultAllocator
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Sample is the sample a partition model is fitted on, kept for the
// report.
type Sample struct {
	// Pattern and Semantic hold the rows' feature vectors. Once the
	// sample is assigned (Fit, AssignSample), Semantic keeps only its
	// first 5,000 rows, all that Measure needs, so that the rest of the
	// stage does not carry the whole sample's vectors.
	Pattern, Semantic *mat.Dense
	// Texts holds the start of each row's text ("" when the input has no
	// text column), Labels its label ("" without a label column), IDs its
	// doc_id.
	Texts, Labels, IDs []string
	// Usable is the number of usable rows the sample was drawn from.
	Usable int64
	// Source names the input, for error messages.
	Source string
	// Assign and Dist give each sample row's task and distance under the
	// fitted model.
	Assign []int
	Dist   []float64
}

// trimSemantic drops the semantic vectors Measure does not use.
func (s *Sample) trimSemantic() {
	n, d := s.Semantic.Dims()
	if n <= silhouetteSample {
		return
	}
	keep := mat.NewDense(silhouetteSample, d, nil)
	keep.Copy(s.Semantic.Slice(0, silhouetteSample, 0, d))
	s.Semantic = keep
}

// SampleSeed derives the partition stage's sampling seed from the run's
// seed, so that it differs from the features stage's.
func SampleSeed(seed uint64) uint64 { return seed ^ 0x7061727469746e }

// DrawSample reads rd to its end and keeps a uniform sample of k usable
// rows (not rejected) with their features, text start, label and doc_id.
// The sample is the bottom k of a seeded hash of each row's text (of its
// feature values when there is no text column), ties broken by doc_id, in
// that order (stream.BottomK): the same rows in the same order whatever
// the order of the input rows or files, so the k-means fit on it is the
// same too; and the same rows a features.RowTap draws from the raw texts
// in the features pass.
func DrawSample(ctx context.Context, rd stream.Reader, k int, seed uint64, cfg Config, source string) (*Sample, error) {
	cfg.defaults()
	sc := rd.Schema()
	pi, pdim, err := vectorColumn(sc, schema.PatternColumn, source)
	if err != nil {
		return nil, err
	}
	si, sdim, err := vectorColumn(sc, schema.SemanticColumn, source)
	if err != nil {
		return nil, err
	}
	ti := optionalString(sc, cfg.TextCol)
	li := optionalString(sc, cfg.LabelCol)
	if cfg.LabelCol != "" && li < 0 {
		return nil, &stream.DataError{Source: source, Row: -1, Column: cfg.LabelCol,
			Err: fmt.Errorf("no such string label column; the input has %s", fieldNames(sc))}
	}
	ii := optionalString(sc, schema.DocIDColumn)
	res := stream.NewBottomK(k)
	// The sampled rows' features, flat and row-major, straight into the
	// matrices' backing arrays.
	var (
		pat, sem           []float64
		texts, labels, ids []string
	)
	put := func(slot int, p, s []float32, t, l, id string) {
		if slot == len(texts) {
			if slot == sampleStartRows && k > slot {
				// Past the first rows the sample is large: grow once to
				// its full size rather than doubling (which would hold
				// the old and the new copy at the peak).
				pat = append(make([]float64, 0, k*pdim), pat...)
				sem = append(make([]float64, 0, k*sdim), sem...)
			}
			for _, v := range p {
				pat = append(pat, float64(v))
			}
			for _, v := range s {
				sem = append(sem, float64(v))
			}
			texts, labels, ids = append(texts, t), append(labels, l), append(ids, id)
			return
		}
		for j, v := range p {
			pat[slot*pdim+j] = float64(v)
		}
		for j, v := range s {
			sem[slot*sdim+j] = float64(v)
		}
		texts[slot], labels[slot], ids[slot] = t, l, id
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		rej := stream.Rejects(rec)
		var textCol interface{ Value(int) string }
		if idx := sc.FieldIndices(cfg.TextCol); len(idx) > 0 {
			switch c := rec.Column(idx[0]).(type) {
			case *array.String:
				textCol = c
			case *array.LargeString:
				textCol = c
			}
		}
		pv := rec.Column(pi).(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
		sv := rec.Column(si).(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
		pOff := rec.Column(pi).Data().Offset() * pdim
		sOff := rec.Column(si).Data().Offset() * sdim
		for i := 0; i < int(rec.NumRows()); i++ {
			if stream.IsRejected(rej, i) {
				continue
			}
			pr, sr := pv[pOff+i*pdim:pOff+(i+1)*pdim], sv[sOff+i*sdim:sOff+(i+1)*sdim]
			if err := checkFinite(rec, ii, i, pr, sr, source); err != nil {
				return nil, err
			}
			id := stream.StringAt(rec, ii, i, 1<<10)
			key := stream.SampleKey(seed, float32Bytes(pr), float32Bytes(sr))
			if textCol != nil {
				v := textCol.Value(i)
				key = stream.SampleKeyText(seed, unsafe.Slice(unsafe.StringData(v), len(v)))
			}
			slot, keep := res.Offer(key, id)
			if !keep {
				continue
			}
			put(slot, pr, sr, stream.StringAt(rec, ti, i, snippetBytes), stream.StringAt(rec, li, i, 1<<10), id)
		}
	}
	n := len(texts)
	if n == 0 {
		return nil, &stream.DataError{Source: source, Row: -1, Err: errors.New("no usable row to partition (every row is rejected or the input is empty)")}
	}
	stream.Permute(res.Order(), func(i, j int) {
		swapRows(pat, pdim, i, j)
		swapRows(sem, sdim, i, j)
		texts[i], texts[j] = texts[j], texts[i]
		labels[i], labels[j] = labels[j], labels[i]
		ids[i], ids[j] = ids[j], ids[i]
	})
	return &Sample{Pattern: mat.NewDense(n, pdim, pat), Semantic: mat.NewDense(n, sdim, sem),
		Texts: texts, Labels: labels, IDs: ids, Usable: res.Seen(), Source: source}, nil
}

// swapRows exchanges rows i and j of a row-major matrix of width d.
func swapRows(m []float64, d, i, j int) {
	a, b := m[i*d:(i+1)*d], m[j*d:(j+1)*d]
	for c := range a {
		a[c], b[c] = b[c], a[c]
	}
}

// float32Bytes is the bytes of v, as they are in memory.
func float32Bytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

// checkFinite refuses a row whose features hold NaN or an infinity,
// naming it by its doc_id when there is one.
func checkFinite(rec arrow.RecordBatch, idCol, i int, pat, sem []float32, source string) error {
	for k, vals := range [2][]float32{pat, sem} {
		name := [2]string{schema.PatternColumn, schema.SemanticColumn}[k]
		for j, v := range vals {
			// NaN and ±Inf are the floats whose exponent bits are all
			// set: one mask test instead of two float64 checks (this
			// loop sees every feature value of the corpus).
			if math.Float32bits(v)&0x7f800000 == 0x7f800000 {
				err := fmt.Errorf("value %d is %v, expected a finite number", j, v)
				if id := stream.StringAt(rec, idCol, i, 1<<10); id != "" {
					err = fmt.Errorf("doc_id %q: %w", id, err)
				}
				return &stream.DataError{Source: source, Row: -1, Column: name, Err: err}
			}
		}
	}
	return nil
}

// vectorColumn finds a fixed_size_list<float32> feature column.
func vectorColumn(sc *arrow.Schema, name, source string) (int, int, error) {
	idx := sc.FieldIndices(name)
	if len(idx) == 0 {
		return 0, 0, &stream.DataError{Source: source, Row: -1, Column: name,
			Err: fmt.Errorf("no such feature column; the input has %s (run robustdata features first, or give the raw corpus)", fieldNames(sc))}
	}
	fl, ok := sc.Field(idx[0]).Type.(*arrow.FixedSizeListType)
	if !ok || fl.Elem().ID() != arrow.FLOAT32 {
		return 0, 0, &stream.DataError{Source: source, Row: -1, Column: name,
			Err: fmt.Errorf("feature column is %s, expected fixed_size_list<float32>", sc.Field(idx[0]).Type)}
	}
	return idx[0], int(fl.Len()), nil
}

// HasFeatures tells whether a schema has the pattern and semantic columns.
func HasFeatures(sc *arrow.Schema) bool {
	return len(sc.FieldIndices(schema.PatternColumn)) > 0 && len(sc.FieldIndices(schema.SemanticColumn)) > 0
}

func optionalString(sc *arrow.Schema, name string) int {
	if name == "" {
		return -1
	}
	idx := sc.FieldIndices(name)
	if len(idx) == 0 || sc.Field(idx[0]).Type.ID() != arrow.STRING {
		return -1
	}
	return idx[0]
}

func fieldNames(sc *arrow.Schema) string {
	names := make([]string, sc.NumFields())
	for i, f := range sc.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// transform turns a row's features into the row k-means sees: the
// standardised pattern block scaled by wp/√P, beside the semantic block
// centred on the sample's mean vector, renormalised to unit length and
// scaled by ws. Centring removes the direction every document shares (in
// LSA space most documents lean the same way, and k-means would put most
// of them in one cluster around it).
type transform struct {
	patMean, patStd, patScale, semMean []float64
	wp, ws                             float64
}

func (m *Model) transform() transform {
	return transform{patMean: m.PatternMean, patStd: m.PatternStd, patScale: m.PatternScale, semMean: m.SemanticMean,
		wp: m.PatternWeight, ws: m.SemanticWeight}
}

// row writes the transformed features into out (len(pat)+len(sem)).
func (t transform) row(pat, sem []float64, out []float64) {
	p := len(pat)
	if p > 0 {
		pw := t.wp / math.Sqrt(float64(p))
		for j, v := range pat {
			out[j] = 0
			if t.patStd[j] > 0 {
				out[j] = pw * (v - t.patMean[j]) / t.patStd[j]
				if t.patScale != nil {
					out[j] *= t.patScale[j]
				}
			}
		}
	}
	var ss float64
	for j, v := range sem {
		c := v
		if t.semMean != nil {
			c -= t.semMean[j]
		}
		out[p+j] = c
		ss += c * c
	}
	scale := 0.0
	if ss > 0 {
		scale = t.ws / math.Sqrt(ss)
	}
	for j := range sem {
		out[p+j] *= scale
	}
}

// Transform writes into out (len(pat)+len(sem)) the row k-means sees for
// a document's pattern and semantic features under this model: the
// standardised, weighted pattern block beside the centred, renormalised,
// weighted semantic block. Assignment and the report's projection use it.
func (m *Model) Transform(pat, sem, out []float64) {
	m.transform().row(pat, sem, out)
}

// design builds the rows k-means sees from a sample's features.
func design(pattern, semantic *mat.Dense, t transform) *mat.Dense {
	n, p := pattern.Dims()
	_, s := semantic.Dims()
	x := mat.NewDense(n, p+s, nil)
	for i := range n {
		t.row(pattern.RawRowView(i), semantic.RawRowView(i), x.RawRowView(i))
	}
	return x
}

// columnMeans returns the mean of each column.
func columnMeans(m *mat.Dense) []float64 {
	n, d := m.Dims()
	mean := make([]float64, d)
	for i := range n {
		for j, v := range m.RawRowView(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	return mean
}

// Standardisation returns the mean and (population) standard deviation of
// each column; a constant column gets std 0 and is left out.
func Standardisation(m *mat.Dense) (mean, std []float64) {
	n, d := m.Dims()
	mean = make([]float64, d)
	std = make([]float64, d)
	for i := range n {
		for j, v := range m.RawRowView(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := range n {
		for j, v := range m.RawRowView(i) {
			dv := v - mean[j]
			std[j] += dv * dv
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / float64(n))
		if std[j] < 1e-9 {
			std[j] = 0
		}
	}
	return mean, std
}
