package features

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/pipeline/synth"
)

// synthBatches returns docs synthetic documents in batches, their text
// bytes and their texts.
func synthBatches(tb testing.TB, docs int64) ([]arrow.RecordBatch, int64, [][]byte) {
	tb.Helper()
	rd, err := synth.NewReader(synth.Config{Docs: docs, Tasks: 8, Seed: 1}, memory.DefaultAllocator)
	if err != nil {
		tb.Fatal(err)
	}
	defer rd.Close()
	var recs []arrow.RecordBatch
	var bytes int64
	var texts [][]byte
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		rec.Retain()
		recs = append(recs, rec)
		col := newTextColumn(rec.Column(1))
		for i := 0; i < int(rec.NumRows()); i++ {
			t := col.Value(i)
			bytes += int64(len(t))
			texts = append(texts, t)
		}
	}
	return recs, bytes, texts
}

// BenchmarkWorker measures one worker computing pattern and LSA features
// (dim 128) of synthetic documents: MB/s of text per core.
func BenchmarkWorker(b *testing.B) {
	recs, bytes, texts := synthBatches(b, 40000)
	lsa, err := FitLSA(context.Background(), texts[:20000], LSAConfig{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	m := &Model{Mode: ModeLSA, Dim: lsa.Dim, LSA: lsa}
	w := &worker{m: m, mem: memory.DefaultAllocator, out: OutputSchema(recs[0].Schema(), m), textIdx: 1, embIdx: -1}
	w.a.collectTerms = true
	b.SetBytes(bytes)
	b.ResetTimer()
	for range b.N {
		for _, rec := range recs {
			out, err := w.apply(rec)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
	}
}

// BenchmarkPattern measures the pattern features alone.
func BenchmarkPattern(b *testing.B) {
	_, bytes, texts := synthBatches(b, 40000)
	var a analyzer
	pat := make([]float32, schema.NumPattern)
	b.SetBytes(bytes)
	b.ResetTimer()
	for range b.N {
		for _, t := range texts {
			a.analyze(t, pat)
		}
	}
}

// BenchmarkLSAEmbed measures the LSA half of a worker alone (terms → rows
// and TF-IDF weights, then the projection), from terms hashed beforehand,
// for the vocabulary before issue 18 (16,384 rows over 2^20 buckets), the
// default one and 65,536 rows: ns per document.
func BenchmarkLSAEmbed(b *testing.B) {
	_, _, texts := synthBatches(b, 40000)
	var a analyzer
	a.collectTerms = true
	pat := make([]float32, schema.NumPattern)
	terms := make([][]uint64, len(texts))
	for i, t := range texts {
		a.analyze(t, pat)
		terms[i] = append([]uint64(nil), a.terms...)
	}
	for _, c := range []struct {
		name string
		cfg  LSAConfig
	}{
		{"vocab=16384", LSAConfig{Seed: 1, Vocab: 1 << 14, BucketBits: 20}},
		{"vocab=32768", LSAConfig{Seed: 1, Vocab: 1 << 15}},
		{"vocab=65536", LSAConfig{Seed: 1, Vocab: 1 << 16}},
	} {
		lsa, err := FitLSA(context.Background(), texts[:20000], c.cfg)
		if err != nil {
			b.Fatal(err)
		}
		d := lsa.Dim
		// Blocks as the stage makes them: at most embedBlockDocs
		// documents of one batch (8,192 rows by default).
		block := min(embedBlockDocs, stream.DefaultBatchRows)
		out := make([]float32, block*d)
		b.Run(c.name+"/rows", func(b *testing.B) {
			var s lsaScratch
			for range b.N {
				for i, t := range terms {
					lsa.termRows(t, &s, int32(i%block))
					if (i+1)%block == 0 || i == len(terms)-1 {
						s.rows, s.docs, s.weights = s.rows[:0], s.docs[:0], s.weights[:0]
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(terms)), "ns/doc")
		})
		b.Run(c.name+"/perdoc", func(b *testing.B) {
			var s lsaScratch
			for range b.N {
				for i, t := range terms {
					lsa.embed(t, &s, out[(i%block)*d:(i%block+1)*d])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(terms)), "ns/doc")
		})
		b.Run(c.name+"/all", func(b *testing.B) {
			var s lsaScratch
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
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(terms)), "ns/doc")
		})
	}
}
