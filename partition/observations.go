package partition

import (
	"fmt"

	"github.com/muesli/clusters"
	"gonum.org/v1/gonum/mat"
)

// Observations turns the rows of a matrix into muesli/clusters
// observations (one per row, copied), the form muesli/kmeans and other
// users of that vocabulary take.
func Observations(m mat.Matrix) clusters.Observations {
	r, c := m.Dims()
	out := make(clusters.Observations, r)
	for i := range r {
		row := make(clusters.Coordinates, c)
		for j := range c {
			row[j] = m.At(i, j)
		}
		out[i] = row
	}
	return out
}

// Dense turns observations of one dimension into a row-major matrix, the
// form the k-means of this package computes on.
func Dense(obs clusters.Observations) (*mat.Dense, error) {
	if len(obs) == 0 {
		return nil, fmt.Errorf("robustdata/partition: no observations")
	}
	dim := len(obs[0].Coordinates())
	data := make([]float64, 0, len(obs)*dim)
	for i, o := range obs {
		c := o.Coordinates()
		if len(c) != dim {
			return nil, fmt.Errorf("robustdata/partition: observation %d has %d coordinates, observation 0 has %d", i, len(c), dim)
		}
		data = append(data, c...)
	}
	return mat.NewDense(len(obs), dim, data), nil
}
