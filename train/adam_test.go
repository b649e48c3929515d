package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/robustdata/robustdata/pipeline/safetensors"
)

// adamReference is torch.optim.Adam's update in float64, step by step.
func adamReference(p, g []float64, m, v []float64, t int, lr float64) {
	bc1 := 1 - math.Pow(0.9, float64(t))
	bc2 := 1 - math.Pow(0.999, float64(t))
	for i := range p {
		m[i] = 0.9*m[i] + 0.1*g[i]
		v[i] = 0.999*v[i] + 0.001*g[i]*g[i]
		denom := math.Sqrt(v[i])/math.Sqrt(bc2) + 1e-8
		p[i] -= lr / bc1 * m[i] / denom
	}
}

func TestAdam(t *testing.T) {
	t.Run("first step", func(t *testing.T) {
		// m̂ = g and v̂ = g², so the first step moves every parameter by lr
		// against the sign of its gradient.
		p := &modelParam{name: "p", shape: []int{4}, data: []float32{1, -2, 0, 5}}
		a := newAdam(0.1, []*modelParam{p})
		if err := a.step([][]float32{{0.5, -3, 1e-3, 0}}); err != nil {
			t.Fatal(err)
		}
		want := []float32{0.9, -1.9, -0.1, 5}
		for i := range want {
			if math.Abs(float64(p.data[i]-want[i])) > 1e-5 {
				t.Fatalf("after one step %v, want %v", p.data, want)
			}
		}
		if a.t != 1 {
			t.Fatalf("t = %d", a.t)
		}
	})
	t.Run("matches the reference", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		const n = 50
		p := &modelParam{name: "p", shape: []int{5, 10}, data: make([]float32, n)}
		ref := make([]float64, n)
		for i := range ref {
			ref[i] = rng.NormFloat64()
			p.data[i] = float32(ref[i])
			ref[i] = float64(p.data[i])
		}
		a := newAdam(1e-2, []*modelParam{p})
		m, v := make([]float64, n), make([]float64, n)
		worst := 0.0
		for s := 1; s <= 200; s++ {
			g := make([]float32, n)
			g64 := make([]float64, n)
			for i := range g {
				g[i] = float32(rng.NormFloat64() * math.Pow(10, float64(i%5-2)))
				g64[i] = float64(g[i])
			}
			if err := a.step([][]float32{g}); err != nil {
				t.Fatal(err)
			}
			adamReference(ref, g64, m, v, s, 1e-2)
			for i := range ref {
				worst = max(worst, math.Abs(float64(p.data[i])-ref[i]))
			}
		}
		t.Logf("200 steps: largest difference from the float64 reference %.2g", worst)
		if worst > 1e-5 {
			t.Fatalf("largest difference from the reference %v", worst)
		}
	})
	t.Run("parallel update is deterministic", func(t *testing.T) {
		const n = 1<<17 + 3
		mk := func() (*adam, *modelParam) {
			p := &modelParam{name: "big", shape: []int{n}, data: make([]float32, n)}
			for i := range p.data {
				p.data[i] = float32(i%97) / 97
			}
			return newAdam(1e-3, []*modelParam{p}), p
		}
		g := make([]float32, n)
		for i := range g {
			g[i] = float32(math.Sin(float64(i)))
		}
		a1, p1 := mk()
		a2, p2 := mk()
		for range 3 {
			if err := a1.step([][]float32{g}); err != nil {
				t.Fatal(err)
			}
			// The serial computation of the same update.
			a2.t++
			tt := float64(a2.t)
			a2.updateRange(p2.data, g, a2.m[0], a2.v[0], a2.lr/(1-math.Pow(adamBeta1, tt)), math.Sqrt(1-math.Pow(adamBeta2, tt)))
		}
		if !sameBits(p1.data, p2.data) || !sameBits(a1.m[0], a2.m[0]) || !sameBits(a1.v[0], a2.v[0]) {
			t.Fatal("the parallel update differs from the serial one")
		}
	})
	t.Run("errors", func(t *testing.T) {
		p := &modelParam{name: "p", shape: []int{2}, data: make([]float32, 2)}
		a := newAdam(1e-3, []*modelParam{p})
		wantErr(t, a.step(nil), "0 gradients for 1 parameters")
		wantErr(t, a.step([][]float32{{1}}), "gradient of p has 1 values, the parameter 2")
		if a.t != 0 {
			t.Fatal("a failed step counted")
		}
	})
	t.Run("state", func(t *testing.T) {
		p := &modelParam{name: "x.w", shape: []int{2, 3}, data: []float32{1, 2, 3, 4, 5, 6}}
		q := &modelParam{name: "x.b", shape: []int{3}, data: []float32{7, 8, 9}}
		a := newAdam(1e-3, []*modelParam{p, q})
		if err := a.step([][]float32{{1, 1, 1, 1, 1, 1}, {-1, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		st := a.state()
		var names []string
		for _, x := range st {
			names = append(names, x.Name)
		}
		want := []string{"x.w", "x.b", "adam.m.x.w", "adam.m.x.b", "adam.v.x.w", "adam.v.x.b", "adam.t"}
		if !slices.Equal(names, want) {
			t.Fatalf("state %v, want %v", names, want)
		}
		p2 := &modelParam{name: "x.w", shape: []int{2, 3}, data: make([]float32, 6)}
		q2 := &modelParam{name: "x.b", shape: []int{3}, data: make([]float32, 3)}
		b := newAdam(1e-3, []*modelParam{p2, q2})
		if err := b.setState(&safetensors.File{Tensors: st}); err != nil {
			t.Fatal(err)
		}
		if !sameBits(p.data, p2.data) || !sameBits(q.data, q2.data) || !sameBits(a.m[1], b.m[1]) || !sameBits(a.v[0], b.v[0]) || b.t != 1 {
			t.Fatal("setState did not restore the state")
		}
		// The state is a copy.
		st[0].Data[0] ^= 0xff
		if p.data[0] != p2.data[0] {
			t.Fatal("setState kept the checkpoint's memory")
		}
	})
}
