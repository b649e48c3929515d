package rsvd

import (
	"context"
	"math"
	"os"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// TestReportPowerIters prints the accuracy/speed trade-off of PowerIters
// quoted in the documentation. It is slow and runs only with RSVD_REPORT set
// (RSVD_REPORT=speed skips the accuracy part):
//
//	RSVD_REPORT=1 go test -run ReportPowerIters -v -timeout 30m ./features/rsvd/
func TestReportPowerIters(t *testing.T) {
	if os.Getenv("RSVD_REPORT") == "" {
		t.Skip("set RSVD_REPORT=1 to run")
	}
	qs := []int{-1, 1, 2, 3, 4, 6}
	qName := func(q int) int { return max(q, 0) }

	type matrix struct {
		name string
		a    *CSR
		rank int
	}
	ms := []matrix{
		{"zipf 4000x2000 nnz/row 40 (no latent structure)", zipfTFIDF(4000, 2000, 40, 7), 64},
		{"topics(100) 4000x2000 nnz/row 40", topicTFIDF(4000, 2000, 40, 100, 7), 64},
	}
	for _, m := range ms {
		if os.Getenv("RSVD_REPORT") == "speed" {
			break
		}
		sRef, _ := denseSVD(t, m.a)
		ad := toDense(m.a)
		var refEnergy float64
		for _, s := range sRef[:m.rank] {
			refEnergy += s * s
		}
		for _, q := range qs {
			res, err := TruncatedSVD(context.Background(), m.a, Options{Rank: m.rank, PowerIters: q, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			var maxRel, meanRel float64
			for i, s := range res.S {
				e := math.Abs(s-sRef[i]) / sRef[i]
				maxRel = max(maxRel, e)
				meanRel += e / float64(m.rank)
			}
			var av mat.Dense
			av.Mul(ad, res.V)
			fro := mat.Norm(&av, 2) // Frobenius
			t.Logf("%s rank %d q=%d: σ rel error mean %.1e max %.1e; captured ‖AV‖²_F / Σσ² = %.6f (σ₁ %.3f, σ_%d %.3f, σ_%d %.3f)",
				m.name, m.rank, qName(q), meanRel, maxRel, fro*fro/refEnergy, sRef[0], m.rank, sRef[m.rank-1], m.rank+11, sRef[m.rank+10])
		}
	}

	// Speed on the benchmark matrix.
	a := zipfTFIDF(100000, 65536, 80, 1)
	for _, q := range qs {
		best := time.Duration(math.MaxInt64)
		for rep := 0; rep < 3; rep++ {
			start := time.Now()
			if _, err := TruncatedSVD(context.Background(), a, Options{Rank: 128, PowerIters: q, Seed: 1}); err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(start))
		}
		t.Logf("benchmark matrix 100000x65536 nnz/row 80 rank 128 q=%d: %.2f s (best of 3)", qName(q), best.Seconds())
	}
}
