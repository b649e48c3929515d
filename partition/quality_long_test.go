package partition

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/internal/longtest"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/pipeline/synth"
)

// qualityNMI fits features and a partition with the defaults, as
// `robustdata --seed SEED partition -i ... --k K` does, on the rows that
// open returns (called twice: the features fit, then the pass through
// them), and returns the NMI of the tasks against the label column.
func qualityNMI(t *testing.T, open func() (stream.Reader, error), semantic string, k int, seed uint64) float64 {
	t.Helper()
	ctx := context.Background()
	fcfg := features.Config{Semantic: semantic, Seed: seed}
	rd, err := open()
	if err != nil {
		t.Fatal(err)
	}
	m, err := features.PrepareFrom(ctx, rd, fcfg, "quality")
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	src, err := open()
	if err != nil {
		t.Fatal(err)
	}
	frd, err := features.Apply(ctx, src, m, fcfg, "quality")
	if err != nil {
		t.Fatal(err)
	}
	defer frd.Close()
	cfg := Config{K: k, Seed: seed, PatternWeight: DefaultPatternWeight, SemanticWeight: DefaultSemanticWeight, LabelCol: "label"}
	s, err := DrawSample(ctx, frd, DefaultSample, SampleSeed(seed), cfg, "quality")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Fit(ctx, s, cfg); err != nil {
		t.Fatal(err)
	}
	c, err := NewContingency(s.Labels, s.Assign)
	if err != nil {
		t.Fatal(err)
	}
	return c.NMI()
}

// TestQualityFloors keeps the partition's agreement with the labels of
// the labelled corpora of scripts/bench-quality.sh (the shipped ones and
// the 20,000-document synthetic one; K = the number of labels): the mean
// NMI over seeds 1-3 must stay above a floor a little below the mean
// measured since the samples are drawn by hash (issue 17): fortunes 0.194,
// AppStream 0.408, man pages 0.423, Python library 0.657, Fashion-MNIST
// 0.579, synthetic 0.980 (scikit-learn's best variant: 0.162, 0.405,
// 0.359, 0.632, 0.594, 0.823). The issue 18 figures (0.193, 0.423, 0.430,
// 0.663, 0.595, 0.981) came from reservoir samples whose fit depended on
// the order of the rows: the same build on the same files shuffled gave
// man pages 0.407 and Fashion-MNIST 0.576-0.612 by seed, where the
// hash-drawn sample gives the same figure in any order.
func TestQualityFloors(t *testing.T) {
	longtest.Skip(t, "fits features and k-means on six labelled corpora, seeds 1-3 (about 20 s on 2 cores)")
	file := func(path string) func() (stream.Reader, error) {
		return func() (stream.Reader, error) {
			return stream.Open(context.Background(), []string{path})
		}
	}
	synthetic := func() (stream.Reader, error) {
		return synth.NewReader(synth.Config{Docs: 20000, Tasks: 8, Seed: 1, Overlap: 0.6}, memory.DefaultAllocator)
	}
	for _, tc := range []struct {
		name     string
		open     func() (stream.Reader, error)
		semantic string
		k        int
		floor    float64
	}{
		{"fortunes", file("../examples/data/fortunes.parquet"), "", 43, 0.18},
		{"appstream", file("../examples/data/appstream.parquet"), "", 13, 0.40},
		{"manpages", file("../examples/data/manpages.parquet"), "", 7, 0.38},
		{"pylib", file("../examples/data/pylib.parquet"), "", 25, 0.64},
		{"fashion-mnist", file("../examples/data/fashion-mnist-test.parquet"), "column=pixels", 10, 0.575},
		{"synth-20k", synthetic, "", 8, 0.97},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sum float64
			var nmis []float64
			for seed := uint64(1); seed <= 3; seed++ {
				nmi := qualityNMI(t, tc.open, tc.semantic, tc.k, seed)
				nmis = append(nmis, nmi)
				sum += nmi
			}
			mean := sum / 3
			t.Logf("%s: NMI %.4f (seeds 1-3: %.4f), floor %.3f", tc.name, mean, nmis, tc.floor)
			if mean < tc.floor {
				t.Errorf("mean NMI %.4f over seeds 1-3 is below the floor %.3f", mean, tc.floor)
			}
		})
	}
}
