package train

import (
	"fmt"
	"math"
	"strings"
)

// Task weighting strategies.
//
// Every training step draws the same number of examples from each of the K
// tasks, computes the per-task mean losses L_1..L_K and descends on
// Σ_k w_k·L_k. A Strategy chooses w (non-negative, summing to 1) from the
// history of the losses:
//
//	erm        w_k = n_k / Σ n          what training on the pooled corpus does
//	uniform    w_k = 1/K
//	minimax    w = softmax(L̃/μ)        the gradient of μ·log Σ_k exp(L̃_k/μ),
//	                                    L̃ an exponential moving average of L;
//	                                    optionally μ warms up from 10μ to μ,
//	                                    and with a reference, L̃ − Lref (excess)
//	group-dro  q_k ← q_k·exp(η·L_k)     normalised (Sagawa et al. 2020)
//	doremi     α_k ← α_k·exp(η·max(L_k − Lref_k, 0)), normalised, then mixed
//	           with the uniform: α ← (1−ε)·α + ε/K (Xie et al. 2023)
//
// Softmaxes subtract their maximum before exponentiating, so no weight
// overflows however small μ is or however long a run lasts; the arithmetic
// has no randomness and no parallelism, so the same losses give the same
// weights bit for bit.

// Defaults of StrategyConfig, for the CLI's flags and run configs.
const (
	// DefaultTemperature is minimax's μ. The smoothed maximum
	// μ·log Σ exp(L_k/μ) lies between max_k L_k and max_k L_k + μ·log K:
	// μ → 0 is the hard maximum (all the weight on the worst task, which
	// jumps from task to task as their losses cross), a large μ the plain
	// average. 0.1 is small next to the gap between the worst and a typical
	// task's loss early in a run (so the worst tasks get most of the
	// weight) yet large enough that tasks within a few hundredths of the
	// worst share it, rather than taking turns step by step.
	DefaultTemperature = 0.1
	// DefaultSmoothing is β of minimax's loss average L̃ ← β·L̃ + (1−β)·L.
	// A step's per-task loss is a mean over a small per-task batch, and
	// softmax(L/μ) with μ = 0.1 turns a noise of 0.1 in a loss into a factor
	// e in its weight; averaging over about 1/(1−β) = 10 steps damps that
	// noise while following the real trend of the losses.
	DefaultSmoothing = 0.9
	// WarmupFactor is how many times μ minimax's temperature starts at
	// when it warms up (StrategyConfig.Warmup): 10μ, close to the plain
	// average while the task losses still fall together, down to μ.
	WarmupFactor = 10.0
	// DefaultGroupDROEta is group-dro's step η (Sagawa et al. 2020).
	DefaultGroupDROEta = 0.01
	// DefaultDoReMiEta is doremi's step η (Xie et al. 2023).
	DefaultDoReMiEta = 1.0
	// DefaultDoReMiEpsilon is doremi's share ε of the uniform mixture
	// (Xie et al. 2023), which keeps every task's weight at least ε/K.
	DefaultDoReMiEpsilon = 1e-4
)

// StrategyNames lists the strategies NewStrategy knows, in the order the
// CLI's help shows them.
var StrategyNames = []string{"erm", "uniform", "minimax", "group-dro", "doremi"}

// StrategyConfig chooses and tunes a Strategy. Fields a strategy does not
// use are ignored.
type StrategyConfig struct {
	// Name is one of StrategyNames: "erm", "uniform", "minimax",
	// "group-dro" or "doremi".
	Name string
	// Sizes holds the task sizes n_k (rows per task), one per task; erm
	// needs them (non-negative, not all zero).
	Sizes []int64
	// Temperature is minimax's μ; it must be > 0 (there is no implicit
	// default: pass DefaultTemperature, 0.1).
	Temperature float64
	// Relative makes minimax's μ relative to the mean smoothed loss:
	// w = softmax(L̃ / (μ·mean L̃)), so that the same μ means the same
	// thing whatever the scale of the loss (a mean squared error of unit
	// vectors is a hundredth of a cross-entropy over 16k words). At
	// μ = 0.1 a task whose smoothed loss is 10% above the mean weighs e
	// times an average task. Tools set it; the convex check does not.
	Relative bool
	// Smoothing is β of minimax's loss average, in [0, 1): 0 is no
	// smoothing (the weights follow the step's own losses). The usual
	// value is DefaultSmoothing, 0.9; pass it explicitly.
	Smoothing float64
	// Warmup is the temperature's schedule: 0 keeps μ constant; N > 0
	// lowers it geometrically from WarmupFactor·μ at the first step to μ
	// at step N (μ_t = μ·WarmupFactor^(1 − t/N)), and keeps μ after. It
	// must be ≥ 0.
	Warmup int
	// Eta is the step of group-dro (0 selects DefaultGroupDROEta, 0.01)
	// and of doremi (0 selects DefaultDoReMiEta, 1); it must be ≥ 0.
	Eta float64
	// Epsilon is doremi's share of the uniform mixture, in [0, 1]; 0
	// selects DefaultDoReMiEpsilon, 1e-4.
	Epsilon float64
	// Reference holds, for doremi, a reference model's per-task losses,
	// one per task (required for doremi). Minimax takes it too, optionally:
	// then it weighs the excess losses, w = softmax((L̃ − Lref)/μ), the
	// part of each task's loss above what the reference reached (DoReMi's
	// measure), instead of the raw losses, whose irreducible part (some
	// tasks are harder to predict than others) would draw the weight to
	// the task that is hardest but no longer improvable.
	Reference []float64
}

// Strategy sets the task weights of each training step from the history of
// the per-task losses. A Strategy is not safe for concurrent use.
type Strategy interface {
	// Weights returns the task weights for a step whose per-task losses
	// are losses (len K), and updates the strategy's state. The weights
	// are non-negative and sum to 1; the slice is the caller's. It fails,
	// leaving the state as it was, if len(losses) is not K or a loss is
	// NaN or ±Inf ("robustdata/train: task 3 loss is NaN").
	Weights(losses []float64) ([]float64, error)
	// Average returns the time-averaged weights so far: the mean of the
	// weights Weights has returned (for weights.json: the data mixture a
	// user can feed to a large run). Before the first step it returns the
	// weights the strategy starts from: the sizes' shares for erm,
	// uniform for the others.
	Average() []float64
	// State and SetState save and restore the strategy's state (loss
	// average, log q, log α, running sums, step count) as a flat
	// []float64 for checkpoints, so that a resumed run continues exactly.
	// The configuration is not part of the state: restore into a
	// strategy made with the same StrategyConfig.
	State() []float64
	// SetState restores a state returned by State of a strategy of the
	// same name and K; on error the strategy is left as it was.
	SetState([]float64) error
	// Name returns the strategy's name, one of StrategyNames.
	Name() string
}

type strategyKind int

// The kinds double as the first value of a State, so that a state cannot be
// restored into another strategy; do not renumber them.
const (
	kindERM strategyKind = iota + 1
	kindUniform
	kindMinimax
	kindGroupDRO
	kindDoReMi
)

// stateHeader is the number of values before the vectors in a State:
// kind, K, steps.
const stateHeader = 3

// strategy implements every Strategy; kind selects the update.
//
// State layout: [kind, K, steps] for erm and uniform; [kind, K, steps,
// vec_1..vec_K, sum_1..sum_K] for the others, where vec is minimax's loss
// average L̃, group-dro's log q or doremi's log α, and sum the running sum
// of the returned weights.
type strategy struct {
	name string
	kind strategyKind
	k    int

	fixed []float64 // erm, uniform: the constant weights

	mu, beta float64 // minimax
	warmup   int64   // minimax: steps over which μ falls from WarmupFactor·μ
	relative bool    // minimax: μ relative to the mean smoothed loss
	eta, eps float64 // group-dro (eta), doremi (eta, eps)
	ref      []float64

	// vec is minimax's L̃ (meaningful once steps > 0), group-dro's log q
	// shifted so that its maximum is 0, or doremi's log α.
	vec   []float64
	sum   []float64 // Σ over steps of the returned weights
	steps int64
}

var _ Strategy = (*strategy)(nil)

// NewStrategy returns the strategy cfg.Name for k tasks. It checks the
// configuration: the name is one of StrategyNames; k ≥ 1; erm's Sizes has k
// non-negative entries, not all zero; minimax's Temperature is > 0, its
// Reference empty or of k finite entries, and
// Smoothing in [0, 1) and Warmup ≥ 0; Eta ≥ 0; doremi's Epsilon in [0, 1] and Reference
// has k finite entries.
func NewStrategy(k int, cfg StrategyConfig) (Strategy, error) {
	if k < 1 {
		return nil, fmt.Errorf("robustdata/train: strategy %q: K = %d, expected at least 1 task", cfg.Name, k)
	}
	s := &strategy{name: cfg.Name, k: k}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("robustdata/train: strategy %s: "+format, append([]any{cfg.Name}, args...)...)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	eta := func(def float64) (float64, error) {
		switch {
		case !finite(cfg.Eta) || cfg.Eta < 0:
			return 0, bad("eta is %v, expected a finite step ≥ 0 (0 selects the default %v)", cfg.Eta, def)
		case cfg.Eta == 0:
			return def, nil
		}
		return cfg.Eta, nil
	}
	switch cfg.Name {
	case "erm":
		s.kind = kindERM
		if len(cfg.Sizes) != k {
			return nil, bad("got %d task sizes, expected one per task (K = %d)", len(cfg.Sizes), k)
		}
		total := 0.0
		for i, n := range cfg.Sizes {
			if n < 0 {
				return nil, bad("task %d size is %d, expected a row count ≥ 0", i, n)
			}
			total += float64(n)
		}
		if total == 0 {
			return nil, bad("all %d task sizes are 0, expected at least one non-empty task", k)
		}
		s.fixed = make([]float64, k)
		for i, n := range cfg.Sizes {
			s.fixed[i] = float64(n) / total
		}
	case "uniform":
		s.kind = kindUniform
		s.fixed = make([]float64, k)
		for i := range s.fixed {
			s.fixed[i] = 1 / float64(k)
		}
	case "minimax":
		s.kind = kindMinimax
		if !finite(cfg.Temperature) || cfg.Temperature <= 0 {
			return nil, bad("temperature is %v, expected a finite μ > 0 (default %v)", cfg.Temperature, DefaultTemperature)
		}
		if !finite(cfg.Smoothing) || cfg.Smoothing < 0 || cfg.Smoothing >= 1 {
			return nil, bad("smoothing is %v, expected β in [0, 1) (default %v; 0 = no smoothing)", cfg.Smoothing, DefaultSmoothing)
		}
		if cfg.Warmup < 0 {
			return nil, bad("temperature warm-up is %d steps, expected at least 0 (0: a constant μ)", cfg.Warmup)
		}
		s.mu, s.beta, s.relative, s.warmup = cfg.Temperature, cfg.Smoothing, cfg.Relative, int64(cfg.Warmup)
		s.vec = make([]float64, k)
		if len(cfg.Reference) > 0 {
			if len(cfg.Reference) != k {
				return nil, bad("got %d reference losses, expected none or one per task (K = %d)", len(cfg.Reference), k)
			}
			for i, v := range cfg.Reference {
				if !finite(v) {
					return nil, bad("task %d reference loss is %v, expected a finite loss", i, v)
				}
			}
			s.ref = append([]float64(nil), cfg.Reference...)
		}
	case "group-dro":
		s.kind = kindGroupDRO
		var err error
		if s.eta, err = eta(DefaultGroupDROEta); err != nil {
			return nil, err
		}
		s.vec = make([]float64, k) // log q = 0: q uniform
	case "doremi":
		s.kind = kindDoReMi
		var err error
		if s.eta, err = eta(DefaultDoReMiEta); err != nil {
			return nil, err
		}
		switch {
		case !finite(cfg.Epsilon) || cfg.Epsilon < 0 || cfg.Epsilon > 1:
			return nil, bad("epsilon is %v, expected ε in [0, 1] (0 selects the default %v)", cfg.Epsilon, DefaultDoReMiEpsilon)
		case cfg.Epsilon == 0:
			s.eps = DefaultDoReMiEpsilon
		default:
			s.eps = cfg.Epsilon
		}
		if len(cfg.Reference) != k {
			return nil, bad("got %d reference losses, expected the reference model's loss on each task (K = %d)", len(cfg.Reference), k)
		}
		for i, v := range cfg.Reference {
			if !finite(v) {
				return nil, bad("task %d reference loss is %v, expected a finite loss", i, v)
			}
		}
		s.ref = append([]float64(nil), cfg.Reference...)
		s.vec = make([]float64, k)
		for i := range s.vec {
			s.vec[i] = -math.Log(float64(k)) // α uniform
		}
	default:
		return nil, fmt.Errorf("robustdata/train: unknown strategy %q, expected one of %s", cfg.Name, strings.Join(StrategyNames, ", "))
	}
	if s.vec != nil {
		s.sum = make([]float64, k)
	}
	return s, nil
}

// Name implements Strategy.
func (s *strategy) Name() string { return s.name }

// Weights implements Strategy.
func (s *strategy) Weights(losses []float64) ([]float64, error) {
	if len(losses) != s.k {
		return nil, fmt.Errorf("robustdata/train: strategy %s: got %d task losses, expected %d", s.name, len(losses), s.k)
	}
	for i, l := range losses {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("robustdata/train: task %d loss is %v", i, l)
		}
	}
	w := make([]float64, s.k)
	switch s.kind {
	case kindERM, kindUniform:
		copy(w, s.fixed)
		s.steps++
		return w, nil
	case kindMinimax:
		// L̃ ← β·L̃ + (1−β)·L, starting from the first losses;
		// w = softmax(L̃/μ), or softmax((L̃ − Lref)/μ) with a reference
		// (μ relative to the mean of L̃ either way).
		for i, l := range losses {
			if s.steps == 0 {
				w[i] = l
			} else {
				w[i] = s.beta*s.vec[i] + (1-s.beta)*l
			}
		}
		copy(s.vec, w)
		mu := s.temperature()
		if s.relative {
			var mean float64
			for _, v := range s.vec {
				mean += v / float64(len(s.vec))
			}
			if mean > 0 {
				mu *= mean
			}
		}
		for i := range s.ref {
			w[i] = s.vec[i] - s.ref[i]
		}
		strategySoftmax(w, w, mu)
	case kindGroupDRO:
		// log q ← log q + η·L, shifted so that its maximum is 0 (q's
		// normalisation, which also keeps log q bounded); q = softmax(log q).
		for i, l := range losses {
			w[i] = s.vec[i] + s.eta*l
		}
		if err := s.checkUpdate(w); err != nil {
			return nil, err
		}
		m := strategyMax(w)
		for i := range w {
			s.vec[i] = w[i] - m
		}
		strategySoftmax(w, s.vec, 1)
	case kindDoReMi:
		// log α ← log α + η·max(L − Lref, 0); α ← (1−ε)·softmax(log α) + ε/K;
		// the next step starts from log of this smoothed α (Xie et al.
		// 2023, Algorithm 1, as in their code).
		for i, l := range losses {
			w[i] = s.vec[i] + s.eta*math.Max(l-s.ref[i], 0)
		}
		if err := s.checkUpdate(w); err != nil {
			return nil, err
		}
		strategySoftmax(w, w, 1)
		u := s.eps / float64(s.k)
		for i := range w {
			w[i] = (1-s.eps)*w[i] + u
			s.vec[i] = math.Log(w[i])
		}
	}
	for i, v := range w {
		s.sum[i] += v
	}
	s.steps++
	return w, nil
}

// temperature returns minimax's μ at the step s.steps: μ, or during a
// warm-up of N steps μ·WarmupFactor^(1 − t/N).
func (s *strategy) temperature() float64 {
	if s.steps >= s.warmup {
		return s.mu
	}
	return s.mu * math.Pow(WarmupFactor, 1-float64(s.steps)/float64(s.warmup))
}

// checkUpdate reports an exponent that overflowed (a loss near the largest
// float64 times η), which would otherwise turn the weights into NaN.
func (s *strategy) checkUpdate(v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("robustdata/train: strategy %s: task %d: the weight update overflows (η = %v, loss too large)", s.name, i, s.eta)
		}
	}
	return nil
}

// Average implements Strategy.
func (s *strategy) Average() []float64 {
	out := make([]float64, s.k)
	switch {
	case s.fixed != nil:
		copy(out, s.fixed)
	case s.steps == 0:
		for i := range out {
			out[i] = 1 / float64(s.k)
		}
	default:
		// Dividing by the sum of the sums rather than by the step count
		// keeps the mean summing to 1 within rounding, however long the run.
		total := 0.0
		for _, v := range s.sum {
			total += v
		}
		for i, v := range s.sum {
			out[i] = v / total
		}
	}
	return out
}

// State implements Strategy.
func (s *strategy) State() []float64 {
	st := make([]float64, 0, stateHeader+len(s.vec)+len(s.sum))
	st = append(st, float64(s.kind), float64(s.k), float64(s.steps))
	st = append(st, s.vec...)
	return append(st, s.sum...)
}

// SetState implements Strategy.
func (s *strategy) SetState(st []float64) error {
	want := stateHeader + len(s.vec) + len(s.sum)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("robustdata/train: strategy %s: restoring state: "+format, append([]any{s.name}, args...)...)
	}
	if len(st) < stateHeader {
		return bad("%d values, expected %d", len(st), want)
	}
	if st[0] != float64(s.kind) {
		other := "unknown"
		if c := int(st[0]); float64(c) == st[0] && c >= 1 && c <= len(StrategyNames) {
			other = StrategyNames[c-1]
		}
		return bad("it is the state of strategy %s (code %v), expected %s (code %d)", other, st[0], s.name, s.kind)
	}
	if st[1] != float64(s.k) {
		return bad("it has K = %v tasks, expected %d", st[1], s.k)
	}
	if len(st) != want {
		return bad("%d values, expected %d", len(st), want)
	}
	steps := st[2]
	if !(steps >= 0 && steps <= 1<<53) || steps != math.Trunc(steps) {
		return bad("step count %v, expected a whole number ≥ 0", steps)
	}
	for i, v := range st[stateHeader:] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return bad("value %d is %v, expected a finite number", stateHeader+i, v)
		}
		if i >= len(s.vec) && v < 0 {
			return bad("value %d is %v, expected a running sum of weights ≥ 0", stateHeader+i, v)
		}
	}
	s.steps = int64(steps)
	copy(s.vec, st[stateHeader:])
	copy(s.sum, st[stateHeader+len(s.vec):])
	return nil
}

// strategySoftmax sets dst to softmax(x/mu), subtracting the maximum first so
// that no exponential overflows; dst may be x.
func strategySoftmax(dst, x []float64, mu float64) {
	m := strategyMax(x)
	total := 0.0
	for i, v := range x {
		e := math.Exp((v - m) / mu)
		dst[i] = e
		total += e
	}
	for i := range dst {
		dst[i] /= total
	}
}

// strategyMax returns the largest of x (non-empty).
func strategyMax(x []float64) float64 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	return m
}
