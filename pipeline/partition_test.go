package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/report"
)

// fusedCorpus is a shipped corpus of short real texts with labels.
const fusedCorpus = "../examples/data/appstream.parquet"

func expand(t *testing.T, paths ...string) []stream.Input {
	t.Helper()
	ins, err := stream.ExpandInputs(paths)
	if err != nil {
		t.Fatal(err)
	}
	return ins
}

func partitionJob(t *testing.T, out string, dir bool, workers int, inputs ...string) PartitionJob {
	cfg := partition.Config{K: 5, Sample: 300, Restarts: 2, LabelCol: schema.LabelColumn, Workers: workers,
		PatternWeight: partition.DefaultPatternWeight, SemanticWeight: partition.DefaultSemanticWeight}
	return PartitionJob{Inputs: expand(t, inputs...), Config: cfg,
		Features: FeaturesJob{Config: features.Config{TextCol: schema.TextColumn, Semantic: features.ModeLSA, Dim: 16, Vocab: 2048, Sample: 400, Workers: workers}},
		Output:   out, Dir: dir, OutputOptions: []stream.Option{stream.WithCompression(stream.Zstd)}}
}

// taskColumns reads the doc_id, task and task_distance of a file, as
// text.
func taskColumns(t *testing.T, path string) string {
	t.Helper()
	rd, err := stream.Open(context.Background(), []string{path}, stream.WithColumns(schema.DocIDColumn, schema.TaskColumn, schema.DistanceColumn))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var b strings.Builder
	for {
		rec, err := rd.Read()
		if err != nil {
			break
		}
		for i := range int(rec.NumRows()) {
			b.WriteString(rec.Column(0).(*array.String).Value(i) + " " + rec.Column(1).ValueStr(i) + " " + rec.Column(2).ValueStr(i) + "\n")
		}
	}
	return b.String()
}

// TestPartitionFused: partitioning a corpus without features (features
// computed on the way, no spool: the k-means sample drawn in the
// features fit's pass) gives every row the task and distance that
// partitioning the features stage's output gives; the dataset's shards
// carry no feature columns, the features model sits beside them, the
// shards are the same for 1 and 2 workers, verify passes, and the report
// recomputes the projection's features with the model.
func TestPartitionFused(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	env := Env{Seed: 3}

	// Two steps: features, then partition of the features.
	fpath := filepath.Join(tmp, "features.arrows")
	fj := partitionJob(t, "", false, 2, fusedCorpus).Features
	fj.Inputs = expand(t, fusedCorpus)
	rd, err := Features(ctx, env, fj)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteStream(ctx, rd, fpath, nil); err != nil {
		t.Fatal(err)
	}
	twoStep := filepath.Join(tmp, "two-step.arrows")
	if err := Partition(ctx, env, partitionJob(t, twoStep, false, 2, fpath), nil); err != nil {
		t.Fatal(err)
	}
	// Fused: the raw corpus.
	fused := filepath.Join(tmp, "fused.arrows")
	if err := Partition(ctx, env, partitionJob(t, fused, false, 2, fusedCorpus), nil); err != nil {
		t.Fatal(err)
	}
	want := taskColumns(t, twoStep)
	if got := taskColumns(t, fused); got != want || len(want) == 0 {
		t.Errorf("fused partition assigns other tasks than partition of the features:\n%.300s\nwant\n%.300s", got, want)
	}

	// Datasets with 1 and 2 workers.
	var shards [2]map[string][]byte
	for w := 1; w <= 2; w++ {
		dir := filepath.Join(tmp, "ds"+string(rune('0'+w)))
		if err := Partition(ctx, env, partitionJob(t, dir+"/", true, w, fusedCorpus), nil); err != nil {
			t.Fatal(err)
		}
		m, err := dataset.OpenDataset(dir)
		if err != nil {
			t.Fatal(err)
		}
		shards[w-1] = map[string][]byte{}
		for _, mt := range m.Tasks {
			for _, sh := range mt.Shards {
				b, err := os.ReadFile(filepath.Join(dir, sh.Path))
				if err != nil {
					t.Fatal(err)
				}
				shards[w-1][sh.Path] = b
				rd, err := stream.Open(ctx, []string{filepath.Join(dir, sh.Path)})
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range rd.Schema().Fields() {
					if f.Name == schema.PatternColumn || f.Name == schema.SemanticColumn {
						t.Errorf("%s carries the feature column %s without keep_features", sh.Path, f.Name)
					}
				}
				rd.Close()
			}
		}
		if _, err := os.Stat(filepath.Join(dir, dataset.FeaturesModelFile)); err != nil {
			t.Errorf("no features model beside the shards: %v", err)
		}
		if _, err := dataset.Verify(ctx, dir); err != nil {
			t.Errorf("verify %s: %v", dir, err)
		}
	}
	if len(shards[0]) == 0 || len(shards[0]) != len(shards[1]) {
		t.Fatalf("%d and %d shards", len(shards[0]), len(shards[1]))
	}
	for p, b := range shards[0] {
		if !bytes.Equal(b, shards[1][p]) {
			t.Errorf("%s differs between 1 and 2 workers", p)
		}
	}

	// The report: a projection with the recomputed features, none
	// without the model.
	dir := filepath.Join(tmp, "ds1")
	html, err := report.Build(ctx, dir, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte(`id="projection-chart"`)) {
		t.Error("the report of a dataset without feature columns has no projection (features not recomputed from features.model)")
	}
	if err := os.Remove(filepath.Join(dir, dataset.FeaturesModelFile)); err != nil {
		t.Fatal(err)
	}
	html, err = report.Build(ctx, dir, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(html, []byte(`id="projection-chart"`)) {
		t.Error("a projection without features or a features model")
	}
}
