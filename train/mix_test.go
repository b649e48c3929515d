package train

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline/dataset"
)

// TestMixture: a minimax run's time-averaged weights spread over the
// dataset's shards add up per task to the weights, and the blend list and
// the JSON load back to the same task weights.
func TestMixture(t *testing.T) {
	ds := filepath.Join(t.TempDir(), "ds")
	m := rtDataset(t, ds, rtSpec{Rows: []int{400, 300, 200}, D: 8, Seed: 3, MaxRows: 70})
	cfg := rtCfg(ds, filepath.Join(t.TempDir(), "run"), "minimax", ObjectiveRegression)
	rtRun(t, cfg)
	var w dataset.Weights
	rtJSON(t, rtMust(os.ReadFile(filepath.Join(cfg.RunDir, dataset.WeightsFile))), &w)

	mix, err := NewMixture(cfg.RunDir, ds, false)
	if err != nil {
		t.Fatal(err)
	}
	if mix.Weights != "average" || len(mix.Shards) < len(m.Tasks)+1 {
		t.Fatalf("mixture of %q weights over %d shards; want the average over every shard of %d tasks", mix.Weights, len(mix.Shards), len(m.Tasks))
	}
	taskOf := map[string]int{}
	for _, s := range mix.Shards {
		taskOf[strings.TrimSuffix(s.Path, filepath.Ext(s.Path))] = s.Task
	}
	check := func(what string, perTask []float64) {
		t.Helper()
		for k := range w.Average {
			if math.Abs(perTask[k]-w.Average[k]) > 1e-9 {
				t.Errorf("%s: task %d has weight %v, the run %v", what, k, perTask[k], w.Average[k])
			}
		}
	}
	sums := make([]float64, len(m.Tasks))
	for _, s := range mix.Shards {
		sums[s.Task] += s.Probability
	}
	check("shards", sums)

	var blend bytes.Buffer
	if err := mix.WriteBlend(&blend, "/data/"); err != nil {
		t.Fatal(err)
	}
	paths, weights, err := ReadBlend(&blend)
	if err != nil {
		t.Fatal(err)
	}
	sums = make([]float64, len(m.Tasks))
	for i, p := range paths {
		k, ok := taskOf[strings.TrimPrefix(p, "/data/")]
		if !ok {
			t.Fatalf("blend list path %q is no shard", p)
		}
		sums[k] += weights[i]
	}
	check("blend list", sums)

	var js bytes.Buffer
	if err := mix.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Mixture
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	sums = make([]float64, len(m.Tasks))
	var total float64
	for i, p := range back.Paths {
		sums[taskOf[strings.TrimSuffix(p, filepath.Ext(p))]] += back.Probabilities[i]
		total += back.Probabilities[i]
	}
	check("JSON", sums)
	if math.Abs(total-1) > 1e-9 {
		t.Errorf("JSON probabilities add up to %v", total)
	}

	two := filepath.Join(t.TempDir(), "two")
	rtDataset(t, two, rtSpec{Rows: []int{400, 300}, D: 8})
	_, err = NewMixture(cfg.RunDir, two, false)
	rtDataError(t, err, "3 task weights; the dataset")
}
