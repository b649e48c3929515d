// Command quality-grid measures partition NMI/ARI on labelled corpora for
// a grid of feature and k-means settings, mean ± sd over seeds, so that
// defaults are chosen by averages over many corpora (see
// scripts/bench-quality.sh for the comparison with scikit-learn).
//
//	go run ./scripts/quality-grid -c examples/data/fortunes.parquet:43 \
//	    -v 'dim=128' -v 'dim=256' -seeds 1,2,3
//
// A variant is a comma-separated list of key=value settings over the
// defaults: dim, vocab, bits, mindf, maxdf, sp (singular-value power,
// negative for none), idfpow (0: by document length) (features.LSAConfig), pw, sw,
// restarts (partition.Config). With -criteria it prints instead, per
// pattern weight, label-free criteria (stability across two seeds,
// silhouette, agreement with pattern-only and semantic-only clusterings)
// beside the NMI, to look for a rule that would choose the weight.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/stream"
)

var stab *bool

type list []string

func (l *list) String() string     { return strings.Join(*l, " ") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var corpora, variants list
	flag.Var(&corpora, "c", "corpus PATH:K (repeatable)")
	flag.Var(&variants, "v", "variant key=value,... (repeatable; empty = defaults)")
	seeds := flag.String("seeds", "1,2,3", "seeds")
	crit := flag.Bool("criteria", false, "print label-free criteria per pattern weight instead")
	stab = flag.Bool("stab", false, "also print the agreement (NMI) with a fit of seed+1000")
	flag.Parse()
	if len(variants) == 0 {
		variants = list{""}
	}
	ctx := context.Background()
	for _, c := range corpora {
		path, ks, _ := strings.Cut(c, ":")
		k, err := strconv.Atoi(ks)
		if err != nil {
			fail(fmt.Errorf("corpus %q: want PATH:K", c))
		}
		texts, _, err := read(ctx, path)
		if err != nil {
			fail(err)
		}
		if *crit {
			for _, s := range strings.Split(*seeds, ",") {
				seed, _ := strconv.ParseUint(s, 10, 64)
				if err := criteria(ctx, path, texts, k, seed); err != nil {
					fail(err)
				}
			}
			continue
		}
		for _, v := range variants {
			var nmis, aris []float64
			start := time.Now()
			for _, s := range strings.Split(*seeds, ",") {
				seed, _ := strconv.ParseUint(s, 10, 64)
				nmi, ari, err := run(ctx, path, texts, k, seed, v)
				if err != nil {
					fail(err)
				}
				nmis, aris = append(nmis, nmi), append(aris, ari)
			}
			m, sd := meanSD(nmis)
			am, asd := meanSD(aris)
			fmt.Printf("%-28s k=%-3d %-40q NMI %.4f ± %.4f  ARI %.4f ± %.4f  %v %.3f\n", base(path), k, v, m, sd, am, asd,
				time.Since(start).Round(time.Millisecond), nmis)
		}
	}
}

func base(p string) string { return p[strings.LastIndex(p, "/")+1:] }

func fail(err error) { fmt.Fprintln(os.Stderr, "quality-grid:", err); os.Exit(1) }

func meanSD(v []float64) (float64, float64) {
	var s, ss float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	if len(v) < 2 {
		return m, 0
	}
	return m, math.Sqrt(ss / float64(len(v)-1))
}

func read(ctx context.Context, path string) ([][]byte, []string, error) {
	rd, err := stream.Open(ctx, []string{path}, stream.WithColumns("text", "label"))
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	var texts [][]byte
	var labels []string
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return texts, labels, nil
		}
		if err != nil {
			return nil, nil, err
		}
		t, l := rec.Column(0).(*array.String), rec.Column(1).(*array.String)
		for i := 0; i < t.Len(); i++ {
			texts = append(texts, []byte(t.Value(i)))
			labels = append(labels, l.Value(i))
		}
	}
}

func run(ctx context.Context, path string, texts [][]byte, k int, seed uint64, variant string) (float64, float64, error) {
	lc := features.LSAConfig{Seed: seed}
	pc := partition.Config{K: k, Seed: seed, PatternWeight: partition.DefaultPatternWeight, SemanticWeight: partition.DefaultSemanticWeight}
	for _, kv := range strings.Split(variant, ",") {
		if kv == "" {
			continue
		}
		key, val, _ := strings.Cut(kv, "=")
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("variant %q: %w", kv, err)
		}
		switch key {
		case "dim":
			lc.Dim = int(f)
		case "vocab":
			lc.Vocab = int(f)
		case "bits":
			lc.BucketBits = uint8(f)
		case "mindf":
			lc.MinDF = int(f)
		case "maxdf":
			lc.MaxDF = f
		case "pw":
			pc.PatternWeight = f
		case "sw":
			pc.SemanticWeight = f
		case "restarts":
			pc.Restarts = int(f)
		case "sp":
			lc.SingularPower = f
		default:
			if err := extra(&lc, &pc, key, f); err != nil {
				return 0, 0, err
			}
		}
	}
	lsa, err := features.FitLSA(ctx, texts, lc)
	if err != nil {
		return 0, 0, err
	}
	model := &features.Model{Mode: features.ModeLSA, Dim: lsa.Dim, LSA: lsa}
	pc.LabelCol = "label"
	draw := func() (*partition.Sample, error) {
		src, err := stream.Open(ctx, []string{path}, stream.WithColumns("text", "label"))
		if err != nil {
			return nil, err
		}
		rd, err := features.Apply(ctx, src, model, features.Config{}, "grid")
		if err != nil {
			return nil, err
		}
		defer rd.Close()
		return partition.DrawSample(ctx, rd, len(texts), partition.SampleSeed(seed), pc, "grid")
	}
	s, err := draw()
	if err != nil {
		return 0, 0, err
	}
	if _, err := partition.Fit(ctx, s, pc); err != nil {
		return 0, 0, err
	}
	c, err := partition.NewContingency(s.Labels, s.Assign)
	if err != nil {
		return 0, 0, err
	}
	if *stab {
		first := make([]string, len(s.Assign))
		for i, a := range s.Assign {
			first[i] = strconv.Itoa(a)
		}
		pc.Seed += 1000
		if s, err = draw(); err != nil {
			return 0, 0, err
		}
		if _, err := partition.Fit(ctx, s, pc); err != nil {
			return 0, 0, err
		}
		a, _ := partition.NewContingency(first, s.Assign)
		fmt.Printf("  stab %s seed %d: %.3f (nmi %.3f)\n", variant, seed, a.NMI(), c.NMI())
	}
	return c.NMI(), c.ARI(), nil
}
