package train

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline/dataset"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/internal/longtest"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/safetensors"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/pipeline/synth"
)

// rtReader is a stream.Reader over record batches held in memory.
type rtReader struct {
	schema *arrow.Schema
	recs   []arrow.RecordBatch
	next   int
}

func (r *rtReader) Schema() *arrow.Schema { return r.schema }

func (r *rtReader) Read() (arrow.RecordBatch, error) {
	if r.next >= len(r.recs) {
		return nil, io.EOF
	}
	r.next++
	return r.recs[r.next-1], nil
}

func (r *rtReader) Close() error {
	for _, rec := range r.recs {
		rec.Release()
	}
	r.recs = nil
	return nil
}

// rtSpec describes a dataset of vectors (and texts) written by rtDataset.
type rtSpec struct {
	// Rows is each task's row count; K = len(Rows) unless K is set (tasks
	// past len(Rows) are then empty).
	Rows []int
	K    int
	// D is the width of the "semantic" vectors.
	D int
	// Vec gives row i (global index g) of task t's vector; nil draws the
	// default: task t's vectors are a task-specific mean plus noise.
	Vec func(t, i, g int) []float32
	// Text gives a row's text; nil: "w<t>x<i%50> ...".
	Text func(t, i, g int) string
	// Seed seeds the default vectors.
	Seed uint64
	// MaxRows, when set, starts a new shard of a task every MaxRows rows.
	MaxRows int64
}

// rtDataset writes a sharded dataset (manifest.json, task=NNN shards)
// through dataset.WriteShards: columns doc_id ("d<g>"), text, semantic
// (fixed-size list of D float32) and task (int32). The rows of the tasks
// are interleaved in input order. It returns the manifest.
func rtDataset(t testing.TB, dir string, sp rtSpec) *dataset.Manifest {
	t.Helper()
	k := sp.K
	if k == 0 {
		k = len(sp.Rows)
	}
	rng := rand.New(rand.NewPCG(sp.Seed, 99))
	means := make([][]float32, len(sp.Rows))
	for ti := range means {
		means[ti] = make([]float32, sp.D)
		for j := range means[ti] {
			means[ti][j] = float32(rng.NormFloat64() * 0.5)
		}
	}
	if sp.Vec == nil {
		sp.Vec = func(ti, i, g int) []float32 {
			v := make([]float32, sp.D)
			r := rand.New(rand.NewPCG(sp.Seed, uint64(g)))
			for j := range v {
				v[j] = means[ti][j] + float32(r.NormFloat64()*0.3*float64(ti+1))
			}
			return v
		}
	}
	if sp.Text == nil {
		sp.Text = func(ti, i, g int) string {
			s := ""
			for w := range 12 {
				s += fmt.Sprintf("w%dx%d ", ti, (i*7+w*13)%50)
			}
			return s
		}
	}
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "doc_id", Type: arrow.BinaryTypes.String},
		{Name: "text", Type: arrow.BinaryTypes.String},
		{Name: "semantic", Type: arrow.FixedSizeListOf(int32(sp.D), arrow.PrimitiveTypes.Float32)},
		{Name: "task", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	ids := b.Field(0).(*array.StringBuilder)
	texts := b.Field(1).(*array.StringBuilder)
	vecs := b.Field(2).(*array.FixedSizeListBuilder)
	vals := vecs.ValueBuilder().(*array.Float32Builder)
	tasks := b.Field(3).(*array.Int32Builder)
	done := make([]int, len(sp.Rows))
	for g := 0; ; {
		more := false
		for ti, n := range sp.Rows {
			if done[ti] >= n {
				continue
			}
			more = true
			i := done[ti]
			done[ti]++
			ids.Append(fmt.Sprintf("d%d", g))
			texts.Append(sp.Text(ti, i, g))
			vecs.Append(true)
			vals.AppendValues(sp.Vec(ti, i, g), nil)
			tasks.Append(int32(ti))
			g++
		}
		if !more {
			break
		}
	}
	rd := &rtReader{schema: schema, recs: []arrow.RecordBatch{b.NewRecordBatch()}}
	defer rd.Close()
	m, err := dataset.WriteShards(context.Background(), rd, dir, dataset.ShardOptions{Tasks: k, MaxRows: sp.MaxRows, KeepFeatures: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rtSynthFile writes a synthetic corpus to path (Parquet).
func rtSynthFile(t testing.TB, path string, cfg synth.Config) {
	t.Helper()
	rd, err := synth.NewReader(cfg, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	w, err := stream.Create(path, rd.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Copy(context.Background(), w, rd); err != nil {
		w.Abort()
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// rtPartition is `robustdata features -i INPUTS --sample N --dim D |
// robustdata partition --k K -o DIR/` through the packages: it fits the
// LSA features and k-means on the inputs and writes the task shards. It
// returns the partition's contingency with the label column: for each
// task, its rows per label.
func rtPartition(t testing.TB, inputs []string, dir string, k, dim, sample int) []map[string]int {
	t.Helper()
	ctx := context.Background()
	open := func(path ...string) stream.Reader {
		rd, err := stream.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		return rd
	}
	// Plain LSA (unit projection columns): the vectors these tests regress
	// and their minimax-vs-erm floors were measured on it.
	fcfg := features.Config{Dim: dim, Sample: sample, Vocab: 1 << 14, SingularPower: -1, Seed: 1}
	rd := open(inputs...)
	fm, err := features.PrepareFrom(ctx, rd, fcfg, "corpus")
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	fr, err := features.Apply(ctx, open(inputs...), fm, fcfg, "corpus")
	if err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(t.TempDir(), "features.arrows")
	w, err := stream.Create(spool, fr.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Copy(ctx, w, fr); err != nil {
		t.Fatal(err)
	}
	fr.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pcfg := partition.Config{K: k, Seed: 1, LabelCol: "label",
		PatternWeight: partition.DefaultPatternWeight, SemanticWeight: partition.DefaultSemanticWeight}
	rd = open(spool)
	sample2, err := partition.DrawSample(ctx, rd, 200000, partition.SampleSeed(1), pcfg, "corpus")
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	model, err := partition.Fit(ctx, sample2, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := model.Hash()
	if err != nil {
		t.Fatal(err)
	}
	src := open(spool)
	assigned, err := partition.Assign(ctx, src, model, pcfg, partition.OutputSchemaFor(src.Schema(), model, hash), "corpus")
	if err != nil {
		t.Fatal(err)
	}
	defer assigned.Close()
	if _, err := dataset.WriteShards(ctx, assigned, dir, dataset.ShardOptions{Tasks: k, KeepFeatures: true}); err != nil {
		t.Fatal(err)
	}
	// The contingency, from the shards.
	m, err := dataset.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]int, k)
	for ti, task := range m.Tasks {
		out[ti] = map[string]int{}
		for _, s := range task.Shards {
			rd, err := stream.Open(ctx, []string{filepath.Join(dir, s.Path)}, stream.WithColumns("label"))
			if err != nil {
				t.Fatal(err)
			}
			for {
				rec, err := rd.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				col := rec.Column(0).(*array.String)
				for i := range col.Len() {
					out[ti][col.Value(i)]++
				}
			}
			rd.Close()
		}
	}
	return out
}

// rtSmall writes the small dataset most run tests share: 3 tasks of 400,
// 300 and 200 rows, vectors of 8 values, texts of 12 words.
func rtSmall(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ds")
	rtDataset(t, dir, rtSpec{Rows: []int{400, 300, 200}, D: 8, Seed: 3})
	return dir
}

// rtCfg is a small, fast run of 30 steps, checkpointing every 10.
func rtCfg(ds, runDir, strategy, objective string) Config {
	c := Config{Dataset: ds, RunDir: runDir, Objective: objective, Strategy: strategy, Temp: 0.1, Smoothing: 0.9,
		Steps: 30, PerTask: 4, LR: 1e-2, Hidden: 8, Seed: 7, CheckpointEvery: 10}
	if objective == ObjectiveToken {
		c.Vocab, c.Embed, c.Window, c.Tokenize = 256, 8, 8, features.HashedWords
	}
	return c
}

func rtRun(t testing.TB, cfg Config) *dataset.Eval {
	t.Helper()
	ev, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run(%s, %s): %v", cfg.Objective, cfg.Strategy, err)
	}
	return ev
}

// rtRunFiles are the files of a finished run folder; one stopped before
// its end may hold its journal too.
var (
	rtRunFiles  = []string{dataset.ModelJSON, dataset.CheckpointFile, dataset.TrainLogFile, dataset.WeightsFile, dataset.EvalFile}
	rtStopFiles = append(slices.Clone(rtRunFiles), dataset.TrainJournalFile)
)

// rtReadRun reads the files of a run folder (a missing one is nil) and
// fails on any other file (a temporary file left behind).
func rtReadRun(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !slices.Contains(rtStopFiles, e.Name()) {
			t.Errorf("run folder %s holds %s, not a run file", dir, e.Name())
		}
	}
	for _, name := range rtStopFiles {
		if data, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			out[name] = data
		}
	}
	return out
}

// rtSameRun fails unless got holds the files of want, byte for byte; for a
// differing log it shows the first differing row.
func rtSameRun(t testing.TB, want, got map[string][]byte, what string) {
	t.Helper()
	for _, name := range rtStopFiles {
		w, g := want[name], got[name]
		if bytes.Equal(w, g) {
			continue
		}
		if name == dataset.TrainLogFile && w != nil && g != nil {
			wr, _ := parquet.Read[dataset.LogRow](bytes.NewReader(w), int64(len(w)))
			gr, _ := parquet.Read[dataset.LogRow](bytes.NewReader(g), int64(len(g)))
			for i := range min(len(wr), len(gr)) {
				if wr[i] != gr[i] {
					t.Errorf("%s: %s differs at row %d: %+v, want %+v (%d rows, want %d)", what, name, i, gr[i], wr[i], len(gr), len(wr))
					break
				}
			}
			if len(wr) != len(gr) {
				t.Errorf("%s: %s has %d rows, want %d (steps %v, want steps %v)", what, name, len(gr), len(wr), rtLogSteps(gr), rtLogSteps(wr))
			}
			continue
		}
		if len(w) < 2000 && len(g) < 2000 {
			t.Errorf("%s: %s differs:\n%s\nwant:\n%s", what, name, g, w)
		} else {
			t.Errorf("%s: %s differs (%d bytes, want %d)", what, name, len(g), len(w))
		}
	}
}

// rtLogSteps summarises the steps a log covers as ranges.
func rtLogSteps(rows []dataset.LogRow) string {
	var parts []string
	for i := 0; i < len(rows); {
		j := i
		for j+1 < len(rows) && rows[j+1].Step <= rows[j].Step+1 {
			j++
		}
		parts = append(parts, fmt.Sprintf("%d-%d", rows[i].Step, rows[j].Step))
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// rtKilled runs cfg and cancels it once kill steps are done (as a SIGINT
// would: the loop stops at the next step, after writing the checkpoint of
// that step if it is due). at, when set, is called after every step with
// the number of steps done, before that step's checkpoint is written.
func rtKilled(t testing.TB, cfg Config, kill int, at func(step int)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Progress = func(step int, _ []float64) {
		if at != nil {
			at(step)
		}
		if step == kill {
			cancel()
		}
	}
	if _, err := Run(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: %v, want context.Canceled", err)
	}
}

// TestRunResumeIsIdentical kills runs at various points and resumes them:
// the run folder must end byte-identical to an uninterrupted run's, for
// every strategy and both objectives.
func TestRunResumeIsIdentical(t *testing.T) {
	ds := rtSmall(t)
	for _, obj := range []string{ObjectiveRegression, ObjectiveToken} {
		ref := filepath.Join(t.TempDir(), "ref") // doremi's reference
		refCfg := rtCfg(ds, ref, "erm", obj)
		rtRun(t, refCfg)
		for _, strat := range StrategyNames {
			if obj == ObjectiveToken && (strat == "uniform" || strat == "group-dro") {
				continue // stateless like erm, or like minimax: keep the test short
			}
			t.Run(obj+"/"+strat, func(t *testing.T) {
				base := rtCfg(ds, "", strat, obj)
				base.Steps, base.CheckpointEvery = 25, 10
				if strat == "doremi" {
					base.Reference = ref
				}
				whole := base
				whole.RunDir = filepath.Join(t.TempDir(), "whole")
				rtRun(t, whole)
				want := rtReadRun(t, whole.RunDir)
				for _, tc := range []struct {
					name string
					kill int
				}{
					{"killed at a checkpoint", 20},
					{"checkpoint older than the last step", 17},
					{"killed before the first checkpoint", 6},
					{"finished", 0},
				} {
					cfg := base
					cfg.RunDir = filepath.Join(t.TempDir(), "run")
					if tc.kill == 0 {
						rtRun(t, cfg)
					} else {
						rtKilled(t, cfg, tc.kill, nil)
					}
					cfg.Resume = true
					rtRun(t, cfg)
					rtSameRun(t, want, rtReadRun(t, cfg.RunDir), tc.name)
				}
			})
		}
	}
}

// TestRunResumeAfterCrash kills a run between the writes of a checkpoint
// and of the log (SIGKILL or power loss: each file is written atomically,
// the pair is not), leaving one of them from the checkpoint before. The
// resumed run must still end as an uninterrupted one.
func TestRunResumeAfterCrash(t *testing.T) {
	ds := rtSmall(t)
	base := rtCfg(ds, "", "minimax", ObjectiveRegression)
	base.Steps, base.CheckpointEvery = 25, 10
	whole := base
	whole.RunDir = filepath.Join(t.TempDir(), "whole")
	rtRun(t, whole)
	want := rtReadRun(t, whole.RunDir)
	for _, tc := range []struct {
		stale string
		kill  int
	}{
		{dataset.CheckpointFile, 20},
		{dataset.TrainJournalFile, 20},
		{dataset.CheckpointFile, 10},   // no checkpoint yet, the log of step 10
		{dataset.TrainJournalFile, 10}, // checkpoint 10, the log's header only
	} {
		t.Run(fmt.Sprintf("%s before checkpoint %d", tc.stale, tc.kill), func(t *testing.T) {
			cfg := base
			cfg.RunDir = filepath.Join(t.TempDir(), "run")
			// The run is killed after writing checkpoint kill and its
			// log; then stale is put back as it was at checkpoint
			// kill-10 (absent at 0), read after step kill-9.
			path := filepath.Join(cfg.RunDir, tc.stale)
			var old []byte
			rtKilled(t, cfg, tc.kill, func(step int) {
				if step == tc.kill-9 {
					old, _ = os.ReadFile(path)
				}
			})
			if old == nil {
				os.Remove(path)
			} else if err := os.WriteFile(path, old, 0o644); err != nil {
				t.Fatal(err)
			}
			cfg.Resume = true
			rtRun(t, cfg)
			rtSameRun(t, want, rtReadRun(t, cfg.RunDir), "resumed after a crash")
		})
	}
}

// TestRunResumeOtherSettings: --resume with settings that differ from the
// run's model.json is refused, leaving the folder as it was.
func TestRunResumeOtherSettings(t *testing.T) {
	ds := rtSmall(t)
	other := filepath.Join(t.TempDir(), "other")
	rtDataset(t, other, rtSpec{Rows: []int{400, 300, 200}, D: 8, Seed: 4})
	cfg := rtCfg(ds, filepath.Join(t.TempDir(), "run"), "minimax", ObjectiveRegression)
	rtKilled(t, cfg, 15, nil)
	before := rtReadRun(t, cfg.RunDir)
	for name, change := range map[string]func(*Config){
		"lr":          func(c *Config) { c.LR *= 2 },
		"steps":       func(c *Config) { c.Steps++ },
		"strategy":    func(c *Config) { c.Strategy = "erm" },
		"temperature": func(c *Config) { c.Temp = 0.2 },
		"seed":        func(c *Config) { c.Seed++ },
		"dataset":     func(c *Config) { c.Dataset = other },
	} {
		c := cfg
		c.Resume = true
		change(&c)
		_, err := Run(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), "other settings") {
			t.Errorf("resume with another %s: %v, want an error about other settings", name, err)
		}
		rtSameRun(t, before, rtReadRun(t, cfg.RunDir), "after a refused resume with another "+name)
	}
	// The same settings still resume.
	c := cfg
	c.Resume = true
	rtRun(t, c)
}

// TestRunFolder checks every file of a run folder against its documented
// form and against each other.
func TestRunFolder(t *testing.T) {
	ds := rtSmall(t)
	m, err := dataset.ReadManifest(ds)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range []string{ObjectiveRegression, ObjectiveToken} {
		for _, strat := range []string{"erm", "minimax"} {
			t.Run(obj+"/"+strat, func(t *testing.T) {
				cfg := rtCfg(ds, filepath.Join(t.TempDir(), "run"), strat, obj)
				cfg.Steps, cfg.CheckpointEvery = 12, 5
				var progress [][]float64
				cfg.Progress = func(step int, losses []float64) {
					if step != len(progress)+1 {
						t.Errorf("progress step %d after %d calls", step, len(progress))
					}
					progress = append(progress, slices.Clone(losses))
				}
				ev := rtRun(t, cfg)
				rtCheckFolder(t, cfg, m, ev, progress)
			})
		}
	}
}

func rtCheckFolder(t *testing.T, cfg Config, m *dataset.Manifest, ev *dataset.Eval, progress [][]float64) {
	const k = 3
	files := rtReadRun(t, cfg.RunDir)
	for _, name := range rtRunFiles {
		if files[name] == nil {
			t.Fatalf("no %s", name)
		}
	}
	// model.json: the settings, none of the run-time fields.
	var mj map[string]any
	if err := json.Unmarshal(files[dataset.ModelJSON], &mj); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(rtMust(os.ReadFile(filepath.Join(cfg.Dataset, dataset.ManifestName))))
	want := map[string]any{
		"dataset": cfg.Dataset, "objective": cfg.Objective, "tasks": "cluster", "strategy": cfg.Strategy,
		"temperature": cfg.Temp, "smoothing": cfg.Smoothing, "steps": float64(cfg.Steps), "per_task_batch": float64(cfg.PerTask),
		"lr": cfg.LR, "seed": float64(cfg.Seed), "hidden": float64(cfg.Hidden), "task_count": float64(k),
		"dataset_manifest_sha256": hex.EncodeToString(sum[:]),
	}
	if cfg.Objective == ObjectiveRegression {
		want["vector_col"], want["dim"] = "semantic", float64(8)
	} else {
		want["vocab"], want["window"], want["embed"], want["text_col"] = float64(cfg.Vocab), float64(cfg.Window), float64(cfg.Embed), "text"
		want["samples"] = float64(-1) // vocabulary 256: the exact softmax
	}
	for key, v := range want {
		if mj[key] != v {
			t.Errorf("model.json %s = %v, want %v", key, mj[key], v)
		}
	}
	for key := range mj {
		if _, ok := want[key]; !ok {
			t.Errorf("model.json has %s = %v, not a documented setting", key, mj[key])
		}
	}
	// train_log.parquet: K rows per step, task-major within a step, the
	// losses Progress saw, weights summing to 1.
	rows, err := parquet.ReadFile[dataset.LogRow](filepath.Join(cfg.RunDir, dataset.TrainLogFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != k*cfg.Steps {
		t.Fatalf("train_log has %d rows, want %d", len(rows), k*cfg.Steps)
	}
	var sizes []int64
	for _, task := range m.Tasks {
		sizes = append(sizes, task.Rows)
	}
	strat, err := NewStrategy(k, StrategyConfig{Name: cfg.Strategy, Sizes: sizes, Temperature: cfg.Temp,
		Smoothing: cfg.Smoothing, Relative: true})
	if err != nil {
		t.Fatal(err)
	}
	next := initialWeights(cfg.Strategy, sizes)
	for s := range cfg.Steps {
		losses := make([]float64, k)
		total := 0.0
		for ti := range k {
			r := rows[s*k+ti]
			if r.Step != int64(s) || r.Task != int32(ti) {
				t.Fatalf("log row %d is step %d task %d, want step %d task %d", s*k+ti, r.Step, r.Task, s, ti)
			}
			if !(r.Loss > 0) || math.IsInf(r.Loss, 0) {
				t.Errorf("step %d task %d loss %v", s, ti, r.Loss)
			}
			if r.Loss != progress[s][ti] {
				t.Errorf("step %d task %d: log loss %v, Progress saw %v", s, ti, r.Loss, progress[s][ti])
			}
			// The weight of a step is the strategy's answer to the
			// previous step's losses (the initial weights at step 0).
			if math.Abs(r.Weight-next[ti]) > 1e-15 {
				t.Errorf("step %d task %d weight %v, the strategy gives %v", s, ti, r.Weight, next[ti])
			}
			losses[ti] = r.Loss
			total += r.Weight
		}
		if math.Abs(total-1) > 1e-12 {
			t.Errorf("step %d weights sum to %v", s, total)
		}
		if next, err = strat.Weights(losses); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.Strategy == "erm" && math.Abs(rows[0].Weight-400.0/900) > 1e-12 {
		t.Errorf("erm weight of task 0 is %v, want 400/900", rows[0].Weight)
	}
	// weights.json: final = the strategy's answer to the last losses,
	// average its mean; both K values summing to 1.
	var w dataset.Weights
	rtJSON(t, files[dataset.WeightsFile], &w)
	if w.Strategy != cfg.Strategy || !slices.Equal(w.Sizes, sizes) {
		t.Errorf("weights.json strategy %q sizes %v, want %q %v", w.Strategy, w.Sizes, cfg.Strategy, sizes)
	}
	for name, v := range map[string][]float64{"final": w.Final, "average": w.Average} {
		if len(v) != k || math.Abs(rtSum(v)-1) > 1e-12 {
			t.Errorf("weights.json %s = %v: want %d weights summing to 1", name, v, k)
		}
	}
	if !rtClose(w.Final, next, 1e-15) || !rtClose(w.Average, strat.Average(), 1e-15) {
		t.Errorf("weights.json final %v average %v, the strategy gives %v %v", w.Final, w.Average, next, strat.Average())
	}
	// eval.json: exactly tasks [{task, rows, loss}], mean, worst,
	// worst_task and steps (no early stopping keys: it is off).
	var raw map[string]json.RawMessage
	rtJSON(t, files[dataset.EvalFile], &raw)
	if keys := slices.Sorted(maps.Keys(raw)); !slices.Equal(keys, []string{"mean", "steps", "tasks", "worst", "worst_task"}) {
		t.Errorf("eval.json keys %v", keys)
	}
	if string(raw["steps"]) != strconv.Itoa(cfg.Steps) {
		t.Errorf("eval.json steps %s, want %d", raw["steps"], cfg.Steps)
	}
	var rawTasks []map[string]any
	rtJSON(t, raw["tasks"], &rawTasks)
	for _, rt := range rawTasks {
		if keys := slices.Sorted(maps.Keys(rt)); !slices.Equal(keys, []string{"loss", "rows", "task"}) {
			t.Errorf("eval.json task keys %v", keys)
		}
	}
	var e dataset.Eval
	rtJSON(t, files[dataset.EvalFile], &e)
	if !reflect.DeepEqual(&e, ev) {
		t.Errorf("eval.json %+v, Run returned %+v", e, *ev)
	}
	if len(e.Tasks) != k {
		t.Fatalf("eval.json has %d tasks", len(e.Tasks))
	}
	held := rtHeldRows(t, cfg.Dataset)
	mean, worst, worstTask := 0.0, math.Inf(-1), -1
	for ti, te := range e.Tasks {
		if te.Task != ti || te.Rows != held[ti] || !(te.Loss > 0) {
			t.Errorf("eval.json task %d: %+v, want %d held-out rows and a positive loss", ti, te, held[ti])
		}
		mean += te.Loss / k
		if te.Loss > worst {
			worst, worstTask = te.Loss, ti
		}
	}
	if math.Abs(e.Mean-mean) > 1e-12*mean || e.Worst != worst || e.WorstTask != worstTask {
		t.Errorf("eval.json mean %v worst %v (task %d); the tasks give %v %v (task %d)", e.Mean, e.Worst, e.WorstTask, mean, worst, worstTask)
	}
	// EvaluateRun of the folder gives eval.json again.
	again, err := EvaluateRun(context.Background(), cfg.RunDir, cfg.Dataset, features.HashedWords)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, ev) {
		t.Errorf("EvaluateRun %+v, Run %+v", *again, *ev)
	}
	// checkpoint.safetensors: the documented tensors.
	f, err := safetensors.ReadFile(filepath.Join(cfg.RunDir, dataset.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "robustdata-checkpoint" || f.Metadata["strategy"] != cfg.Strategy {
		t.Errorf("checkpoint metadata %v", f.Metadata)
	}
	shapes := map[string][]int64{}
	if cfg.Objective == ObjectiveRegression {
		d, h := int64(8), int64(cfg.Hidden)
		shapes = map[string][]int64{"regression.w1": {2 * d, h}, "regression.b1": {h}, "regression.w2": {h, d}, "regression.b2": {d}}
	} else {
		v, e, h := int64(cfg.Vocab), int64(cfg.Embed), int64(cfg.Hidden)
		shapes = map[string][]int64{"token.embed": {v, e}, "token.w1": {e, h}, "token.b1": {h}, "token.w2": {h, v}, "token.b2": {v}}
	}
	for name, shape := range maps.Clone(shapes) {
		shapes["adam.m."+name], shapes["adam.v."+name] = shape, shape
	}
	for name, shape := range shapes {
		tn, ok := f.Tensor(name)
		if !ok || tn.DType != safetensors.DTypeF32 || !slices.Equal(tn.Shape, shape) {
			t.Errorf("checkpoint tensor %s: present %v, %s %v, want F32 %v", name, ok, tn.DType, tn.Shape, shape)
		}
	}
	i64 := func(name string) int64 {
		tn, ok := f.Tensor(name)
		if !ok {
			t.Fatalf("checkpoint has no %s", name)
		}
		v, err := tn.Int64s()
		if err != nil || len(v) != 1 {
			t.Fatalf("checkpoint %s: %v %v", name, v, err)
		}
		return v[0]
	}
	if s, a := i64("train.step"), i64("adam.t"); s != int64(cfg.Steps) || a != int64(cfg.Steps) {
		t.Errorf("checkpoint train.step %d adam.t %d, want %d", s, a, cfg.Steps)
	}
	tn, _ := f.Tensor("strategy.weights")
	if cw, err := tn.Float64s(); err != nil || !rtClose(cw, w.Final, 0) {
		t.Errorf("checkpoint strategy.weights %v (%v), weights.json final %v", cw, err, w.Final)
	}
	tn, _ = f.Tensor("strategy.state")
	if st, err := tn.Float64s(); err != nil || !rtClose(st, strat.State(), 0) {
		t.Errorf("checkpoint strategy.state %v (%v), want %v", st, err, strat.State())
	}
}

// rtHeldRows counts each task's held-out rows (at most MaxEvalRows).
func rtHeldRows(t testing.TB, ds string) []int {
	t.Helper()
	m, err := dataset.ReadManifest(ds)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, task := range m.Tasks {
		n := 0
		for _, s := range task.Shards {
			for _, id := range rtColumn(t, filepath.Join(ds, s.Path), "doc_id") {
				if HeldOut(id) {
					n++
				}
			}
		}
		out = append(out, min(n, MaxEvalRows))
	}
	return out
}

// rtColumn reads a string column of a file.
func rtColumn(t testing.TB, path, col string) []string {
	t.Helper()
	rd, err := stream.Open(context.Background(), []string{path}, stream.WithColumns(col))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var out []string
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		c := rec.Column(0).(*array.String)
		for i := range c.Len() {
			out = append(out, c.Value(i))
		}
	}
}

func rtMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func rtJSON(t testing.TB, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v in %s", err, data)
	}
}

func rtSum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func rtClose(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

// TestRunDeterministic: the same settings and seed give byte-identical run
// folders; another seed another checkpoint.
func TestRunDeterministic(t *testing.T) {
	ds := rtSmall(t)
	for _, obj := range []string{ObjectiveRegression, ObjectiveToken} {
		t.Run(obj, func(t *testing.T) {
			cfg := rtCfg(ds, filepath.Join(t.TempDir(), "a"), "minimax", obj)
			rtRun(t, cfg)
			a := rtReadRun(t, cfg.RunDir)
			cfg.RunDir = filepath.Join(t.TempDir(), "b")
			rtRun(t, cfg)
			rtSameRun(t, a, rtReadRun(t, cfg.RunDir), "second run")
			cfg.RunDir = filepath.Join(t.TempDir(), "c")
			cfg.Seed++
			rtRun(t, cfg)
			c := rtReadRun(t, cfg.RunDir)
			for _, name := range []string{dataset.CheckpointFile, dataset.TrainLogFile, dataset.EvalFile} {
				if bytes.Equal(a[name], c[name]) {
					t.Errorf("seed %d gave the same %s as seed %d", cfg.Seed, name, cfg.Seed-1)
				}
			}
		})
	}
}

// rtNoRun fails if the run folder exists (with anything in it).
func rtNoRun(t testing.TB, dir string) {
	t.Helper()
	if entries, err := os.ReadDir(dir); err == nil {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("run folder written: %v", names)
	}
}

func rtDataError(t testing.TB, err error, want string) {
	t.Helper()
	var de *stream.DataError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v (%T), want a *stream.DataError about %q", err, err, want)
	}
}

func TestRunBadInput(t *testing.T) {
	ds := rtSmall(t)
	ctx := context.Background()
	m, err := dataset.ReadManifest(ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("no manifest", func(t *testing.T) {
		dir := t.TempDir()
		for _, task := range m.Tasks {
			data := rtMust(os.ReadFile(filepath.Join(ds, task.Shards[0].Path)))
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d.parquet", task.Task)), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		run := filepath.Join(t.TempDir(), "run")
		_, err := Run(ctx, rtCfg(dir, run, "erm", ObjectiveRegression))
		rtDataError(t, err, dataset.ManifestName)
		rtNoRun(t, run)
	})
	t.Run("corrupted shard", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ds")
		if err := os.CopyFS(dir, os.DirFS(ds)); err != nil {
			t.Fatal(err)
		}
		shard := filepath.Join(dir, m.Tasks[1].Shards[0].Path)
		data := rtMust(os.ReadFile(shard))
		data[len(data)/2] ^= 0x10 // same size, another sha256
		if err := os.WriteFile(shard, data, 0o644); err != nil {
			t.Fatal(err)
		}
		run := filepath.Join(t.TempDir(), "run")
		_, err := Run(ctx, rtCfg(dir, run, "minimax", ObjectiveRegression))
		rtDataError(t, err, "corrupted shard")
		if err != nil && !strings.Contains(err.Error(), filepath.Base(filepath.Dir(shard))) {
			t.Errorf("the error does not name the shard: %v", err)
		}
		rtNoRun(t, run)
		// A truncated shard too.
		if err := os.WriteFile(shard, data[:len(data)-10], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Run(ctx, rtCfg(dir, run, "minimax", ObjectiveRegression))
		rtDataError(t, err, "corrupted shard")
		rtNoRun(t, run)
	})
	t.Run("empty task", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ds")
		rtDataset(t, dir, rtSpec{Rows: []int{300, 200}, K: 3, D: 8})
		run := filepath.Join(t.TempDir(), "run")
		_, err := Run(ctx, rtCfg(dir, run, "erm", ObjectiveRegression))
		rtDataError(t, err, "task 2 has no rows")
		rtNoRun(t, run)
	})
	t.Run("task without held-out rows", func(t *testing.T) {
		// Task 1's one row is a training row: there is nothing to
		// validate it on. That is known from the data before training,
		// and is about the data.
		dir := filepath.Join(t.TempDir(), "ds")
		rtDataset(t, dir, rtSpec{Rows: []int{300, 1}, D: 8})
		if held := rtHeldRows(t, dir); held[1] != 0 {
			t.Fatalf("task 1 has %d held-out rows", held[1])
		}
		run := filepath.Join(t.TempDir(), "run")
		_, err := Run(ctx, rtCfg(dir, run, "erm", ObjectiveRegression))
		if err == nil || !strings.Contains(err.Error(), "task 1 has no held-out rows") {
			t.Fatalf("error %v, want one about task 1's held-out rows", err)
		}
		rtDataError(t, err, "task 1")
		if _, err := os.Stat(filepath.Join(run, dataset.CheckpointFile)); err == nil {
			t.Errorf("trained before finding out: a checkpoint was written")
		}
	})
	t.Run("small task holds out one row", func(t *testing.T) {
		// Task 1's 3 rows are all training rows by the doc_id hash: the
		// row of the smallest hash is held out instead, so the task is
		// evaluated (on 1 row) and trained (on 2), and eval agrees.
		dir := filepath.Join(t.TempDir(), "ds")
		rtDataset(t, dir, rtSpec{Rows: []int{300, 3}, D: 8})
		if held := rtHeldRows(t, dir); held[1] != 0 {
			t.Fatalf("task 1 has %d held-out rows", held[1])
		}
		run := filepath.Join(t.TempDir(), "run")
		cfg := rtCfg(dir, run, "erm", ObjectiveRegression)
		ev, err := Run(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.Tasks) != 2 || ev.Tasks[1].Rows != 1 {
			t.Fatalf("eval tasks %+v, want task 1 evaluated on 1 row", ev.Tasks)
		}
		again, err := EvaluateRun(ctx, run, dir, cfg.Tokenize)
		if err != nil {
			t.Fatal(err)
		}
		if again.Tasks[1].Rows != 1 || again.Tasks[1].Loss != ev.Tasks[1].Loss {
			t.Errorf("eval after the run: task 1 %+v, the run's %+v", again.Tasks[1], ev.Tasks[1])
		}
	})
	t.Run("doremi without a reference", func(t *testing.T) {
		run := filepath.Join(t.TempDir(), "run")
		_, err := Run(ctx, rtCfg(ds, run, "doremi", ObjectiveRegression))
		if err == nil || !strings.Contains(err.Error(), "--reference") {
			t.Errorf("error %v, want one asking for --reference", err)
		}
		rtNoRun(t, run)
	})
	t.Run("doremi with another model", func(t *testing.T) {
		wide := filepath.Join(t.TempDir(), "wide")
		rtDataset(t, wide, rtSpec{Rows: []int{400, 300, 200}, D: 12})
		refD12 := filepath.Join(t.TempDir(), "ref12")
		rtRun(t, rtCfg(wide, refD12, "erm", ObjectiveRegression))
		refTok := filepath.Join(t.TempDir(), "reftok")
		rtRun(t, rtCfg(ds, refTok, "erm", ObjectiveToken))
		two := filepath.Join(t.TempDir(), "two")
		rtDataset(t, two, rtSpec{Rows: []int{400, 300}, D: 8})
		refK2 := filepath.Join(t.TempDir(), "refk2")
		rtRun(t, rtCfg(two, refK2, "erm", ObjectiveRegression))
		for _, tc := range []struct {
			name, ref, obj, want string
			vocab                int
		}{
			{"dimension", refD12, ObjectiveRegression, "dim 12", 0},
			{"objective", refTok, ObjectiveRegression, "reference run is masked-token", 0},
			{"vocabulary", refTok, ObjectiveToken, "vocab 256", 512},
			{"tasks", refK2, ObjectiveRegression, "reference run has 2 tasks", 0},
			{"missing", filepath.Join(t.TempDir(), "nothing"), ObjectiveRegression, dataset.ModelJSON, 0},
		} {
			// minimax reads an optional reference (its excess losses)
			// through the same checks.
			for _, strat := range []string{"doremi", "minimax"} {
				run := filepath.Join(t.TempDir(), "run")
				cfg := rtCfg(ds, run, strat, tc.obj)
				cfg.Reference = tc.ref
				if tc.vocab != 0 {
					cfg.Vocab = tc.vocab
				}
				_, err := Run(ctx, cfg)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s %s: error %v, want one with %q", strat, tc.name, err, tc.want)
				}
				rtNoRun(t, run)
			}
		}
	})
	t.Run("NaN", func(t *testing.T) {
		// lr 1e30: the first step's loss is finite, the update blows
		// the parameters up and the second step's loss overflows.
		run := filepath.Join(t.TempDir(), "run")
		cfg := rtCfg(ds, run, "minimax", ObjectiveRegression)
		cfg.LR, cfg.CheckpointEvery = 1e30, 1
		_, err := Run(ctx, cfg)
		var ne *NaNError
		if !errors.As(err, &ne) {
			t.Fatalf("error %v (%T), want a *NaNError", err, err)
		}
		if ne.Step != 1 || ne.Task < 0 || ne.Task >= 3 || !(math.IsNaN(ne.Loss) || math.IsInf(ne.Loss, 0)) ||
			!strings.Contains(err.Error(), fmt.Sprintf("step %d: task %d", ne.Step, ne.Task)) {
			t.Errorf("NaNError %+v: %v; want step 1 and a task", ne, err)
		}
		// The checkpoint of step 1, the last good one, is kept: the same
		// as a 1-step run's; the log holds step 0; no weights or eval.
		got := rtReadRun(t, run)
		// (A 1-step run writes its checkpoint and log, then fails to
		// evaluate its blown-up model: see TestRunNaNAtTheLastStep.)
		one := cfg
		one.Steps, one.RunDir = 1, filepath.Join(t.TempDir(), "one")
		Run(ctx, one)
		want := rtReadRun(t, one.RunDir)
		for _, name := range []string{dataset.CheckpointFile, dataset.TrainLogFile} {
			if !bytes.Equal(got[name], want[name]) {
				t.Errorf("%s is not the one of step 1", name)
			}
		}
		if got[dataset.WeightsFile] != nil || got[dataset.EvalFile] != nil {
			t.Errorf("a failed run wrote weights.json or eval.json")
		}
		f, err := safetensors.ReadFile(filepath.Join(run, dataset.CheckpointFile))
		if err != nil {
			t.Fatal(err)
		}
		if tn, ok := f.Tensor("train.step"); !ok || !bytes.Equal(tn.Data, []byte{1, 0, 0, 0, 0, 0, 0, 0}) {
			t.Errorf("the checkpoint is not the one of step 1: train.step %v", tn.Data)
		}
		for _, tn := range f.Tensors {
			if tn.DType == safetensors.DTypeF32 {
				for _, v := range rtMust(tn.Float32s()) {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("the kept checkpoint's %s holds %v", tn.Name, v)
					}
				}
			}
		}
		// Resuming fails again at the same step, leaving it as it was.
		cfg.Resume = true
		if _, err := Run(ctx, cfg); !errors.As(err, &ne) || ne.Step != 1 {
			t.Errorf("resumed: %v, want the NaN of step 1", err)
		}
		rtSameRun(t, got, rtReadRun(t, run), "after a resumed NaN")
	})
}

// TestRunNaNAtTheLastStep: when the last step's update blows the model
// up, no training loss sees it, but every validation loss is NaN or
// infinite: the run must fail with a *NaNError too, not with an error of
// the JSON encoder, and write no eval.json.
func TestRunNaNAtTheLastStep(t *testing.T) {
	ds := rtSmall(t)
	cfg := rtCfg(ds, filepath.Join(t.TempDir(), "run"), "erm", ObjectiveRegression)
	cfg.LR, cfg.Steps = 1e30, 1
	_, err := Run(context.Background(), cfg)
	var ne *NaNError
	if !errors.As(err, &ne) || strings.Contains(err.Error(), "json") {
		t.Errorf("error %v (%T), want a *NaNError", err, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.RunDir, dataset.EvalFile)); err == nil {
		t.Errorf("eval.json written")
	}
}

// rtRace tells whether the test binary was built with -race.
func rtRace() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				return true
			}
		}
	}
	return false
}

// TestRunUnequalTasks is the stated requirement: on tasks of unequal size
// (70/20/10%), the smallest also the hardest, minimax training keeps the
// worst task's validation loss at most 0.9 times erm's, with a mean within
// 5% of erm's (not above 1.05 times it), for 3 seeds.
//
// The corpus is two synthetic corpora concatenated: 54,000 documents of
// seed 1 with task sizes 70:20:0 (tasks task-00 and task-01, disjoint
// topic vocabularies), and 6,000 documents of seed 2's task-02 with topic
// overlap 0.5 (half of its topic words from seed 2's other tasks), so the
// small task has its own, more varied vocabulary. Features (LSA, 128
// dimensions, fitted on 10,000 documents) and k-means with K = 3 find the
// three generating tasks exactly; training is masked-regression of the
// semantic vectors with a small MLP (hidden 16), 600 steps of 64 examples
// per task, Adam at lr 3e-3, minimax at the default μ = 0.1 and β = 0.9.
//
// Measured with the CLI on the same dataset (minimax/erm worst ratio, mean
// ratio): seeds 1-10 give 0.685-0.810 and 0.866-0.954 at hidden 16 (seeds
// 1-3: 0.693/0.875, 0.774/0.888, 0.810/0.889); 0.682-0.813 at hidden 8.
// Not so with capacity to spare: at hidden 32 seed 8 gives 1.27, and at
// hidden 128 seeds 1-5 give 1.18, 0.97, 0.96, 0.93, 0.82: erm leaves the
// early plateau (every task's loss near 0.006) that minimax at μ = 0.1
// stays on for hundreds of steps, and once both have left it the large
// task, not the small one, has the highest loss floor (about 0.0044).
// -v also logs uniform, group-dro and doremi (reference: the erm run of
// the same seed).
func TestRunUnequalTasks(t *testing.T) {
	longtest.Skip(t, "trains 6 models on 60,000 rows (about 20 s)")
	if rtRace() {
		t.Skip("about 15 times slower with -race; the loop is single-threaded and checked by the other tests")
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	rtSynthFile(t, a, synth.Config{Docs: 54000, Tasks: 3, Sizes: []float64{70, 20, 0}, Seed: 1})
	rtSynthFile(t, b, synth.Config{Docs: 6000, Tasks: 3, Sizes: []float64{0, 0, 1}, Overlap: 0.5, Seed: 2})
	ds := filepath.Join(dir, "ds")
	ct := rtPartition(t, []string{a, b}, ds, 3, 128, 10000)
	// The partition is the generating tasks; find the small one.
	small, total := -1, 0
	var rows []int
	for ti, labels := range ct {
		if len(labels) != 1 {
			t.Fatalf("task %d mixes labels: %v", ti, labels)
		}
		n := 0
		for _, c := range labels {
			n += c
		}
		rows = append(rows, n)
		total += n
		if labels["task-02"] > 0 {
			small = ti
		}
	}
	if small < 0 || rows[small] != 6000 || slices.Min(rows) != 6000 {
		t.Fatalf("partition %v: want the 6,000 rows of task-02 as the smallest task", ct)
	}
	t.Logf("tasks: %v rows; the small task is %d", rows, small)
	base := Config{Dataset: ds, Objective: ObjectiveRegression, Temp: 0.1, Smoothing: 0.9,
		Steps: 600, PerTask: 64, LR: 3e-3, Hidden: 16}
	for seed := uint64(1); seed <= 3; seed++ {
		run := func(strategy string) *dataset.Eval {
			cfg := base
			cfg.Strategy, cfg.Seed = strategy, seed
			cfg.RunDir = filepath.Join(dir, fmt.Sprintf("%s-%d", strategy, seed))
			if strategy == "doremi" {
				// Its reference; minimax given one would weigh excess losses.
				cfg.Reference = filepath.Join(dir, fmt.Sprintf("erm-%d", seed))
			}
			ev := rtRun(t, cfg)
			var losses []string
			for _, te := range ev.Tasks {
				losses = append(losses, fmt.Sprintf("%.5f", te.Loss))
			}
			t.Logf("seed %d %-9s tasks %s  mean %.5f  worst %.5f (task %d)", seed, strategy, strings.Join(losses, " "), ev.Mean, ev.Worst, ev.WorstTask)
			return ev
		}
		erm, mm := run("erm"), run("minimax")
		t.Logf("seed %d: minimax/erm worst %.3f, mean %.3f", seed, mm.Worst/erm.Worst, mm.Mean/erm.Mean)
		if erm.WorstTask != small {
			t.Errorf("seed %d: erm's worst task is %d, not the small task %d: the setup is not what it claims", seed, erm.WorstTask, small)
		}
		if mm.Worst > 0.9*erm.Worst {
			t.Errorf("seed %d: minimax worst %.5f > 0.9 × erm's %.5f", seed, mm.Worst, erm.Worst)
		}
		if mm.Mean > 1.05*erm.Mean {
			t.Errorf("seed %d: minimax mean %.5f > 1.05 × erm's %.5f", seed, mm.Mean, erm.Mean)
		}
		if testing.Verbose() {
			for _, s := range []string{"uniform", "group-dro", "doremi"} {
				ev := run(s)
				t.Logf("seed %d: %s/erm worst %.3f, mean %.3f", seed, s, ev.Worst/erm.Worst, ev.Mean/erm.Mean)
			}
		}
	}
}

// TestRunMinimaxExcess: minimax with a reference run weighs the losses in
// excess of the reference's: the task that draws the most weight without
// a reference gets none once the reference puts it far above its loss.
func TestRunMinimaxExcess(t *testing.T) {
	ds := rtSmall(t)
	weights := func(reference string) dataset.Weights {
		t.Helper()
		cfg := rtCfg(ds, filepath.Join(t.TempDir(), "run"), "minimax", ObjectiveRegression)
		cfg.Reference = reference
		rtRun(t, cfg)
		var w dataset.Weights
		if err := readJSON(filepath.Join(cfg.RunDir, dataset.WeightsFile), &w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	plain := weights("")
	top := 0
	for k, w := range plain.Final {
		if w > plain.Final[top] {
			top = k
		}
	}
	if plain.Final[top] < 0.5 {
		t.Fatalf("without a reference the largest weight is %v (task %d): the test needs a task that draws most of it", plain.Final[top], top)
	}
	ref := filepath.Join(t.TempDir(), "ref")
	rtRun(t, rtCfg(ds, ref, "erm", ObjectiveRegression))
	var ev dataset.Eval
	if err := readJSON(filepath.Join(ref, dataset.EvalFile), &ev); err != nil {
		t.Fatal(err)
	}
	ev.Tasks[top].Loss += 100 // nothing of that task's loss is in excess
	if err := writeJSON(filepath.Join(ref, dataset.EvalFile), &ev); err != nil {
		t.Fatal(err)
	}
	excess := weights(ref)
	if excess.Final[top] > 1e-6 || excess.Average[top] > 1e-6 {
		t.Errorf("with a reference 100 above its loss task %d weighs %v (average %v), want about 0", top, excess.Final[top], excess.Average[top])
	}
}

// TestRunLogsWeights: every validation logs the mean, the worst and the
// weights the strategy has moved to.
func TestRunLogsWeights(t *testing.T) {
	ds := rtSmall(t)
	var buf bytes.Buffer
	cfg := rtCfg(ds, filepath.Join(t.TempDir(), "run"), "minimax", ObjectiveRegression)
	cfg.Patience, cfg.EvalEvery = 5, 10
	cfg.Log = slog.New(slog.NewTextHandler(&buf, nil))
	rtRun(t, cfg)
	lines := regexp.MustCompile(`msg="train: validation" step=(\d+) mean=\S+ worst=\S+ weights="\[([0-9.e\- ]+)\]"`).FindAllStringSubmatch(buf.String(), -1)
	if len(lines) != 2 { // steps 10 and 20; step 30 is the end, evaluated once
		t.Fatalf("%d validation lines with weights, want 2:\n%s", len(lines), buf.String())
	}
	for _, m := range lines {
		if n := len(strings.Fields(m[2])); n != 3 {
			t.Errorf("step %s: %d weights %q, want one per task (3)", m[1], n, m[2])
		}
	}
}
