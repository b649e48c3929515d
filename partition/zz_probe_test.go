package partition

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

func TestZZProbe(t *testing.T) {
	x := benchData()
	norms := rowNorms(x)
	for rep := range 3 {
		rng := rand.New(rand.NewPCG(1, 0x6b6d65616e73))
		t0 := time.Now()
		c, _ := seedPlusPlus(context.Background(), x, norms, 64, rng, 2)
		t1 := time.Now()
		cfg := KMeansConfig{K: 64, MaxIter: 1}
		cfg.defaults()
		res, _ := lloyd(context.Background(), x, norms, c, cfg)
		t2 := time.Now()
		cfg.MaxIter = 4
		cfg.Tol = 1e-300
		res, _ = lloyd(context.Background(), x, norms, mat.DenseCopyOf(c), cfg)
		t3 := time.Now()
		t.Logf("rep %d: seed %v, lloyd1 %v, lloyd4 %v (iters %d)", rep, t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), res.Iters)
	}
}
