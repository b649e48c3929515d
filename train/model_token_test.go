package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/robustdata/robustdata/pipeline/safetensors"
)

// plantedTokens draws windows for K tasks over a vocabulary of V ids: task
// k's windows use only the k-th of K disjoint slices of the vocabulary (two
// halves for K = 2), so the context tells the half; inside its slice, a
// window repeats the ids of one group of `group` consecutive ids, so the
// context also tells the group. The best loss is log(group), against
// log(V) for a model that knows nothing.
type plantedTokens struct {
	k, b, w, v, group int
	rng               *rand.Rand
}

func (p *plantedTokens) batch(seed uint64) *Batch {
	b := &Batch{K: p.k, B: p.b, W: p.w, Tokens: make([]int32, p.k*p.b*p.w), Seed: seed}
	per := p.v / p.k
	for t := range p.k {
		for i := range p.b {
			g := p.rng.IntN(per / p.group)
			row := b.Tokens[(t*p.b+i)*p.w:]
			for j := range p.w {
				row[j] = int32(t*per + g*p.group + p.rng.IntN(p.group))
			}
		}
	}
	return b
}

func randomTokenBatch(k, b, w, v int, seed uint64) *Batch {
	rng := rand.New(rand.NewPCG(seed, 9))
	toks := make([]int32, k*b*w)
	for i := range toks {
		toks[i] = int32(rng.IntN(v+2)) - 1 // some padding
		if toks[i] >= int32(v) {
			toks[i] = -1
		}
	}
	return &Batch{K: k, B: b, W: w, Tokens: toks, Seed: seed}
}

func mustToken(t testing.TB, cfg TokenConfig) *MaskedToken {
	t.Helper()
	m, err := NewMaskedToken(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestTokenConfig(t *testing.T) {
	ok := TokenConfig{K: 2, B: 3, W: 4, Vocab: 10, Embed: 3, Hidden: 5}
	cases := []struct {
		name string
		edit func(*TokenConfig)
		want string
	}{
		{"zero K", func(c *TokenConfig) { c.K = 0 }, "K is 0"},
		{"zero B", func(c *TokenConfig) { c.B = 0 }, "B is 0"},
		{"negative W", func(c *TokenConfig) { c.W = -2 }, "W is -2"},
		{"negative vocab", func(c *TokenConfig) { c.Vocab = -1 }, "Vocab is -1"},
		{"vocabulary of one", func(c *TokenConfig) { c.Vocab = 1 }, "Vocab is 1, it must be at least 2"},
		{"negative embed", func(c *TokenConfig) { c.Embed = -1 }, "Embed is -1"},
		{"negative hidden", func(c *TokenConfig) { c.Hidden = -1 }, "Hidden is -1"},
		{"mask rate", func(c *TokenConfig) { c.MaskRate = 2 }, "mask rate is 2"},
		{"LR", func(c *TokenConfig) { c.LR = math.NaN() }, "learning rate is NaN"},
		{"huge", func(c *TokenConfig) { c.K, c.B, c.Vocab = 1024, 1024, 1<<14 }, "too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.edit(&cfg)
			m, err := NewMaskedToken(cfg)
			if m != nil {
				m.Close()
			}
			wantErr(t, err, c.want)
		})
	}
	t.Run("defaults", func(t *testing.T) {
		m := mustToken(t, TokenConfig{K: 1, B: 1, W: 4})
		c := m.cfg
		if c.Vocab != 1<<14 || c.Embed != 64 || c.Hidden != 128 || c.MaskRate != 0.15 || c.LR != 1e-3 {
			t.Fatalf("defaults: %+v", c)
		}
		st, err := m.State()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range st[:5] {
			names = append(names, x.Name+fmt.Sprint(x.Shape))
		}
		want := []string{"token.embed[16384 64]", "token.w1[64 128]", "token.b1[128]", "token.w2[128 16384]", "token.b2[16384]"}
		if !slices.Equal(names, want) || len(st) != 16 || st[15].Name != "adam.t" || st[5].Name != "adam.m.token.embed" || st[10].Name != "adam.v.token.embed" {
			t.Fatalf("state tensors %v (%d), want %v then the moments and adam.t", names, len(st), want)
		}
	})
	t.Run("edge sizes", func(t *testing.T) {
		for _, cfg := range []TokenConfig{{K: 1, B: 1, W: 1, Vocab: 2, Embed: 1, Hidden: 1}, {K: 1, B: 3, W: 2, Vocab: 3, Embed: 2, Hidden: 1}, {K: 3, B: 1, W: 1, Vocab: 2, Embed: 1, Hidden: 2}, {K: 2, B: 2, W: 3, Vocab: 5, Embed: 1, Hidden: 3}} {
			m := mustToken(t, cfg)
			b := &Batch{K: cfg.K, B: cfg.B, W: cfg.W, Tokens: make([]int32, cfg.K*cfg.B*cfg.W)}
			l := mustStep(t, m, b, uniformWeights(cfg.K))
			for _, v := range l {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%+v: loss %v", cfg, v)
				}
			}
			if h, err := m.Represent(b); err != nil || len(h) != cfg.K*cfg.B || len(h[0]) != cfg.Hidden {
				t.Fatalf("%+v: represent %v", cfg, err)
			}
		}
	})
}

func TestTokenBatchErrors(t *testing.T) {
	m := mustToken(t, TokenConfig{K: 2, B: 2, W: 3, Vocab: 10, Embed: 2, Hidden: 3})
	good := func() *Batch {
		return &Batch{K: 2, B: 2, W: 3, Tokens: []int32{1, 2, 3, 4, -1, 5, 6, 7, 8, 9, 0, 1}}
	}
	w := []float64{1, 1}
	cases := []struct {
		name  string
		batch *Batch
		w     []float64
		want  string
	}{
		{"nil", nil, w, "nil batch"},
		{"wrong W", func() *Batch { b := good(); b.W = 4; return b }(), w, "W=4"},
		{"short", func() *Batch { b := good(); b.Tokens = b.Tokens[:11]; return b }(), w, "11 tokens"},
		{"id too large", func() *Batch { b := good(); b.Tokens[7] = 10; return b }(), w, "example 2 (task 1) has token id 10 at position 1"},
		{"id below -1", func() *Batch { b := good(); b.Tokens[0] = -2; return b }(), w, "token id -2"},
		{"targets length", func() *Batch { b := good(); b.Targets = []int32{0, 0, 0}; return b }(), w, "3 targets"},
		{"target on padding", func() *Batch { b := good(); b.Targets = []int32{0, 1, 0, 0}; return b }(), w, "example 1 (task 0): target position 1 is not a token"},
		{"target out of window", func() *Batch { b := good(); b.Targets = []int32{0, 0, 3, 0}; return b }(), w, "target position 3"},
		{"task without tokens", func() *Batch {
			b := good()
			for i := 6; i < 12; i++ {
				b.Tokens[i] = -1
			}
			return b
		}(), w, "task 1 has no window with a token"},
		{"weights", good(), []float64{1}, "1 task weights for 2 tasks"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := m.Step(c.batch, c.w)
			wantErr(t, err, c.want)
			if c.w != nil && len(c.w) == 2 {
				_, err = m.Loss(c.batch)
				wantErr(t, err, c.want)
			}
		})
	}
}

func TestTokenMasks(t *testing.T) {
	cfg := TokenConfig{K: 2, B: 3, W: 10, Vocab: 6, Embed: 2, Hidden: 2, MaskRate: 0.25}
	m := mustToken(t, cfg)
	b := &Batch{K: 2, B: 3, W: 10, Seed: 4, Tokens: []int32{
		0, 1, 2, 3, 4, 5, 0, 1, 2, 3, // 10 tokens: round(2.5) = 3 masked
		-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, // empty: left out
		5, 5, 5, -1, -1, -1, -1, -1, -1, 5, // 4 tokens, repeats: 1 masked
		2, -1, -1, -1, -1, -1, -1, -1, -1, -1, // 1 token: masked, empty context
		1, 2, -1, 3, 4, -1, 5, 0, 1, 2, // 8 tokens: 2 masked
		3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	}}
	wantMasked := []int{3, 0, 1, 1, 2, 3}
	fill := func(b *Batch) (pool, target, avg []float32) {
		if err := m.fill(b, true, true); err != nil {
			t.Fatal(err)
		}
		// The pooling matrix P that the gather and weights stand for.
		pool = make([]float32, 6*cfg.Vocab)
		ids, wts := m.ids.Data().([]int), m.wts.Data().([]float32)
		for i := range 6 {
			for q := range 10 {
				if wts[i*10+q] != 0 && ids[i*10+q] != int(b.Tokens[i*10+q]) {
					t.Fatalf("example %d position %d: id %d, token %d", i, q, ids[i*10+q], b.Tokens[i*10+q])
				}
				pool[i*cfg.Vocab+ids[i*10+q]] += wts[i*10+q]
			}
		}
		return pool, slices.Clone(m.target.Data().([]float32)), slices.Clone(m.avg.Data().([]float32))
	}
	pool, target, avg := fill(b)
	v := cfg.Vocab
	for i := range 6 {
		var n int
		counts := make([]float64, v)
		for _, tok := range b.Tokens[i*10 : (i+1)*10] {
			if tok >= 0 {
				n++
				counts[tok]++
			}
		}
		var ps, ts float64
		for j := range v {
			ps += float64(pool[i*v+j])
			ts += float64(target[i*v+j])
			// Every id's occurrences are split between context and targets.
			nm := wantMasked[i]
			got := float64(pool[i*v+j])*float64(n-nm) + float64(target[i*v+j])*float64(nm)
			if math.Abs(got-counts[j]) > 1e-5 {
				t.Fatalf("example %d id %d: %v occurrences in context and targets, want %v", i, j, got, counts[j])
			}
		}
		wantPool, wantTarget := 1.0, 1.0
		if n == 0 {
			wantPool, wantTarget = 0, 0
		} else if n == wantMasked[i] {
			wantPool = 0
		}
		if math.Abs(ps-wantPool) > 1e-5 || math.Abs(ts-wantTarget) > 1e-5 {
			t.Fatalf("example %d: context weights sum to %v, targets to %v; want %v, %v", i, ps, ts, wantPool, wantTarget)
		}
	}
	// Task 0 has two windows with tokens (example 1 is empty), task 1 three.
	wantAvg := []float32{0.5, 0, 0.5, 0, 0, 0, 0, 0, 0, 1. / 3, 1. / 3, 1. / 3}
	if !slices.Equal(avg, wantAvg) {
		t.Fatalf("task means %v, want %v", avg, wantAvg)
	}
	p2, t2, _ := fill(b)
	if !slices.Equal(pool, p2) || !slices.Equal(target, t2) {
		t.Fatal("the same seed masked other tokens")
	}
	b.Seed = 5
	if p3, _, _ := fill(b); slices.Equal(pool, p3) {
		t.Fatal("another seed masked the same tokens")
	}
	// Targets: exactly the given position, whatever the seed.
	b.Targets = []int32{4, 0, 9, 0, 7, 2}
	_, target, _ = fill(b)
	for i, p := range b.Targets {
		tok := b.Tokens[i*10+int(p)]
		for j := range v {
			want := float32(0)
			if i != 1 && int32(j) == tok {
				want = 1
			}
			if target[i*v+j] != want {
				t.Fatalf("example %d (target position %d, id %d): target[%d] = %v", i, p, tok, j, target[i*v+j])
			}
		}
	}
}

func TestTokenDeterminism(t *testing.T) {
	run := func(seed uint64) [][]float64 {
		m := mustToken(t, TokenConfig{K: 2, B: 4, W: 6, Vocab: 20, Embed: 4, Hidden: 5, Seed: seed})
		var out [][]float64
		for s := range 5 {
			out = append(out, mustStep(t, m, randomTokenBatch(2, 4, 6, 20, uint64(s)), []float64{0.4, 0.6}))
		}
		return out
	}
	a, b, c := run(3), run(3), run(4)
	for s := range a {
		if !slices.Equal(a[s], b[s]) {
			t.Fatalf("step %d: same seed, losses %v and %v", s, a[s], b[s])
		}
		if slices.Equal(a[s], c[s]) {
			t.Fatalf("step %d: seeds 3 and 4 gave the same losses %v", s, a[s])
		}
	}
}

// tokenCost64 computes Σ_k w_k·L_k in float64 from the model's filled
// inputs and the given parameters (embed, w1, b1, w2, b2).
func tokenCost64(m *MaskedToken, p [][]float64, w []float64) (float64, []float64) {
	c := m.cfg
	v, e, hd, n := c.Vocab, c.Embed, c.Hidden, m.n
	ids := m.ids.Data().([]int)
	wts := m.wts.Data().([]float32)
	target := m.target.Data().([]float32)
	avg := m.avg.Data().([]float32)
	emb, w1, b1, w2, b2 := p[0], p[1], p[2], p[3], p[4]
	ell := make([]float64, n)
	ctx := make([]float64, e)
	h := make([]float64, hd)
	z := make([]float64, v)
	for i := range n {
		clear(ctx)
		for q := range c.W {
			t, wt := ids[i*c.W+q], float64(wts[i*c.W+q])
			for a := range e {
				ctx[a] += wt * emb[t*e+a]
			}
		}
		for c := range hd {
			s := b1[c]
			for a := range e {
				s += ctx[a] * w1[a*hd+c]
			}
			h[c] = max(s, 0)
		}
		mx := math.Inf(-1)
		for t := range v {
			z[t] = b2[t]
			for c := range hd {
				z[t] += h[c] * w2[c*v+t]
			}
			mx = max(mx, z[t])
		}
		var se float64
		for t := range v {
			se += math.Exp(z[t] - mx)
		}
		lse := mx + math.Log(se)
		for t := range v {
			ell[i] += float64(target[i*v+t]) * (lse - z[t])
		}
	}
	return taskCost(avg, ell, w)
}

func TestTokenGradient(t *testing.T) {
	tiny := TokenConfig{K: 2, B: 2, W: 5, Vocab: 7, Embed: 3, Hidden: 4}
	cases := []struct {
		name   string
		cfg    TokenConfig
		w      []float64
		tokens []int32
		target []int32
	}{
		{"random", tiny, []float64{0.6, 0.4}, []int32{0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 3, 3, -1, 6, 2, 4, 6, -1, -1}, nil},
		{"weight on one task", tiny, []float64{1, 0}, []int32{0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 3, 3, -1, 6, 2, 4, 6, -1, -1}, nil},
		{"empty window and targets", tiny, []float64{0.5, 0.5}, []int32{-1, -1, -1, -1, -1, 5, 6, 0, 1, 2, 3, 3, 3, -1, 6, 2, 4, 6, -1, -1}, []int32{0, 4, 2, 1}},
		{"high mask rate", TokenConfig{K: 3, B: 1, W: 6, Vocab: 9, Embed: 2, Hidden: 5, MaskRate: 0.5}, []float64{0.2, 0.3, 0.5}, []int32{1, 2, 3, 4, 5, 6, 7, 8, 0, 8, 8, 1, 2, 2, -1, 3, -1, 2}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := mustToken(t, c.cfg)
			for s := range 3 { // so that biases are not zero
				mustStep(t, m, randomTokenBatch(c.cfg.K, c.cfg.B, c.cfg.W, c.cfg.Vocab, uint64(s)), uniformWeights(c.cfg.K))
			}
			b := &Batch{K: c.cfg.K, B: c.cfg.B, W: c.cfg.W, Tokens: c.tokens, Targets: c.target, Seed: 8}
			if err := m.fill(b, true, true); err != nil {
				t.Fatal(err)
			}
			if err := setTaskWeights(m.w, c.w); err != nil {
				t.Fatal(err)
			}
			worst := gradCheck(t, m.train, m.params, c.w, func(p [][]float64) (float64, []float64) { return tokenCost64(m, p, c.w) })
			t.Logf("%+v w=%v: largest relative gradient error %.2g", c.cfg, c.w, worst)
		})
	}
}

func TestTokenSoftmaxXentStable(t *testing.T) {
	// Logits far from 0, whose exponentials overflow float32 and float64.
	z := []float32{1e4, -1e4, 1e4 - 2, 0, -800, -801, -799, -800}
	tg := []float32{0.5, 0, 0.5, 0, 0, 1, 0, 0}
	g := gorgonia.NewGraph()
	zn := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(2, 4), gorgonia.WithName("z"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 4), tensor.WithBacking(z))))
	tn := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(2, 4), gorgonia.WithName("t"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 4), tensor.WithBacking(tg))))
	ell, err := gorgonia.ApplyOp(softmaxXent{}, zn, tn)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := gorgonia.Sum(ell)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gorgonia.Grad(cost, zn); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := ell.Value().Data().([]float32)
	// Row 0: lse = 1e4 + log(1 + e^-2); loss = lse − (0.5·1e4 + 0.5·(1e4−2)).
	lse0 := 1e4 + math.Log1p(math.Exp(-2))
	lse1 := -799 + math.Log(1+2*math.Exp(-1)+math.Exp(-2))
	want := []float64{lse0 - (1e4 - 1), lse1 + 801}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-4 {
			t.Fatalf("loss %d = %v, want %v", i, got[i], want[i])
		}
	}
	gv, err := zn.Grad()
	if err != nil {
		t.Fatal(err)
	}
	dz := gv.Data().([]float32)
	p0 := 1 / (1 + math.Exp(-2))
	wantDz := []float64{p0 - 0.5, 0, (1 - p0) - 0.5, 0}
	for j, w := range wantDz {
		if math.Abs(float64(dz[j])-w) > 1e-6 {
			t.Fatalf("dz[0][%d] = %v, want %v", j, dz[j], w)
		}
	}
	var sum float64
	for _, v := range dz[4:] {
		sum += float64(v)
	}
	if math.Abs(sum) > 1e-6 {
		t.Fatalf("row 1 gradient sums to %v, want 0", sum)
	}
}

func TestTokenLearns(t *testing.T) {
	cfg := TokenConfig{K: 2, B: 32, W: 8, Vocab: 64, Embed: 16, Hidden: 32, LR: 1e-2, Seed: 1}
	m := mustToken(t, cfg)
	data := &plantedTokens{k: 2, b: 32, w: 8, v: 64, group: 2, rng: rand.New(rand.NewPCG(5, 5))}
	eval := data.batch(1000)
	before := mustLoss(t, m, eval)
	for s := range 300 {
		mustStep(t, m, data.batch(uint64(s)), []float64{0.5, 0.5})
	}
	after := mustLoss(t, m, eval)
	for k := range before {
		t.Logf("task %d: loss %.4f → %.4f (%.0f%% lower; log V = %.3f, best log 2 = %.3f)", k, before[k], after[k], 100*(1-after[k]/before[k]), math.Log(64), math.Log(2))
		if after[k] > 0.5*before[k] {
			t.Errorf("task %d: loss %.4f → %.4f, not lowered by half", k, before[k], after[k])
		}
	}
}

// TestTokenWeightsMatter trains with all the weight on one task. The other
// task does not learn: its loss does not fall (it rises, as the shared
// softmax moves probability to the trained task's half of the vocabulary;
// TestTokenLearns shows both falling under uniform weights).
func TestTokenWeightsMatter(t *testing.T) {
	cfg := TokenConfig{K: 2, B: 32, W: 8, Vocab: 64, Embed: 16, Hidden: 32, LR: 1e-2, Seed: 1}
	train := func(w []float64) (before, after []float64) {
		m := mustToken(t, cfg)
		data := &plantedTokens{k: 2, b: 32, w: 8, v: 64, group: 2, rng: rand.New(rand.NewPCG(5, 5))}
		eval := data.batch(1000)
		before = mustLoss(t, m, eval)
		for s := range 300 {
			mustStep(t, m, data.batch(uint64(s)), w)
		}
		return before, mustLoss(t, m, eval)
	}
	for _, c := range []struct {
		w           []float64
		led, follow int
	}{{[]float64{1, 0}, 0, 1}, {[]float64{0, 1}, 1, 0}} {
		b, a := train(c.w)
		dl, df := b[c.led]-a[c.led], b[c.follow]-a[c.follow]
		t.Logf("w=%v: task %d %.4f → %.4f (Δ %.4f); task %d %.4f → %.4f (Δ %.4f); Δ%d/Δ%d = %.3f",
			c.w, c.led, b[c.led], a[c.led], dl, c.follow, b[c.follow], a[c.follow], df, c.follow, c.led, df/dl)
		if dl < 0.5*b[c.led] || df > 0.25*dl {
			t.Errorf("w=%v: task %d's loss fell by %.4f, task %d's by %.4f; want the first by half its value, the second by at most a quarter of that", c.w, c.led, dl, c.follow, df)
		}
	}
}

func TestTokenZeroWeight(t *testing.T) {
	b := randomTokenBatch(2, 4, 6, 20, 1)
	other := randomTokenBatch(2, 4, 6, 20, 2)
	copy(other.Tokens[:4*6], b.Tokens[:4*6]) // task 0 the same, task 1 other windows
	other.Seed = b.Seed
	checkZeroWeightIgnored(t, func() Model { return mustToken(t, TokenConfig{K: 2, B: 4, W: 6, Vocab: 20, Embed: 4, Hidden: 5}) }, b, other, []float64{1, 0})
}

func TestTokenLossMatchesStep(t *testing.T) {
	m := mustToken(t, TokenConfig{K: 2, B: 4, W: 6, Vocab: 20, Embed: 4, Hidden: 5})
	b := randomTokenBatch(2, 4, 6, 20, 3)
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
	// Before training, the loss is about log(Vocab).
	for _, l := range l1 {
		if math.Abs(l-math.Log(20)) > 0.2 {
			t.Fatalf("initial loss %v, want about log 20 = %v", l, math.Log(20))
		}
	}
}

func TestTokenState(t *testing.T) {
	cfg := TokenConfig{K: 2, B: 4, W: 6, Vocab: 30, Embed: 4, Hidden: 5}
	batches := make([]*Batch, 10)
	for s := range batches {
		batches[s] = randomTokenBatch(2, 4, 6, 30, uint64(s))
	}
	checkResume(t, func(seed uint64) Model {
		c := cfg
		c.Seed = seed
		return mustToken(t, c)
	}, func(s int) *Batch { return batches[s] }, []float64{0.8, 0.2})

	t.Run("other vocabulary", func(t *testing.T) {
		small := mustToken(t, TokenConfig{K: 2, B: 4, W: 6, Vocab: 20, Embed: 4, Hidden: 5})
		st, _ := small.State()
		m := mustToken(t, cfg)
		wantErr(t, m.SetState(&safetensors.File{Tensors: st}), "checkpoint tensor token.embed has shape [20 4], the model needs [30 4]")
	})
	t.Run("regression checkpoint", func(t *testing.T) {
		r := mustRegression(t, RegressionConfig{K: 2, B: 4, D: 3})
		st, _ := r.State()
		m := mustToken(t, cfg)
		wantErr(t, m.SetState(&safetensors.File{Tensors: st}), "checkpoint has no tensor token.embed")
	})
	t.Run("initial parameters", func(t *testing.T) {
		a := stateValues(t, mustToken(t, TokenConfig{K: 1, B: 1, W: 2, Vocab: 50, Embed: 6, Hidden: 7, Seed: 3}))
		limit := math.Sqrt(6.0 / (50 + 6))
		var maxAbs float64
		for _, v := range a["token.embed"] {
			maxAbs = max(maxAbs, math.Abs(float64(v)))
		}
		if maxAbs > limit || maxAbs < 0.8*limit {
			t.Fatalf("token.embed: largest |value| %v, Glorot limit %v", maxAbs, limit)
		}
		for _, v := range slices.Concat(a["token.b1"], a["token.b2"]) {
			if v != 0 {
				t.Fatal("biases are not zero")
			}
		}
	})
}

func TestTokenRepresent(t *testing.T) {
	cfg := TokenConfig{K: 2, B: 3, W: 4, Vocab: 12, Embed: 3, Hidden: 6}
	m := mustToken(t, cfg)
	for s := range 3 {
		mustStep(t, m, randomTokenBatch(2, 3, 4, 12, uint64(s)), []float64{1, 1})
	}
	b := &Batch{K: 2, B: 3, W: 4, Seed: 1, Tokens: []int32{
		1, 2, 3, 4, 5, 5, -1, 6, -1, -1, -1, -1, 11, 0, 0, 0, 7, -1, 8, -1, 9, 9, 9, 9,
	}}
	h1, err := m.Represent(b)
	if err != nil {
		t.Fatal(err)
	}
	b.Seed = 999
	b.Targets = []int32{0, 0, 0, 0, 0, 0} // ignored: nothing is masked
	h2, err := m.Represent(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(h1) != 6 {
		t.Fatalf("%d vectors, want 6", len(h1))
	}
	p := stateValues(t, m)
	emb, w1, b1 := p["token.embed"], p["token.w1"], p["token.b1"]
	for i := range h1 {
		if len(h1[i]) != 6 || !sameBits(h1[i], h2[i]) {
			t.Fatalf("vector %d: %v then %v", i, h1[i], h2[i])
		}
		ctx := make([]float64, 3)
		n := 0
		for _, tok := range b.Tokens[i*4 : (i+1)*4] {
			if tok >= 0 {
				n++
				for a := range 3 {
					ctx[a] += float64(emb[int(tok)*3+a])
				}
			}
		}
		for c := range 6 {
			s := float64(b1[c])
			for a := range 3 {
				if n > 0 {
					s += ctx[a] / float64(n) * float64(w1[a*6+c])
				}
			}
			if want := max(s, 0); math.Abs(float64(h1[i][c])-want) > 1e-5 {
				t.Fatalf("h[%d][%d] = %v, want %v", i, c, h1[i][c], want)
			}
		}
	}
}

// TestTokenAndRegressionConcurrently builds and trains models on several
// goroutines at once (one model per goroutine), for the race detector.
func TestTokenAndRegressionConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := NewMaskedToken(TokenConfig{K: 2, B: 4, W: 6, Vocab: 20, Embed: 4, Hidden: 5, Seed: uint64(g)})
			if err != nil {
				t.Error(err)
				return
			}
			defer tok.Close()
			reg, err := NewMaskedRegression(RegressionConfig{K: 2, B: 4, D: 6, Hidden: 5, Seed: uint64(g)})
			if err != nil {
				t.Error(err)
				return
			}
			defer reg.Close()
			for s := range 5 {
				if _, err := tok.Step(randomTokenBatch(2, 4, 6, 20, uint64(s)), []float64{1, 1}); err != nil {
					t.Error(err)
				}
				if _, err := reg.Step(randomRegressionBatch(2, 4, 6, uint64(s)), []float64{1, 1}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}
