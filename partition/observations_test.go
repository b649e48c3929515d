package partition

import (
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
