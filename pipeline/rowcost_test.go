package pipeline

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/scripts/shortcorpus/rowbench"
)

// BenchmarkRowCost is the stage part of the per-row profile (issue 16,
// scripts/bench-rows.sh; features/ has the tokenizer, pattern and
// projection parts): on the short-document corpus of scripts/shortcorpus/rowbench,
// one worker, µs per row and CPU-s per GB of text of
//
//   - read: the Parquet corpus to Arrow batches (every column),
//   - features: features.Apply with a fitted model (workers 1),
//   - kmeans-fit: partition.Fit, K = 64, on the default sample (a fixed
//     cost, per corpus row),
//   - assign: partition.Assign of featured batches to 64 tasks,
//   - shard-write: dataset.WriteShards of assigned batches (64 tasks,
//     zstd; the shards carry no feature columns),
//   - chain: features + assign + shard write fused, as partition -o DIR/
//     runs its assign pass.
func BenchmarkRowCost(b *testing.B) {
	ctx := context.Background()
	path, err := rowbench.Corpus(ctx, rowbench.Docs())
	if err != nil {
		b.Fatal(err)
	}
	recs, rows, bytes := rowbench.Load(b)
	defer releaseAll(recs)
	b.Run("read", func(b *testing.B) {
		start := rowbench.CPU()
		for range b.N {
			rd, err := stream.Open(ctx, []string{path}, stream.WithDocID(schema.DocIDColumn))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := stream.Copy(ctx, discard{}, rd); err != nil {
				b.Fatal(err)
			}
			rd.Close()
		}
		rowbench.Report(b, start, rows, bytes)
	})
	fcfg := features.Config{Seed: 1, Workers: 1}
	fm, err := features.PrepareFrom(ctx, &rowbench.Batches{Recs: recs}, fcfg, "bench")
	if err != nil {
		b.Fatal(err)
	}
	apply := func() []arrow.RecordBatch {
		rd, err := features.Apply(ctx, &rowbench.Batches{Recs: recs}, fm, fcfg, "bench")
		if err != nil {
			b.Fatal(err)
		}
		defer rd.Close()
		return collect(b, rd)
	}
	var featured []arrow.RecordBatch
	b.Run("features", func(b *testing.B) {
		start := rowbench.CPU()
		for range b.N {
			releaseAll(featured)
			featured = apply()
		}
		rowbench.Report(b, start, rows, bytes)
	})
	if featured == nil {
		featured = apply()
	}
	defer releaseAll(featured)
	pcfg := partition.Config{K: 64, Workers: 1, Seed: 1}
	sample, err := partition.DrawSample(ctx, &rowbench.Batches{Recs: featured}, 200_000, 1, pcfg, "bench")
	if err != nil {
		b.Fatal(err)
	}
	var pm *partition.Model
	b.Run("kmeans-fit", func(b *testing.B) {
		start := rowbench.CPU()
		for range b.N {
			if pm, err = partition.Fit(ctx, sample, pcfg); err != nil {
				b.Fatal(err)
			}
		}
		rowbench.Report(b, start, rows, bytes)
	})
	if pm == nil {
		if pm, err = partition.Fit(ctx, sample, pcfg); err != nil {
			b.Fatal(err)
		}
	}
	assign := func(src stream.Reader) stream.Reader {
		rd, err := partition.Assign(ctx, src, pm, pcfg, partition.OutputSchemaFor(src.Schema(), pm, "bench"), "bench")
		if err != nil {
			b.Fatal(err)
		}
		return rd
	}
	var assigned []arrow.RecordBatch
	b.Run("assign", func(b *testing.B) {
		start := rowbench.CPU()
		for range b.N {
			releaseAll(assigned)
			rd := assign(&rowbench.Batches{Recs: featured})
			assigned = collect(b, rd)
			rd.Close()
		}
		rowbench.Report(b, start, rows, bytes)
	})
	if assigned == nil {
		rd := assign(&rowbench.Batches{Recs: featured})
		assigned = collect(b, rd)
		rd.Close()
	}
	defer releaseAll(assigned)
	dir := b.TempDir()
	write := func(src stream.Reader) {
		out := filepath.Join(dir, "shards")
		os.RemoveAll(out)
		if _, err := dataset.WriteShards(ctx, src, out, dataset.ShardOptions{Tasks: pm.K}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("shard-write", func(b *testing.B) {
		start := rowbench.CPU()
		for range b.N {
			write(&rowbench.Batches{Recs: assigned})
		}
		rowbench.Report(b, start, rows, bytes)
	})
	b.Run("chain", func(b *testing.B) {
		start := rowbench.CPU()
		for range b.N {
			fr, err := features.Apply(ctx, &rowbench.Batches{Recs: recs}, fm, fcfg, "bench")
			if err != nil {
				b.Fatal(err)
			}
			ar := assign(fr)
			write(ar)
			ar.Close()
		}
		rowbench.Report(b, start, rows, bytes)
	})
}

// collect reads rd to its end, keeping every batch (the caller releases
// them).
func collect(tb testing.TB, rd stream.Reader) []arrow.RecordBatch {
	tb.Helper()
	var recs []arrow.RecordBatch
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return recs
		}
		if err != nil {
			tb.Fatal(err)
		}
		rec.Retain()
		recs = append(recs, rec)
	}
}

func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}
