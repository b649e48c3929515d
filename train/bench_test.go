package train

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/robustdata/robustdata/features"
)

// Benchmark shapes: K tasks of B examples; vectors of D values;
// windows of W tokens from a vocabulary of V.
const (
	bnK = 8
	bnB = 32
	bnD = 152
	bnW = 32
	bnV = 4096
)

// bnDatasets writes the benchmark datasets: K tasks of 300 rows, with
// vectors of D values and texts of 64 words from a task's 500 words.
func bnDatasets(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "ds")
	rows := make([]int, bnK)
	for i := range rows {
		rows[i] = 300
	}
	rtDataset(b, dir, rtSpec{Rows: rows, D: bnD, Seed: 1, Text: func(t, i, g int) string {
		rng := rand.New(rand.NewPCG(uint64(g), 3))
		var sb strings.Builder
		for range 64 {
			fmt.Fprintf(&sb, "t%dw%d ", t, rng.IntN(500))
		}
		return sb.String()
	}})
	return dir
}

// bnLoop is the body of Run's training loop for one strategy: the
// loader, the model and the strategy, ready to step.
type bnLoop struct {
	loader *Loader
	model  Model
	strat  Strategy
	w      []float64
	step   int
}

func newBnLoop(b *testing.B, ds, objective, strategy string) *bnLoop {
	b.Helper()
	return newBnLoopVocab(b, ds, objective, strategy, bnV)
}

// newBnLoopVocab is newBnLoop with a vocabulary of vocab (masked-token).
func newBnLoopVocab(b *testing.B, ds, objective, strategy string, vocab int) *bnLoop {
	b.Helper()
	cfg := Config{Dataset: ds, Objective: objective, Strategy: strategy, PerTask: bnB, Hidden: DefaultHidden, LR: DefaultLR, Seed: 1}
	if objective == ObjectiveToken {
		cfg.Vocab, cfg.Window, cfg.Embed, cfg.Tokenize = vocab, bnW, DefaultEmbed, features.HashedWords
	}
	cfg.defaults()
	loader, err := OpenLoader(context.Background(), cfg.loaderConfig(ds))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { loader.Close() })
	cfg.Dim = loader.D
	model, err := NewModel(&cfg, loader.K)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { model.Close() })
	scfg := StrategyConfig{Name: strategy, Sizes: loader.Rows, Temperature: DefaultTemperature, Smoothing: DefaultSmoothing, Relative: true}
	if strategy == "doremi" {
		// A reference a little below the initial losses.
		batch, err := loader.Next(-1)
		if err != nil {
			b.Fatal(err)
		}
		ref, err := model.Loss(batch)
		if err != nil {
			b.Fatal(err)
		}
		for i := range ref {
			ref[i] *= 0.9
		}
		scfg.Reference = ref
	}
	strat, err := NewStrategy(loader.K, scfg)
	if err != nil {
		b.Fatal(err)
	}
	return &bnLoop{loader: loader, model: model, strat: strat, w: initialWeights(strategy, loader.Rows)}
}

// next runs one step of Run's loop: draw the batch, step the model, set
// the next weights.
func (l *bnLoop) next(b *testing.B) {
	batch, err := l.loader.Next(l.step)
	if err != nil {
		b.Fatal(err)
	}
	losses, err := l.model.Step(batch, l.w)
	if err != nil {
		b.Fatal(err)
	}
	if l.w, err = l.strat.Weights(losses); err != nil {
		b.Fatal(err)
	}
	l.step++
}

// BenchmarkStep times the training loop's body (loader.Next, model.Step,
// strategy.Weights) per objective and strategy at K = 8, B = 32: D = 152
// for masked-regression, W = 32 and a vocabulary of 4096 for masked-token.
func BenchmarkStep(b *testing.B) {
	ds := bnDatasets(b)
	for _, obj := range []string{ObjectiveRegression, ObjectiveToken} {
		for _, strat := range StrategyNames {
			b.Run(obj+"/"+strat, func(b *testing.B) {
				l := newBnLoop(b, ds, obj, strat)
				for range 3 { // fill the shuffle buffers
					l.next(b)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					l.next(b)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
			})
		}
	}
}

// BenchmarkStepMinimaxOverERM alternates erm and minimax steps (the same
// model shapes, data and seed) and reports the ratio of their step times,
// which must stay at most 1.1: the strategy's bookkeeping is negligible
// next to the model's step.
func BenchmarkStepMinimaxOverERM(b *testing.B) {
	ds := bnDatasets(b)
	for _, obj := range []string{ObjectiveRegression, ObjectiveToken} {
		b.Run(obj, func(b *testing.B) {
			erm, mm := newBnLoop(b, ds, obj, "erm"), newBnLoop(b, ds, obj, "minimax")
			for range 3 {
				erm.next(b)
				mm.next(b)
			}
			var te, tm time.Duration
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				erm.next(b)
				t1 := time.Now()
				mm.next(b)
				te, tm = te+t1.Sub(t0), tm+time.Since(t1)
			}
			ratio := tm.Seconds() / te.Seconds()
			b.ReportMetric(ratio, "minimax/erm")
			b.ReportMetric(float64(b.N)/te.Seconds(), "erm-steps/s")
			b.ReportMetric(float64(b.N)/tm.Seconds(), "minimax-steps/s")
			if b.N >= 20 && ratio > 1.1 {
				b.Errorf("minimax step takes %.3f times erm's, want at most 1.1", ratio)
			}
		})
	}
}

// BenchmarkStepVocab16384 times the training loop's body for masked-token
// at issue 19's shape: K = 8, B = 32, W = 32, vocabulary 16,384, minimax,
// with the default sampled softmax. Read steps/s as 1000/(ms/step).
func BenchmarkStepVocab16384(b *testing.B) {
	ds := bnDatasets(b)
	l := newBnLoopVocab(b, ds, ObjectiveToken, "minimax", 16384)
	for range 3 {
		l.next(b)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		l.next(b)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
}
