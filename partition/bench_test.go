package partition

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/muesli/clusters"
	"github.com/muesli/kmeans"
	"gonum.org/v1/gonum/mat"
)

// Size of the k-means benchmarks.
const (
	benchRows = 100_000
	benchDim  = 128
	benchK    = 64
)

var (
	benchOnce sync.Once
	benchX    *mat.Dense
	benchObsO sync.Once
	benchObs  clusters.Observations
	// oursIter is the last measured cost of one of our Lloyd
	// iterations, for the ratio reported by the muesli benchmark.
	oursIter float64
)

// benchData is 100,000 × 128 rows from a mixture of 64 Gaussians: centres
// uniform in [0, 1)^128 (where muesli/clusters seeds its centres), spread
// 0.05, seeded.
func benchData() *mat.Dense {
	benchOnce.Do(func() {
		rng := rand.New(rand.NewPCG(2024, 128))
		centres := make([][]float64, benchK)
		for c := range centres {
			centres[c] = make([]float64, benchDim)
			for j := range centres[c] {
				centres[c][j] = rng.Float64()
			}
		}
		benchX = mat.NewDense(benchRows, benchDim, nil)
		for i := range benchRows {
			c := centres[rng.IntN(benchK)]
			row := benchX.RawRowView(i)
			for j := range row {
				row[j] = c[j] + 0.05*rng.NormFloat64()
			}
		}
	})
	return benchX
}

func benchObservations() clusters.Observations {
	benchObsO.Do(func() { benchObs = Observations(benchData()) })
	return benchObs
}

// errStopIter stops muesli/kmeans after the iterations wanted.
var errStopIter = errors.New("enough iterations")

// iterClock is a muesli/kmeans Plotter (called after every iteration)
// that times the iterations and stops the run after limit of them.
type iterClock struct {
	limit int
	last  time.Time
	iters []time.Duration
}

func (c *iterClock) Plot(_ clusters.Clusters, _ int) error {
	now := time.Now()
	c.iters = append(c.iters, now.Sub(c.last))
	c.last = now
	if len(c.iters) >= c.limit {
		return errStopIter
	}
	return nil
}

// BenchmarkLloydIteration compares the cost of one Lloyd iteration
// (assignment and centroid update) on 100,000 × 128 rows with k = 64.
//
// ours: KMeans with MaxIter 2 minus KMeans with MaxIter 1 (the same
// seeding and first assignment), both Restarts 1, reported as s/iter.
// muesli: muesli/kmeans cannot be told its iteration limit (unexported,
// 96), but it calls its Plotter after every iteration; a Plotter that
// times the iterations and returns an error after 3 of them bounds the
// run. Reported as the mean s/iter of those iterations, and as ratio the
// muesli/ours cost per iteration (ours measured first in the same run).
func BenchmarkLloydIteration(b *testing.B) {
	x := benchData()
	ctx := context.Background()
	ours := func(workers int) func(b *testing.B) {
		return func(b *testing.B) {
			var one, two time.Duration
			for b.Loop() {
				t0 := time.Now()
				r1, err := KMeans(ctx, x, KMeansConfig{K: benchK, Restarts: 1, MaxIter: 1, Seed: 1, Workers: workers})
				t1 := time.Now()
				r2, err2 := KMeans(ctx, x, KMeansConfig{K: benchK, Restarts: 1, MaxIter: 2, Seed: 1, Workers: workers})
				t2 := time.Now()
				if err != nil || err2 != nil {
					b.Fatal(err, err2)
				}
				if r1.Iters != 1 || r2.Iters != 2 {
					b.Fatalf("Iters %d and %d, want 1 and 2", r1.Iters, r2.Iters)
				}
				one += t1.Sub(t0)
				two += t2.Sub(t1)
			}
			n := float64(b.N)
			iter := (two - one).Seconds() / n
			if workers == 0 {
				oursIter = iter
			}
			b.ReportMetric(iter, "s/iter")
			b.ReportMetric(one.Seconds()/n, "s/seed+assign")
		}
	}
	b.Run("ours", ours(0))
	b.Run("ours-workers1", ours(1))
	b.Run("muesli", func(b *testing.B) {
		obs := benchObservations()
		var total time.Duration
		iters := 0
		for b.Loop() {
			clock := &iterClock{limit: 3}
			// NewWithOptions refuses a threshold of 0; a tiny one never
			// stops the run early (changes < int(n × 1e-9) = 0).
			km, err := kmeans.NewWithOptions(1e-9, clock)
			if err != nil {
				b.Fatal(err)
			}
			clock.last = time.Now()
			if _, err := km.Partition(obs, benchK); err != nil && !errors.Is(err, errStopIter) &&
				err.Error() != "failed to plot chart: "+errStopIter.Error() {
				b.Fatal(err)
			}
			for _, d := range clock.iters {
				total += d
			}
			iters += len(clock.iters)
		}
		iter := total.Seconds() / float64(iters)
		b.ReportMetric(iter, "s/iter")
		b.ReportMetric(float64(iters)/float64(b.N), "iters")
		if oursIter > 0 {
			b.ReportMetric(iter/oursIter, "x-ours")
		}
	})
}

// BenchmarkKMeans100kx128k64 is a whole fit (k-means++ seeding and Lloyd
// to convergence, Restarts 1).
func BenchmarkKMeans100kx128k64(b *testing.B) {
	x := benchData()
	var iters int
	var inertia float64
	for b.Loop() {
		res, err := KMeans(context.Background(), x, KMeansConfig{K: benchK, Restarts: 1, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		iters += res.Iters
		inertia = res.Inertia
	}
	b.ReportMetric(float64(iters)/float64(b.N), "iters")
	b.ReportMetric(inertia, "inertia")
}
