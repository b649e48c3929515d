package train

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// TestTaskCounts: the counts add up to n and each is within one row of
// n·w_k/Σw; a task of weight 0 gets none.
func TestTaskCounts(t *testing.T) {
	for _, c := range []struct {
		w []float64
		n int64
	}{
		{[]float64{0.5, 0.3, 0.2}, 10},
		{[]float64{1, 1, 1}, 100},
		{[]float64{0.123, 0, 0.877, 0.0001}, 99991},
		{[]float64{2, 3}, 1},
	} {
		got := TaskCounts(c.w, c.n)
		var sum int64
		var ws float64
		for _, x := range c.w {
			ws += x
		}
		for k, n := range got {
			sum += n
			if exact := float64(c.n) * c.w[k] / ws; math.Abs(float64(n)-exact) >= 1 || (c.w[k] == 0 && n != 0) {
				t.Errorf("TaskCounts(%v, %d)[%d] = %d, exact %v", c.w, c.n, k, n, exact)
			}
		}
		if sum != c.n {
			t.Errorf("TaskCounts(%v, %d) = %v: adds up to %d", c.w, c.n, got, sum)
		}
	}
}

// readTree reads every file under dir by its relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestResample: a resampled dataset of N rows has per-task shares within
// 1% of the weights (exact to a row, as drawn), passes verify (doc_ids of
// repeats are unique), holds only rows of the source with their task, and
// is byte-identical whatever the decoders; another seed draws other rows.
func TestResample(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	ds := filepath.Join(tmp, "ds")
	rtDataset(t, ds, rtSpec{Rows: []int{400, 300, 200, 100}, D: 4, Seed: 3, MaxRows: 70})
	src := map[string]string{} // doc_id → text
	taskOf := map[string]int32{}
	man, err := stream.ReadManifest(ds)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range man.Tasks {
		for _, s := range tk.Shards {
			eachRow(t, filepath.Join(ds, s.Path), func(id, text string, task int32) {
				src[id], taskOf[id] = text, task
			})
		}
	}
	mix := &Mixture{TaskWeights: []float64{0.45, 0.05, 0.35, 0.15}}
	const n = 3000
	write := func(name string, seed uint64, decoders int) (string, *stream.Manifest) {
		t.Helper()
		rd, counts, err := mix.Resample(ctx, ds, ResampleOptions{Rows: n, Seed: seed, Decoders: decoders})
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		if want := TaskCounts(mix.TaskWeights, n); !equalInts(counts, want) {
			t.Fatalf("counts %v, want %v", counts, want)
		}
		out := filepath.Join(tmp, name)
		m, err := partition.WriteShards(ctx, rd, out, partition.ShardOptions{Tasks: len(counts), MaxRows: 500,
			Manifest: stream.Manifest{Seed: seed}})
		if err != nil {
			t.Fatal(err)
		}
		return out, m
	}
	a, m := write("a", 1, 1)
	if m.TotalRows != n {
		t.Fatalf("%d rows, want %d", m.TotalRows, n)
	}
	for k, tk := range m.Tasks {
		if share := float64(tk.Rows) / n; math.Abs(share-mix.TaskWeights[k]) > 0.01 {
			t.Errorf("task %d: share %.4f, weight %v", k, share, mix.TaskWeights[k])
		}
	}
	if rep, err := partition.Verify(ctx, a); err != nil {
		t.Fatalf("verify: %v (%+v)", err, rep)
	}
	perTask := make([]int, len(m.Tasks))
	distinct := map[string]bool{}
	for _, tk := range m.Tasks {
		for _, s := range tk.Shards {
			eachRow(t, filepath.Join(a, s.Path), func(id, text string, task int32) {
				base, _, _ := strings.Cut(id, "#")
				if src[base] != text || taskOf[base] != task || task != int32(tk.Task) {
					t.Fatalf("row %s (task %d) is no row of the source", id, task)
				}
				perTask[task]++
				distinct[base] = true
			})
		}
	}
	// Task 0 (400 rows, 1350 drawn), task 2 (200 rows, 1050 drawn), task 3
	// (100, 450): every row at least once; task 1 (300 rows, 150 drawn):
	// 150 distinct rows.
	if want := 400 + 150 + 200 + 100; len(distinct) != want {
		t.Errorf("%d distinct rows drawn, want %d", len(distinct), want)
	}
	b, _ := write("b", 1, 4)
	ta, tb := readTree(t, a), readTree(t, b)
	if len(ta) != len(tb) {
		t.Fatalf("%d files with 1 decoder, %d with 4", len(ta), len(tb))
	}
	for name, data := range ta {
		if !bytes.Equal(data, tb[name]) {
			t.Fatalf("%s differs between 1 and 4 decoders", name)
		}
	}
	c, _ := write("c", 2, 1)
	if tc := readTree(t, c); bytes.Equal(tc["task=001/part-00000.parquet"], ta["task=001/part-00000.parquet"]) {
		t.Errorf("seeds 1 and 2 drew the same rows of task 1")
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// eachRow calls f with the doc_id, text and task of every row of a shard.
func eachRow(t *testing.T, path string, f func(id, text string, task int32)) {
	t.Helper()
	rd, err := stream.Open(context.Background(), []string{path}, stream.WithColumns("doc_id", "text", "task"))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := rec.Schema()
		ids := rec.Column(sc.FieldIndices("doc_id")[0]).(*array.String)
		texts := rec.Column(sc.FieldIndices("text")[0]).(*array.String)
		tasks := rec.Column(sc.FieldIndices("task")[0]).(*array.Int32)
		for i := range int(rec.NumRows()) {
			f(ids.Value(i), texts.Value(i), tasks.Value(i))
		}
	}
}
