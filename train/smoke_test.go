package train

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGorgoniaStartsAndDifferentiates is the start-up smoke test of
// ../shared/DESIGN.md: gorgonia panics at start-up on Go 1.26 unless
// go4.org/unsafe/assume-no-moving-gc is pinned to a recent version in
// go.mod. It builds L = (w·x − y)², runs it and checks value and gradient.
func TestGorgoniaStartsAndDifferentiates(t *testing.T) {
	g := gorgonia.NewGraph()
	x := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(3), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{1, 2, 3}))))
	w := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(3), gorgonia.WithName("w"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{0.5, -1, 2}))))
	y := gorgonia.NewScalar(g, tensor.Float64, gorgonia.WithName("y"), gorgonia.WithValue(1.0))
	pred := gorgonia.Must(gorgonia.Mul(w, x))
	diff := gorgonia.Must(gorgonia.Sub(pred, y))
	loss := gorgonia.Must(gorgonia.Square(diff))
	if _, err := gorgonia.Grad(loss, w); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	// w·x = 0.5 − 2 + 6 = 4.5; L = 3.5² = 12.25; dL/dw = 2·3.5·x.
	if got := loss.Value().Data().(float64); math.Abs(got-12.25) > 1e-12 {
		t.Fatalf("loss = %v, want 12.25", got)
	}
	grad, err := w.Grad()
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{7, 14, 21}
	for i, g := range grad.Data().([]float64) {
		if math.Abs(g-want[i]) > 1e-12 {
			t.Fatalf("dL/dw[%d] = %v, want %v", i, g, want[i])
		}
	}
}
