package partition

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// Widths of the planted feature vectors.
const (
	plantedP = 24
	plantedS = 16
)

// plantedData are rows with random pattern features (no structure; the
// last column constant) and unit semantic vectors around one of a few
// planted directions.
type plantedData struct {
	pat, sem [][]float32
	group    []int
}

func planted(n, groups int, seed uint64) plantedData {
	dirRng := rand.New(rand.NewPCG(99, uint64(groups)))
	dirs := make([][]float64, groups)
	for g := range dirs {
		dirs[g] = make([]float64, plantedS)
		for j := range dirs[g] {
			dirs[g][j] = dirRng.NormFloat64()
		}
		normalise(dirs[g])
	}
	rng := rand.New(rand.NewPCG(seed, 0x91a7))
	pd := plantedData{}
	for i := range n {
		g := i % groups
		pat := make([]float32, plantedP)
		for j := range plantedP - 1 {
			pat[j] = float32(float64(j) + (1+0.1*float64(j))*rng.NormFloat64())
		}
		pat[plantedP-1] = 7
		s := make([]float64, plantedS)
		for j := range s {
			s[j] = dirs[g][j] + 0.15*rng.NormFloat64()
		}
		normalise(s)
		sem := make([]float32, plantedS)
		for j, v := range s {
			sem[j] = float32(v)
		}
		pd.pat, pd.sem, pd.group = append(pd.pat, pat), append(pd.sem, sem), append(pd.group, g)
	}
	return pd
}

func normalise(v []float64) {
	var ss float64
	for _, x := range v {
		ss += x * x
	}
	for j := range v {
		v[j] /= math.Sqrt(ss)
	}
}

// sample builds a Sample of the rows, as DrawSample would keep them.
func (pd plantedData) sample() *Sample {
	n := len(pd.pat)
	s := &Sample{Pattern: mat.NewDense(n, plantedP, nil), Semantic: mat.NewDense(n, plantedS, nil), Usable: int64(n)}
	for i := range n {
		for j, v := range pd.pat[i] {
			s.Pattern.Set(i, j, float64(v))
		}
		for j, v := range pd.sem[i] {
			s.Semantic.Set(i, j, float64(v))
		}
		s.Texts = append(s.Texts, fmt.Sprintf("row %d of group %d", i, pd.group[i]))
		s.Labels = append(s.Labels, fmt.Sprintf("g%d", pd.group[i]))
		s.IDs = append(s.IDs, fmt.Sprintf("id%04d", i))
	}
	return s
}

// designByHand is the documented transform, written out: the pattern
// block standardised and scaled by wp/√P, the semantic block centred on
// the mean and renormalised to length ws.
func designByHand(pattern, semantic *mat.Dense, m *Model) *mat.Dense {
	n, p := pattern.Dims()
	_, sd := semantic.Dims()
	x := mat.NewDense(n, p+sd, nil)
	for i := range n {
		for j := range p {
			if m.PatternStd[j] > 0 {
				v := m.PatternWeight / math.Sqrt(float64(p)) * (pattern.At(i, j) - m.PatternMean[j]) / m.PatternStd[j]
				if m.PatternScale != nil {
					v *= m.PatternScale[j]
				}
				x.Set(i, j, v)
			}
		}
		var ss float64
		for j := range sd {
			c := semantic.At(i, j) - m.SemanticMean[j]
			ss += c * c
		}
		for j := range sd {
			x.Set(i, p+j, (semantic.At(i, j)-m.SemanticMean[j])*(m.SemanticWeight/math.Sqrt(ss)))
		}
	}
	return x
}

func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*max(math.Abs(want), 1)
}

func TestFitGivenK(t *testing.T) {
	pd := planted(600, 3, 1)
	for _, tc := range []struct {
		name   string
		cfg    Config
		groups bool // the planted groups must be recovered
	}{
		{"K=3 default weights", Config{K: 3, Seed: 1, PatternWeight: DefaultPatternWeight, SemanticWeight: DefaultSemanticWeight}, true},
		{"K=3 equal weights", Config{K: 3, Seed: 2, PatternWeight: 0.5, SemanticWeight: 1, Restarts: 2, Workers: 1}, true},
		{"K=5", Config{K: 5, Seed: 3, PatternWeight: 0.2, SemanticWeight: 1}, false},
		{"K=1", Config{K: 1, Seed: 3, PatternWeight: 0.2, SemanticWeight: 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pd.sample()
			m, err := Fit(context.Background(), s, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			k := tc.cfg.K
			n := len(pd.pat)
			if m.Format != ModelFormat || m.Version != ModelVersion || m.K != k || m.Seed != tc.cfg.Seed ||
				m.PatternDim != plantedP || m.SemanticDim != plantedS || m.SampleRows != n ||
				m.PatternWeight != tc.cfg.PatternWeight || m.SemanticWeight != tc.cfg.SemanticWeight || m.KChoice != nil {
				t.Errorf("model header: %+v", m)
			}
			if len(m.Centroids) != k {
				t.Fatalf("%d centroids, K = %d", len(m.Centroids), k)
			}
			for j, c := range m.Centroids {
				if len(c) != plantedP+plantedS {
					t.Fatalf("centroid %d has %d values", j, len(c))
				}
			}
			if len(m.PatternMean) != plantedP || len(m.PatternStd) != plantedP || len(m.SemanticMean) != plantedS {
				t.Fatalf("standardisation widths %d, %d, %d", len(m.PatternMean), len(m.PatternStd), len(m.SemanticMean))
			}
			for j := range plantedP {
				var mean, v float64
				for i := range n {
					mean += float64(pd.pat[i][j])
				}
				mean /= float64(n)
				for i := range n {
					d := float64(pd.pat[i][j]) - mean
					v += d * d
				}
				std := math.Sqrt(v / float64(n)) // population
				if !relClose(m.PatternMean[j], mean, 1e-12) || !relClose(m.PatternStd[j], std, 1e-12) {
					t.Errorf("pattern %d: mean/std %.17g/%.17g, want %.17g/%.17g", j, m.PatternMean[j], m.PatternStd[j], mean, std)
				}
			}
			if m.PatternStd[plantedP-1] != 0 {
				t.Errorf("constant pattern column: std %g, want 0 (left out)", m.PatternStd[plantedP-1])
			}
			for j := range plantedS {
				var mean float64
				for i := range n {
					mean += float64(pd.sem[i][j])
				}
				mean /= float64(n)
				if !relClose(m.SemanticMean[j], mean, 1e-12) {
					t.Errorf("semantic mean %d = %.17g, want %.17g", j, m.SemanticMean[j], mean)
				}
			}
			// The sample rows are assigned, at their distance.
			if len(s.Assign) != n || len(s.Dist) != n {
				t.Fatalf("len(s.Assign), len(s.Dist) = %d, %d, want %d", len(s.Assign), len(s.Dist), n)
			}
			x := designByHand(s.Pattern, s.Semantic, m)
			cm := mat.NewDense(k, plantedP+plantedS, nil)
			for j, c := range m.Centroids {
				cm.SetRow(j, c)
			}
			var inertia, patNorm float64
			for i := range n {
				j, sd := nearestByHand(x.RawRowView(i), cm)
				if j != s.Assign[i] {
					t.Fatalf("row %d: s.Assign %d, nearest centroid %d", i, s.Assign[i], j)
				}
				if !relClose(s.Dist[i], math.Sqrt(sd), 1e-6) {
					t.Fatalf("row %d: s.Dist %.17g, distance %.17g", i, s.Dist[i], math.Sqrt(sd))
				}
				inertia += sd
				patNorm += sqDist(x.RawRowView(i)[:plantedP], make([]float64, plantedP))
				if sn := math.Sqrt(sqDist(x.RawRowView(i)[plantedP:], make([]float64, plantedS))); !relClose(sn, tc.cfg.SemanticWeight, 1e-12) {
					t.Fatalf("row %d: semantic block norm %g, want the weight %g", i, sn, tc.cfg.SemanticWeight)
				}
			}
			if !relClose(m.Inertia, inertia, 1e-9) {
				t.Errorf("Inertia %.17g, recomputed %.17g", m.Inertia, inertia)
			}
			// The standardised pattern block has mean squared norm
			// w²/P · Σ_j scale_j² over its columns that vary (scale 1 for
			// all without PatternScale).
			var ss float64
			for j := range plantedP - 1 {
				sc := 1.0
				if m.PatternScale != nil {
					sc = m.PatternScale[j]
				}
				ss += sc * sc
			}
			want := tc.cfg.PatternWeight * tc.cfg.PatternWeight * ss / plantedP
			if got := patNorm / float64(n); !relClose(got, want, 1e-9) {
				t.Errorf("mean squared norm of the pattern block %.17g, want %.17g", got, want)
			}
			used := map[int]bool{}
			for _, a := range s.Assign {
				used[a] = true
			}
			if len(used) != k {
				t.Errorf("%d tasks used, K = %d", len(used), k)
			}
			if tc.groups {
				c := mustContingency(t, s.Labels, s.Assign)
				if nmi := c.NMI(); !near(nmi, 1, 1e-12) {
					t.Errorf("planted groups not recovered: NMI %.6f\n%s", nmi, c.Markdown(10))
				}
			}
		})
	}
}

func TestFitChoosesK(t *testing.T) {
	for _, tc := range []struct {
		name     string
		groups   int
		min, max int
	}{
		{"3 groups in 2:6", 3, 2, 6},
		{"4 groups in 2:7", 4, 2, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := planted(600, tc.groups, 5).sample()
			m, err := Fit(context.Background(), s, Config{KMin: tc.min, KMax: tc.max, Seed: 4, PatternWeight: 0.2, SemanticWeight: 1})
			if err != nil {
				t.Fatal(err)
			}
			if m.K != tc.groups {
				t.Errorf("chose K = %d, planted %d groups; tried %+v", m.K, tc.groups, m.KChoice)
			}
			kc := m.KChoice
			if kc == nil {
				t.Fatal("no KChoice")
			}
			if kc.Min != tc.min || kc.Max != tc.max {
				t.Errorf("KChoice range %d:%d, want %d:%d", kc.Min, kc.Max, tc.min, tc.max)
			}
			var ks []int
			best := math.Inf(-1)
			for _, tr := range kc.Tried {
				ks = append(ks, tr.K)
				if tr.Silhouette < -1 || tr.Silhouette > 1 || math.IsNaN(tr.Silhouette) {
					t.Errorf("K=%d: silhouette %v", tr.K, tr.Silhouette)
				}
				best = max(best, tr.Silhouette)
			}
			if want := kGrid(tc.min, tc.max); !slices.Equal(ks, want) {
				t.Errorf("tried %v, want kGrid = %v", ks, want)
			}
			for _, tr := range kc.Tried {
				if tr.K == m.K && tr.Silhouette != best {
					t.Errorf("K=%d chosen with silhouette %g, the best is %g", m.K, tr.Silhouette, best)
				}
			}
			if !strings.Contains(kc.Why, fmt.Sprintf("K=%d", m.K)) {
				t.Errorf("Why = %q does not name K=%d", kc.Why, m.K)
			}
			if len(m.Centroids) != m.K || len(s.Assign) != 600 {
				t.Errorf("%d centroids, %d assigned rows", len(m.Centroids), len(s.Assign))
			}
		})
	}
}

func TestFitErrors(t *testing.T) {
	small := planted(5, 2, 1)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		cfg  Config
		data bool // a *stream.DataError
		is   error
	}{
		{"K larger than the rows", context.Background(), Config{K: 6}, true, nil},
		{"auto with too few rows", context.Background(), Config{KMin: 5, KMax: 8}, true, nil},
		{"cancelled", cancelled, Config{K: 2}, false, context.Canceled},
		{"cancelled auto", cancelled, Config{KMin: 2, KMax: 3}, false, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.PatternWeight, tc.cfg.SemanticWeight = 0.2, 1
			_, err := Fit(tc.ctx, small.sample(), tc.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.data && !stream.IsDataError(err) {
				t.Errorf("err = %v (%T), want a *stream.DataError", err, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
		})
	}
}

func TestKGrid(t *testing.T) {
	for _, tc := range []struct {
		lo, hi int
		want   []int
	}{
		{2, 2, []int{2}},
		{2, 6, []int{2, 3, 4, 5, 6}},
		{3, 18, []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}},
	} {
		t.Run(fmt.Sprintf("%d:%d", tc.lo, tc.hi), func(t *testing.T) {
			if got := kGrid(tc.lo, tc.hi); !slices.Equal(got, tc.want) {
				t.Errorf("kGrid(%d, %d) = %v, want %v", tc.lo, tc.hi, got, tc.want)
			}
		})
	}
	// Wider ranges: 16 values spread geometrically, as documented,
	// increasing, from lo to hi.
	for _, r := range [][2]int{{2, 64}, {2, 18}, {2, 30}, {4, 200}, {2, 1000}} {
		t.Run(fmt.Sprintf("%d:%d", r[0], r[1]), func(t *testing.T) {
			got := kGrid(r[0], r[1])
			if len(got) == 0 || got[0] != r[0] || got[len(got)-1] != r[1] {
				t.Fatalf("kGrid(%d, %d) = %v: not from %d to %d", r[0], r[1], got, r[0], r[1])
			}
			for i := 1; i < len(got); i++ {
				if got[i] <= got[i-1] {
					t.Fatalf("kGrid(%d, %d) = %v: not increasing", r[0], r[1], got)
				}
			}
			if len(got) != 16 {
				t.Errorf("kGrid(%d, %d) = %v: %d values, documented as 16", r[0], r[1], got, len(got))
			}
		})
	}
}

func TestModelSaveLoad(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"K given", Config{K: 3, Seed: 8, PatternWeight: 0.2, SemanticWeight: 1}},
		{"K chosen", Config{KMin: 2, KMax: 5, Seed: 8, PatternWeight: 0.3, SemanticWeight: 0.9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pd := planted(400, 3, 2)
			s := pd.sample()
			m, err := Fit(context.Background(), s, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			p1, p2 := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
			h1, err := m.Save(p1)
			if err != nil {
				t.Fatal(err)
			}
			h2, err := m.Save(p2)
			if err != nil {
				t.Fatal(err)
			}
			b1, _ := os.ReadFile(p1)
			b2, _ := os.ReadFile(p2)
			if !bytes.Equal(b1, b2) || h1 != h2 {
				t.Errorf("two Saves differ")
			}
			sum := sha256.Sum256(b1)
			if h1 != hex.EncodeToString(sum[:]) {
				t.Errorf("Save returned %s, the file's sha256 is %x", h1, sum)
			}
			if h, _ := m.Hash(); h != h1 {
				t.Errorf("Hash %s, Save %s", h, h1)
			}
			back, err := LoadModel(p1)
			if err != nil {
				t.Fatal(err)
			}
			if h, err := back.Hash(); err != nil || h != h1 {
				t.Errorf("loaded model hash %s (%v), saved %s", h, err, h1)
			}
			if (m.KChoice == nil) != (back.KChoice == nil) {
				t.Errorf("KChoice lost")
			}
			// The loaded model assigns the sample as the fitted one did.
			s2 := pd.sample()
			if err := back.AssignSample(s2); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Assign, s2.Assign) || !slices.Equal(s.Dist, s2.Dist) {
				t.Errorf("loaded model assigns differently")
			}
			s3 := pd.sample()
			if err := m.AssignSample(s3); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Assign, s3.Assign) || !slices.Equal(s.Dist, s3.Dist) {
				t.Errorf("AssignSample with the fitted model differs from Fit's assignment")
			}
		})
	}
}

// TestParseModelRejects edits a valid model's JSON and expects a
// *stream.DataError naming the file.
func TestParseModelRejects(t *testing.T) {
	pd := planted(60, 3, 3)
	m, err := Fit(context.Background(), pd.sample(), Config{K: 3, Seed: 1, PatternWeight: 0.2, SemanticWeight: 1})
	if err != nil {
		t.Fatal(err)
	}
	good, err := m.marshal()
	if err != nil {
		t.Fatal(err)
	}
	const name = "models/test-partition.json"
	if _, err := ParseModel(name, good); err != nil {
		t.Fatalf("the unedited model: %v", err)
	}
	edit := func(f func(obj map[string]any)) []byte {
		var obj map[string]any
		if err := json.Unmarshal(good, &obj); err != nil {
			t.Fatal(err)
		}
		f(obj)
		data, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	centroids := func(obj map[string]any) []any { return obj["centroids"].([]any) }
	for _, tc := range []struct {
		name string
		data []byte
		want string // in the message
	}{
		{"empty", nil, "not a partition model"},
		{"not JSON", []byte("k=3\n"), "not a partition model"},
		{"a JSON array", []byte("[1, 2]"), "not a partition model"},
		{"wrong format", edit(func(o map[string]any) { o["format"] = "robustdata-shard" }), "format"},
		{"no format", edit(func(o map[string]any) { delete(o, "format") }), "format"},
		{"version 2", edit(func(o map[string]any) { o["version"] = 2 }), "version 2"},
		{"k above the centroids", edit(func(o map[string]any) { o["k"] = 4 }), "k = 4 with 3 centroids"},
		{"k below the centroids", edit(func(o map[string]any) { o["k"] = 2 }), "k = 2 with 3 centroids"},
		{"k 0", edit(func(o map[string]any) { o["k"] = 0; o["centroids"] = []any{} }), "k = 0"},
		{"short centroid", edit(func(o map[string]any) { c := centroids(o); c[1] = c[1].([]any)[1:] }), "centroid 1 has 39 values, expected 40"},
		{"long centroid", edit(func(o map[string]any) { c := centroids(o); c[2] = append(c[2].([]any), 0.5) }), "centroid 2 has 41 values"},
		{"centroid value out of range", bytes.Replace(good, []byte("\"centroids\": [\n    [\n      "), []byte("\"centroids\": [\n    [\n      1e400, "), 1), "not a partition model"},
		{"centroid value a string", edit(func(o map[string]any) { centroids(o)[0].([]any)[0] = "NaN" }), "not a partition model"},
		{"unknown field", edit(func(o map[string]any) { o["centroid_norms"] = []any{1, 2, 3} }), "unknown field"},
		{"semantic_mean too short", edit(func(o map[string]any) { o["semantic_mean"] = o["semantic_mean"].([]any)[1:] }), "inconsistent dimensions"},
		{"semantic_mean missing", edit(func(o map[string]any) { delete(o, "semantic_mean") }), "inconsistent dimensions"},
		{"pattern_std too long", edit(func(o map[string]any) { o["pattern_std"] = append(o["pattern_std"].([]any), 1) }), "inconsistent dimensions"},
		{"pattern_dim changed", edit(func(o map[string]any) { o["pattern_dim"] = 23 }), "inconsistent dimensions"},
		{"semantic_dim 0", edit(func(o map[string]any) {
			o["semantic_dim"] = 0
			o["semantic_mean"] = []any{}
		}), "inconsistent dimensions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(tc.data, good) {
				t.Fatal("the edit left the model as it was")
			}
			got, err := ParseModel(name, tc.data)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			var de *stream.DataError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want a *stream.DataError", err, err)
			}
			if de.Source != name || !strings.HasPrefix(err.Error(), name+": ") {
				t.Errorf("error %q does not name the file %s", err, name)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
			if strings.ContainsAny(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
	t.Run("LoadModel of a missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.json")
		_, err := LoadModel(path)
		var de *stream.DataError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v, want a DataError naming %s", err, path)
		}
	})
	t.Run("LoadModel of a bad file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(path, bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": 7`), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadModel(path)
		var de *stream.DataError
		if !errors.As(err, &de) || de.Source != path || !strings.Contains(err.Error(), "version 7") {
			t.Errorf("err = %v, want a DataError naming %s and the version", err, path)
		}
	})
}

// TestParseModelTrailingData: a model file is one JSON object. ParseModel
// decodes the first value only, so a file with anything after the model
// (two models concatenated, a half-written second copy) passes as the
// first model, and model.Hash() (recorded in provenance and manifests)
// then differs from the file's sha256, which verify compares.
func TestParseModelTrailingData(t *testing.T) {
	m, err := Fit(context.Background(), planted(60, 3, 3).sample(), Config{K: 3, Seed: 1, PatternWeight: 0.2, SemanticWeight: 1})
	if err != nil {
		t.Fatal(err)
	}
	good, err := m.marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, tail string }{
		{"whitespace only", "\n\n  \t\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseModel("m.json", append(slices.Clone(good), tc.tail...)); err != nil {
				t.Errorf("trailing white space refused: %v", err)
			}
		})
	}
	for _, tc := range []struct{ name, tail string }{
		{"garbage", "garbage"},
		{"a second object", `{"format": "robustdata-partition"}`},
		{"the model twice", string(good)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := append(slices.Clone(good), tc.tail...)
			got, err := ParseModel("m.json", data)
			if err == nil {
				h, _ := got.Hash()
				sum := sha256.Sum256(data)
				t.Errorf("accepted a model followed by %q; its Hash %s… is not the file's sha256 %x…", tc.tail[:min(len(tc.tail), 12)], h[:12], sum[:6])
				return
			}
			if !stream.IsDataError(err) || !strings.Contains(err.Error(), "m.json") {
				t.Errorf("err = %v, want a DataError naming m.json", err)
			}
		})
	}
}

// TestModelNonFinite: JSON has no NaN or infinity, so a model holding one
// cannot be saved, and no file is left behind.
func TestModelNonFinite(t *testing.T) {
	pd := planted(60, 3, 3)
	for _, tc := range []struct {
		name string
		poke func(m *Model)
	}{
		{"+Inf centroid", func(m *Model) { m.Centroids[1][3] = math.Inf(1) }},
		{"NaN centroid", func(m *Model) { m.Centroids[0][0] = math.NaN() }},
		{"-Inf inertia", func(m *Model) { m.Inertia = math.Inf(-1) }},
		{"NaN pattern std", func(m *Model) { m.PatternStd[2] = math.NaN() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Fit(context.Background(), pd.sample(), Config{K: 2, Seed: 1, PatternWeight: 0.2, SemanticWeight: 1})
			if err != nil {
				t.Fatal(err)
			}
			tc.poke(m)
			path := filepath.Join(t.TempDir(), "m.json")
			if _, err := m.Save(path); err == nil {
				t.Errorf("Save accepted a non-finite value")
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Save left %s behind (%v)", path, err)
			}
			if _, err := m.Hash(); err == nil {
				t.Errorf("Hash accepted a non-finite value")
			}
		})
	}
}

// TestFitPatternWeightZero: at pattern weight 0 the pattern block plays no
// part, so replacing the pattern features by noise changes nothing.
func TestFitPatternWeightZero(t *testing.T) {
	pd := planted(500, 3, 4)
	noise := pd
	noise.pat = nil
	rng := rand.New(rand.NewPCG(12, 12))
	for range pd.pat {
		row := make([]float32, plantedP)
		for j := range row {
			row[j] = float32(100 * rng.NormFloat64())
		}
		noise.pat = append(noise.pat, row)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"K=3", Config{K: 3, Seed: 6, SemanticWeight: 1}},
		{"K=5", Config{K: 5, Seed: 6, SemanticWeight: 1, Restarts: 1}},
		{"K auto", Config{KMin: 2, KMax: 5, Seed: 6, SemanticWeight: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := pd.sample(), noise.sample()
			ma, err := Fit(context.Background(), a, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			mb, err := Fit(context.Background(), b, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Assign, b.Assign) || !slices.Equal(a.Dist, b.Dist) || ma.Inertia != mb.Inertia || ma.K != mb.K {
				t.Errorf("pattern weight 0: the pattern features changed the partition")
			}
			for j := range ma.K {
				if !slices.Equal(ma.Centroids[j][plantedP:], mb.Centroids[j][plantedP:]) {
					t.Errorf("centroid %d: semantic parts differ", j)
				}
				for _, v := range ma.Centroids[j][:plantedP] {
					if v != 0 {
						t.Fatalf("centroid %d has pattern part %v at weight 0", j, ma.Centroids[j][:plantedP])
					}
				}
			}
			// Control: with weight the pattern features do count.
			c := tc.cfg
			c.PatternWeight = 1
			a2, b2 := pd.sample(), noise.sample()
			ma2, _ := Fit(context.Background(), a2, c)
			mb2, _ := Fit(context.Background(), b2, c)
			if ma2.Inertia == mb2.Inertia && slices.Equal(a2.Dist, b2.Dist) {
				t.Errorf("pattern weight 1: the pattern features change nothing either")
			}
		})
	}
}

// TestAssignSampleOtherWidths: a model loaded with --model may meet
// features of other widths. The partition command calls AssignSample
// (for the report) before Assign checks the widths, so AssignSample must
// not crash on them.
func TestAssignSampleOtherWidths(t *testing.T) {
	m, err := Fit(context.Background(), planted(60, 3, 1).sample(), Config{K: 3, Seed: 1, PatternWeight: 0.2, SemanticWeight: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p, s int
	}{
		{"wider pattern", plantedP + 2, plantedS},
		{"narrower pattern", plantedP - 4, plantedS},
		{"wider semantic", plantedP, plantedS + 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Sample{Pattern: mat.NewDense(10, tc.p, nil), Semantic: mat.NewDense(10, tc.s, nil)}
			for i := range 10 {
				s.Semantic.Set(i, i%tc.s, 1)
			}
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("AssignSample on %d+%d features (model %d+%d) panics: %v", tc.p, tc.s, plantedP, plantedS, r)
				}
			}()
			err := m.AssignSample(s)
			if err == nil || !stream.IsDataError(err) || !strings.Contains(err.Error(), "the partition model expects") {
				t.Errorf("AssignSample on %d+%d features (model %d+%d): %v, want a DataError about widths", tc.p, tc.s, plantedP, plantedS, err)
			}
		})
	}
}

// TestPatternScale: a pattern feature that follows the semantic clusters
// keeps (and gains) weight, one that varies independently of them drops
// out, a constant one stays 0; NoPatternScale turns the scaling off; the
// scale survives a save and load.
func TestPatternScale(t *testing.T) {
	const n, k = 600, 3
	rng := rand.New(rand.NewPCG(5, 6))
	pat := mat.NewDense(n, 3, nil)
	sem := mat.NewDense(n, 8, nil)
	for i := range n {
		c := i % k
		for j := range 8 {
			sem.Set(i, j, 0.05*rng.NormFloat64())
		}
		sem.Set(i, c, 1)
		pat.Set(i, 0, float64(c)+0.1*rng.NormFloat64()) // follows the topics
		pat.Set(i, 1, rng.NormFloat64())                // independent noise
		pat.Set(i, 2, 7)                                // constant
	}
	sample := func() *Sample {
		return &Sample{Pattern: mat.DenseCopyOf(pat), Semantic: mat.DenseCopyOf(sem), Texts: make([]string, n), Labels: make([]string, n), IDs: make([]string, n)}
	}
	cfg := Config{K: k, Seed: 1, PatternWeight: DefaultPatternWeight, SemanticWeight: DefaultSemanticWeight}
	m, err := Fit(context.Background(), sample(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.PatternScale) != 3 {
		t.Fatalf("PatternScale %v, want 3 values", m.PatternScale)
	}
	if s := m.PatternScale; s[0] < 3.5 || s[1] > 0.1 || s[2] != 0 {
		t.Errorf("PatternScale %v: want > 3.5 for the topical feature, < 0.1 for the noise, 0 for the constant", s)
	}
	path := filepath.Join(t.TempDir(), "p.json")
	if _, err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.PatternScale, m.PatternScale) {
		t.Errorf("loaded PatternScale %v, saved %v", back.PatternScale, m.PatternScale)
	}
	cfg.NoPatternScale = true
	off, err := Fit(context.Background(), sample(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if off.PatternScale != nil {
		t.Errorf("NoPatternScale: PatternScale %v, want none", off.PatternScale)
	}
	m.PatternScale[1] = 5
	data, _ := m.marshal()
	if _, err := ParseModel("bad", data); err == nil {
		t.Error("ParseModel accepted a pattern scale above the gain")
	}
}
