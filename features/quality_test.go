package features

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/pipeline/synth"
)

// readVectors reads the semantic column and the labels of a features file.
func readVectors(t testing.TB, path, col string) (*mat.Dense, []string) {
	t.Helper()
	rd, err := stream.Open(context.Background(), []string{path}, stream.WithColumns(col, "label"))
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

// nnAccuracy is the share of q rows, evenly spread over x, whose nearest
// other row by cosine (rows are unit length or zero) has the same label,
// and the chance level Σ p_l².
func nnAccuracy(x *mat.Dense, labels []string, q int) (float64, float64) {
	n, d := x.Dims()
	q = min(q, n)
	queries := mat.NewDense(q, d, nil)
	qi := make([]int, q)
	for i := range q {
		qi[i] = i * n / q
		queries.SetRow(i, x.RawRowView(qi[i]))
	}
	var sims mat.Dense
	sims.Mul(queries, x.T())
	hits := 0
	for i := range q {
		best, bj := -2.0, -1
		for j := range n {
			if j == qi[i] {
				continue
			}
			if s := sims.At(i, j); s > best {
				best, bj = s, j
			}
		}
		if labels[bj] == labels[qi[i]] {
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

// fortuneTexts reads the texts of the shipped corpus.
func fortuneTexts(t testing.TB) [][]byte {
	t.Helper()
	rd, err := stream.Open(context.Background(), []string{"../examples/data/fortunes.parquet"}, stream.WithColumns("text"))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var out [][]byte
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		col := rec.Column(0).(*array.String)
		for i := 0; i < col.Len(); i++ {
			out = append(out, []byte(col.Value(i)))
		}
	}
}

// fortuneLabels reads the labels of the shipped corpus.
func fortuneLabels(t testing.TB) []string {
	t.Helper()
	rd, err := stream.Open(context.Background(), []string{"../examples/data/fortunes.parquet"}, stream.WithColumns("label"))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var out []string
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		col := rec.Column(0).(*array.String)
		for i := 0; i < col.Len(); i++ {
			out = append(out, col.Value(i))
		}
	}
}

// writeSynth writes a synthetic corpus.
func writeSynth(t testing.TB, path string, docs int64, tasks int, overlap float64) {
	t.Helper()
	rd, err := synth.NewReader(synth.Config{Docs: docs, Tasks: tasks, Seed: 1, Overlap: overlap, StyleMix: overlap}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	w, err := stream.Create(path, rd.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Copy(context.Background(), w, rd); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
