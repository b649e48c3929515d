package train

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline/safetensors"
)

// plantedRegression draws batches whose task k's vectors lie in a 2-D
// subspace of R^D: x = A_k·z with z ~ N(0, I₂) and A_k a fixed random D×2
// matrix (entries N(0, 1/2), so E[x_j²] = 1). Every coordinate of x is a
// linear function of any two others, so a masked coordinate can be
// recovered from the unmasked ones. With disjoint, A_k is zero outside
// task k's own block of D/K coordinates (the tasks share no coordinate).
type plantedRegression struct {
	k, b, d int
	bases   [][]float64 // per task, D×2 row-major
	rng     *rand.Rand
}

func newPlantedRegression(k, b, d int, disjoint bool, seed uint64) *plantedRegression {
	rng := rand.New(rand.NewPCG(seed, 1))
	p := &plantedRegression{k: k, b: b, d: d, rng: rng}
	for t := range k {
		a := make([]float64, 2*d)
		for i := range a {
			if j := i / 2; !disjoint || j*k/d == t {
				a[i] = rng.NormFloat64() / math.Sqrt2
			}
		}
		p.bases = append(p.bases, a)
	}
	return p
}

func (p *plantedRegression) batch(seed uint64) *Batch {
	b := &Batch{K: p.k, B: p.b, D: p.d, X: make([]float32, p.k*p.b*p.d), Seed: seed}
	for t := range p.k {
		a := p.bases[t]
		for i := range p.b {
			z0, z1 := p.rng.NormFloat64(), p.rng.NormFloat64()
			row := b.X[(t*p.b+i)*p.d:]
			for j := range p.d {
				row[j] = float32(a[2*j]*z0 + a[2*j+1]*z1)
			}
		}
	}
	return b
}

// randomBatch returns a batch of standard normal vectors.
func randomRegressionBatch(k, b, d int, seed uint64) *Batch {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, k*b*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return &Batch{K: k, B: b, D: d, X: x, Seed: seed}
}

func uniformWeights(k int) []float64 {
	w := make([]float64, k)
	for i := range w {
		w[i] = 1 / float64(k)
	}
	return w
}

func mustRegression(t testing.TB, cfg RegressionConfig) *MaskedRegression {
	t.Helper()
	m, err := NewMaskedRegression(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func mustStep(t testing.TB, m Model, b *Batch, w []float64) []float64 {
	t.Helper()
	l, err := m.Step(b, w)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustLoss(t testing.TB, m Model, b *Batch) []float64 {
	t.Helper()
	l, err := m.Loss(b)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// wantErr fails unless err is non-nil and contains every fragment.
func wantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Fatalf("error %q does not contain %q", err, f)
		}
	}
	if !strings.HasPrefix(err.Error(), "robustdata/train: ") {
		t.Fatalf("error %q does not start with robustdata/train: ", err)
	}
}

// stateValues returns every float tensor of a model's state by name.
func stateValues(t *testing.T, m Model) map[string][]float32 {
	t.Helper()
	st, err := m.State()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, x := range st {
		if x.DType == safetensors.DTypeF32 {
			v, err := x.Float32s()
			if err != nil {
				t.Fatal(err)
			}
			out[x.Name] = v
		}
	}
	return out
}

// sameBits reports whether two float32 slices are bit-identical.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// checkpointRoundTrip writes a model's state as safetensors bytes and reads
// it back.
func checkpointRoundTrip(t *testing.T, m Model) *safetensors.File {
	t.Helper()
	st, err := m.State()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, &safetensors.File{Tensors: st}); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// checkResume trains 5 steps, saves the state, trains 5 more, then
// restores the saved state (through safetensors bytes) into a fresh model
// and checks that 5 steps repeat the losses and reach the same state, bit
// for bit.
func checkResume(t *testing.T, newModel func(seed uint64) Model, batch func(step int) *Batch, w []float64) {
	m := newModel(1)
	for s := range 5 {
		mustStep(t, m, batch(s), w)
	}
	saved := checkpointRoundTrip(t, m)
	var want [][]float64
	for s := 5; s < 10; s++ {
		want = append(want, mustStep(t, m, batch(s), w))
	}
	wantState := stateValues(t, m)

	fresh := newModel(99) // another seed: SetState must overwrite everything
	if err := fresh.SetState(saved); err != nil {
		t.Fatal(err)
	}
	for s := 5; s < 10; s++ {
		got := mustStep(t, fresh, batch(s), w)
		if !slices.Equal(got, want[s-5]) {
			t.Fatalf("step %d after resume: losses %v, uninterrupted %v", s, got, want[s-5])
		}
	}
	gotState := stateValues(t, fresh)
	for name, v := range wantState {
		if !sameBits(gotState[name], v) {
			t.Fatalf("tensor %s differs after resume", name)
		}
	}
	st, _ := fresh.State()
	if tt, _ := (&safetensors.File{Tensors: st}).Tensor("adam.t"); true {
		n, err := tt.Int64s()
		if err != nil || n[0] != 10 {
			t.Fatalf("adam.t = %v (%v), want 10", n, err)
		}
	}
}

func TestRegressionConfig(t *testing.T) {
	ok := RegressionConfig{K: 2, B: 3, D: 4}
	cases := []struct {
		name string
		edit func(*RegressionConfig)
		want string
	}{
		{"zero K", func(c *RegressionConfig) { c.K = 0 }, "K is 0"},
		{"negative B", func(c *RegressionConfig) { c.B = -1 }, "B is -1"},
		{"zero D", func(c *RegressionConfig) { c.D = 0 }, "D is 0"},
		{"negative hidden", func(c *RegressionConfig) { c.Hidden = -3 }, "Hidden is -3"},
		{"mask rate above 1", func(c *RegressionConfig) { c.MaskRate = 1.5 }, "mask rate is 1.5"},
		{"negative mask rate", func(c *RegressionConfig) { c.MaskRate = -0.1 }, "mask rate"},
		{"NaN mask rate", func(c *RegressionConfig) { c.MaskRate = math.NaN() }, "mask rate"},
		{"negative LR", func(c *RegressionConfig) { c.LR = -1 }, "learning rate"},
		{"infinite LR", func(c *RegressionConfig) { c.LR = math.Inf(1) }, "learning rate"},
		{"huge", func(c *RegressionConfig) { c.K, c.B, c.D = 1<<20, 1<<20, 1<<20 }, "too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.edit(&cfg)
			m, err := NewMaskedRegression(cfg)
			if m != nil {
				m.Close()
			}
			wantErr(t, err, c.want)
		})
	}
	t.Run("defaults", func(t *testing.T) {
		m := mustRegression(t, ok)
		if m.cfg.Hidden != 128 || m.cfg.MaskRate != 0.25 || m.cfg.LR != 1e-3 {
			t.Fatalf("defaults: %+v", m.cfg)
		}
		st, err := m.State()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range st {
			names = append(names, x.Name+fmt.Sprint(x.Shape))
		}
		want := []string{"regression.w1[8 128]", "regression.b1[128]", "regression.w2[128 4]", "regression.b2[4]",
			"adam.m.regression.w1[8 128]", "adam.m.regression.b1[128]", "adam.m.regression.w2[128 4]", "adam.m.regression.b2[4]",
			"adam.v.regression.w1[8 128]", "adam.v.regression.b1[128]", "adam.v.regression.w2[128 4]", "adam.v.regression.b2[4]",
			"adam.t[1]"}
		if !slices.Equal(names, want) {
			t.Fatalf("state tensors %v, want %v", names, want)
		}
	})
	t.Run("edge sizes", func(t *testing.T) {
		for _, cfg := range []RegressionConfig{{K: 1, B: 1, D: 1, Hidden: 1}, {K: 1, B: 5, D: 2, Hidden: 1}, {K: 3, B: 1, D: 1, Hidden: 2}, {K: 2, B: 2, D: 3, MaskRate: 1}} {
			m := mustRegression(t, cfg)
			b := randomRegressionBatch(cfg.K, cfg.B, cfg.D, 5)
			l := mustStep(t, m, b, uniformWeights(cfg.K))
			if len(l) != cfg.K {
				t.Fatalf("%+v: %d losses", cfg, len(l))
			}
			for _, v := range l {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%+v: loss %v", cfg, v)
				}
			}
			h, err := m.Represent(b)
			if err != nil || len(h) != cfg.K*cfg.B || len(h[0]) != m.cfg.Hidden {
				t.Fatalf("%+v: represent %d×%d, %v", cfg, len(h), len(h[0]), err)
			}
		}
	})
}

func TestRegressionBatchErrors(t *testing.T) {
	m := mustRegression(t, RegressionConfig{K: 2, B: 3, D: 4, Hidden: 5})
	good := func() *Batch { return randomRegressionBatch(2, 3, 4, 1) }
	w := []float64{0.5, 0.5}
	cases := []struct {
		name  string
		batch *Batch
		w     []float64
		want  string
	}{
		{"nil batch", nil, w, "nil batch"},
		{"wrong K", func() *Batch { b := good(); b.K = 3; return b }(), w, "K=3"},
		{"wrong D", func() *Batch { b := good(); b.D = 5; return b }(), w, "D=5"},
		{"short X", func() *Batch { b := good(); b.X = b.X[:20]; return b }(), w, "20 values"},
		{"NaN value", func() *Batch { b := good(); b.X[13] = float32(math.NaN()); return b }(), w, "example 3 (task 1) holds NaN at coordinate 1"},
		{"infinite value", func() *Batch { b := good(); b.X[0] = float32(math.Inf(-1)); return b }(), w, "-Inf"},
		{"few weights", good(), []float64{1}, "1 task weights for 2 tasks"},
		{"negative weight", good(), []float64{1, -1}, "task 1 has weight -1"},
		{"NaN weight", good(), []float64{math.NaN(), 1}, "task 0 has weight NaN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := m.Step(c.batch, c.w)
			wantErr(t, err, c.want)
		})
	}
	t.Run("failed steps leave the model alone", func(t *testing.T) {
		st, _ := m.State()
		if tt, _ := (&safetensors.File{Tensors: st}).Tensor("adam.t"); true {
			n, _ := tt.Int64s()
			if n[0] != 0 {
				t.Fatalf("adam.t = %d after failed steps", n[0])
			}
		}
	})
	t.Run("closed", func(t *testing.T) {
		m := mustRegression(t, RegressionConfig{K: 1, B: 1, D: 2, Hidden: 2})
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal("second Close:", err)
		}
		b := randomRegressionBatch(1, 1, 2, 1)
		_, err := m.Step(b, []float64{1})
		wantErr(t, err, "closed")
		_, err = m.Loss(b)
		wantErr(t, err, "closed")
		_, err = m.Represent(b)
		wantErr(t, err, "closed")
		_, err = m.State()
		wantErr(t, err, "closed")
		wantErr(t, m.SetState(&safetensors.File{}), "closed")
	})
}

func TestRegressionMasks(t *testing.T) {
	for _, c := range []struct {
		d    int
		rate float64
		want int
	}{{8, 0.25, 2}, {3, 0.25, 1}, {1, 0.25, 1}, {10, 0.01, 1}, {152, 0.25, 38}, {4, 1, 4}} {
		m := mustRegression(t, RegressionConfig{K: 2, B: 8, D: c.d, Hidden: 2, MaskRate: c.rate})
		b := randomRegressionBatch(2, 8, c.d, 3)
		masks := func(seed uint64) []float32 {
			b.Seed = seed
			m.fill(b, true)
			in := m.in.Data().([]float32)
			mw := m.mw.Data().([]float32)
			var out []float32
			for i := range 16 {
				row := in[i*2*c.d : (i+1)*2*c.d]
				n := 0
				for j := range c.d {
					switch row[c.d+j] {
					case 1:
						n++
						if row[j] != 0 || mw[i*c.d+j] != 1/float32(c.want) {
							t.Fatalf("D=%d: example %d coordinate %d is masked but input %v, weight %v", c.d, i, j, row[j], mw[i*c.d+j])
						}
					case 0:
						if row[j] != b.X[i*c.d+j] || mw[i*c.d+j] != 0 {
							t.Fatalf("D=%d: example %d coordinate %d is not masked but input %v (x %v), weight %v", c.d, i, j, row[j], b.X[i*c.d+j], mw[i*c.d+j])
						}
					default:
						t.Fatalf("mask value %v", row[c.d+j])
					}
				}
				if n != c.want {
					t.Fatalf("D=%d rate %v: example %d has %d masked coordinates, want %d", c.d, c.rate, i, n, c.want)
				}
				out = append(out, row[c.d:]...)
			}
			return out
		}
		a, a2, other := masks(11), masks(11), masks(12)
		if !slices.Equal(a, a2) {
			t.Fatalf("D=%d: the same seed gave other masks", c.d)
		}
		if c.want < c.d && c.d > 2 && slices.Equal(a, other) {
			t.Fatalf("D=%d: another seed gave the same masks", c.d)
		}
	}
}

func TestRegressionDeterminism(t *testing.T) {
	cfg := RegressionConfig{K: 3, B: 4, D: 6, Hidden: 8, Seed: 5}
	run := func(seed uint64) [][]float64 {
		c := cfg
		c.Seed = seed
		m := mustRegression(t, c)
		var out [][]float64
		for s := range 5 {
			out = append(out, mustStep(t, m, randomRegressionBatch(3, 4, 6, uint64(s)), []float64{0.2, 0.3, 0.5}))
		}
		return out
	}
	a, b, c := run(5), run(5), run(6)
	for s := range a {
		if !slices.Equal(a[s], b[s]) {
			t.Fatalf("step %d: same seed, losses %v and %v", s, a[s], b[s])
		}
		if slices.Equal(a[s], c[s]) {
			t.Fatalf("step %d: seeds 5 and 6 gave the same losses %v", s, a[s])
		}
	}
}

// regressionCost64 computes Σ_k w_k·L_k in float64 from the model's
// filled inputs and the given parameters (w1, b1, w2, b2).
func regressionCost64(m *MaskedRegression, p [][]float64, w []float64) (float64, []float64) {
	d, hd, n := m.cfg.D, m.cfg.Hidden, m.n
	in := m.in.Data().([]float32)
	x := m.x.Data().([]float32)
	mw := m.mw.Data().([]float32)
	avg := m.avg.Data().([]float32)
	w1, b1, w2, b2 := p[0], p[1], p[2], p[3]
	ell := make([]float64, n)
	h := make([]float64, hd)
	for i := range n {
		for c := range hd {
			s := b1[c]
			for j := range 2 * d {
				s += float64(in[i*2*d+j]) * w1[j*hd+c]
			}
			h[c] = max(s, 0)
		}
		for j := range d {
			y := b2[j]
			for c := range hd {
				y += h[c] * w2[c*d+j]
			}
			e := y - float64(x[i*d+j])
			ell[i] += float64(mw[i*d+j]) * e * e
		}
	}
	return taskCost(avg, ell, w)
}

// taskCost returns Σ_k w_k·L_k and L, with L = avg·ℓ.
func taskCost(avg []float32, ell, w []float64) (float64, []float64) {
	n := len(ell)
	ls := make([]float64, len(w))
	cost := 0.0
	for k := range w {
		for i := range n {
			ls[k] += float64(avg[k*n+i]) * ell[i]
		}
		cost += w[k] * ls[k]
	}
	return cost, ls
}

// gradCheck compares the gradients the training graph computes for b and
// w with central finite differences of cost64 (float64), and the graph's
// losses with cost64's. It returns the largest relative gradient error.
func gradCheck(t *testing.T, mg *modelGraph, params []*modelParam, w []float64, cost64 func(p [][]float64) (float64, []float64)) float64 {
	t.Helper()
	var losses []float64
	var grads [][]float32
	err := mg.run(func() error {
		var err error
		if losses, err = mg.readLosses(); err != nil {
			return err
		}
		g, err := mg.gradients()
		for _, x := range g {
			grads = append(grads, slices.Clone(x))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	p := make([][]float64, len(params))
	for i, q := range params {
		for _, v := range q.data {
			p[i] = append(p[i], float64(v))
		}
	}
	_, ref := cost64(p)
	for k := range ref {
		if math.Abs(losses[k]-ref[k]) > 1e-5*max(1, math.Abs(ref[k])) {
			t.Fatalf("task %d: graph loss %v, float64 reference %v", k, losses[k], ref[k])
		}
	}
	const h = 1e-6
	worst := 0.0
	var scale float64
	fd := make([][]float64, len(params))
	for i := range p {
		for j := range p[i] {
			v := p[i][j]
			p[i][j] = v + h
			up, _ := cost64(p)
			p[i][j] = v - h
			down, _ := cost64(p)
			p[i][j] = v
			fd[i] = append(fd[i], (up-down)/(2*h))
			scale = max(scale, math.Abs(fd[i][j]))
		}
	}
	for i := range p {
		for j := range p[i] {
			g, want := float64(grads[i][j]), fd[i][j]
			rel := math.Abs(g-want) / max(math.Abs(want), 1e-3*scale, 1e-12)
			if rel > 1e-3 {
				t.Errorf("d cost/d %s[%d] = %v, finite differences %v (relative error %.2g)", params[i].name, j, g, want, rel)
			}
			worst = max(worst, rel)
		}
	}
	return worst
}

func TestRegressionGradient(t *testing.T) {
	for _, c := range []struct {
		cfg RegressionConfig
		w   []float64
	}{
		{RegressionConfig{K: 2, B: 2, D: 3, Hidden: 4, Seed: 1}, []float64{0.7, 0.3}},
		{RegressionConfig{K: 2, B: 2, D: 3, Hidden: 4, Seed: 2}, []float64{1, 0}},
		{RegressionConfig{K: 1, B: 1, D: 3, Hidden: 4, Seed: 3}, []float64{2}},
		{RegressionConfig{K: 3, B: 2, D: 5, Hidden: 6, Seed: 4, MaskRate: 0.5}, []float64{0.2, 0.5, 0.3}},
	} {
		m := mustRegression(t, c.cfg)
		// A few steps so that biases are not zero.
		for s := range 3 {
			mustStep(t, m, randomRegressionBatch(c.cfg.K, c.cfg.B, c.cfg.D, uint64(s)), uniformWeights(c.cfg.K))
		}
		b := randomRegressionBatch(c.cfg.K, c.cfg.B, c.cfg.D, 42)
		m.fill(b, true)
		if err := setTaskWeights(m.w, c.w); err != nil {
			t.Fatal(err)
		}
		worst := gradCheck(t, m.train, m.params, c.w, func(p [][]float64) (float64, []float64) { return regressionCost64(m, p, c.w) })
		t.Logf("%+v w=%v: largest relative gradient error %.2g", c.cfg, c.w, worst)
	}
}

func TestRegressionLearns(t *testing.T) {
	cfg := RegressionConfig{K: 2, B: 32, D: 8, Hidden: 64, LR: 3e-3, Seed: 1}
	m := mustRegression(t, cfg)
	data := newPlantedRegression(2, 32, 8, false, 3)
	eval := data.batch(1000)
	before := mustLoss(t, m, eval)
	for s := range 300 {
		mustStep(t, m, data.batch(uint64(s)), []float64{0.5, 0.5})
	}
	after := mustLoss(t, m, eval)
	for k := range before {
		t.Logf("task %d: loss %.4f → %.4f (%.0f%% lower)", k, before[k], after[k], 100*(1-after[k]/before[k]))
		if after[k] > 0.5*before[k] {
			t.Errorf("task %d: loss %.4f → %.4f, not lowered by half", k, before[k], after[k])
		}
	}
}

func TestRegressionWeightsMatter(t *testing.T) {
	cfg := RegressionConfig{K: 2, B: 32, D: 8, Hidden: 64, LR: 3e-3, Seed: 1}
	data := newPlantedRegression(2, 32, 8, true, 3)
	eval := data.batch(1000)
	train := func(w []float64) (before, after []float64) {
		m := mustRegression(t, cfg)
		before = mustLoss(t, m, eval)
		d := newPlantedRegression(2, 32, 8, true, 3)
		for s := range 300 {
			mustStep(t, m, d.batch(uint64(s)), w)
		}
		return before, mustLoss(t, m, eval)
	}
	b0, a0 := train([]float64{1, 0})
	d0, d1 := b0[0]-a0[0], b0[1]-a0[1]
	t.Logf("w=(1,0): task 0 %.4f → %.4f (Δ %.4f); task 1 %.4f → %.4f (Δ %.4f); |Δ1/Δ0| = %.3f", b0[0], a0[0], d0, b0[1], a0[1], d1, math.Abs(d1/d0))
	if d0 <= 0 || math.Abs(d1) > 0.25*d0 {
		t.Errorf("w=(1,0): task 0 loss fell by %.4f, task 1's changed by %.4f; want |Δ1| ≤ 0.25·Δ0", d0, d1)
	}
	b1, a1 := train([]float64{0, 1})
	e0, e1 := b1[0]-a1[0], b1[1]-a1[1]
	t.Logf("w=(0,1): task 0 Δ %.4f; task 1 Δ %.4f; |Δ0/Δ1| = %.3f", e0, e1, math.Abs(e0/e1))
	if e1 <= 0 || math.Abs(e0) > 0.25*e1 {
		t.Errorf("w=(0,1): task 1 loss fell by %.4f, task 0's changed by %.4f; want |Δ0| ≤ 0.25·Δ1", e1, e0)
	}
}

// checkZeroWeightIgnored checks that a task of weight 0 has no effect on
// a step: changing its examples changes its loss but leaves the updated
// parameters equal.
func checkZeroWeightIgnored(t *testing.T, newModel func() Model, b, other *Batch, w []float64) {
	t.Helper()
	m1, m2 := newModel(), newModel()
	l1, l2 := mustStep(t, m1, b, w), mustStep(t, m2, other, w)
	if l1[0] != l2[0] || l1[1] == l2[1] {
		t.Fatalf("losses %v and %v: want task 0's equal, task 1's different", l1, l2)
	}
	s1, s2 := stateValues(t, m1), stateValues(t, m2)
	for name, v := range s1 {
		if !slices.Equal(v, s2[name]) {
			t.Fatalf("%s differs: the examples of a task of weight 0 changed the step", name)
		}
	}
}

func TestRegressionZeroWeight(t *testing.T) {
	b := randomRegressionBatch(2, 4, 6, 1)
	other := randomRegressionBatch(2, 4, 6, 2)
	copy(other.X[:4*6], b.X[:4*6]) // task 0 the same, task 1 other vectors
	other.Seed = b.Seed
	checkZeroWeightIgnored(t, func() Model { return mustRegression(t, RegressionConfig{K: 2, B: 4, D: 6, Hidden: 8}) }, b, other, []float64{1, 0})
}

func TestRegressionLossMatchesStep(t *testing.T) {
	m := mustRegression(t, RegressionConfig{K: 2, B: 4, D: 6, Hidden: 8})
	b := randomRegressionBatch(2, 4, 6, 9)
	before := stateValues(t, m)
	l1, l2 := mustLoss(t, m, b), mustLoss(t, m, b)
	if _, err := m.Represent(b); err != nil {
		t.Fatal(err)
	}
	after := stateValues(t, m)
	for name, v := range before {
		if !sameBits(v, after[name]) {
			t.Fatalf("Loss or Represent changed %s", name)
		}
	}
	step := mustStep(t, m, b, []float64{1, 1})
	if !slices.Equal(l1, l2) || !slices.Equal(l1, step) {
		t.Fatalf("Loss %v, again %v, Step %v", l1, l2, step)
	}
	if l3 := mustLoss(t, m, b); l3[0] >= l1[0] && l3[1] >= l1[1] {
		t.Fatalf("a step did not lower the loss: %v → %v", l1, l3)
	}
	// Changing w between steps changes nothing but the weighting.
	if _, err := m.Step(b, []float64{0.1, 3}); err != nil {
		t.Fatal(err)
	}
}

func TestRegressionNonFiniteLossSkipsUpdate(t *testing.T) {
	m := mustRegression(t, RegressionConfig{K: 2, B: 2, D: 3, Hidden: 4})
	b := randomRegressionBatch(2, 2, 3, 1)
	b.X[0] = 3e38 // finite, but its square overflows float32
	before := stateValues(t, m)
	l, err := m.Step(b, []float64{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(l[0], 1) && !math.IsNaN(l[0]) {
		t.Fatalf("loss %v, want +Inf or NaN", l[0])
	}
	after := stateValues(t, m)
	for name, v := range before {
		if !sameBits(v, after[name]) {
			t.Fatalf("a non-finite loss changed %s", name)
		}
	}
}

func TestRegressionState(t *testing.T) {
	cfg := RegressionConfig{K: 2, B: 4, D: 6, Hidden: 8}
	data := newPlantedRegression(2, 4, 6, false, 1)
	batches := make([]*Batch, 10)
	for s := range batches {
		batches[s] = data.batch(uint64(s))
	}
	checkResume(t, func(seed uint64) Model {
		c := cfg
		c.Seed = seed
		return mustRegression(t, c)
	}, func(s int) *Batch { return batches[s] }, []float64{0.3, 0.7})

	t.Run("initial parameters", func(t *testing.T) {
		a := stateValues(t, mustRegression(t, RegressionConfig{K: 1, B: 1, D: 10, Hidden: 20, Seed: 7}))
		b := stateValues(t, mustRegression(t, RegressionConfig{K: 1, B: 1, D: 10, Hidden: 20, Seed: 7}))
		c := stateValues(t, mustRegression(t, RegressionConfig{K: 1, B: 1, D: 10, Hidden: 20, Seed: 8}))
		limit := math.Sqrt(6.0 / (20 + 20))
		for _, name := range []string{"regression.w1", "regression.w2"} {
			if !sameBits(a[name], b[name]) || sameBits(a[name], c[name]) {
				t.Fatalf("%s: same seed must give the same values, another seed others", name)
			}
			lim := limit
			if name == "regression.w2" {
				lim = math.Sqrt(6.0 / (20 + 10))
			}
			for _, v := range a[name] {
				if math.Abs(float64(v)) > lim {
					t.Fatalf("%s: %v outside ±%v", name, v, lim)
				}
			}
		}
		for _, name := range []string{"regression.b1", "regression.b2", "adam.m.regression.w1", "adam.v.regression.b2"} {
			for _, v := range a[name] {
				if v != 0 {
					t.Fatalf("%s is not zero", name)
				}
			}
		}
	})
}

func TestRegressionSetStateErrors(t *testing.T) {
	cfg := RegressionConfig{K: 2, B: 2, D: 6, Hidden: 8}
	good := func() *safetensors.File {
		m := mustRegression(t, cfg)
		mustStep(t, m, randomRegressionBatch(2, 2, 6, 1), []float64{1, 1})
		st, _ := m.State()
		st = append(st, safetensors.I64("train.step", []int64{1}, []int64{1})) // not the model's: ignored
		return &safetensors.File{Tensors: st}
	}
	replace := func(name string, t2 safetensors.Tensor) *safetensors.File {
		f := good()
		for i := range f.Tensors {
			if f.Tensors[i].Name == name {
				t2.Name = name
				f.Tensors[i] = t2
			}
		}
		return f
	}
	drop := func(name string) *safetensors.File {
		f := good()
		f.Tensors = slices.DeleteFunc(f.Tensors, func(x safetensors.Tensor) bool { return x.Name == name })
		return f
	}
	other := mustRegression(t, RegressionConfig{K: 2, B: 2, D: 5, Hidden: 8})
	otherState, _ := other.State()
	cases := []struct {
		name string
		f    *safetensors.File
		want string
	}{
		{"nil", nil, "no checkpoint"},
		{"missing parameter", drop("regression.b1"), "checkpoint has no tensor regression.b1"},
		{"missing moment", drop("adam.v.regression.w2"), "checkpoint has no tensor adam.v.regression.w2"},
		{"missing step", drop("adam.t"), "checkpoint has no tensor adam.t"},
		{"other D", &safetensors.File{Tensors: otherState}, "checkpoint tensor regression.w1 has shape [10 8], the model needs [12 8]"},
		{"wrong dtype", replace("regression.b2", safetensors.F64("", []int64{6}, make([]float64, 6))), "checkpoint tensor regression.b2 has dtype F64, the model needs F32"},
		{"wrong rank", replace("regression.b2", safetensors.F32("", []int64{6, 1}, make([]float32, 6))), "has shape [6 1], the model needs [6]"},
		{"NaN", replace("adam.m.regression.b2", safetensors.F32("", []int64{6}, []float32{0, 0, float32(math.NaN()), 0, 0, 0})), "adam.m.regression.b2 holds NaN at element 2"},
		{"step dtype", replace("adam.t", safetensors.F32("", []int64{1}, []float32{1})), "adam.t has dtype F32, the model needs I64"},
		{"negative step", replace("adam.t", safetensors.I64("", []int64{1}, []int64{-4})), "adam.t is -4"},
		{"bad data length", replace("regression.b2", safetensors.Tensor{DType: safetensors.DTypeF32, Shape: []int64{6}, Data: make([]byte, 5)}), "regression.b2"},
	}
	m := mustRegression(t, cfg)
	before := stateValues(t, m)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, m.SetState(c.f), c.want)
			after := stateValues(t, m)
			for name, v := range before {
				if !sameBits(v, after[name]) {
					t.Fatalf("a failed SetState changed %s", name)
				}
			}
		})
	}
	if err := m.SetState(good()); err != nil {
		t.Fatal(err)
	}
}

func TestRegressionRepresent(t *testing.T) {
	cfg := RegressionConfig{K: 3, B: 4, D: 5, Hidden: 7}
	m := mustRegression(t, cfg)
	for s := range 3 {
		mustStep(t, m, randomRegressionBatch(3, 4, 5, uint64(s)), uniformWeights(3))
	}
	b := randomRegressionBatch(3, 4, 5, 77)
	h1, err := m.Represent(b)
	if err != nil {
		t.Fatal(err)
	}
	b.Seed = 12345 // masks do not matter
	h2, err := m.Represent(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(h1) != 12 {
		t.Fatalf("%d vectors, want K·B = 12", len(h1))
	}
	p := stateValues(t, m)
	w1, b1 := p["regression.w1"], p["regression.b1"]
	for i := range h1 {
		if len(h1[i]) != 7 || !sameBits(h1[i], h2[i]) {
			t.Fatalf("vector %d: %v then %v", i, h1[i], h2[i])
		}
		for c := range 7 {
			s := float64(b1[c])
			for j := range 5 {
				s += float64(b.X[i*5+j]) * float64(w1[j*7+c]) // second half of the input is 0
			}
			if want := max(s, 0); math.Abs(float64(h1[i][c])-want) > 1e-5 {
				t.Fatalf("h[%d][%d] = %v, want relu([x,0]·w1+b1) = %v", i, c, h1[i][c], want)
			}
		}
	}
	// The vectors are the caller's.
	h1[0][0] = 1e9
	h3, _ := m.Represent(b)
	if h3[0][0] == 1e9 {
		t.Fatal("Represent returned memory it reuses")
	}
}
