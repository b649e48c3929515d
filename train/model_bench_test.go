package train

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchWeights returns n weight vectors of K values: all uniform, or each
// a different random point of the simplex (as minimax changes w every
// step).
func benchWeights(k, n int, vary bool) [][]float64 {
	rng := rand.New(rand.NewPCG(1, 1))
	out := make([][]float64, n)
	for i := range out {
		w := make([]float64, k)
		var s float64
		for j := range w {
			w[j] = 1
			if vary {
				w[j] = rng.ExpFloat64()
			}
			s += w[j]
		}
		for j := range w {
			w[j] /= s
		}
		out[i] = w
	}
	return out
}

// benchSteps times m.Step over the batches, cycling, with the given weight
// vectors, and reports milliseconds per step.
func benchSteps(b *testing.B, m Model, batches []*Batch, weights [][]float64) {
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := m.Step(batches[i%len(batches)], weights[i%len(weights)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
}

func BenchmarkRegressionStep(b *testing.B) {
	const k, per, d = 8, 32, 152
	for _, vary := range []bool{false, true} {
		b.Run(fmt.Sprintf("varying-w=%v", vary), func(b *testing.B) {
			m, err := NewMaskedRegression(RegressionConfig{K: k, B: per, D: d, Hidden: 128, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			var batches []*Batch
			for s := range 8 {
				batches = append(batches, randomRegressionBatch(k, per, d, uint64(s)))
			}
			benchSteps(b, m, batches, benchWeights(k, 64, vary))
		})
	}
}

func BenchmarkTokenStep(b *testing.B) {
	const k, per, w = 8, 32, 32
	for _, vocab := range []int{4096, 16384} {
		for _, samples := range []int{0, DefaultSamples} {
			b.Run(fmt.Sprintf("vocab=%d/samples=%d", vocab, samples), func(b *testing.B) {
				m, err := NewMaskedToken(TokenConfig{K: k, B: per, W: w, Vocab: vocab, Embed: 64, Hidden: 128, Seed: 1, Samples: samples})
				if err != nil {
					b.Fatal(err)
				}
				defer m.Close()
				var batches []*Batch
				for s := range 8 {
					batches = append(batches, randomTokenBatch(k, per, w, vocab, uint64(s)))
				}
				benchSteps(b, m, batches, benchWeights(k, 64, true))
			})
		}
	}
}
