package partition

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// gaussBlobs returns k Gaussian blobs of per rows each in d dimensions:
// centres drawn from N(0, sep²) per coordinate, points N(centre, 1). The
// rows are shuffled; ids gives each row's blob.
func gaussBlobs(per, d, k int, sep float64, seed uint64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 0xb10b))
	centres := make([][]float64, k)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range centres[c] {
			centres[c][j] = sep * rng.NormFloat64()
		}
	}
	n := per * k
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i % k
	}
	rng.Shuffle(n, func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	x := mat.NewDense(n, d, nil)
	for i, c := range ids {
		row := x.RawRowView(i)
		for j := range row {
			row[j] = centres[c][j] + rng.NormFloat64()
		}
	}
	return x, ids
}

// uniformRows returns n rows of d values uniform in [0, 1).
func uniformRows(n, d int, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 0x0))
	x := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			x.Set(i, j, rng.Float64())
		}
	}
	return x
}

// sqDist is ‖a − b‖², summed directly.
func sqDist(a, b []float64) float64 {
	var s float64
	for j := range a {
		dv := a[j] - b[j]
		s += dv * dv
	}
	return s
}

// inertiaByHand recomputes the sum of squared distances of the rows to
// their assigned centroids, without the norm expansion KMeans uses.
func inertiaByHand(x *mat.Dense, res *KMeansResult) float64 {
	var s float64
	for i, j := range res.Assign {
		s += sqDist(x.RawRowView(i), res.Centroids.RawRowView(j))
	}
	return s
}

func hasNaN(m *mat.Dense) bool {
	r, c := m.Dims()
	for i := range r {
		for j := range c {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return true
			}
		}
	}
	return false
}

func clusterSizes(assign []int, k int) []int {
	sz := make([]int, k)
	for _, a := range assign {
		sz[a]++
	}
	return sz
}

// nearestByHand is the index of the centroid nearest row (the lower
// index on a tie) and the squared distance to it.
func nearestByHand(row []float64, c *mat.Dense) (int, float64) {
	k, _ := c.Dims()
	bj, bd := 0, math.Inf(1)
	for j := range k {
		if d := sqDist(row, c.RawRowView(j)); d < bd {
			bj, bd = j, d
		}
	}
	return bj, bd
}

func TestKMeansRecoversBlobs(t *testing.T) {
	for _, tc := range []struct {
		name               string
		per, d, k          int
		sep                float64
		restarts, maxIter0 int
		workers            int
	}{
		{name: "5 blobs 10-D", per: 200, d: 10, k: 5, sep: 10},
		{name: "5 blobs 10-D one restart", per: 200, d: 10, k: 5, sep: 10, restarts: 1},
		{name: "3 blobs 2-D", per: 50, d: 2, k: 3, sep: 20},
		// 3,000 rows: two row blocks, so block sums are reduced.
		{name: "6 blobs 12-D, several blocks", per: 500, d: 12, k: 6, sep: 10, workers: 3},
		// 40,000 rows: above restartRows, the restarts compete on a
		// strided subset and the winner is refined on every row.
		{name: "8 blobs 6-D, restarts on a subset", per: 5000, d: 6, k: 8, sep: 10, restarts: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, ids := gaussBlobs(tc.per, tc.d, tc.k, tc.sep, 1)
			res, err := KMeans(context.Background(), x, KMeansConfig{K: tc.k, Seed: 42, Restarts: tc.restarts, MaxIter: tc.maxIter0, Workers: tc.workers})
			if err != nil {
				t.Fatal(err)
			}
			n, _ := x.Dims()
			if len(res.Assign) != n {
				t.Fatalf("len(Assign) = %d, want %d", len(res.Assign), n)
			}
			if r, c := res.Centroids.Dims(); r != tc.k || c != tc.d {
				t.Fatalf("Centroids are %d×%d, want %d×%d", r, c, tc.k, tc.d)
			}
			c := mustContingency(t, ints(ids...), res.Assign)
			if nmi := c.NMI(); !near(nmi, 1, 1e-12) {
				t.Errorf("NMI against the blob ids = %.15f, want 1\n%s", nmi, c.Markdown(10))
			}
			if len(c.Clusters) != tc.k {
				t.Errorf("%d clusters used, want %d", len(c.Clusters), tc.k)
			}
			want := inertiaByHand(x, res)
			if math.Abs(res.Inertia-want) > 1e-9*want {
				t.Errorf("Inertia = %.17g, recomputed by hand %.17g (relative error %g)", res.Inertia, want, math.Abs(res.Inertia-want)/want)
			}
			// Regression: an earlier version stopped after the first
			// iteration (the assignment to the seeds).
			maxIter := cmpOr(tc.maxIter0, DefaultMaxIter)
			if res.Iters <= 1 || res.Iters >= maxIter {
				t.Errorf("Iters = %d, want 1 < Iters < %d", res.Iters, maxIter)
			}
			if r := cmpOr(tc.restarts, DefaultRestarts); res.Restart < 0 || res.Restart >= r {
				t.Errorf("Restart = %d, want 0..%d", res.Restart, r-1)
			}
			// Converged: each centroid is the mean of its rows (after one
			// iteration they would still be the seeding's data rows).
			sums := mat.NewDense(tc.k, tc.d, nil)
			sz := clusterSizes(res.Assign, tc.k)
			for i, a := range res.Assign {
				for j, v := range x.RawRowView(i) {
					sums.Set(a, j, sums.At(a, j)+v/float64(sz[a]))
				}
			}
			if !mat.EqualApprox(sums, res.Centroids, 1e-9) {
				t.Errorf("centroids are not the means of their clusters")
			}
			// Every row sits with its nearest centroid.
			for i, a := range res.Assign {
				if j, _ := nearestByHand(x.RawRowView(i), res.Centroids); j != a {
					t.Fatalf("row %d assigned to %d, nearest centroid is %d", i, a, j)
				}
			}
			t.Logf("iters %d, restart %d, inertia %.6g", res.Iters, res.Restart, res.Inertia)
		})
	}
}

func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// TestKMeansLloydDescent: from the same seeding, more Lloyd iterations
// never leave a higher inertia.
func TestKMeansLloydDescent(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    *mat.Dense
		k    int
	}{
		{"uniform 3000×5 K=8", uniformRows(3000, 5, 3), 8},
		{"overlapping blobs 1200×4 K=6", func() *mat.Dense { x, _ := gaussBlobs(200, 4, 6, 1, 9); return x }(), 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := math.Inf(1)
			var iters []int
			for _, maxIter := range []int{1, 2, 5, 20} {
				res, err := KMeans(context.Background(), tc.x, KMeansConfig{K: tc.k, Restarts: 1, MaxIter: maxIter, Tol: 1e-12, Seed: 5})
				if err != nil {
					t.Fatal(err)
				}
				if res.Iters > maxIter {
					t.Errorf("MaxIter %d: Iters = %d", maxIter, res.Iters)
				}
				if res.Inertia > prev {
					t.Errorf("MaxIter %d: inertia %.17g is higher than with fewer iterations (%.17g)", maxIter, res.Inertia, prev)
				}
				if want := inertiaByHand(tc.x, res); math.Abs(res.Inertia-want) > 1e-9*want {
					t.Errorf("MaxIter %d: Inertia = %.17g, by hand %.17g", maxIter, res.Inertia, want)
				}
				prev = res.Inertia
				iters = append(iters, res.Iters)
			}
			if iters[0] != 1 || iters[1] != 2 {
				t.Errorf("Iters for MaxIter 1, 2 = %v, want 1, 2", iters[:2])
			}
		})
	}
}

func sameResult(a, b *KMeansResult) error {
	switch {
	case !slices.Equal(a.Assign, b.Assign):
		return errors.New("Assign differs")
	case !mat.Equal(a.Centroids, b.Centroids):
		return errors.New("Centroids differ")
	case a.Inertia != b.Inertia:
		return fmt.Errorf("Inertia %.17g vs %.17g", a.Inertia, b.Inertia)
	case a.Iters != b.Iters || a.Restart != b.Restart:
		return fmt.Errorf("Iters/Restart %d/%d vs %d/%d", a.Iters, a.Restart, b.Iters, b.Restart)
	}
	return nil
}

func TestKMeansDeterministic(t *testing.T) {
	// 5,000 rows: three row blocks, so the worker count changes who
	// computes which block.
	x, _ := gaussBlobs(1000, 8, 5, 1.5, 11)
	cfg := KMeansConfig{K: 6, Restarts: 2, Seed: 7}
	ref, err := KMeans(context.Background(), x, KMeansConfig{K: cfg.K, Restarts: cfg.Restarts, Seed: cfg.Seed, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		workers int
	}{{"workers 1 again", 1}, {"workers 2", 2}, {"workers 5", 5}, {"default workers", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.Workers = tc.workers
			got, err := KMeans(context.Background(), x, c)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameResult(ref, got); err != nil {
				t.Errorf("workers %d vs 1: %v", tc.workers, err)
			}
		})
	}
	t.Run("restarts on a subset", func(t *testing.T) {
		// Above restartRows rows with Restarts > 1: the subset, the
		// restarts and the refinement must not depend on the workers.
		y, _ := gaussBlobs(6000, 5, 6, 1.5, 12) // 36,000 rows
		if n, _ := y.Dims(); n <= restartRows {
			t.Fatalf("%d rows: not above restartRows (%d)", n, restartRows)
		}
		var ref *KMeansResult
		for _, w := range []int{1, 2, 5} {
			got, err := KMeans(context.Background(), y, KMeansConfig{K: 6, Restarts: 3, Seed: 7, Workers: w})
			if err != nil {
				t.Fatal(err)
			}
			if want := inertiaByHand(y, got); math.Abs(got.Inertia-want) > 1e-9*want {
				t.Errorf("workers %d: Inertia %.17g, by hand over every row %.17g", w, got.Inertia, want)
			}
			if len(got.Assign) != 36000 {
				t.Fatalf("workers %d: %d rows assigned", w, len(got.Assign))
			}
			if ref == nil {
				ref = got
			} else if err := sameResult(ref, got); err != nil {
				t.Errorf("workers %d vs 1: %v", w, err)
			}
		}
	})
	t.Run("other seeds", func(t *testing.T) {
		// A different seed may give another local optimum; at least one
		// of a few seeds does on data without clear clusters.
		u := uniformRows(2500, 6, 1)
		base, err := KMeans(context.Background(), u, KMeansConfig{K: 7, Restarts: 1, MaxIter: 3, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		differ := 0
		for seed := uint64(2); seed < 6; seed++ {
			r, err := KMeans(context.Background(), u, KMeansConfig{K: 7, Restarts: 1, MaxIter: 3, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			if sameResult(base, r) != nil {
				differ++
			}
		}
		if differ == 0 {
			t.Errorf("seeds 2..5 all give the result of seed 1: is Seed used?")
		}
	})
}

func TestKMeansK(t *testing.T) {
	x, _ := gaussBlobs(40, 3, 3, 5, 2) // 120 distinct rows
	n, d := x.Dims()
	ctx := context.Background()
	t.Run("K=1 is the column means", func(t *testing.T) {
		res, err := KMeans(ctx, x, KMeansConfig{K: 1, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		mean := columnMeansByHand(x)
		for j := range d {
			if got := res.Centroids.At(0, j); math.Abs(got-mean[j]) > 1e-12 {
				t.Errorf("centroid[%d] = %.17g, column mean %.17g", j, got, mean[j])
			}
		}
		for i, a := range res.Assign {
			if a != 0 {
				t.Fatalf("row %d assigned to %d", i, a)
			}
		}
		if want := inertiaByHand(x, res); math.Abs(res.Inertia-want) > 1e-9*want {
			t.Errorf("Inertia %.17g, by hand %.17g", res.Inertia, want)
		}
	})
	t.Run("K=n has inertia 0", func(t *testing.T) {
		res, err := KMeans(ctx, x, KMeansConfig{K: n, Seed: 1, Restarts: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Inertia > 1e-9 {
			t.Errorf("Inertia = %g, want 0", res.Inertia)
		}
		if sz := clusterSizes(res.Assign, n); slices.Min(sz) != 1 || slices.Max(sz) != 1 {
			t.Errorf("K = n: cluster sizes %v, want all 1", sz)
		}
		if hasNaN(res.Centroids) {
			t.Errorf("NaN centroid")
		}
	})
	for _, tc := range []struct {
		name string
		k    int
	}{{"K=0", 0}, {"K=-1", -1}, {"K=n+1", n + 1}, {"K=10n", 10 * n}} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := KMeans(ctx, x, KMeansConfig{K: tc.k})
			if !errors.Is(err, ErrK) {
				t.Fatalf("K = %d: err = %v, want one wrapping ErrK", tc.k, err)
			}
			if res != nil {
				t.Errorf("a result with the error")
			}
		})
	}
	for _, k := range []int{1, 4} {
		t.Run(fmt.Sprintf("cancelled K=%d", k), func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := KMeans(cctx, x, KMeansConfig{K: k})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
		})
	}
}

func columnMeansByHand(x *mat.Dense) []float64 {
	n, d := x.Dims()
	mean := make([]float64, d)
	for j := range d {
		var s float64
		for i := range n {
			s += x.At(i, j)
		}
		mean[j] = s / float64(n)
	}
	return mean
}

// TestKMeansDuplicates: rows that are all the same leave clusters that
// cannot be filled; the result must stay finite, at inertia 0, every
// centroid on the point.
func TestKMeansDuplicates(t *testing.T) {
	for _, tc := range []struct {
		name string
		row  []float64
		n, k int
	}{
		{"exact values", []float64{1.5, -0.25, 3, 0}, 50, 3},
		{"random values", []float64{0.1, math.Pi, -math.E, 1e3 / 7}, 50, 3},
		{"two rows", []float64{2, 2}, 2, 2},
		{"many blocks", []float64{0.3, 0.7}, 5000, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := mat.NewDense(tc.n, len(tc.row), nil)
			for i := range tc.n {
				x.SetRow(i, tc.row)
			}
			res, err := KMeans(context.Background(), x, KMeansConfig{K: tc.k, Seed: 3, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if hasNaN(res.Centroids) || math.IsNaN(res.Inertia) {
				t.Fatalf("NaN: inertia %v, centroids\n%v", res.Inertia, mat.Formatted(res.Centroids))
			}
			if res.Inertia > 1e-9 {
				t.Errorf("Inertia = %g, want 0", res.Inertia)
			}
			for j := range tc.k {
				if d := sqDist(res.Centroids.RawRowView(j), tc.row); d > 1e-20 {
					t.Errorf("centroid %d = %v, the only point is %v", j, res.Centroids.RawRowView(j), tc.row)
				}
			}
			for i, a := range res.Assign {
				if a < 0 || a >= tc.k {
					t.Fatalf("row %d assigned to %d", i, a)
				}
			}
		})
	}
}

// TestKMeansEmptyCluster drives Lloyd from seeds that leave a cluster
// empty: it takes the row farthest from its centroid, so that no centroid
// is NaN and every cluster holds rows at the end.
func TestKMeansEmptyCluster(t *testing.T) {
	// Two tight clumps around (0, 0) and (10, 10), 50 rows each.
	rng := rand.New(rand.NewPCG(4, 4))
	x := mat.NewDense(100, 2, nil)
	for i := range 100 {
		c := float64(10 * (i % 2))
		x.SetRow(i, []float64{c + 0.1*rng.NormFloat64(), c + 0.1*rng.NormFloat64()})
	}
	// One row of the first clump sits a bit apart: the farthest from its
	// centroid after the first assignment.
	x.SetRow(0, []float64{1.5, 1.5})
	for _, tc := range []struct {
		name    string
		seeds   [][]float64
		maxIter int
	}{
		{"seed far from the data", [][]float64{x.RawRowView(2), x.RawRowView(1), {1000, -1000}}, 50},
		{"two seeds on one row", [][]float64{x.RawRowView(2), x.RawRowView(2), x.RawRowView(1)}, 50},
		{"two empty", [][]float64{x.RawRowView(2), {500, 500}, x.RawRowView(1), {-500, 500}}, 50},
		// After one update each empty cluster holds a row of its own:
		// two empty clusters do not take the same row.
		{"two empty, one update", [][]float64{x.RawRowView(2), {500, 500}, x.RawRowView(1), {-500, 500}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := len(tc.seeds)
			c := mat.NewDense(k, 2, nil)
			for j, s := range tc.seeds {
				c.SetRow(j, s)
			}
			cfg := KMeansConfig{K: k, MaxIter: tc.maxIter, Workers: 2}
			cfg.defaults()
			res, err := lloyd(context.Background(), x, rowNorms(x), c, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if hasNaN(res.Centroids) {
				t.Fatalf("NaN centroid:\n%v", mat.Formatted(res.Centroids))
			}
			sz := clusterSizes(res.Assign, k)
			if slices.Min(sz) == 0 {
				t.Errorf("cluster sizes %v: a cluster is empty at the end", sz)
			}
			if res.Iters < 2 {
				t.Errorf("Iters = %d", res.Iters)
			}
			if want := inertiaByHand(x, res); math.Abs(res.Inertia-want) > 1e-9*want {
				t.Errorf("Inertia %.17g, by hand %.17g", res.Inertia, want)
			}
		})
	}
	t.Run("KMeans K=3 on two clumps", func(t *testing.T) {
		for seed := range uint64(8) {
			res, err := KMeans(context.Background(), x, KMeansConfig{K: 3, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			if hasNaN(res.Centroids) {
				t.Fatalf("seed %d: NaN centroid", seed)
			}
			if sz := clusterSizes(res.Assign, 3); slices.Min(sz) == 0 {
				t.Errorf("seed %d: cluster sizes %v", seed, sz)
			}
		}
	})
	t.Run("KMeans K=3 on two repeated points", func(t *testing.T) {
		// Only two distinct rows: a third cluster cannot hold a row of
		// its own. Documented outcome: finite centroids, each on a data
		// row, inertia 0, the two points in different clusters.
		y := mat.NewDense(40, 2, nil)
		for i := range 40 {
			y.SetRow(i, []float64{float64(5 * (i % 2)), 1})
		}
		for seed := range uint64(6) {
			res, err := KMeans(context.Background(), y, KMeansConfig{K: 3, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			if hasNaN(res.Centroids) || res.Inertia > 1e-12 {
				t.Fatalf("seed %d: inertia %g, centroids\n%v", seed, res.Inertia, mat.Formatted(res.Centroids))
			}
			for j := range 3 {
				c := res.Centroids.RawRowView(j)
				if !slices.Equal(c, []float64{0, 1}) && !slices.Equal(c, []float64{5, 1}) {
					t.Errorf("seed %d: centroid %d = %v is not a data row", seed, j, c)
				}
			}
			if res.Assign[0] == res.Assign[1] {
				t.Errorf("seed %d: the two points share cluster %d", seed, res.Assign[0])
			}
		}
	})
}

func TestNearestBruteForce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n, k, d int
	}{{"300×7 K=9", 300, 9, 7}, {"1×3 K=1", 1, 1, 3}, {"2500×20 K=16", 2500, 16, 20}} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.n), 1))
			x := mat.NewDense(tc.n, tc.d, nil)
			c := mat.NewDense(tc.k, tc.d, nil)
			for _, m := range []*mat.Dense{x, c} {
				r, cc := m.Dims()
				for i := range r {
					for j := range cc {
						m.Set(i, j, 3+rng.NormFloat64())
					}
				}
			}
			assign := make([]int, tc.n)
			dist := make([]float64, tc.n)
			if err := Nearest(x, c, assign, dist); err != nil {
				t.Fatal(err)
			}
			for i := range tc.n {
				j, sd := nearestByHand(x.RawRowView(i), c)
				want := math.Sqrt(sd)
				if assign[i] != j {
					// Only a near tie may differ by rounding.
					other := math.Sqrt(sqDist(x.RawRowView(i), c.RawRowView(assign[i])))
					if math.Abs(other-want) > 1e-9*want {
						t.Errorf("row %d: Nearest says %d (distance %g), brute force %d (%g)", i, assign[i], other, j, want)
					}
					continue
				}
				if math.Abs(dist[i]-want) > 1e-9*max(want, 1) {
					t.Errorf("row %d: distance %.17g, brute force %.17g", i, dist[i], want)
				}
			}
		})
	}
}

func TestClustersVocabulary(t *testing.T) {
	x, _ := gaussBlobs(30, 4, 4, 8, 6)
	res, err := KMeans(context.Background(), x, KMeansConfig{K: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	cs := Clusters(x, res)
	if len(cs) != 4 {
		t.Fatalf("%d clusters, want 4", len(cs))
	}
	sz := clusterSizes(res.Assign, 4)
	next := make([]int, 4)
	for i, a := range res.Assign {
		// Observations are in row order within each cluster.
		o := cs[a].Observations[next[a]]
		next[a]++
		if !slices.Equal(o.Coordinates(), x.RawRowView(i)) {
			t.Fatalf("cluster %d observation %d = %v, row %d is %v", a, next[a]-1, o.Coordinates(), i, x.RawRowView(i))
		}
	}
	total := 0
	for j, c := range cs {
		if len(c.Observations) != sz[j] {
			t.Errorf("cluster %d has %d observations, Assign gives it %d", j, len(c.Observations), sz[j])
		}
		total += len(c.Observations)
		if !slices.Equal([]float64(c.Center), res.Centroids.RawRowView(j)) {
			t.Errorf("cluster %d center %v, centroid %v", j, c.Center, res.Centroids.RawRowView(j))
		}
		// muesli's Nearest (squared distance) agrees with ours.
		for _, o := range c.Observations {
			if got := cs.Nearest(o); got != j {
				t.Errorf("clusters.Nearest puts an observation of cluster %d in %d", j, got)
				break
			}
		}
	}
	if n, _ := x.Dims(); total != n {
		t.Errorf("%d observations in all, want %d", total, n)
	}
	// The centers are copies: changing one leaves the result alone.
	before := res.Centroids.At(0, 0)
	cs[0].Center[0] = math.NaN()
	if res.Centroids.At(0, 0) != before {
		t.Errorf("Clusters shares its centers with the result")
	}
}
