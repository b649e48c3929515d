package rsvd

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

func TestAccuracyAgainstDenseSVD(t *testing.T) {
	tests := []struct {
		name       string
		a          *CSR
		opts       Options
		svTol      float64 // max relative error of each singular value
		cosTol     float64 // min cosine of the principal angles is >= 1-cosTol
		wantHHouse bool    // the Householder fallback must have been used
	}{
		{
			name: "random 300x200 5% rank 10, 40 power iterations",
			a:    randomSparse(300, 200, 0.05, 1),
			opts: Options{Rank: 10, Oversample: 10, PowerIters: 40, Seed: 1},
			// A random sparse matrix has a flat spectrum (σ₁₀/σ₂₁ ≈ 1.11):
			// convergence needs many iterations (error factor
			// 1.11^-(2q+1) ≈ 2e-4 for the subspace, squared for σ).
			// Observed: σ 7.9e-9, 1-cos 3.6e-8.
			svTol: 1e-6, cosTol: 1e-6,
		},
		{
			name: "random 300x200 5% full sketch (k = Cols)",
			a:    randomSparse(300, 200, 0.05, 2),
			opts: Options{Rank: 50, Oversample: 150, PowerIters: -1, Seed: 2},
			// k = 200 = Cols: the sketch spans the whole row space, the
			// result is exact up to rounding.
			svTol: 1e-10, cosTol: 1e-10,
		},
		{
			name:  "exactly rank 8, Rank 8",
			a:     exactLowRank(300, 200, 8, 3),
			opts:  Options{Rank: 8, Seed: 3},
			svTol: 1e-10, cosTol: 1e-10, wantHHouse: true,
		},
		{
			name:  "exactly rank 8, Rank 5, no power iteration",
			a:     exactLowRank(300, 200, 8, 4),
			opts:  Options{Rank: 5, PowerIters: -1, Seed: 4},
			svTol: 1e-10, cosTol: 1e-10, wantHHouse: true,
		},
		{
			name: "rank 10 plus noise 0.01, Rank 10",
			a:    lowRankPlusNoise(300, 200, 10, 0.01, 5),
			opts: Options{Rank: 10, Seed: 5},
			// Gap σ₁₀/σ₁₁ ≈ 13.4/0.076: with q = 2 the error factor
			// (σ₂₁/σ_j)^(2q+1) is far below 1e-8.
			svTol: 1e-8, cosTol: 1e-8,
		},
		{
			name: "rank 10 plus noise 1, Rank 10",
			a:    lowRankPlusNoise(300, 200, 10, 1, 6),
			opts: Options{Rank: 10, Seed: 6},
			// Documented looser bound for the noisy case: the noise has
			// spectral norm ≈ √0.05·(√300+√200) ≈ 7 (σ₁₁ = 7.2 against
			// σ₁₀ = 14.3), so the top-10 subspace is only weakly separated
			// from the noise.
			// Observed: σ error 1.6e-4, 1-cos 3.2e-5; bound 1e-3.
			svTol: 1e-3, cosTol: 1e-3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, simd := range []bool{false, true} {
				if simd && !simdAvailable {
					continue
				}
				var pt phaseTimes
				res, err := truncatedSVD(context.Background(), tc.a, tc.opts, &pt, simd)
				if err != nil {
					t.Fatal(err)
				}
				sRef, vRef := denseSVD(t, tc.a)
				var maxRel float64
				for i, s := range res.S {
					maxRel = max(maxRel, math.Abs(s-sRef[i])/sRef[i])
				}
				cos := subspaceCosines(res.V, vRef)
				oe := orthError(res.V)
				t.Logf("simd=%v: max rel σ error %.2e, min cos %.12f (1-cos %.1e), |VᵀV-I| %.1e, householder %d",
					simd, maxRel, cos[0], 1-cos[0], oe, pt.Householder)
				if maxRel > tc.svTol {
					t.Errorf("singular values: max relative error %.3e > %.1e\n got %v\nwant %v", maxRel, tc.svTol, res.S, sRef[:len(res.S)])
				}
				if cos[0] < 1-tc.cosTol {
					t.Errorf("subspace: min cosine %.12f < 1-%.0e", cos[0], tc.cosTol)
				}
				if oe > 1e-12 {
					t.Errorf("V not orthonormal: max |VᵀV-I| = %.2e", oe)
				}
				if tc.wantHHouse != (pt.Householder > 0) {
					t.Errorf("Householder fallbacks = %d, want used = %v", pt.Householder, tc.wantHHouse)
				}
				checkSigns(t, res.V)
				for i := 1; i < len(res.S); i++ {
					if res.S[i] > res.S[i-1] {
						t.Fatalf("S not descending: %v", res.S)
					}
				}
			}
		})
	}
}

func checkSigns(t *testing.T, v *mat.Dense) {
	t.Helper()
	r, c := v.Dims()
	for j := 0; j < c; j++ {
		best, bi := -1.0, 0
		for i := 0; i < r; i++ {
			if a := math.Abs(v.At(i, j)); a > best {
				best, bi = a, i
			}
		}
		if v.At(bi, j) <= 0 {
			t.Fatalf("column %d: largest-magnitude entry %v is not positive", j, v.At(bi, j))
		}
	}
}

// Rank larger than the numerical rank: the trailing values are ~0 and V is
// completed to an orthonormal basis.
func TestRankAboveNumericalRank(t *testing.T) {
	a := exactLowRank(120, 90, 6, 11)
	res, err := TruncatedSVD(context.Background(), a, Options{Rank: 9, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	sRef, _ := denseSVD(t, a)
	for i := 0; i < 6; i++ {
		if math.Abs(res.S[i]-sRef[i]) > 1e-10*sRef[i] {
			t.Errorf("σ%d = %v, want %v", i, res.S[i], sRef[i])
		}
	}
	for i := 6; i < 9; i++ {
		if res.S[i] > 1e-6*res.S[0] {
			t.Errorf("σ%d = %v, want ~0", i, res.S[i])
		}
	}
	if e := orthError(res.V); e > 1e-12 {
		t.Errorf("V not orthonormal: %v", e)
	}
}

func TestZeroMatrix(t *testing.T) {
	a := &CSR{Rows: 20, Cols: 10, RowPtr: make([]int64, 21)}
	res, err := TruncatedSVD(context.Background(), a, Options{Rank: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.S {
		if s != 0 {
			t.Fatalf("S = %v, want zeros", res.S)
		}
	}
	if e := orthError(res.V); e > 1e-12 {
		t.Errorf("V not orthonormal: %v", e)
	}
}

func TestDeterminism(t *testing.T) {
	// Large enough for several row blocks, Gram groups and Ω streams.
	a := zipfTFIDF(6000, 3000, 40, 21)
	base := Options{Rank: 24, Seed: 42}
	ref, err := TruncatedSVD(context.Background(), a, Options{Rank: base.Rank, Seed: base.Seed, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	type run struct {
		workers int
		simd    bool
	}
	runs := []run{{1, true}, {2, true}, {3, true}, {7, true}, {0, true}, {2, true}, {1, false}, {3, false}}
	for _, rn := range runs {
		if rn.simd && !simdAvailable {
			rn.simd = false
		}
		opts := base
		opts.Workers = rn.workers
		res, err := truncatedSVD(context.Background(), a, opts, nil, rn.simd && simdAvailable)
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(res.S, ref.S) || !sameBits(res.V.RawMatrix().Data, ref.V.RawMatrix().Data) {
			t.Errorf("Workers=%d simd=%v: result differs from Workers=1", rn.workers, rn.simd)
		}
	}
}

// A different seed gives a different sketch, hence different bits, but the
// same answer up to the approximation error (here, with a clear spectral gap,
// at the level of rounding noise).
func TestSeedChangesOnlyNoise(t *testing.T) {
	a := lowRankPlusNoise(300, 200, 10, 0.05, 12)
	opts := Options{Rank: 10, Seed: 1}
	ref, err := TruncatedSVD(context.Background(), a, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Seed = 2
	other, err := TruncatedSVD(context.Background(), a, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sameBits(other.V.RawMatrix().Data, ref.V.RawMatrix().Data) {
		t.Error("different seeds gave bit-identical V")
	}
	var maxRel, maxDiff float64
	for i := range ref.S {
		maxRel = max(maxRel, math.Abs(ref.S[i]-other.S[i])/ref.S[i])
	}
	for i, x := range ref.V.RawMatrix().Data {
		maxDiff = max(maxDiff, math.Abs(x-other.V.RawMatrix().Data[i]))
	}
	t.Logf("seed 1 vs 2: max rel σ difference %.2e, max |ΔV| %.2e", maxRel, maxDiff)
	if maxRel > 1e-12 || maxDiff > 1e-8 || maxDiff == 0 {
		t.Errorf("seeds differ beyond noise level: σ %.2e, V %.2e", maxRel, maxDiff)
	}
}

func TestCheck(t *testing.T) {
	valid := func() *CSR {
		return &CSR{Rows: 2, Cols: 3, RowPtr: []int64{0, 2, 3}, ColIdx: []int32{0, 2, 1}, Val: []float32{1, 2, 3}}
	}
	tests := []struct {
		name  string
		mod   func(a *CSR) *CSR
		valid bool
	}{
		{"valid", func(a *CSR) *CSR { return a }, true},
		{"nil", func(a *CSR) *CSR { return nil }, false},
		{"negative rows", func(a *CSR) *CSR { a.Rows = -1; return a }, false},
		{"RowPtr length", func(a *CSR) *CSR { a.RowPtr = a.RowPtr[:2]; return a }, false},
		{"RowPtr[0] != 0", func(a *CSR) *CSR { a.RowPtr[0] = 1; return a }, false},
		{"RowPtr decreasing", func(a *CSR) *CSR { a.RowPtr = []int64{0, 3, 2}; return a }, false},
		{"nnz mismatch ColIdx", func(a *CSR) *CSR { a.ColIdx = a.ColIdx[:2]; return a }, false},
		{"nnz mismatch Val", func(a *CSR) *CSR { a.Val = append(a.Val, 4); return a }, false},
		{"column negative", func(a *CSR) *CSR { a.ColIdx[1] = -1; return a }, false},
		{"column too large", func(a *CSR) *CSR { a.ColIdx[2] = 3; return a }, false},
		{"NaN", func(a *CSR) *CSR { a.Val[0] = float32(math.NaN()); return a }, false},
		{"+Inf", func(a *CSR) *CSR { a.Val[1] = float32(math.Inf(1)); return a }, false},
		{"empty", func(a *CSR) *CSR { return &CSR{RowPtr: []int64{0}} }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.mod(valid())
			err := a.Check()
			if (err == nil) != tc.valid {
				t.Fatalf("Check() = %v, want valid = %v", err, tc.valid)
			}
			if !tc.valid {
				if _, err := TruncatedSVD(context.Background(), a, Options{Rank: 1}); err == nil {
					t.Fatal("TruncatedSVD accepted an invalid matrix")
				}
			}
		})
	}
}

func TestRankOutOfRange(t *testing.T) {
	a := randomSparse(30, 20, 0.2, 1)
	for _, rank := range []int{-1, 0, 21, 100} {
		_, err := TruncatedSVD(context.Background(), a, Options{Rank: rank})
		if !errors.Is(err, ErrRank) {
			t.Errorf("Rank=%d: err = %v, want ErrRank", rank, err)
		}
	}
	for _, rank := range []int{1, 20} {
		if _, err := TruncatedSVD(context.Background(), a, Options{Rank: rank}); err != nil {
			t.Errorf("Rank=%d: %v", rank, err)
		}
	}
	empty := &CSR{Rows: 0, Cols: 5, RowPtr: []int64{0}}
	if _, err := TruncatedSVD(context.Background(), empty, Options{Rank: 1}); !errors.Is(err, ErrRank) {
		t.Errorf("empty matrix: err = %v, want ErrRank", err)
	}
}

func TestContextCancelled(t *testing.T) {
	a := zipfTFIDF(2000, 1000, 30, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TruncatedSVD(ctx, a, Options{Rank: 5}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before start: err = %v", err)
	}

	// Cancellation while running: the call must stop early.
	big := zipfTFIDF(60000, 20000, 60, 4)
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		time.Sleep(30 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	_, err := TruncatedSVD(ctx, big, Options{Rank: 64, PowerIters: 20})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while running: err = %v", err)
	}
	t.Logf("returned %v after start", time.Since(start))

	ctx, cancel = context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	if _, err := TruncatedSVD(ctx, a, Options{Rank: 5}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: err = %v", err)
	}
}
