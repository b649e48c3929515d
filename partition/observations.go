package partition

import (
	"fmt"
	"math"

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

// Clusters groups observations — rows in the model's clustering space, as
// Transform writes them — by their nearest centroid (ties to the lower
// task), as muesli/clusters' Clusters: one cluster per task, in task
// order, each centred on its centroid.
func (m *Model) Clusters(obs clusters.Observations) (clusters.Clusters, error) {
	dim := len(m.Centroids[0])
	out := make(clusters.Clusters, len(m.Centroids))
	for t, c := range m.Centroids {
		out[t] = clusters.Cluster{Center: append(clusters.Coordinates(nil), c...)}
	}
	for i, o := range obs {
		x := o.Coordinates()
		if len(x) != dim {
			return nil, fmt.Errorf("robustdata/partition: observation %d has %d coordinates, the model's space %d", i, len(x), dim)
		}
		best, bestD := 0, math.Inf(1)
		for t, c := range m.Centroids {
			d := 0.0
			for j, v := range c {
				d += (x[j] - v) * (x[j] - v)
			}
			if d < bestD {
				best, bestD = t, d
			}
		}
		out[best].Observations = append(out[best].Observations, o)
	}
	return out, nil
}
