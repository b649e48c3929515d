package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/train"
)

// Test corpus: three topics, each with its own label, words, semantic
// direction and pattern shift.
var testTopics = []struct {
	label string
	words []string
}{
	{"astronomy", []string{"star", "galaxy", "orbit", "planet", "telescope", "comet"}},
	{"cooking", []string{"butter", "oven", "flour", "garlic", "simmer", "recipe"}},
	{"x<i>y & co", []string{"router", "packet", "kernel", "socket", "latency", "firewall"}},
}

const (
	perTopic    = 40
	testSemDim  = 8
	testK       = 3
	scriptText  = `<script>alert("pwned")</script> star galaxy orbit`
	rejectedDoc = "corpus.parquet:999"
)

// writeCorpus writes the test corpus with its feature columns (made up,
// but clustered by topic) and one rejected row to path; it returns the
// number of usable rows.
func writeCorpus(t *testing.T, path string) int {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	names := schema.PatternNames()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "doc_id", Type: arrow.BinaryTypes.String},
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: schema.PatternColumn, Type: arrow.FixedSizeListOf(int32(len(names)), arrow.PrimitiveTypes.Float32),
			Metadata: arrow.NewMetadata([]string{patternNamesKey}, []string{strings.Join(names, ",")})},
		{Name: schema.SemanticColumn, Type: arrow.FixedSizeListOf(testSemDim, arrow.PrimitiveTypes.Float32)},
		stream.RejectField,
	}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	rng := rand.New(rand.NewPCG(7, 11))
	usable := 0
	for i := range perTopic * len(testTopics) {
		topic := i % len(testTopics)
		tp := testTopics[topic]
		var words []string
		for j := range 6 + i%5 {
			words = append(words, tp.words[(i+j*j)%len(tp.words)])
		}
		text := strings.Join(words, " ") + fmt.Sprintf(" number %d.", i)
		if i == 3 {
			text = scriptText
		}
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("corpus.parquet:%d", i))
		b.Field(1).(*array.StringBuilder).Append(text)
		b.Field(2).(*array.StringBuilder).Append(tp.label)
		pat := make([]float32, len(names))
		for j := range pat {
			pat[j] = float32(rng.NormFloat64())
		}
		pat[topic] += 3
		sem := make([]float32, testSemDim)
		for j := range sem {
			sem[j] = float32(0.1 * rng.NormFloat64())
		}
		sem[topic] += 1
		if i == 3 {
			// The <script> text sits on its topic's centre, so that it is
			// among the task's examples (nearest the centroid first).
			clear(pat)
			pat[topic] = 3
			clear(sem)
			sem[topic] = 1
		}
		lb := b.Field(3).(*array.FixedSizeListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Float32Builder).AppendValues(pat, nil)
		sb := b.Field(4).(*array.FixedSizeListBuilder)
		sb.Append(true)
		sb.ValueBuilder().(*array.Float32Builder).AppendValues(sem, nil)
		b.Field(5).AppendNull()
		usable++
	}
	// A rejected row: no text, zero features, a reason.
	b.Field(0).(*array.StringBuilder).Append(rejectedDoc)
	b.Field(1).AppendNull()
	b.Field(2).(*array.StringBuilder).Append("astronomy")
	lb := b.Field(3).(*array.FixedSizeListBuilder)
	lb.Append(true)
	lb.ValueBuilder().(*array.Float32Builder).AppendValues(make([]float32, len(names)), nil)
	sb := b.Field(4).(*array.FixedSizeListBuilder)
	sb.Append(true)
	sb.ValueBuilder().(*array.Float32Builder).AppendValues(make([]float32, testSemDim), nil)
	b.Field(5).(*array.StringBuilder).Append("empty text")
	rec := b.NewRecordBatch()
	defer rec.Release()
	w, err := stream.Create(path, sc, stream.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return usable
}

// buildDataset partitions the test corpus into K=3 tasks and writes the
// dataset folder dir (shards, manifest.json, partition.json) with the
// partition package, as robustdata partition -o dir/ does.
func buildDataset(t *testing.T, dir string) int {
	t.Helper()
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "corpus.parquet")
	usable := writeCorpus(t, src)
	cfg := partition.Config{K: testK, Seed: 1, LabelCol: "label", Workers: 2,
		PatternWeight: partition.DefaultPatternWeight, SemanticWeight: partition.DefaultSemanticWeight}
	rd, err := stream.Open(ctx, []string{src})
	if err != nil {
		t.Fatal(err)
	}
	s, err := partition.DrawSample(ctx, rd, 1000, 1, cfg, "corpus.parquet")
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	m, err := partition.Fit(ctx, s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := m.Hash()
	if err != nil {
		t.Fatal(err)
	}
	rd, err = stream.Open(ctx, []string{src})
	if err != nil {
		t.Fatal(err)
	}
	assigned, err := partition.Assign(ctx, rd, m, cfg, partition.OutputSchemaFor(rd.Schema(), m, hash), "corpus.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer assigned.Close()
	inputs, err := stream.HashInputs(ctx, []stream.Input{{Name: "corpus.parquet", Path: src}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = dataset.WriteShards(ctx, assigned, dir, dataset.ShardOptions{Tasks: m.K, KeepFeatures: true, Manifest: dataset.Manifest{
		Inputs: inputs, Seed: 1, PartitionModel: hash,
		Config: map[string]any{"partition": map[string]any{"k": float64(testK), "pattern_weight": m.PatternWeight, "label_col": "label", "model_sha256": hash}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Save(filepath.Join(dir, dataset.ModelFile)); err != nil {
		t.Fatal(err)
	}
	return usable
}

// fakeRun writes a run folder by hand: model.json, train_log.parquet,
// weights.json and eval.json.
func fakeRun(t *testing.T, dir, strategy string, steps int, offset float64) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeJSON(t, filepath.Join(dir, dataset.ModelJSON), train.Config{Dataset: "dataset", Objective: train.ObjectiveRegression,
		Tasks: train.TasksCluster, Strategy: strategy, Temp: 0.1, Smoothing: 0.9, Steps: steps, PerTask: 8, LR: 1e-3, Seed: 1, Hidden: 16, TaskCount: testK})
	var rows []dataset.LogRow
	for s := range steps {
		for k := range testK {
			rows = append(rows, dataset.LogRow{Step: int64(s), Task: int32(k), Loss: 1/(1+0.1*float64(s)) + 0.05*float64(k) + offset, Weight: 1.0 / testK})
		}
	}
	if err := parquet.WriteFile(filepath.Join(dir, dataset.TrainLogFile), rows); err != nil {
		t.Fatal(err)
	}
	writeJSON(t, filepath.Join(dir, dataset.WeightsFile), dataset.Weights{Strategy: strategy, Final: []float64{0.2, 0.3, 0.5 - offset}, Average: []float64{0.3, 0.3, 0.4}, Sizes: []int64{40, 40, 40}})
	ev := dataset.Eval{WorstTask: 2}
	for k := range testK {
		l := 0.5 + 0.1*float64(k) + offset
		ev.Tasks = append(ev.Tasks, dataset.TaskEval{Task: k, Rows: 2, Loss: l})
		ev.Mean += l / testK
		ev.Worst = l
	}
	writeJSON(t, filepath.Join(dir, dataset.EvalFile), ev)
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildRoot writes the output root of a run: root/dataset/, two runs and
// root/eval/eval.json with downstream probes.
func buildRoot(t *testing.T) (string, int) {
	t.Helper()
	root := t.TempDir()
	usable := buildDataset(t, filepath.Join(root, "dataset"))
	fakeRun(t, filepath.Join(root, "runs", "erm"), "erm", 60, 0.02)
	fakeRun(t, filepath.Join(root, "runs", "minimax"), "minimax", 60, 0)
	type entry struct {
		dataset.Eval
		Downstream []dataset.ProbeResult `json:"downstream"`
	}
	writeJSON(t, filepath.Join(root, "eval", dataset.EvalFile), map[string]entry{
		"runs/minimax": {Eval: dataset.Eval{Mean: 0.6, Worst: 0.7, WorstTask: 2, Tasks: []dataset.TaskEval{{Task: 0, Loss: 0.5}}},
			Downstream: []dataset.ProbeResult{{Name: "sentiment", Train: 80, Test: 20, Classes: 2, Accuracy: 0.8125}, {Name: "topics", Accuracy: 0.65}}},
		"runs/erm": {Eval: dataset.Eval{Mean: 0.62, Worst: 0.72, WorstTask: 2, Tasks: []dataset.TaskEval{{Task: 0, Loss: 0.52}}},
			Downstream: []dataset.ProbeResult{{Name: "sentiment", Accuracy: 0.7875}, {Name: "topics", Accuracy: 0.6}}},
	})
	return root, usable
}

// figure returns the markup of the <figure> with the given id.
func figure(t *testing.T, html, id string) string {
	t.Helper()
	i := strings.Index(html, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no figure %q", id)
	}
	j := strings.Index(html[i:], "</figure>")
	if j < 0 {
		t.Fatalf("figure %q is not closed", id)
	}
	return html[i : i+j]
}

// labelsNMI computes NMI and ARI of the labels against the tasks from the
// shards, independently of the report.
func labelsNMI(t *testing.T, dir string) (float64, float64) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "task=*", "*.parquet"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no shards in %s: %v", dir, err)
	}
	rd, err := stream.Open(context.Background(), paths, stream.WithColumns("label", "task"))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var labels []string
	var tasks []int
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lc, tc := rec.Column(0).(*array.String), rec.Column(1).(*array.Int32)
		for i := range int(rec.NumRows()) {
			labels = append(labels, lc.Value(i))
			tasks = append(tasks, int(tc.Value(i)))
		}
	}
	c, err := partition.NewContingency(labels, tasks)
	if err != nil {
		t.Fatal(err)
	}
	return c.NMI(), c.ARI()
}

// networkRef finds anything a browser would fetch: src/href/xlink:href
// to a URL or a protocol-relative path, CSS url() and @import.
var networkRef = regexp.MustCompile(`(?i)((src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(https?:|//|ftp:))|url\s*\(|@import|<script|<link|<iframe|<object|<embed`)

func checkSelfContained(t *testing.T, html string) {
	t.Helper()
	if m := networkRef.FindString(html); m != "" {
		t.Errorf("the report references something to fetch: %q", m)
	}
	for _, s := range []string{"http://", "https://"} {
		if strings.Contains(html, s) {
			t.Errorf("the report contains %q", s)
		}
	}
	for _, m := range regexp.MustCompile(`(?i)(src|href)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(html, -1) {
		if !strings.HasPrefix(m[2], "#") {
			t.Errorf("the report links to %q (only in-page anchors are allowed)", m[2])
		}
	}
}

var (
	pointPath = regexp.MustCompile(`<path d="[^"]*A2,2 [^>]*>`)
	fillPath  = regexp.MustCompile(`<path d="[^"]*" style="fill:#[0-9A-Fa-f]{6}[^"]*"`)
)

func TestReportRunRoot(t *testing.T) {
	root, usable := buildRoot(t)
	ctx := context.Background()
	out, err := Build(ctx, root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	html := string(out)

	t.Run("sections", func(t *testing.T) {
		for _, id := range []string{"dataset", "task-sizes", "projection", "tasks", "labels", "training"} {
			if !strings.Contains(html, `<section id="`+id+`">`) {
				t.Errorf("no section %q", id)
			}
		}
		for _, s := range []string{"corpus.parquet", "rejected rows", "empty text: 1", "partition.label_col", "Validation loss", "Downstream probes",
			"probe sentiment", "0.8125", "0.7875", "Final task weights", `id="run-erm"`, `id="run-minimax"`} {
			if !strings.Contains(html, s) {
				t.Errorf("the report lacks %q", s)
			}
		}
		if n := strings.Count(html, "<svg"); n != 5 { // sizes, projection, labels, loss curves, weights
			t.Errorf("%d SVG charts, want 5", n)
		}
	})
	t.Run("loss curves per strategy", func(t *testing.T) {
		fig := figure(t, html, "loss-chart")
		// Two lines per run, worst and mean: not one per task.
		if n := strings.Count(fig, `stroke-dasharray`); n < 2 {
			t.Errorf("%d dashed lines, want a mean line per run", n)
		}
		key := html[strings.Index(html, `id="loss-key"`):]
		key = key[:strings.Index(key, "</p>")]
		for _, s := range []string{"erm", "minimax", "worst task", "mean"} {
			if !strings.Contains(key, s) {
				t.Errorf("the loss chart's key lacks %q", s)
			}
		}
		if strings.Contains(html, "Training loss per task") {
			t.Error("the report still draws a loss line per task")
		}
	})
	t.Run("no repeated rows or checksums", func(t *testing.T) {
		for _, tb := range regexp.MustCompile(`(?s)<table.*?</table>`).FindAllString(html, -1) {
			seen := map[string]bool{}
			for _, row := range regexp.MustCompile(`(?s)<tr>.*?</tr>`).FindAllString(tb, -1) {
				if seen[row] {
					t.Errorf("a table repeats the row %s", row)
				}
				seen[row] = true
			}
		}
		if strings.Contains(html, "validation mean loss") {
			t.Errorf("the probe table repeats the validation losses")
		}
		counts := map[string]int{}
		for _, h := range regexp.MustCompile(`\b[0-9a-f]{64}\b`).FindAllString(html, -1) {
			counts[h]++
		}
		if len(counts) == 0 {
			t.Error("no checksum in the report")
		}
		for h, n := range counts {
			if n > 1 {
				t.Errorf("checksum %s printed %d times", h, n)
			}
		}
	})
	t.Run("seed spread", func(t *testing.T) {
		if !strings.Contains(html, `id="seed-note"`) || !strings.Contains(html, "No seed spread") {
			t.Error("the report does not say that each strategy ran with one seed")
		}
	})
	t.Run("task bars", func(t *testing.T) {
		if n := len(fillPath.FindAllString(figure(t, html, "task-sizes-chart"), -1)); n != testK {
			t.Errorf("%d bars, want %d", n, testK)
		}
	})
	t.Run("one point per sampled row", func(t *testing.T) {
		fig := figure(t, html, "projection-chart")
		if n := len(pointPath.FindAllString(fig, -1)); n != usable {
			t.Errorf("%d scatter points, want %d (every usable row: fewer than %d)", n, usable, DefaultSampleRows)
		}
		if !strings.Contains(fig, fmt.Sprintf(`data-points="%d"`, usable)) {
			t.Errorf("figure does not say %d points", usable)
		}
		for k := range testK {
			if !strings.Contains(fig, fmt.Sprintf(">task %d</text>", k)) {
				t.Errorf("the legend lacks task %d", k)
			}
		}
	})
	t.Run("NMI", func(t *testing.T) {
		nmi, ari := labelsNMI(t, filepath.Join(root, "dataset"))
		if want := fmt.Sprintf(`<b id="nmi">%.4f</b>`, nmi); !strings.Contains(html, want) {
			t.Errorf("the report lacks %s", want)
		}
		if want := fmt.Sprintf(`<b id="ari">%.4f</b>`, ari); !strings.Contains(html, want) {
			t.Errorf("the report lacks %s", want)
		}
		if nmi < 0.9 {
			t.Errorf("NMI %.4f: the test topics should separate", nmi)
		}
	})
	t.Run("escaping", func(t *testing.T) {
		if strings.Contains(strings.ToLower(html), "<script") {
			t.Error("a text's <script> reached the page unescaped")
		}
		if !strings.Contains(html, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
			t.Error("the escaped <script> text is not among the examples")
		}
		if strings.Contains(html, "x<i>y") {
			t.Error("the label x<i>y reached the page unescaped")
		}
		if !strings.Contains(html, "x&lt;i&gt;y &amp; co") {
			t.Error("the label x<i>y & co is not in the page, escaped")
		}
	})
	t.Run("self-contained", func(t *testing.T) { checkSelfContained(t, html) })
	t.Run("deterministic", func(t *testing.T) {
		again, err := Build(ctx, root, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, again) {
			t.Error("two builds differ")
		}
		p1, p2 := filepath.Join(t.TempDir(), "a.html"), filepath.Join(t.TempDir(), "b.html")
		for _, p := range []string{p1, p2} {
			if err := Write(ctx, root, p, Options{}); err != nil {
				t.Fatal(err)
			}
		}
		a, _ := os.ReadFile(p1)
		b, _ := os.ReadFile(p2)
		if !bytes.Equal(a, b) || !bytes.Equal(a, out) {
			t.Error("written reports differ")
		}
	})
}

// TestStepTicks: the step axis of the loss curves has whole steps only.
func TestStepTicks(t *testing.T) {
	for _, r := range [][2]float64{{0, 3}, {0, 7}, {0, 59}, {10, 12.5}, {0, 1000}} {
		ticks := stepTicks{}.Ticks(r[0], r[1])
		labelled := 0
		for _, tk := range ticks {
			if tk.Value != math.Trunc(tk.Value) {
				t.Errorf("range %v: a tick at %g", r, tk.Value)
			}
			if tk.Label != "" {
				labelled++
				if tk.Label != strconv.Itoa(int(tk.Value)) {
					t.Errorf("range %v: tick %g labelled %q", r, tk.Value, tk.Label)
				}
			}
		}
		if labelled < 2 {
			t.Errorf("range %v: %d labelled ticks", r, labelled)
		}
	}
}

// TestSeedNote: a strategy run with several seeds shows the spread of its
// worst loss; one seed per strategy says there is none.
func TestSeedNote(t *testing.T) {
	mk := func(strategy string, seed uint64, worst float64) *run {
		return &run{name: strategy, config: &train.Config{Strategy: strategy, Seed: seed}, eval: &dataset.Eval{Worst: worst}}
	}
	one := seedNote([]*run{mk("erm", 1, 0.5), mk("minimax", 1, 0.4)})
	if !strings.Contains(one, "No seed spread") || !strings.Contains(one, "erm: 1 seed") {
		t.Errorf("one seed each: %q", one)
	}
	three := seedNote([]*run{mk("minimax", 1, 0.4), mk("minimax", 2, 0.5), mk("minimax", 3, 0.6)})
	if !strings.Contains(three, "minimax: 3 seeds, worst validation loss 0.5000 ± 0.1000") || strings.Contains(three, "No seed spread") {
		t.Errorf("three seeds: %q", three)
	}
}

func TestReportDatasetFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ds")
	usable := buildDataset(t, dir)
	out, err := Build(context.Background(), dir, Options{SampleRows: 30})
	if err != nil {
		t.Fatal(err)
	}
	html := string(out)
	if strings.Contains(html, `id="training"`) {
		t.Error("a bare dataset folder got a training section")
	}
	if !strings.Contains(html, `id="labels"`) {
		t.Error("no labels section")
	}
	if n := len(pointPath.FindAllString(figure(t, html, "projection-chart"), -1)); n != 30 {
		t.Errorf("%d points with --sample 30, want 30 (of %d rows)", n, usable)
	}
	checkSelfContained(t, html)

	// Without labels (another label column is refused).
	if _, err := Build(context.Background(), dir, Options{LabelCol: "nope"}); !stream.IsDataError(err) {
		t.Errorf("unknown label column: %v, want a data error", err)
	}
}

func TestReportLocate(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		dir  string
	}{
		{"missing", filepath.Join(dir, "nope")},
		{"empty folder", dir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Locate(tc.dir)
			if !stream.IsDataError(err) {
				t.Errorf("Locate(%s) = %v, want a data error", tc.dir, err)
			}
		})
	}
}

func TestReportBrokenRunFiles(t *testing.T) {
	root, _ := buildRoot(t)
	if err := os.WriteFile(filepath.Join(root, "runs", "erm", dataset.WeightsFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), root, Options{})
	if !stream.IsDataError(err) || !strings.Contains(err.Error(), dataset.WeightsFile) {
		t.Errorf("broken weights.json: %v, want a data error naming it", err)
	}
}

func TestReportQuotas(t *testing.T) {
	for _, tc := range []struct {
		rows []int64
		n    int
		want []int64
	}{
		{[]int64{10, 20}, 100, []int64{10, 20}},
		{[]int64{100, 100}, 10, []int64{5, 5}},
		{[]int64{1000, 10, 2}, 100, []int64{93, 5, 2}},
		{[]int64{0, 50, 50}, 11, []int64{0, 6, 5}},
		{[]int64{3, 3, 3, 3}, 2, []int64{1, 1, 0, 0}},
	} {
		got := quotas(tc.rows, tc.n)
		if !slices.Equal(got, tc.want) {
			t.Errorf("quotas(%v, %d) = %v, want %v", tc.rows, tc.n, got, tc.want)
		}
		var sum int64
		for t2, q := range got {
			sum += q
			if q > tc.rows[t2] {
				t.Errorf("quotas(%v, %d): task %d gets %d > its rows", tc.rows, tc.n, t2, q)
			}
		}
		var total int64
		for _, r := range tc.rows {
			total += r
		}
		if sum != min(total, int64(tc.n)) {
			t.Errorf("quotas(%v, %d) sum to %d", tc.rows, tc.n, sum)
		}
	}
}

// TestSizesFlagDominantTask: a task holding 45% of the rows or more is
// flagged with a hint; tasks of equal size are not.
func TestSizesFlagDominantTask(t *testing.T) {
	for _, tc := range []struct {
		rows []int64
		want string
	}{
		{[]int64{10, 80, 10}, "task 1 holds 80.0% of the rows"},
		{[]int64{34, 33, 33}, ""},
	} {
		d := &loaded{k: len(tc.rows), man: &dataset.Manifest{}}
		for _, n := range tc.rows {
			d.man.Tasks = append(d.man.Tasks, dataset.ManifestTask{Rows: n})
			d.man.TotalRows += n
		}
		v, err := sizes(d)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(v.Warnings, "\n")
		if tc.want == "" && got != "" || tc.want != "" && (!strings.Contains(got, tc.want) || !strings.Contains(got, "--k")) {
			t.Errorf("rows %v: warnings %q, want %q", tc.rows, got, tc.want)
		}
	}
}
