package train

import (
	"bytes"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/robustdata/robustdata/pipeline/dataset"
)

// TestSampledAllNegativesIsExact: with every id of the vocabulary a
// negative, the sampled loss is the exact softmax loss that Loss computes.
func TestSampledAllNegativesIsExact(t *testing.T) {
	cfg := TokenConfig{K: 2, B: 4, W: 8, Vocab: 40, Embed: 6, Hidden: 7, Seed: 3}
	exact := mustToken(t, cfg)
	cfg.Samples = cfg.Vocab
	sampled := mustToken(t, cfg)
	for seed := range uint64(3) {
		b := randomTokenBatch(cfg.K, cfg.B, cfg.W, cfg.Vocab, seed)
		want, err := exact.Loss(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := sampled.fill(b, true, false); err != nil {
			t.Fatal(err)
		}
		got := sampled.sampled.forward(sampled, b)
		for k := range want {
			if math.Abs(got[k]-want[k]) > 1e-5*math.Abs(want[k]) {
				t.Errorf("batch %d: task %d: sampled loss %v, exact %v", seed, k, got[k], want[k])
			}
		}
	}
}

// TestSampledGradient compares the sampled head's gradients with central
// differences of its loss, Σ_k w_k·L_k with the step's negatives fixed.
func TestSampledGradient(t *testing.T) {
	cfg := TokenConfig{K: 2, B: 3, W: 6, Vocab: 30, Embed: 4, Hidden: 5, Seed: 5, Samples: 8}
	m := mustToken(t, cfg)
	b := randomTokenBatch(cfg.K, cfg.B, cfg.W, cfg.Vocab, 11)
	w := []float64{0.3, 0.7}
	sh := m.sampled
	cost := func() float64 {
		var c float64
		for k, l := range sh.forward(m, b) {
			c += w[k] * l
		}
		return c
	}
	if err := m.fill(b, true, false); err != nil {
		t.Fatal(err)
	}
	cost()
	if err := sh.backward(m, w); err != nil {
		t.Fatal(err)
	}
	// The analytic gradient of every parameter element, dense.
	grads := make([][]float64, len(m.params))
	for i, p := range m.params {
		grads[i] = make([]float64, len(p.data))
	}
	for j, x := range sh.gw1 {
		grads[1][j] = float64(x)
	}
	for j, x := range sh.gb1 {
		grads[2][j] = float64(x)
	}
	for r, id := range sh.rows {
		for k := range cfg.Embed {
			grads[0][int(id)*cfg.Embed+k] = float64(sh.gemb[r*cfg.Embed+k])
		}
	}
	for j, id := range sh.cand {
		for k := range cfg.Hidden {
			grads[3][k*cfg.Vocab+int(id)] = float64(sh.gw2c[j*cfg.Hidden+k])
		}
		grads[4][id] = float64(sh.gb2c[j])
	}
	touched := 0
	for i, p := range m.params {
		for j := range p.data {
			x := p.data[j]
			const eps = 1e-4
			p.data[j] = x + eps
			up := cost()
			p.data[j] = x - eps
			down := cost()
			p.data[j] = x
			num := (up - down) / (2 * eps)
			if math.Abs(num-grads[i][j]) > 2e-3+2e-2*math.Abs(num) {
				t.Errorf("%s[%d]: gradient %v, central difference %v", p.name, j, grads[i][j], num)
			}
			if grads[i][j] != 0 {
				touched++
			}
		}
	}
	if touched == 0 {
		t.Fatal("no gradient")
	}
}

// TestSampledEstimate: at a realistic vocabulary the sampled loss of a
// fresh model is close to the exact one, steps are deterministic, and
// training lowers the exact loss.
func TestSampledEstimate(t *testing.T) {
	cfg := TokenConfig{K: 4, B: 8, W: 16, Vocab: 4096, Embed: 16, Hidden: 32, Seed: 1, Samples: 512, LR: 1e-2}
	a, c := mustToken(t, cfg), mustToken(t, cfg)
	var batches []*Batch
	for s := range 4 {
		// Tokens from a small part of the vocabulary, so that there is
		// something to learn in a few steps.
		b := randomTokenBatch(cfg.K, cfg.B, cfg.W, 200, uint64(s))
		batches = append(batches, b)
	}
	exact0, err := a.Loss(batches[0])
	if err != nil {
		t.Fatal(err)
	}
	w := []float64{0.1, 0.2, 0.3, 0.4}
	got, err := a.Step(batches[0], w)
	if err != nil {
		t.Fatal(err)
	}
	for k := range got {
		if math.Abs(got[k]-exact0[k]) > 0.02*exact0[k] {
			t.Errorf("task %d: sampled loss %v, exact %v", k, got[k], exact0[k])
		}
	}
	if _, err := c.Step(batches[0], w); err != nil {
		t.Fatal(err)
	}
	for step := 1; step < 40; step++ {
		la, err := a.Step(batches[step%len(batches)], w)
		if err != nil {
			t.Fatal(err)
		}
		lc, err := c.Step(batches[step%len(batches)], w)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(la, lc) {
			t.Fatalf("step %d: losses %v and %v from two equal models", step, la, lc)
		}
	}
	for i := range a.params {
		if !slices.Equal(a.params[i].data, c.params[i].data) {
			t.Errorf("%s differs between two equal models", a.params[i].name)
		}
	}
	exact1, err := a.Loss(batches[0])
	if err != nil {
		t.Fatal(err)
	}
	if rtSum(exact1) > 0.8*rtSum(exact0) {
		t.Errorf("exact loss %v after 40 sampled steps, %v before", exact1, exact0)
	}

}

// TestRunSampledResume: a masked-token run with the sampled softmax (the
// default at vocabulary 4,096) is deterministic and resumes to the same
// files as an uninterrupted run.
func TestRunSampledResume(t *testing.T) {
	ds := rtSmall(t)
	cfg := rtCfg(ds, filepath.Join(t.TempDir(), "a"), "minimax", ObjectiveToken)
	cfg.Vocab, cfg.Steps = 4096, 20
	rtRun(t, cfg)
	a := rtReadRun(t, cfg.RunDir)
	if !bytes.Contains(a[dataset.ModelJSON], []byte(`"samples": 1024`)) {
		t.Fatalf("model.json does not record the sampled softmax:\n%s", a[dataset.ModelJSON])
	}
	cfg.RunDir = filepath.Join(t.TempDir(), "b")
	rtKilled(t, cfg, 13, nil)
	cfg.Resume = true
	rtRun(t, cfg)
	rtSameRun(t, a, rtReadRun(t, cfg.RunDir), "resumed sampled run")
}
