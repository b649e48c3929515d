package partition

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/muesli/clusters"
	"github.com/muesli/kmeans"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
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
// ours, s/iter: the steady state, timed directly: the k-means++ seeding
// is done outside the clock, then lloyd runs 5 iterations (Tol tiny, so
// that none stops early) and the time is divided by the iterations.
// ours, s/iter-by-diff: through the public API only, (KMeans with MaxIter
// 6 − KMeans with MaxIter 1) / 5, each the faster of two runs after a
// warm-up run; noisier, as the seeding (about ten times one iteration) is
// in both terms. ours-workers1 is the same with Workers 1 (gonum's GEMM
// may still use more than one core inside a block).
//
// muesli: muesli/kmeans cannot be told its iteration limit (unexported,
// 96), but it calls its Plotter after every iteration; a Plotter that
// times the iterations and returns an error after 3 of them bounds the
// run. Reported as the mean s/iter of those iterations, and as x-ours the
// ratio muesli/ours of the cost per iteration (ours measured first in the
// same run).
func BenchmarkLloydIteration(b *testing.B) {
	x := benchData()
	ctx := context.Background()
	norms := rowNorms(x)
	ours := func(workers int) func(b *testing.B) {
		return func(b *testing.B) {
			cfg := KMeansConfig{K: benchK, Restarts: 1, MaxIter: 5, Tol: 1e-300, Seed: 1, Workers: workers}
			cfg.defaults()
			kmeansTime := func(maxIter int) time.Duration {
				t0 := time.Now()
				res, err := KMeans(ctx, x, KMeansConfig{K: benchK, Restarts: 1, MaxIter: maxIter, Tol: 1e-300, Seed: 1, Workers: workers})
				d := time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				if res.Iters != maxIter {
					b.Fatalf("MaxIter %d: Iters %d", maxIter, res.Iters)
				}
				return d
			}
			var steady, diff time.Duration
			iters := 0
			for b.Loop() {
				rng := rand.New(rand.NewPCG(cfg.Seed, 0x6b6d65616e73))
				c, err := seedPlusPlus(ctx, x, norms, benchK, rng, cfg.Workers)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				res, err := lloyd(ctx, x, norms, c, cfg)
				steady += time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				iters += res.Iters

				kmeansTime(1) // warm-up
				one := min(kmeansTime(1), kmeansTime(1))
				six := min(kmeansTime(6), kmeansTime(6))
				diff += (six - one) / 5
			}
			iter := steady.Seconds() / float64(iters)
			if workers == 0 {
				oursIter = iter
			}
			b.ReportMetric(iter, "s/iter")
			b.ReportMetric(diff.Seconds()/float64(b.N), "s/iter-by-diff")
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

// BenchmarkDistanceProduct times the product x·cᵀ behind the k-means
// distances at the size of partition's default sample: x 200,000 × 152
// (24 pattern + 128 semantic values), c 64 × 152, reported in GFlop/s
// (2·n·d·k flops per op).
//
// gonum: blas64.Gemm(NoTrans, Trans) on the whole x (as partition did
// before internal/gemm; gonum splits the work over GOMAXPROCS goroutines
// itself). gemm: the packed internal/gemm kernel over the fixed
// 2048-row blocks of lloyd, on GOMAXPROCS workers. The -1core variants
// run with GOMAXPROCS 1.
func BenchmarkDistanceProduct(b *testing.B) {
	const n, d, k = 200_000, 152, 64
	rng := rand.New(rand.NewPCG(7, 152))
	x := mat.NewDense(n, d, nil)
	for i, raw := 0, x.RawMatrix().Data; i < len(raw); i++ {
		raw[i] = rng.NormFloat64()
	}
	c := mat.NewDense(k, d, nil)
	for i, raw := 0, c.RawMatrix().Data; i < len(raw); i++ {
		raw[i] = rng.NormFloat64()
	}
	g := mat.NewDense(n, k, nil)
	run := func(fn func(), procs int) func(b *testing.B) {
		return func(b *testing.B) {
			if procs > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			}
			for b.Loop() {
				fn()
			}
			b.ReportMetric(2*n*d*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFlop/s")
		}
	}
	gonum := func() {
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, x.RawMatrix(), c.RawMatrix(), 0, g.RawMatrix())
	}
	ours := func() {
		pc := packRows(c)
		out := g.RawMatrix().Data
		parallelBlocks(n, runtime.GOMAXPROCS(0), func(lo, hi int) {
			mulNT(out[lo*k:hi*k], k, x, lo, hi, pc)
		})
	}
	b.Run("gonum", run(gonum, 0))
	b.Run("gemm", run(ours, 0))
	b.Run("gonum-1core", run(gonum, 1))
	b.Run("gemm-1core", run(ours, 1))
}
