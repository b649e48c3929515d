package partition

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// ModelFormat and ModelVersion identify a partition model file.
const (
	ModelFormat  = "robustdata-partition"
	ModelVersion = 1
)

// Model is a fitted partition: how rows are turned into k-means rows and
// the centroids they are assigned to. It is saved as JSON (--model-out)
// and reused with --model to assign new data without refitting.
type Model struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// K is the number of tasks.
	K int `json:"k"`
	// Seed is the seed the model was fitted with.
	Seed uint64 `json:"seed"`
	// PatternDim and SemanticDim are the widths of the feature columns.
	PatternDim  int `json:"pattern_dim"`
	SemanticDim int `json:"semantic_dim"`
	// PatternWeight and SemanticWeight weigh the blocks (see Config).
	PatternWeight  float64 `json:"pattern_weight"`
	SemanticWeight float64 `json:"semantic_weight"`
	// PatternMean and PatternStd standardise the pattern block (a zero
	// std leaves the feature out).
	PatternMean []float64 `json:"pattern_mean"`
	PatternStd  []float64 `json:"pattern_std"`
	// PatternScale, when present, multiplies each standardised pattern
	// feature: 4·η² of the feature, η² the share of its variance that
	// lies between the clusters of a semantic-only k-means on the sample
	// (see patternScale).
	PatternScale []float64 `json:"pattern_scale,omitempty"`
	// SemanticMean is the sample's mean semantic vector, subtracted before
	// the semantic block is renormalised.
	SemanticMean []float64 `json:"semantic_mean"`
	// Centroids are the K centroids in the weighted space, PatternDim +
	// SemanticDim values each.
	Centroids [][]float64 `json:"centroids"`
	// Inertia is the sum of squared distances of the sample rows.
	Inertia float64 `json:"inertia"`
	// SampleRows is the number of rows fitted on.
	SampleRows int `json:"sample_rows"`
	// KChoice tells how K was chosen when it was not given.
	KChoice *KChoice `json:"k_choice,omitempty"`

	centroids *mat.Dense
}

// KChoice records the choice of K by silhouette.
type KChoice struct {
	// Min and Max are the range searched.
	Min int `json:"min"`
	Max int `json:"max"`
	// Tried lists each K tried and its silhouette.
	Tried []KScore `json:"tried"`
	// Why says which K won and why, in one sentence.
	Why string `json:"why"`
}

// KScore is one K tried.
type KScore struct {
	K          int     `json:"k"`
	Silhouette float64 `json:"silhouette"`
}

// Fit fits a partition model on a sample: standardise the pattern
// features, weigh the blocks, choose K by silhouette when cfg.K is 0, and
// run k-means. It also assigns the sample rows (s.Assign, s.Dist).
func Fit(ctx context.Context, s *Sample, cfg Config) (*Model, error) {
	cfg.defaults()
	n, p := s.Pattern.Dims()
	_, sd := s.Semantic.Dims()
	m := &Model{Format: ModelFormat, Version: ModelVersion, Seed: cfg.Seed,
		PatternDim: p, SemanticDim: sd, PatternWeight: cfg.PatternWeight, SemanticWeight: cfg.SemanticWeight,
		SampleRows: n}
	m.PatternMean, m.PatternStd = Standardisation(s.Pattern)
	m.SemanticMean = columnMeans(s.Semantic)
	scaled := !cfg.NoPatternScale && p > 0 && cfg.PatternWeight > 0
	k := cfg.K
	var x *mat.Dense
	if k == 0 || !scaled {
		// The design before any pattern scale (a given K with the scale
		// gets its design below).
		x = design(s.Pattern, s.Semantic, m.transform())
	}
	if k == 0 {
		choice, err := chooseK(ctx, x, cfg, s.Source)
		if err != nil {
			return nil, err
		}
		m.KChoice = choice
		k = choice.Tried[bestK(choice.Tried)].K
		cfg.Log.Info("partition: chose K by silhouette", "k", k, "why", choice.Why)
	}
	if k > n {
		return nil, &stream.DataError{Source: s.Source, Row: -1,
			Err: fmt.Errorf("K = %d is larger than the %d usable rows sampled (give a smaller --k)", k, n)}
	}
	if scaled {
		scale, err := patternScale(ctx, s, m, k, cfg)
		if err != nil {
			return nil, err
		}
		m.PatternScale = scale
		cfg.Log.Info("partition: scaled the pattern features by how much the semantic clusters explain them", "scale", roundAll(scale, 3))
		x = design(s.Pattern, s.Semantic, m.transform())
	}
	s.trimSemantic()
	res, err := KMeans(ctx, x, KMeansConfig{K: k, Restarts: cfg.Restarts, MaxIter: cfg.MaxIter, Seed: cfg.Seed, Workers: cfg.Workers})
	if err != nil {
		return nil, err
	}
	cfg.Log.Info("partition: fitted k-means", "k", k, "rows", n, "iterations", res.Iters, "restart", res.Restart, "inertia", res.Inertia)
	m.K, m.Inertia = k, res.Inertia
	m.centroids = res.Centroids
	m.Centroids = make([][]float64, k)
	for j := range k {
		m.Centroids[j] = append([]float64(nil), res.Centroids.RawRowView(j)...)
	}
	s.Assign = make([]int, n)
	s.Dist = make([]float64, n)
	if err := Nearest(x, m.centroids, s.Assign, s.Dist); err != nil {
		return nil, err
	}
	return m, nil
}

// scaleRows bounds the sample rows patternScale clusters.
const scaleRows = 8192

// patternScaleGain is c in the pattern scale c·η²: a feature whose
// variance the semantic clusters explain for a quarter keeps its weight,
// one they explain more counts more (up to 4×), one they do not explain
// drops out. Chosen by mean NMI over the labelled corpora of
// scripts/bench-quality.sh against spreading the block's weight over the
// features by η² with the same total (README, Sub-tasks: quality).
const patternScaleGain = 4

// patternScale returns the scale of each pattern feature: patternScaleGain
// times η², the share of the feature's standardised variance that lies
// between the clusters of a semantic-only k-means (K = k, one restart) on
// the sample. Pattern features that go with the topics found in the text
// are kept, those that vary independently of them (noise for a topical
// corpus) are damped. Above scaleRows sample rows, the k-means and the
// shares are computed on scaleRows rows spread evenly over the sample:
// the shares are as good (mean NMI over the labelled corpora within
// 0.001 of using every row), the fit many times cheaper.
func patternScale(ctx context.Context, s *Sample, m *Model, k int, cfg Config) ([]float64, error) {
	t := m.transform()
	t.wp = 0
	pat, sem := s.Pattern, s.Semantic
	if r, _ := pat.Dims(); r > scaleRows && k < scaleRows {
		pat, sem = strided(pat, scaleRows), strided(sem, scaleRows)
	}
	x := design(pat, sem, t)
	n, p := pat.Dims()
	res, err := KMeans(ctx, x, KMeansConfig{K: k, Restarts: 1, MaxIter: cfg.MaxIter, Seed: cfg.Seed ^ 0x70617474, Workers: cfg.Workers})
	if err != nil {
		return nil, err
	}
	scale := make([]float64, p)
	sum := make([]float64, k)
	cnt := make([]float64, k)
	for j := range p {
		if m.PatternStd[j] <= 0 {
			continue
		}
		clear(sum)
		clear(cnt)
		var tot float64
		for i := range n {
			z := (pat.At(i, j) - m.PatternMean[j]) / m.PatternStd[j]
			sum[res.Assign[i]] += z
			cnt[res.Assign[i]]++
			tot += z * z
		}
		var between float64
		for c := range k {
			if cnt[c] > 0 {
				between += sum[c] * sum[c] / cnt[c]
			}
		}
		if tot > 0 {
			scale[j] = patternScaleGain * min(1, between/tot)
		}
	}
	return scale, nil
}

// roundAll rounds every value to digits decimals (for logs).
func roundAll(v []float64, digits int) []float64 {
	f := math.Pow(10, float64(digits))
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Round(x*f) / f
	}
	return out
}

// AssignSample assigns the sample's rows with the model (for the report
// when the model was loaded rather than fitted). Features of other widths
// than the model's are a *stream.DataError.
func (m *Model) AssignSample(s *Sample) error {
	_, p := s.Pattern.Dims()
	_, sd := s.Semantic.Dims()
	if p != m.PatternDim || sd != m.SemanticDim {
		return &stream.DataError{Source: s.Source, Row: -1,
			Err: fmt.Errorf("features have %d pattern and %d semantic values, the partition model expects %d and %d", p, sd, m.PatternDim, m.SemanticDim)}
	}
	x := design(s.Pattern, s.Semantic, m.transform())
	n, _ := x.Dims()
	s.Assign = make([]int, n)
	s.Dist = make([]float64, n)
	if err := Nearest(x, m.centroidMatrix(), s.Assign, s.Dist); err != nil {
		return err
	}
	s.trimSemantic()
	return nil
}

// chooseK tries the Ks of cfg's range on a subsample (the first 20,000
// rows of the sample, itself uniform) and scores each by the silhouette
// of the first 5,000 of them.
func chooseK(ctx context.Context, x *mat.Dense, cfg Config, source string) (*KChoice, error) {
	n, d := x.Dims()
	sub := x.Slice(0, min(n, 20000), 0, d).(*mat.Dense)
	sn, _ := sub.Dims()
	ev := sub.Slice(0, min(sn, silhouetteSample), 0, d).(*mat.Dense)
	hi := min(cfg.KMax, sn-1)
	if cfg.KMin > hi {
		return nil, &stream.DataError{Source: source, Row: -1,
			Err: fmt.Errorf("--k auto needs more rows than %d to try K in %d:%d", sn, cfg.KMin, cfg.KMax)}
	}
	c := &KChoice{Min: cfg.KMin, Max: cfg.KMax}
	for _, k := range kGrid(cfg.KMin, hi) {
		res, err := KMeans(ctx, sub, KMeansConfig{K: k, Restarts: 2, MaxIter: cfg.MaxIter, Seed: cfg.Seed, Workers: cfg.Workers})
		if err != nil {
			return nil, err
		}
		en, _ := ev.Dims()
		score, err := Silhouette(ev, res.Assign[:en])
		if err != nil {
			score = -1 // fewer than two clusters among the evaluated rows
		}
		c.Tried = append(c.Tried, KScore{K: k, Silhouette: score})
	}
	b := c.Tried[bestK(c.Tried)]
	c.Why = fmt.Sprintf("K=%d has the highest silhouette (%.4f) of the %d values tried in %d:%d on a subsample of %d rows",
		b.K, b.Silhouette, len(c.Tried), cfg.KMin, cfg.KMax, sn)
	return c, nil
}

// bestK returns the index of the highest silhouette (the smaller K on a
// tie).
func bestK(tried []KScore) int {
	best := 0
	for i, t := range tried {
		if t.Silhouette > tried[best].Silhouette {
			best = i
		}
	}
	return best
}

// kGrid lists the Ks to try in [lo, hi]: all of them when there are at
// most 16, else 16 spread geometrically (always including lo and hi): 16
// evenly spaced picks from the distinct rounded values of a dense
// geometric sequence.
func kGrid(lo, hi int) []int {
	if hi-lo+1 <= 16 {
		var out []int
		for k := lo; k <= hi; k++ {
			out = append(out, k)
		}
		return out
	}
	var dense []int
	const steps = 1000
	for i := range steps + 1 {
		k := int(math.Round(float64(lo) * math.Pow(float64(hi)/float64(lo), float64(i)/steps)))
		if len(dense) == 0 || k > dense[len(dense)-1] {
			dense = append(dense, k)
		}
	}
	out := make([]int, 16)
	for i := range out {
		out[i] = dense[i*(len(dense)-1)/15]
	}
	return out
}

// Centroids returns the centroids as a matrix.
func (m *Model) centroidMatrix() *mat.Dense {
	if m.centroids == nil {
		d := m.PatternDim + m.SemanticDim
		m.centroids = mat.NewDense(m.K, d, nil)
		for j, c := range m.Centroids {
			m.centroids.SetRow(j, c)
		}
	}
	return m.centroids
}

// Save writes the model as indented JSON (atomically) and returns its
// sha256, which manifests record.
func (m *Model) Save(path string) (string, error) {
	data, err := m.marshal()
	if err != nil {
		return "", err
	}
	if err := stream.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		return "", err
	}
	return m.Hash()
}

func (m *Model) marshal() ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("robustdata/partition: encoding the model: %w", err)
	}
	return append(data, '\n'), nil
}

// Hash is the hex sha256 of the model's JSON encoding.
func (m *Model) Hash() (string, error) {
	data, err := m.marshal()
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:]), nil
}

// maxModelBytes caps what LoadModel reads.
const maxModelBytes = 1 << 30

// LoadModel reads and checks a model saved by Save.
func LoadModel(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &stream.DataError{Source: path, Row: -1, Err: errors.New("cannot open the partition model")}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxModelBytes+1))
	if err != nil {
		return nil, fmt.Errorf("robustdata/partition: reading %s: %w", path, err)
	}
	return ParseModel(path, data)
}

// ParseModel parses and checks a model's JSON; name is used in errors.
func ParseModel(name string, data []byte) (*Model, error) {
	bad := func(format string, args ...any) error {
		return &stream.DataError{Source: name, Row: -1, Err: fmt.Errorf(format, args...)}
	}
	if len(data) > maxModelBytes {
		return nil, bad("larger than %d bytes", maxModelBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, bad("not a partition model: %v", err)
	}
	if dec.More() {
		return nil, bad("not a partition model: data after the JSON object")
	}
	switch {
	case m.Format != ModelFormat:
		return nil, bad("not a partition model (format %q)", m.Format)
	case m.Version != ModelVersion:
		return nil, bad("model version %d, this build reads %d", m.Version, ModelVersion)
	case m.K < 1 || len(m.Centroids) != m.K:
		return nil, bad("k = %d with %d centroids", m.K, len(m.Centroids))
	case m.PatternDim < 0 || m.SemanticDim < 1 || len(m.PatternMean) != m.PatternDim || len(m.PatternStd) != m.PatternDim ||
		len(m.SemanticMean) != m.SemanticDim:
		return nil, bad("inconsistent dimensions")
	}
	if m.PatternWeight < 0 || m.SemanticWeight < 0 || slices.ContainsFunc(m.PatternStd, func(v float64) bool { return v < 0 }) {
		return nil, bad("negative weight or standard deviation")
	}
	if m.PatternScale != nil && (len(m.PatternScale) != m.PatternDim ||
		slices.ContainsFunc(m.PatternScale, func(v float64) bool { return !(v >= 0 && v <= patternScaleGain) })) {
		return nil, bad("pattern_scale must hold %d values in [0, %d]", m.PatternDim, patternScaleGain)
	}
	for j, c := range m.Centroids {
		if len(c) != m.PatternDim+m.SemanticDim {
			return nil, bad("centroid %d has %d values, expected %d", j, len(c), m.PatternDim+m.SemanticDim)
		}
		if slices.ContainsFunc(c, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }) {
			return nil, bad("centroid %d has a non-finite value", j)
		}
	}
	return &m, nil
}

// Describe is a one-line summary of the model.
func (m *Model) Describe() string {
	return "K=" + strconv.Itoa(m.K) + ", pattern weight " + strconv.FormatFloat(m.PatternWeight, 'g', -1, 64) +
		", semantic weight " + strconv.FormatFloat(m.SemanticWeight, 'g', -1, 64)
}
