package rsvd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// fromDense builds a CSR from a dense row-major matrix, dropping zeros.
func fromDense(rows, cols int, d []float64) *CSR {
	a := &CSR{Rows: rows, Cols: cols, RowPtr: make([]int64, rows+1)}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if v := d[i*cols+j]; v != 0 {
				a.ColIdx = append(a.ColIdx, int32(j))
				a.Val = append(a.Val, float32(v))
			}
		}
		a.RowPtr[i+1] = int64(len(a.Val))
	}
	return a
}

// toDense returns a as a gonum dense matrix (float32 values widened).
func toDense(a *CSR) *mat.Dense {
	d := mat.NewDense(a.Rows, a.Cols, nil)
	for i := 0; i < a.Rows; i++ {
		for p := a.RowPtr[i]; p < a.RowPtr[i+1]; p++ {
			d.Set(i, int(a.ColIdx[p]), d.At(i, int(a.ColIdx[p]))+float64(a.Val[p]))
		}
	}
	return d
}

// randomSparse returns a rows×cols matrix with about density·rows·cols
// standard normal entries at uniformly random positions.
func randomSparse(rows, cols int, density float64, seed uint64) *CSR {
	r := rand.New(rand.NewPCG(seed, 7))
	d := make([]float64, rows*cols)
	for i := range d {
		if r.Float64() < density {
			d[i] = r.NormFloat64()
		}
	}
	return fromDense(rows, cols, d)
}

// exactLowRank returns U·Vᵀ with sparse small-integer factors of inner
// dimension rank: every entry is an integer exactly representable in
// float32, so the stored matrix has rank exactly `rank` (for generic
// factors), with a spread of singular values.
func exactLowRank(rows, cols, rank int, seed uint64) *CSR {
	r := rand.New(rand.NewPCG(seed, 8))
	u := make([]float64, rows*rank)
	v := make([]float64, cols*rank)
	for l := 0; l < rank; l++ {
		scale := float64(rank - l) // decaying column weights
		for i := 0; i < rows; i++ {
			if r.Float64() < 0.3 {
				u[i*rank+l] = float64(r.IntN(7)-3) * scale
			}
		}
		for j := 0; j < cols; j++ {
			if r.Float64() < 0.3 {
				v[j*rank+l] = float64(r.IntN(7) - 3)
			}
		}
	}
	d := make([]float64, rows*cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			var s float64
			for l := 0; l < rank; l++ {
				s += u[i*rank+l] * v[j*rank+l]
			}
			d[i*cols+j] = s
		}
	}
	return fromDense(rows, cols, d)
}

// lowRankPlusNoise returns L + N where L has rank `rank` with singular values
// 100·0.8^l and N is sparse Gaussian noise of standard deviation noise
// (density 5%).
func lowRankPlusNoise(rows, cols, rank int, noise float64, seed uint64) *CSR {
	r := rand.New(rand.NewPCG(seed, 9))
	gauss := func(n, m int) *mat.Dense {
		g := mat.NewDense(n, m, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				g.Set(i, j, r.NormFloat64())
			}
		}
		var qr mat.QR
		qr.Factorize(g)
		var q mat.Dense
		qr.QTo(&q)
		return q.Slice(0, n, 0, m).(*mat.Dense)
	}
	u, v := gauss(rows, rank), gauss(cols, rank)
	for l := 0; l < rank; l++ {
		s := 100 * math.Pow(0.8, float64(l))
		for i := 0; i < rows; i++ {
			u.Set(i, l, u.At(i, l)*s)
		}
	}
	var l mat.Dense
	l.Mul(u, v.T())
	d := make([]float64, rows*cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			d[i*cols+j] = l.At(i, j)
			if r.Float64() < 0.05 {
				d[i*cols+j] += noise * r.NormFloat64()
			}
		}
	}
	return fromDense(rows, cols, d)
}

// zipfTFIDF returns a synthetic TF-IDF-like matrix: each row holds nnzRow
// distinct columns drawn from a Zipf(1.1) distribution over a random
// permutation of the vocabulary (as hashed term ids would be), value
// (1+log tf)·u with u uniform in [1, 2), rows L2-normalised.
func zipfTFIDF(rows, cols, nnzRow int, seed uint64) *CSR {
	r := rand.New(rand.NewPCG(seed, 1))
	z := rand.NewZipf(r, 1.1, 2, uint64(cols-1))
	perm := make([]int32, cols)
	for i, p := range r.Perm(cols) {
		perm[i] = int32(p)
	}
	a := &CSR{Rows: rows, Cols: cols, RowPtr: make([]int64, rows+1),
		ColIdx: make([]int32, 0, rows*nnzRow), Val: make([]float32, 0, rows*nnzRow)}
	want := min(nnzRow, cols)
	tf := make([]int32, cols)
	cs := make([]int32, 0, want)
	for i := 0; i < rows; i++ {
		cs = cs[:0]
		for len(cs) < want {
			c := perm[z.Uint64()]
			if tf[c] == 0 {
				cs = append(cs, c)
			}
			tf[c]++
		}
		slices.Sort(cs)
		start := len(a.Val)
		var ss float64
		for _, c := range cs {
			v := (1 + math.Log(float64(tf[c]))) * (1 + r.Float64())
			tf[c] = 0
			a.ColIdx = append(a.ColIdx, c)
			a.Val = append(a.Val, float32(v))
			ss += v * v
		}
		inv := 1 / math.Sqrt(ss)
		for p := start; p < len(a.Val); p++ {
			a.Val[p] = float32(float64(a.Val[p]) * inv)
		}
		a.RowPtr[i+1] = int64(len(a.Val))
	}
	return a
}

// denseSVD returns the singular values and right singular vectors of a.
func denseSVD(t *testing.T, a *CSR) ([]float64, *mat.Dense) {
	t.Helper()
	var svd mat.SVD
	if !svd.Factorize(toDense(a), mat.SVDThin) {
		t.Fatal("dense SVD failed")
	}
	var v mat.Dense
	svd.VTo(&v)
	return svd.Values(nil), &v
}

// subspaceCosines returns the cosines of the principal angles between the
// column spans of v (orthonormal columns) and the first v.Cols columns of
// ref, ascending.
func subspaceCosines(v, ref *mat.Dense) []float64 {
	_, c := v.Dims()
	rr, _ := ref.Dims()
	var p mat.Dense
	p.Mul(v.T(), ref.Slice(0, rr, 0, c))
	var svd mat.SVD
	svd.Factorize(&p, mat.SVDNone)
	s := svd.Values(nil)
	slices.Sort(s)
	return s
}

// orthError returns max |VᵀV − I|.
func orthError(v *mat.Dense) float64 {
	var g mat.Dense
	g.Mul(v.T(), v)
	r, _ := g.Dims()
	var e float64
	for i := 0; i < r; i++ {
		for j := 0; j < r; j++ {
			x := g.At(i, j)
			if i == j {
				x--
			}
			e = max(e, math.Abs(x))
		}
	}
	return e
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// topicTFIDF is zipfTFIDF with latent structure, as LSA expects: each row
// draws a fraction 0.6 of its terms from one of `topics` topics (each a
// Zipf(1.1) distribution over its own random permutation of the vocabulary)
// and the rest from a shared background Zipf distribution.
func topicTFIDF(rows, cols, nnzRow, topics int, seed uint64) *CSR {
	r := rand.New(rand.NewPCG(seed, 2))
	perms := make([][]int, topics+1)
	zipfs := make([]*rand.Zipf, topics+1)
	for t := range perms {
		perms[t] = r.Perm(cols)
		zipfs[t] = rand.NewZipf(r, 1.1, 2, uint64(cols-1))
	}
	a := &CSR{Rows: rows, Cols: cols, RowPtr: make([]int64, rows+1)}
	want := min(nnzRow, cols)
	tf := make([]int32, cols)
	cs := make([]int32, 0, want)
	for i := 0; i < rows; i++ {
		topic := 1 + r.IntN(topics)
		cs = cs[:0]
		for len(cs) < want {
			t := 0
			if r.Float64() < 0.6 {
				t = topic
			}
			c := int32(perms[t][zipfs[t].Uint64()])
			if tf[c] == 0 {
				cs = append(cs, c)
			}
			tf[c]++
		}
		slices.Sort(cs)
		start := len(a.Val)
		var ss float64
		for _, c := range cs {
			v := (1 + math.Log(float64(tf[c]))) * (1 + r.Float64())
			tf[c] = 0
			a.ColIdx = append(a.ColIdx, c)
			a.Val = append(a.Val, float32(v))
			ss += v * v
		}
		inv := 1 / math.Sqrt(ss)
		for p := start; p < len(a.Val); p++ {
			a.Val[p] = float32(float64(a.Val[p]) * inv)
		}
		a.RowPtr[i+1] = int64(len(a.Val))
	}
	return a
}
