package features

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/scripts/shortcorpus/rowbench"
)

// BenchmarkRowCost is the features part of the per-row profile (issue 16,
// scripts/bench-rows.sh): on the short-document corpus of
// scripts/shortcorpus/rowbench, one goroutine, it reports µs per row and CPU-s per
// GB of text of
//
//   - fit: fitting the LSA model on the default sample (a fixed cost:
//     its µs/row is per corpus row and shrinks as the corpus grows),
//   - analyze: tokenizing, hashing the uni/bigrams and the pattern signals
//     (one pass over the bytes),
//   - project: the hashed terms to TF-IDF rows and the LSA projection,
//   - apply: a whole worker batch, both of the above plus the batch's
//     Arrow columns and reject reasons.
func BenchmarkRowCost(b *testing.B) {
	recs, rows, bytes := rowbench.Load(b)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	var texts [][]byte
	for _, rec := range recs {
		col := newTextColumn(rec.Column(rec.Schema().FieldIndices(schema.TextColumn)[0]))
		for i := 0; i < int(rec.NumRows()); i++ {
			texts = append(texts, col.Value(i))
		}
	}
	cfg := Config{Seed: 1}
	cfg.defaults()
	sample := texts[:min(len(texts), cfg.Sample)]
	var lsa *LSA
	b.Run("fit", func(b *testing.B) {
		start := rowbench.CPU()
		for range b.N {
			var err error
			if lsa, err = FitLSA(context.Background(), sample, LSAConfig{Dim: cfg.Dim, Vocab: cfg.Vocab, Seed: 1, Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
		rowbench.Report(b, start, rows, bytes)
	})
	if lsa == nil {
		var err error
		if lsa, err = FitLSA(context.Background(), sample, LSAConfig{Dim: cfg.Dim, Vocab: cfg.Vocab, Seed: 1, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
	pat := make([]float32, schema.NumPattern)
	b.Run("analyze", func(b *testing.B) {
		var a analyzer
		a.collectTerms = true
		start := rowbench.CPU()
		for range b.N {
			for _, t := range texts {
				a.analyze(t, pat)
			}
		}
		rowbench.Report(b, start, rows, bytes)
	})
	var a analyzer
	a.collectTerms = true
	terms := make([][]uint64, len(texts))
	for i, t := range texts {
		a.analyze(t, pat)
		terms[i] = append([]uint64(nil), a.terms...)
	}
	b.Run("project", func(b *testing.B) {
		block := min(embedBlockDocs, stream.DefaultBatchRows)
		out := make([]float32, block*lsa.Dim)
		var s lsaScratch
		start := rowbench.CPU()
		for range b.N {
			start := 0
			for i, t := range terms {
				lsa.termRows(t, &s, int32(i-start))
				if i+1-start == block || i == len(terms)-1 {
					lsa.embedBlock(&s, out, i+1-start)
					start = i + 1
				}
			}
		}
		rowbench.Report(b, start, rows, bytes)
	})
	b.Run("apply", func(b *testing.B) {
		m := &Model{Mode: ModeLSA, Dim: lsa.Dim, LSA: lsa}
		in := recs[0].Schema()
		w := &worker{m: m, mem: memory.DefaultAllocator, out: OutputSchema(in, m), textIdx: in.FieldIndices(schema.TextColumn)[0], embIdx: -1}
		w.a.collectTerms = true
		start := rowbench.CPU()
		for range b.N {
			for _, rec := range recs {
				out, err := w.apply(rec)
				if err != nil {
					b.Fatal(err)
				}
				out.Release()
			}
		}
		rowbench.Report(b, start, rows, bytes)
	})
}
