package features

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/pipeline"
)

// readVectors reads the semantic column and the labels of a features file.
func readVectors(t testing.TB, path, col string) (*mat.Dense, []string) {
	t.Helper()
	rd, err := pipeline.Open(context.Background(), []string{path}, pipeline.WithColumns(col, "label"))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var data []float64
	var labels []string
	dim := 0
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fl := rec.Column(0).(*array.FixedSizeList)
		vals := fl.ListValues().(*array.Float32)
		dim = int(fl.DataType().(interface{ Len() int32 }).Len())
		for i := 0; i < fl.Len(); i++ {
			for j := 0; j < dim; j++ {
				data = append(data, float64(vals.Value(i*dim+j)))
			}
			labels = append(labels, rec.Column(1).(*array.String).Value(i))
		}
	}
	return mat.NewDense(len(labels), dim, data), labels
}

// nnAccuracy is the share of the first q rows whose nearest other row by
// cosine (rows are unit length or zero) has the same label, and the
// chance level Σ p_l².
func nnAccuracy(x *mat.Dense, labels []string, q int) (float64, float64) {
	n, _ := x.Dims()
	q = min(q, n)
	var sims mat.Dense
	sims.Mul(x.Slice(0, q, 0, x.RawMatrix().Cols), x.T())
	hits := 0
	for i := range q {
		best, bj := -2.0, -1
		for j := range n {
			if j == i {
				continue
			}
			if s := sims.At(i, j); s > best {
				best, bj = s, j
			}
		}
		if labels[bj] == labels[i] {
			hits++
		}
	}
	counts := map[string]int{}
	for _, l := range labels {
		counts[l]++
	}
	chance := 0.0
	for _, c := range counts {
		p := float64(c) / float64(n)
		chance += p * p
	}
	return float64(hits) / float64(q), chance
}

func TestNNQualityProbe(t *testing.T) {
	for _, p := range []string{"/tmp/ff.parquet", "/tmp/synf.parquet"} {
		x, labels := readVectors(t, p, "semantic")
		acc, chance := nnAccuracy(x, labels, 3000)
		t.Logf("%s: nn accuracy %.3f, chance %.3f", p, acc, chance)
		xp, _ := readVectors(t, p, "pattern")
		_ = xp
	}
}
