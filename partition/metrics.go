package partition

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/internal/gemm"
)

// Contingency counts (label, cluster) pairs: how often each reference
// label meets each cluster id. It is the common input of the external
// clustering metrics NMI, ARI and Purity.
//
// The methods compute from Counts alone (row, column and grand totals
// are summed from it), so a Contingency built by hand only needs
// non-negative Counts with len(Labels) rows of len(Clusters) entries.
type Contingency struct {
	Labels   []string  // distinct labels, sorted
	Clusters []int     // distinct cluster ids, sorted
	Counts   [][]int64 // Counts[i][j]: rows with Labels[i] and Clusters[j]
	N        int64     // number of rows counted, the sum of Counts
}

// NewContingency cross-tabulates labels[r] against clusters[r] over all
// rows r. The two slices must have the same, non-zero length.
func NewContingency(labels []string, clusters []int) (*Contingency, error) {
	if len(labels) != len(clusters) {
		return nil, fmt.Errorf("robustdata/partition: contingency of %d labels and %d cluster ids", len(labels), len(clusters))
	}
	if len(labels) == 0 {
		return nil, errors.New("robustdata/partition: contingency of no rows")
	}
	li := make(map[string]int)
	for _, l := range labels {
		li[l] = 0
	}
	ci := make(map[int]int)
	for _, c := range clusters {
		ci[c] = 0
	}
	c := &Contingency{
		Labels:   make([]string, 0, len(li)),
		Clusters: make([]int, 0, len(ci)),
		N:        int64(len(labels)),
	}
	for l := range li {
		c.Labels = append(c.Labels, l)
	}
	for k := range ci {
		c.Clusters = append(c.Clusters, k)
	}
	slices.Sort(c.Labels)
	slices.Sort(c.Clusters)
	for i, l := range c.Labels {
		li[l] = i
	}
	for j, k := range c.Clusters {
		ci[k] = j
	}
	c.Counts = make([][]int64, len(c.Labels))
	cells := make([]int64, len(c.Labels)*len(c.Clusters))
	for i := range c.Counts {
		c.Counts[i] = cells[i*len(c.Clusters) : (i+1)*len(c.Clusters) : (i+1)*len(c.Clusters)]
	}
	for r, l := range labels {
		c.Counts[li[l]][ci[clusters[r]]]++
	}
	return c, nil
}

// margins returns the row sums, the column sums and the grand total of
// Counts.
func (c *Contingency) margins() (rows, cols []int64, total int64) {
	width := len(c.Clusters)
	for _, row := range c.Counts {
		width = max(width, len(row))
	}
	rows = make([]int64, len(c.Counts))
	cols = make([]int64, width)
	for i, row := range c.Counts {
		for j, v := range row {
			rows[i] += v
			cols[j] += v
		}
		total += rows[i]
	}
	return rows, cols, total
}

// nonZero counts the positive entries of v.
func nonZero(v []int64) int {
	k := 0
	for _, x := range v {
		if x > 0 {
			k++
		}
	}
	return k
}

// entropy returns the Shannon entropy (natural log) of the distribution
// v/total.
func entropy(v []int64, total int64) float64 {
	n := float64(total)
	h := 0.0
	for _, x := range v {
		if x > 0 {
			p := float64(x) / n
			h += p * math.Log(n/float64(x))
		}
	}
	return h
}

// NMI returns the normalized mutual information between labels and
// clusters, natural log, with arithmetic-mean normalisation:
//
//	MI / ((H(labels) + H(clusters)) / 2)
//
// the default (average_method="arithmetic") of scikit-learn's
// normalized_mutual_info_score. As there, both sides a single class (no
// split at all) scores 1, and a partition against a single class scores
// 0. The result lies in [0, 1].
func (c *Contingency) NMI() float64 {
	rows, cols, total := c.margins()
	nr, nc := nonZero(rows), nonZero(cols)
	switch {
	case nr <= 1 && nc <= 1:
		return 1
	case nr <= 1 || nc <= 1:
		return 0
	}
	n := float64(total)
	mi := 0.0
	for i, row := range c.Counts {
		for j, v := range row {
			if v <= 0 {
				continue
			}
			// P(i,j) log(P(i,j) / (P(i) P(j))) with the ratio formed
			// from counts, so that an exactly independent cell adds
			// exactly 0.
			ratio := (float64(v) * n) / (float64(rows[i]) * float64(cols[j]))
			mi += float64(v) / n * math.Log(ratio)
		}
	}
	if mi <= 0 {
		return 0
	}
	nmi := mi / ((entropy(rows, total) + entropy(cols, total)) / 2)
	return min(nmi, 1)
}

// u128 is an unsigned 128-bit accumulator.
type u128 struct{ hi, lo uint64 }

// addPairs adds C(x, 2) = x(x-1)/2 to a, exactly.
func (a *u128) addPairs(x int64) {
	if x < 2 {
		return
	}
	hi, lo := bits.Mul64(uint64(x), uint64(x-1))
	lo = lo>>1 | hi<<63
	hi >>= 1
	var carry uint64
	a.lo, carry = bits.Add64(a.lo, lo, 0)
	a.hi, _ = bits.Add64(a.hi, hi, carry)
}

func (a u128) big() *big.Int {
	b := new(big.Int).SetUint64(a.hi)
	b.Lsh(b, 64)
	return b.Or(b, new(big.Int).SetUint64(a.lo))
}

// ARI returns the adjusted Rand index of Hubert and Arabie, as
// scikit-learn's adjusted_rand_score. With pairs counted exactly,
// idx = Σ C(n_ij, 2), A = Σ C(a_i, 2), B = Σ C(b_j, 2), P = C(N, 2):
//
//	ARI = (idx - A·B/P) / ((A+B)/2 - A·B/P)
//	    = 2(idx·P - A·B) / ((A+B)·P - 2·A·B)
//
// evaluated in exact integer arithmetic and rounded once to float64, so
// it does not overflow or cancel for any int64 counts. Identical
// partitions (up to relabelling), including both a single cluster or both
// all singletons, score exactly 1. The result lies in [-1, 1]; chance
// level is 0.
func (c *Contingency) ARI() float64 {
	rows, cols, total := c.margins()
	var idx, a, b, p u128
	for _, row := range c.Counts {
		for _, v := range row {
			idx.addPairs(v)
		}
	}
	for _, v := range rows {
		a.addPairs(v)
	}
	for _, v := range cols {
		b.addPairs(v)
	}
	p.addPairs(total)
	if idx == a && idx == b {
		// No pair is split by one partition and joined by the other.
		return 1
	}
	I, A, B, P := idx.big(), a.big(), b.big(), p.big()
	ab := new(big.Int).Mul(A, B)
	num := new(big.Int).Mul(I, P)
	num.Sub(num, ab)
	num.Lsh(num, 1)
	den := new(big.Int).Add(A, B)
	den.Mul(den, P)
	den.Sub(den, ab.Lsh(ab, 1))
	if den.Sign() == 0 { // unreachable for consistent counts
		return 0
	}
	f, _ := new(big.Rat).SetFrac(num, den).Float64()
	return f
}

// Purity returns Σ_j max_i Counts[i][j] / N: the share of rows whose
// label is the majority label of their cluster. It is 0 for an empty
// table.
func (c *Contingency) Purity() float64 {
	_, _, total := c.margins()
	if total <= 0 {
		return 0
	}
	var sum int64
	for j := range c.Clusters {
		var best int64
		for _, row := range c.Counts {
			if j < len(row) && row[j] > best {
				best = row[j]
			}
		}
		sum += best
	}
	return float64(sum) / float64(total)
}

// mdCell escapes s for a Markdown table cell.
func mdCell(s string) string {
	if s == "" {
		return `""`
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r\n", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "\r", " ")
}

// Markdown renders the table as GitHub-flavoured Markdown: one row per
// label, the largest labels (by row total, ties in label order) first,
// one column per cluster id in ascending order, then a "total" column and
// a "total" row. When there are more than maxLabels labels, only the
// maxLabels largest get a row of their own and a row "(others)" sums the
// rest; maxLabels < 1 shows every label. Pipes in labels are escaped and
// an empty label shows as "".
func (c *Contingency) Markdown(maxLabels int) string {
	rows, cols, total := c.margins()
	order := make([]int, len(c.Counts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return rows[order[x]] > rows[order[y]] })
	shown, folded := order, []int(nil)
	if maxLabels >= 1 && len(order) > maxLabels {
		shown, folded = order[:maxLabels], order[maxLabels:]
	}

	var sb strings.Builder
	line := func(name string, cells []int64, sum int64) {
		sb.WriteString("| ")
		sb.WriteString(name)
		for _, v := range cells {
			sb.WriteString(" | ")
			sb.WriteString(strconv.FormatInt(v, 10))
		}
		sb.WriteString(" | ")
		sb.WriteString(strconv.FormatInt(sum, 10))
		sb.WriteString(" |\n")
	}
	cell := func(i, j int) int64 {
		if j < len(c.Counts[i]) {
			return c.Counts[i][j]
		}
		return 0
	}

	sb.WriteString("| label")
	for _, k := range c.Clusters {
		sb.WriteString(" | ")
		sb.WriteString(strconv.Itoa(k))
	}
	sb.WriteString(" | total |\n| :---")
	for range c.Clusters {
		sb.WriteString(" | ---:")
	}
	sb.WriteString(" | ---: |\n")

	cells := make([]int64, len(c.Clusters))
	for _, i := range shown {
		for j := range cells {
			cells[j] = cell(i, j)
		}
		name := fmt.Sprintf("label %d", i)
		if i < len(c.Labels) {
			name = mdCell(c.Labels[i])
		}
		line(name, cells, rows[i])
	}
	if len(folded) > 0 {
		clear(cells)
		var sum int64
		for _, i := range folded {
			for j := range cells {
				cells[j] += cell(i, j)
			}
			sum += rows[i]
		}
		line("(others)", cells, sum)
	}
	line("total", cols[:len(c.Clusters)], total)
	return sb.String()
}

// Silhouette tiling. Distances are formed a row block at a time, for the
// upper triangle only (columns from the block's first row on), each block
// as column tiles of silhouetteRows×silhouetteCols matrix products
// (internal/gemm, every inner product one chain of fused multiply-adds in
// ascending feature order). The tile shape is fixed (not derived from
// GOMAXPROCS); every distance, and the order in which it is added, is the
// same whatever the parallelism.
const (
	silhouetteRows  = 64
	silhouetteCols  = 192
	silhouetteChunk = 512 // columns per task when scattering a block's distances down its columns
)

// Silhouette returns the mean silhouette coefficient (Euclidean) of the
// rows of x (n×d, row-major) under assignment: the mean over rows i of
// s(i) = (b(i) − a(i)) / max(a(i), b(i)), where a(i) is the mean distance
// from row i to the other rows of its cluster and b(i) the smallest mean
// distance from row i to the rows of another cluster.
//
// It is computed exactly on the given rows, in O(n²·d) time and
// O(n·d) memory; callers pass a subsample of a large data set. Rows in
// singleton clusters score 0, as in scikit-learn's silhouette_score
// (unlike scikit-learn, all-singleton assignments are accepted and score
// 0). Cluster ids may be any ints.
//
// Distances come from matrix products (internal/gemm) over blocks of rows,
// sqrt(max(0, ‖a‖²+‖b‖²−2a·b)), on the column-centred rows (which leaves
// distances unchanged and reduces cancellation); each pair is formed once.
// The work is spread over GOMAXPROCS goroutines, but the result does not
// depend on GOMAXPROCS, bit for bit. Fewer than 2 rows, fewer than 2
// clusters, a length mismatch or non-finite values are errors.
func Silhouette(x *mat.Dense, assign []int) (float64, error) {
	if x == nil {
		return 0, errors.New("robustdata/partition: silhouette of a nil matrix")
	}
	n, d := x.Dims()
	if n < 2 {
		return 0, fmt.Errorf("robustdata/partition: silhouette of %d rows, need at least 2", n)
	}
	if len(assign) != n {
		return 0, fmt.Errorf("robustdata/partition: silhouette of %d rows with %d assignments", n, len(assign))
	}
	ids := make(map[int]int)
	for _, a := range assign {
		ids[a] = 0
	}
	if len(ids) < 2 {
		return 0, fmt.Errorf("robustdata/partition: silhouette of %d cluster, need at least 2", len(ids))
	}
	keys := make([]int, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		ids[k] = i
	}
	k := len(keys)
	cl := make([]int, n)
	size := make([]float64, k)
	for i, a := range assign {
		cl[i] = ids[a]
		size[cl[i]]++
	}

	// Column-centred copy xc (n×d) and its transpose xt (d×n): the tile
	// products are then NotNot GEMMs.
	mean := make([]float64, d)
	for i := range n {
		for j := range d {
			v := x.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("robustdata/partition: silhouette: non-finite value at row %d, column %d", i, j)
			}
			mean[j] += v
		}
	}
	if d == 0 {
		// All rows coincide: every distance, hence every s(i), is 0.
		return 0, nil
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	xcData := make([]float64, n*d)
	xtData := make([]float64, d*n)
	norms := make([]float64, n)
	for i := range n {
		s := 0.0
		for j := range d {
			v := x.At(i, j) - mean[j]
			xcData[i*d+j] = v
			xtData[j*n+i] = v
			s += v * v
		}
		norms[i] = s
	}

	// sums[i*k+c] accumulates the distances from row i to the rows of
	// cluster c: for row i of block [r0, r1), first those to the rows
	// before r0 (scattered down the columns by earlier blocks, in row
	// order), then those to rows r0… (along its own row of the block).
	sums := make([]float64, n*k)
	buf := make([]float64, min(silhouetteRows, n)*n)
	for r0 := 0; r0 < n; r0 += silhouetteRows {
		r1 := min(r0+silhouetteRows, n)
		m, w := r1-r0, n-r0
		dist := buf[:m*w] // dist[(i-r0)*w + (j-r0)] = ‖x_i − x_j‖, j ≥ r0

		tiles := (w + silhouetteCols - 1) / silhouetteCols
		parallelFor(tiles, func(t int) {
			c0 := r0 + t*silhouetteCols
			c1 := min(c0+silhouetteCols, n)
			gemm.MulNN(m, c1-c0, d, xcData[r0*d:], d, xtData[c0:], n, dist[c0-r0:], w)
			for i := r0; i < r1; i++ {
				row := dist[(i-r0)*w+(c0-r0) : (i-r0)*w+(c1-r0)]
				ni := norms[i]
				for jj, gij := range row {
					j := c0 + jj
					d2 := ni + norms[j] - 2*gij
					if j == i || d2 <= 0 {
						row[jj] = 0
					} else {
						row[jj] = math.Sqrt(d2)
					}
				}
			}
		})

		// Rows of the block take their whole row of dist; rows after the
		// block take their column of it. The two touch disjoint sums.
		chunks := (n - r1 + silhouetteChunk - 1) / silhouetteChunk
		parallelFor(m+chunks, func(t int) {
			if t < m {
				i := r0 + t
				acc := sums[i*k : (i+1)*k]
				for jj, v := range dist[t*w : (t+1)*w] {
					acc[cl[r0+jj]] += v
				}
				return
			}
			j0 := r1 + (t-m)*silhouetteChunk
			j1 := min(j0+silhouetteChunk, n)
			for i := r0; i < r1; i++ {
				ci := cl[i]
				row := dist[(i-r0)*w : (i-r0+1)*w]
				for j := j0; j < j1; j++ {
					sums[j*k+ci] += row[j-r0]
				}
			}
		})
	}

	total := 0.0
	for i := range n {
		total += silhouetteOf(cl[i], sums[i*k:(i+1)*k], size)
	}
	return total / float64(n), nil
}

// parallelFor runs fn(0), …, fn(count-1) on up to GOMAXPROCS goroutines
// and waits for them. The calls must write disjoint data; which goroutine
// runs which call then makes no difference to the outcome.
func parallelFor(count int, fn func(t int)) {
	workers := min(runtime.GOMAXPROCS(0), count)
	if workers <= 1 {
		for t := range count {
			fn(t)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				t := int(next.Add(1)) - 1
				if t >= count {
					return
				}
				fn(t)
			}
		})
	}
	wg.Wait()
}

// silhouetteOf returns s(i) for a row of cluster own whose distances to
// the rows of each cluster sum to acc.
func silhouetteOf(own int, acc, size []float64) float64 {
	if size[own] <= 1 {
		return 0
	}
	a := acc[own] / (size[own] - 1)
	b := math.Inf(1)
	for c, sc := range acc {
		if c != own {
			b = min(b, sc/size[c])
		}
	}
	m := max(a, b)
	if m == 0 {
		return 0
	}
	return (b - a) / m
}
