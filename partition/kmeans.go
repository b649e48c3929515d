package partition

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/muesli/clusters"
	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/internal/gemm"
)

// KMeans defaults.
const (
	DefaultRestarts = 4
	DefaultMaxIter  = 100
	DefaultTol      = 1e-4
)

// KMeansConfig configures KMeans.
type KMeansConfig struct {
	// K is the number of clusters, 1 <= K <= rows.
	K int
	// Restarts is the number of seedings tried; the lowest inertia wins
	// (default 4). Above 32,768 rows, the restarts are run on 32,768 rows
	// spread evenly over x and the winner is refined on all rows.
	Restarts int
	// MaxIter bounds the Lloyd iterations of one restart (default 100).
	MaxIter int
	// Tol stops a restart when the inertia improves by less than this
	// share (default 1e-4), or when no row changes cluster.
	Tol float64
	// Seed seeds k-means++; restart r uses a stream derived from Seed and r.
	Seed uint64
	// Workers bounds the goroutines (default GOMAXPROCS); the result does
	// not depend on it.
	Workers int
}

func (c *KMeansConfig) defaults() {
	if c.Restarts <= 0 {
		c.Restarts = DefaultRestarts
	}
	if c.MaxIter <= 0 {
		c.MaxIter = DefaultMaxIter
	}
	if c.Tol <= 0 {
		c.Tol = DefaultTol
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
}

// KMeansResult is a fitted clustering.
type KMeansResult struct {
	// Centroids holds one centroid per row (K × d).
	Centroids *mat.Dense
	// Assign gives each row's cluster.
	Assign []int
	// Inertia is the sum of squared distances to the assigned centroids.
	Inertia float64
	// Iters is the number of Lloyd iterations of the winning restart.
	Iters int
	// Restart is the index of the winning restart.
	Restart int
}

// ErrK reports a K that the data cannot support.
var ErrK = errors.New("robustdata/partition: bad K")

// blockRows is the number of rows a worker handles at a time; fixed so
// that sums are reduced in the same order for any worker count.
const blockRows = 2048

// tileRows is the number of rows whose distances to the centroids are
// formed at a time within a block (a tileRows×K product that stays in
// cache until it is scanned). Any value gives the same results.
const tileRows = 128

// KMeans clusters the rows of x with k-means++ seeding and Lloyd
// iterations, distances computed as ‖x‖² + ‖c‖² − 2·x·cᵀ by matrix
// products (internal/gemm: every dot product one fixed chain of fused
// multiply-adds), over fixed row blocks in parallel. It is
// deterministic: the same x and config give the same result for any
// number of workers.
func KMeans(ctx context.Context, x *mat.Dense, cfg KMeansConfig) (*KMeansResult, error) {
	cfg.defaults()
	n, _ := x.Dims()
	if cfg.K < 1 || cfg.K > n {
		return nil, fmt.Errorf("%w: K = %d, but there are %d rows to cluster (K must be 1..%d)", ErrK, cfg.K, n, n)
	}
	// With many rows, the restarts compete on an evenly spread subset and
	// only the winner is refined on every row: restarts cost a fraction of
	// a full fit each.
	sub := x
	if n > restartRows && cfg.Restarts > 1 {
		sub = strided(x, restartRows)
	}
	subNorms := rowNorms(sub)
	var best *KMeansResult
	for r := range cfg.Restarts {
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x6b6d65616e73+uint64(r)))
		c, err := seedPlusPlus(ctx, sub, subNorms, cfg.K, rng, cfg.Workers)
		if err != nil {
			return nil, err
		}
		res, err := lloyd(ctx, sub, subNorms, c, cfg)
		if err != nil {
			return nil, err
		}
		res.Restart = r
		if best == nil || res.Inertia < best.Inertia {
			best = res
		}
	}
	if sub == x {
		return best, nil
	}
	res, err := lloyd(ctx, x, rowNorms(x), best.Centroids, cfg)
	if err != nil {
		return nil, err
	}
	res.Restart = best.Restart
	return res, nil
}

// restartRows bounds the rows the restarts of KMeans compete on.
const restartRows = 32768

// strided returns m rows of x spread evenly (rows i·n/m).
func strided(x *mat.Dense, m int) *mat.Dense {
	n, d := x.Dims()
	out := mat.NewDense(m, d, nil)
	for i := range m {
		out.SetRow(i, x.RawRowView(i*n/m))
	}
	return out
}

// rowNorms returns ‖x_i‖² of every row.
func rowNorms(x *mat.Dense) []float64 {
	n, _ := x.Dims()
	out := make([]float64, n)
	for i := range n {
		r := x.RawRowView(i)
		var s float64
		for _, v := range r {
			s += v * v
		}
		out[i] = s
	}
	return out
}

// seedPlusPlus chooses K initial centroids by greedy k-means++ (as
// scikit-learn does): the first uniformly; then, each time, 2+⌊ln K⌋
// candidates drawn with probability proportional to the squared distance
// to the nearest centroid chosen so far, keeping the candidate that lowers
// the total of those distances most. Distances to the candidates are one
// matrix product per step.
func seedPlusPlus(ctx context.Context, x *mat.Dense, norms []float64, k int, rng *rand.Rand, workers int) (*mat.Dense, error) {
	n, d := x.Dims()
	c := mat.NewDense(k, d, nil)
	first := rng.IntN(n)
	c.SetRow(0, x.RawRowView(first))
	closest := make([]float64, n)
	cn0 := norms[first]
	p0 := packRows(c.Slice(0, 1, 0, d).(*mat.Dense))
	parallelBlocks(n, workers, func(lo, hi int) {
		mulNT(closest[lo:hi], 1, x, lo, hi, p0)
		for i := lo; i < hi; i++ {
			closest[i] = max(0, norms[i]+cn0-2*closest[i])
		}
	})
	trials := 2 + int(math.Log(float64(k)))
	cand := make([]int, trials)
	candRows := mat.NewDense(trials, d, nil)
	candDist := mat.NewDense(n, trials, nil)
	pot := make([]float64, trials)
	for j := 1; j < k; j++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var total float64
		for _, v := range closest {
			total += v
		}
		for t := range trials {
			if total <= 0 {
				cand[t] = rng.IntN(n)
			} else {
				target := rng.Float64() * total
				var acc float64
				cand[t] = n - 1
				for i, v := range closest {
					acc += v
					if acc >= target && v > 0 {
						cand[t] = i
						break
					}
				}
			}
			candRows.SetRow(t, x.RawRowView(cand[t]))
		}
		// Squared distances of every row to every candidate, and the
		// potential each candidate would leave.
		pc := packRows(candRows)
		parallelBlocks(n, workers, func(lo, hi int) {
			mulNT(candDist.RawMatrix().Data[lo*trials:hi*trials], trials, x, lo, hi, pc)
			for i := lo; i < hi; i++ {
				row := candDist.RawRowView(i)
				for t, dot := range row {
					row[t] = min(closest[i], max(0, norms[i]+norms[cand[t]]-2*dot))
				}
			}
		})
		clear(pot)
		for i := range n {
			for t, v := range candDist.RawRowView(i) {
				pot[t] += v
			}
		}
		best := 0
		for t := range trials {
			if pot[t] < pot[best] {
				best = t
			}
		}
		c.SetRow(j, x.RawRowView(cand[best]))
		for i := range n {
			closest[i] = candDist.At(i, best)
		}
	}
	return c, nil
}

// lloyd runs Lloyd iterations from the centroids c.
func lloyd(ctx context.Context, x *mat.Dense, norms []float64, c *mat.Dense, cfg KMeansConfig) (*KMeansResult, error) {
	n, d := x.Dims()
	k := cfg.K
	assign := make([]int, n)
	for i := range assign {
		assign[i] = -1
	}
	dist := make([]float64, n)
	prev := math.Inf(1)
	res := &KMeansResult{Centroids: c, Assign: assign}
	blocks := (n + blockRows - 1) / blockRows
	sums := make([]*mat.Dense, blocks)
	counts := make([][]int, blocks)
	changed := make([]int, blocks)
	for iter := 1; ; iter++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cn := rowNorms(c)
		pc := packRows(c)
		// Assignment step, block by block; each block also sums its rows
		// per cluster for the update step.
		var wg sync.WaitGroup
		next := make(chan int)
		for range min(cfg.Workers, blocks) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g := make([]float64, tileRows*k)
				for b := range next {
					lo, hi := b*blockRows, min(n, (b+1)*blockRows)
					if sums[b] == nil {
						sums[b] = mat.NewDense(k, d, nil)
						counts[b] = make([]int, k)
					} else {
						sums[b].Zero()
						clear(counts[b])
					}
					changed[b] = 0
					for t0 := lo; t0 < hi; t0 += tileRows {
						t1 := min(t0+tileRows, hi)
						mulNT(g, k, x, t0, t1, pc)
						for i := t0; i < t1; i++ {
							row := g[(i-t0)*k : (i-t0+1)*k]
							bj, bd := 0, math.Inf(1)
							for j, dot := range row {
								if v := norms[i] + cn[j] - 2*dot; v < bd {
									bj, bd = j, v
								}
							}
							if assign[i] != bj {
								changed[b]++
								assign[i] = bj
							}
							dist[i] = max(0, bd)
							counts[b][bj]++
							s := sums[b].RawRowView(bj)
							for t, v := range x.RawRowView(i) {
								s[t] += v
							}
						}
					}
				}
			}()
		}
		for b := range blocks {
			next <- b
		}
		close(next)
		wg.Wait()

		var inertia float64
		for _, v := range dist {
			inertia += v
		}
		moved := 0
		for _, v := range changed {
			moved += v
		}
		res.Inertia, res.Iters = inertia, iter
		if moved == 0 || iter >= cfg.MaxIter || (iter > 1 && prev-inertia <= cfg.Tol*prev) {
			return res, nil
		}
		prev = inertia

		// Update step: block sums reduced in block order.
		total := make([]int, k)
		nc := mat.NewDense(k, d, nil)
		for b := range blocks {
			nc.Add(nc, sums[b])
			for j, v := range counts[b] {
				total[j] += v
			}
		}
		for j := range k {
			if total[j] == 0 {
				// An empty cluster takes the row farthest from its centroid.
				far := 0
				for i, v := range dist {
					if v > dist[far] {
						far = i
					}
				}
				nc.SetRow(j, x.RawRowView(far))
				dist[far] = 0
				continue
			}
			row := nc.RawRowView(j)
			inv := 1 / float64(total[j])
			for t := range row {
				row[t] *= inv
			}
		}
		c = nc
		res.Centroids = c
	}
}

// packRows packs the rows of c (the right factor of x·cᵀ) for mulNT.
func packRows(c *mat.Dense) *gemm.PackedT {
	raw := c.RawMatrix()
	return gemm.PackT(raw.Data, raw.Rows, raw.Cols, raw.Stride)
}

// mulNT sets g[(i−lo)·ldg + j] = x_i·c_j for the rows lo ≤ i < hi of x and
// the rows c_j packed in p. Each dot product is one fixed chain of fused
// multiply-adds in feature order, whatever rows the call covers.
func mulNT(g []float64, ldg int, x *mat.Dense, lo, hi int, p *gemm.PackedT) {
	raw := x.RawMatrix()
	p.MulNT(g, ldg, raw.Data[lo*raw.Stride:], hi-lo, raw.Stride)
}

// parallelBlocks runs fn over fixed blocks of [0, n) on workers goroutines.
func parallelBlocks(n, workers int, fn func(lo, hi int)) {
	blocks := (n + blockRows - 1) / blockRows
	if workers <= 1 || blocks <= 1 {
		for b := range blocks {
			fn(b*blockRows, min(n, (b+1)*blockRows))
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, blocks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				fn(b*blockRows, min(n, (b+1)*blockRows))
			}
		}()
	}
	for b := range blocks {
		next <- b
	}
	close(next)
	wg.Wait()
}

// Nearest writes, for each row of x, the nearest centroid and the
// (Euclidean) distance to it into assign and dist (len ≥ rows). Large
// inputs are split over GOMAXPROCS goroutines; the result does not depend
// on it.
func Nearest(x, centroids *mat.Dense, assign []int, dist []float64) error {
	n, d := x.Dims()
	_, cd := centroids.Dims()
	if d != cd || len(assign) < n || len(dist) < n {
		return fmt.Errorf("robustdata/partition: rows of %d values against centroids of %d (or short outputs)", d, cd)
	}
	nearest(x, packRows(centroids), rowNorms(centroids), assign, dist, runtime.GOMAXPROCS(0))
	return nil
}

// nearest is Nearest with the centroids packed (pc) and their squared
// norms given (cn), on up to workers goroutines.
func nearest(x *mat.Dense, pc *gemm.PackedT, cn []float64, assign []int, dist []float64, workers int) {
	n, _ := x.Dims()
	k, _ := pc.Dims()
	parallelBlocks(n, workers, func(lo, hi int) {
		g := make([]float64, min(tileRows, hi-lo)*k)
		for t0 := lo; t0 < hi; t0 += tileRows {
			t1 := min(t0+tileRows, hi)
			mulNT(g, k, x, t0, t1, pc)
			for i := t0; i < t1; i++ {
				var ni float64
				for _, v := range x.RawRowView(i) {
					ni += v * v
				}
				row := g[(i-t0)*k : (i-t0+1)*k]
				bj, bd := 0, math.Inf(1)
				for j, dot := range row {
					if v := ni + cn[j] - 2*dot; v < bd {
						bj, bd = j, v
					}
				}
				assign[i] = bj
				dist[i] = math.Sqrt(max(0, bd))
			}
		}
	})
}

// Clusters expresses a clustering in muesli/clusters' vocabulary: one
// clusters.Cluster per centroid holding its observations.
func Clusters(x *mat.Dense, res *KMeansResult) clusters.Clusters {
	k, _ := res.Centroids.Dims()
	obs := Observations(x)
	out := make(clusters.Clusters, k)
	for j := range k {
		out[j].Center = clusters.Coordinates(append([]float64(nil), res.Centroids.RawRowView(j)...))
	}
	for i, j := range res.Assign {
		out[j].Observations = append(out[j].Observations, obs[i])
	}
	return out
}
