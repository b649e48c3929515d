package main

import (
	"context"
	"fmt"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// criteria prints, per pattern weight, label-free criteria beside the NMI
// against the labels, to see which criterion would choose the weight.
func criteria(ctx context.Context, path string, texts [][]byte, k int, seed uint64) error {
	lsa, err := features.FitLSA(ctx, texts, features.LSAConfig{Seed: seed})
	if err != nil {
		return err
	}
	model := &features.Model{Mode: features.ModeLSA, Dim: lsa.Dim, LSA: lsa}
	src, err := stream.Open(ctx, []string{path}, stream.WithColumns("text", "label"))
	if err != nil {
		return err
	}
	rd, err := features.Apply(ctx, src, model, features.Config{}, "grid")
	if err != nil {
		return err
	}
	defer rd.Close()
	pc := partition.Config{K: k, Seed: seed, LabelCol: "label"}
	s, err := partition.DrawSample(ctx, rd, len(texts), partition.SampleSeed(seed), pc, "grid")
	if err != nil {
		return err
	}
	n, p := s.Pattern.Dims()
	_, sd := s.Semantic.Dims()
	pm, pstd := partition.Standardisation(s.Pattern)
	smean := make([]float64, sd)
	for i := range n {
		for j, v := range s.Semantic.RawRowView(i) {
			smean[j] += v / float64(n)
		}
	}
	design := func(wp, ws float64) *mat.Dense {
		m := &partition.Model{PatternWeight: wp, SemanticWeight: ws, PatternMean: pm, PatternStd: pstd, SemanticMean: smean}
		x := mat.NewDense(n, p+sd, nil)
		for i := range n {
			m.Transform(s.Pattern.RawRowView(i), s.Semantic.RawRowView(i), x.RawRowView(i))
		}
		return x
	}
	km := func(x *mat.Dense, seed uint64) []int {
		r, err := partition.KMeans(ctx, x, partition.KMeansConfig{K: k, Seed: seed, Restarts: 2})
		if err != nil {
			panic(err)
		}
		return r.Assign
	}
	agree := func(a, b []int) float64 {
		la := make([]string, len(a))
		for i, v := range a {
			la[i] = fmt.Sprint(v)
		}
		c, _ := partition.NewContingency(la, b)
		return c.NMI()
	}
	// Pattern-only and semantic-only clusterings, and their agreement.
	pOnly := km(design(1, 0), seed)
	sOnly := km(design(0, 1), seed)
	var line strings.Builder
	fmt.Fprintf(&line, "%s seed %d agree(p,s)=%.3f", base(path), seed, agree(pOnly, sOnly))
	for _, w := range []float64{0, 0.1, 0.2, 0.3, 0.5} {
		x := design(w, 1)
		a1, a2 := km(x, seed), km(x, seed+1000)
		c, _ := partition.NewContingency(s.Labels, a1)
		sil, _ := partition.Silhouette(x.Slice(0, min(n, 3000), 0, p+sd).(*mat.Dense), a1[:min(n, 3000)])
		xs := design(0, 1)
		silS, _ := partition.Silhouette(xs.Slice(0, min(n, 3000), 0, p+sd).(*mat.Dense), a1[:min(n, 3000)])
		fmt.Fprintf(&line, " | w=%.1f nmi=%.3f stab=%.3f sil=%.3f silS=%.3f agS=%.3f agP=%.3f", w, c.NMI(), agree(a1, a2), sil, silS, agree(a1, sOnly), agree(a1, pOnly))
	}
	fmt.Println(line.String())
	return nil
}
