package features

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/schema"
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
