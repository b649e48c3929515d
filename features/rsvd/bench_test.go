package rsvd

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// BenchmarkTruncatedSVD runs the decomposition on a synthetic TF-IDF-like
// matrix of 100,000 rows × 65,536 columns with 80 non-zeros per row
// (Zipf-distributed columns) at Rank 128 with the default options, and logs
// the split between phases.
func BenchmarkTruncatedSVD(b *testing.B) {
	a := zipfTFIDF(100000, 65536, 80, 1)
	opts := Options{Rank: 128, Seed: 1}
	ctx := context.Background()
	var total phaseTimes
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		var pt phaseTimes
		if _, err := truncatedSVD(ctx, a, opts, &pt, simdAvailable); err != nil {
			b.Fatal(err)
		}
		total.add(pt)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	n := float64(b.N)
	perOp := func(d time.Duration) float64 { return d.Seconds() / n }
	b.ReportMetric(elapsed.Seconds()/n, "s/op")
	b.ReportMetric(perOp(total.MulA), "mulA-s/op")
	b.ReportMetric(perOp(total.MulAT), "mulAT-s/op")
	b.ReportMetric(perOp(total.Orth), "orth-s/op")
	b.ReportMetric(perOp(total.Small), "small-s/op")
	b.Logf("N=%d GOMAXPROCS=%d simd=%v: %.3f s/op = random %.3f + A·X %.3f + Aᵀ·X %.3f + orth %.3f + small SVD %.3f (Householder fallbacks %d)",
		b.N, runtime.GOMAXPROCS(0), simdAvailable, elapsed.Seconds()/n, perOp(total.Random), perOp(total.MulA),
		perOp(total.MulAT), perOp(total.Orth), perOp(total.Small), total.Householder)
}

func (p *phaseTimes) add(q phaseTimes) {
	p.Random += q.Random
	p.MulA += q.MulA
	p.MulAT += q.MulAT
	p.Orth += q.Orth
	p.Small += q.Small
	p.Householder += q.Householder
}
