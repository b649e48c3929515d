package partition

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muesli/clusters"
	"github.com/muesli/kmeans"
	"gonum.org/v1/gonum/mat"
)

func TestObservationsRoundTrip(t *testing.T) {
	m := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6})
	obs := Observations(m)
	if len(obs) != 3 || obs[2].Coordinates()[1] != 6 {
		t.Fatalf("Observations = %v", obs)
	}
	back, err := Dense(obs)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(m, back) {
		t.Fatalf("Dense(Observations(m)) = %v, want %v", mat.Formatted(back), mat.Formatted(m))
	}
	_, err = Dense(clusters.Observations{clusters.Coordinates{1, 2}, clusters.Coordinates{3}})
	if err == nil || !strings.Contains(err.Error(), "observation 1 has 1 coordinates") {
		t.Fatalf("ragged observations: %v", err)
	}
}

// TestMuesliKMeansSpeaksObservations feeds Observations to the reference
// implementation the partition benchmarks compare against: two clouds far
// apart must land in two clusters.
func TestMuesliKMeansSpeaksObservations(t *testing.T) {
	data := make([]float64, 0, 40)
	for i := range 10 {
		d := float64(i) * 0.01
		data = append(data, d, d, 100+d, 100-d)
	}
	obs := Observations(mat.NewDense(20, 2, data))
	km := kmeans.New()
	cs, err := km.Partition(obs, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if len(c.Observations) != 10 {
			t.Fatalf("muesli/kmeans split two clouds of 10 into %d and %d", len(cs[0].Observations), len(cs[1].Observations))
		}
		x := c.Observations[0].Coordinates()[0]
		for _, o := range c.Observations {
			if (o.Coordinates()[0] > 50) != (x > 50) {
				t.Fatalf("a cluster mixes the two clouds")
			}
		}
	}
}

// ExampleObservations hands rows to the muesli/clusters vocabulary and
// back: the form muesli/kmeans takes, and the matrix this package's
// k-means computes on.
func ExampleObservations() {
	m := mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, 6})
	obs := Observations(m)
	fmt.Println(len(obs), obs[1].Coordinates())
	back, _ := Dense(obs)
	fmt.Println(mat.Equal(m, back))
	// Output:
	// 2 [4 5 6]
	// true
}

// ExampleModel_Clusters groups points by a model's centroids as
// clusters.Clusters, one per task.
func ExampleModel_Clusters() {
	model := &Model{K: 2, Centroids: [][]float64{{0, 0}, {10, 10}}}
	cs, _ := model.Clusters(clusters.Observations{
		clusters.Coordinates{1, 0}, clusters.Coordinates{9, 9}, clusters.Coordinates{0, 2},
	})
	for t, c := range cs {
		fmt.Println(t, c.Center, len(c.Observations))
	}
	// Output:
	// 0 [0 0] 2
	// 1 [10 10] 1
}

func TestModelClustersRefusesOtherSpace(t *testing.T) {
	model := &Model{K: 1, Centroids: [][]float64{{0, 0}}}
	if _, err := model.Clusters(clusters.Observations{clusters.Coordinates{1}}); err == nil || !strings.Contains(err.Error(), "the model's space 2") {
		t.Fatalf("err = %v", err)
	}
}
