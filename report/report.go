package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"gonum.org/v1/plot/vg"

	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/train"
)

// FileName is the report's default file name in DIR.
const FileName = dataset.HTMLReportFile

// Defaults of Options.
const (
	DefaultSampleRows = 2000
	// maxLabels is the most labels the heat map shows one by one.
	maxLabels = 40
	// snippetBytes bounds an example's text.
	snippetBytes = 320
	// maxCurvePoints bounds the points of one loss curve.
	maxCurvePoints = 300
)

// Options configures Build.
type Options struct {
	// SampleRows is the most rows drawn, evenly, from the task shards for
	// the projection, the top terms, the examples and the stand-out
	// pattern features. Default: DefaultSampleRows (2,000).
	SampleRows int
	// LabelCol names the label column the tasks are compared with.
	// Default: the manifest's partition label_col, else a string column
	// named "label" when the shards have one, else none.
	LabelCol string
	// TextCol names the text column. Default: the manifest's features
	// text_col, else "text".
	TextCol string
	// FeaturesModel is a features model (features.SaveModel) to compute
	// the sampled rows' features with when the shards carry none (issue
	// 16: they carry them only with --keep-features). Default: the
	// dataset folder's features.model when there is one.
	FeaturesModel string
	// Log receives progress messages. Default: none.
	Log *slog.Logger
}

func (o *Options) defaults() {
	if o.SampleRows <= 0 {
		o.SampleRows = DefaultSampleRows
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Layout is where a report's inputs are.
type Layout struct {
	// Dataset is the dataset folder (manifest.json, partition.json, task
	// shards).
	Dataset string
	// Runs is the folder of the training runs (one sub-folder each), ""
	// for a bare dataset folder.
	Runs string
	// Eval is the evaluation file of the runs (downstream probes), "" for
	// a bare dataset folder.
	Eval string
}

// Locate tells what dir is: a dataset folder (it holds manifest.json) or
// the output root of robustdata run (dir/dataset/manifest.json, with
// dir/runs/ and dir/eval/eval.json). Anything else is a
// *stream.DataError.
func Locate(dir string) (Layout, error) {
	// A manifest that is there but cannot be read is named as the culprit
	// rather than taken for a missing one.
	for _, p := range []string{filepath.Join(dir, dataset.ManifestName), filepath.Join(dir, "dataset", dataset.ManifestName)} {
		st, err := os.Stat(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return Layout{}, &stream.DataError{Source: p, Row: -1, Err: errors.Unwrap(err)}
		}
		if err == nil && !st.Mode().IsRegular() {
			return Layout{}, &stream.DataError{Source: p, Row: -1,
				Err: fmt.Errorf("not a regular file (%v): a dataset holds only regular files", st.Mode().Type())}
		}
	}
	if isFile(filepath.Join(dir, dataset.ManifestName)) {
		return Layout{Dataset: dir}, nil
	}
	if isFile(filepath.Join(dir, "dataset", dataset.ManifestName)) {
		return Layout{Dataset: filepath.Join(dir, "dataset"), Runs: filepath.Join(dir, "runs"),
			Eval: filepath.Join(dir, "eval", dataset.EvalFile)}, nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return Layout{}, &stream.DataError{Source: dir, Row: -1, Err: errors.New("no such folder")}
	}
	return Layout{}, &stream.DataError{Source: dir, Row: -1,
		Err: errors.New("neither a dataset folder (manifest.json) nor the output of robustdata run (dataset/manifest.json)")}
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// Write builds the report of dir (see Build) and writes it to out
// atomically.
func Write(ctx context.Context, dir, out string, opts Options) error {
	html, err := Build(ctx, dir, opts)
	if err != nil {
		return err
	}
	return stream.WriteFileAtomic(out, func(w io.Writer) error {
		_, err := w.Write(html)
		return err
	})
}

// Build returns the HTML report of dir, a dataset folder or the output
// root of robustdata run (see Locate): one self-contained page whose
// charts are inline SVG. The same inputs and options give the same bytes.
func Build(ctx context.Context, dir string, opts Options) ([]byte, error) {
	opts.defaults()
	lay, err := Locate(dir)
	if err != nil {
		return nil, err
	}
	d, err := readDataset(ctx, lay.Dataset, opts)
	if err != nil {
		return nil, err
	}
	opts.Log.Info("report: read the dataset", "dataset", lay.Dataset, "tasks", d.k, "sampled_rows", d.sample.len(), "label_col", d.labelCol)
	var runs []*run
	var evals []namedEval
	if lay.Runs != "" {
		if runs, err = readRuns(lay.Runs); err != nil {
			return nil, err
		}
		if evals, err = readEval(lay.Eval); err != nil {
			return nil, err
		}
		opts.Log.Info("report: read the training runs", "runs", len(runs), "eval", len(evals) > 0)
	}
	pg, err := buildPage(dir, d, runs, evals)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, pg); err != nil {
		return nil, fmt.Errorf("robustdata/report: rendering the page: %w", err)
	}
	return buf.Bytes(), nil
}

// page is what the template renders.
type page struct {
	Title    string
	Dir      string
	Tool     string
	Dataset  datasetView
	Sizes    sizesView
	Proj     *projView
	ProjNote string
	Tasks    []taskView
	// TermsFromMarkdown: the top terms are those of the dataset's
	// report.md.
	TermsFromMarkdown bool
	Labels            *labelsView
	Training          *trainingView
}

type kv struct{ Key, Value string }

type inputView struct{ Path, Size, SHA256 string }

type datasetView struct {
	Facts  []kv
	Inputs []inputView
	Config []kv
}

type taskSize struct {
	Task               int
	Color              template.CSS
	Rows, Share, Bytes string
	Shards             int
}

type sizesView struct {
	SVG  template.HTML
	Rows []taskSize
	// Warnings flag the tasks holding partition.DominantShare of the
	// rows or more, with what to do.
	Warnings []string
}

type projView struct {
	SVG    template.HTML
	Points int
	Of     string
	Space  string
	PC1    string
	PC2    string
	// Between: the components are those of the task centroids.
	Between bool
	PerTask string
}

type example struct{ Text, ID string }

type taskView struct {
	Task     int
	Color    template.CSS
	Rows     string
	Share    string
	Sampled  int
	Terms    string
	StandOut string
	Examples []example
}

type labelsView struct {
	Column   string
	Rows     string
	Labels   int
	NMI      string
	ARI      string
	Purity   string
	SVG      template.HTML
	Shown    int
	Others   bool
	TopTable []labelRow
}

type labelRow struct {
	Label, Rows, Task, Share string
}

type swatch struct {
	Name  string
	Color template.CSS
	Dash  bool
}

type cell struct {
	Text   string
	Strong bool
	Best   bool
}

type table struct {
	Head []string
	Rows [][]cell
}

type runView struct {
	Name     string
	Strategy string
	Color    template.CSS
	Facts    []kv
	Note     string
}

type weightsView struct {
	Title string
	SVG   template.HTML
}

type trainingView struct {
	Runs   []runView
	Window int
	LogY   bool
	// LossSVG draws every run's worst and mean task loss.
	LossSVG template.HTML
	// SeedNote says over how many seeds each strategy ran, with the
	// spread of its worst loss when there are several.
	SeedNote string
	Weights  []weightsView
	Eval     *table
	Probes   *table
	EvalNote string
}

func buildPage(dir string, d *loaded, runs []*run, evals []namedEval) (*page, error) {
	pg := &page{Title: "robustdata report: " + filepath.Base(filepath.Clean(dir)), Dir: dir, Tool: stream.ToolVersion}
	pg.Dataset = datasetFacts(d)
	var err error
	if pg.Sizes, err = sizes(d); err != nil {
		return nil, err
	}
	if proj := d.project(); proj != nil {
		svg, err := scatterSVG(proj.xs, proj.ys, d.sample.task, d.k,
			fmt.Sprintf("PC1 (%.1f%% of the %svariance)", 100*proj.explained[0], proj.varianceOf()),
			fmt.Sprintf("PC2 (%.1f%% of the %svariance)", 100*proj.explained[1], proj.varianceOf()))
		if err != nil {
			return nil, err
		}
		pg.Proj = &projView{SVG: template.HTML(svg), Points: len(proj.xs), Of: fmtInt(d.man.TotalRows), Space: proj.space,
			PC1: fmt.Sprintf("%.1f%%", 100*proj.explained[0]), PC2: fmt.Sprintf("%.1f%%", 100*proj.explained[1]), Between: proj.between}
	} else {
		pg.ProjNote = "No projection: the shards have no pattern or semantic feature column, or fewer than three rows."
	}
	pg.Tasks, pg.TermsFromMarkdown = tasks(d)
	if d.cont != nil && d.cont.N > 0 {
		if pg.Labels, err = labels(d); err != nil {
			return nil, err
		}
	}
	if len(runs) > 0 || len(evals) > 0 {
		if pg.Training, err = training(runs, evals); err != nil {
			return nil, err
		}
	}
	return pg, nil
}

func datasetFacts(d *loaded) datasetView {
	m := d.man
	v := datasetView{}
	add := func(k, val string) { v.Facts = append(v.Facts, kv{k, val}) }
	add("dataset folder", d.dir)
	add("written by", "robustdata "+m.ToolVersion)
	add("input rows", fmtInt(m.InputRows))
	add("rows in task shards", fmtInt(m.TotalRows))
	rej := fmtInt(m.Rejected.Rows)
	if len(m.Rejected.Reasons) > 0 {
		reasons := make([]string, 0, len(m.Rejected.Reasons))
		for r := range m.Rejected.Reasons {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		var parts []string
		for _, r := range reasons {
			parts = append(parts, fmt.Sprintf("%s: %s", r, fmtInt(m.Rejected.Reasons[r])))
		}
		rej += " (" + strings.Join(parts, "; ") + ")"
	}
	add("rejected rows", rej)
	add("tasks (K)", strconv.Itoa(d.k))
	add("seed", strconv.FormatUint(m.Seed, 10))
	if m.PartitionModel != "" {
		add("partition model sha256", m.PartitionModel)
	}
	if pm := d.model; pm != nil {
		add("partition model", fmt.Sprintf("fitted on %s sampled rows, inertia %.1f, pattern weight %g, semantic weight %g",
			fmtInt(int64(pm.SampleRows)), pm.Inertia, pm.PatternWeight, pm.SemanticWeight))
		if pm.KChoice != nil {
			add("choice of K", pm.KChoice.Why)
		}
	}
	add("text column", orNone(d.textCol))
	add("label column", orNone(d.labelCol))
	for _, in := range m.Inputs {
		v.Inputs = append(v.Inputs, inputView{Path: in.Path, Size: fmtBytes(in.Bytes), SHA256: in.SHA256})
	}
	// The model's sha256 is a fact above: the configuration does not
	// repeat it.
	for _, c := range flatten("", m.Config) {
		if c.Key == "partition.model_sha256" && c.Value == m.PartitionModel {
			continue
		}
		v.Config = append(v.Config, c)
	}
	return v
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// flatten lists a configuration's values with dotted keys, sorted.
func flatten(prefix string, m map[string]any) []kv {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []kv
	for _, k := range keys {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		switch v := m[k].(type) {
		case map[string]any:
			out = append(out, flatten(name, v)...)
		case string:
			out = append(out, kv{name, v})
		case float64:
			out = append(out, kv{name, fmtNumber(v)})
		case bool:
			out = append(out, kv{name, strconv.FormatBool(v)})
		case nil:
			out = append(out, kv{name, "null"})
		default:
			b, _ := json.Marshal(v)
			out = append(out, kv{name, string(b)})
		}
	}
	return out
}

func sizes(d *loaded) (sizesView, error) {
	rows := make([]int64, d.k)
	for t, mt := range d.man.Tasks {
		rows[t] = mt.Rows
	}
	svg, err := taskBarsSVG(rows)
	if err != nil {
		return sizesView{}, err
	}
	v := sizesView{SVG: template.HTML(svg)}
	for t, mt := range d.man.Tasks {
		if partition.Dominant(mt.Rows, d.man.TotalRows, d.k) {
			v.Warnings = append(v.Warnings, partition.DominantHint(t, float64(mt.Rows)/float64(d.man.TotalRows)))
		}
	}
	for t, mt := range d.man.Tasks {
		v.Rows = append(v.Rows, taskSize{Task: t, Color: template.CSS(taskColorHex(t)), Rows: fmtInt(mt.Rows),
			Share: share(mt.Rows, d.man.TotalRows), Bytes: fmtBytes(mt.Bytes), Shards: len(mt.Shards)})
	}
	return v, nil
}

func share(n, total int64) string {
	if total <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
}

func tasks(d *loaded) ([]taskView, bool) {
	terms, fromMD := d.topTerms(8)
	stand := d.standOut(3)
	exs := d.examples(3)
	sampled := make([]int, d.k)
	for _, t := range d.sample.task {
		sampled[t]++
	}
	out := make([]taskView, d.k)
	for t, mt := range d.man.Tasks {
		v := taskView{Task: t, Color: template.CSS(taskColorHex(t)), Rows: fmtInt(mt.Rows), Share: share(mt.Rows, d.man.TotalRows),
			Sampled: sampled[t], Terms: strings.Join(terms[t], ", "), StandOut: strings.Join(stand[t], ", ")}
		for _, i := range exs[t] {
			v.Examples = append(v.Examples, example{Text: snippet(d.sample.texts[i], snippetBytes), ID: d.sample.ids[i]})
		}
		out[t] = v
	}
	return out, fromMD
}

func labels(d *loaded) (*labelsView, error) {
	c := d.cont
	v := &labelsView{Column: d.labelCol, Rows: fmtInt(c.N), Labels: len(c.Labels),
		NMI: fmt.Sprintf("%.4f", c.NMI()), ARI: fmt.Sprintf("%.4f", c.ARI()), Purity: fmt.Sprintf("%.4f", c.Purity())}
	// The largest labels first (ties in label order), at most maxLabels,
	// the others summed in one row.
	type lab struct {
		i     int
		total int64
	}
	labs := make([]lab, len(c.Labels))
	for i, row := range c.Counts {
		labs[i].i = i
		for _, x := range row {
			labs[i].total += x
		}
	}
	slices.SortStableFunc(labs, func(a, b lab) int { return compareInt(b.total, a.total) })
	var names []string
	var shares [][]float64
	addRow := func(name string, counts []int64, total int64) {
		row := make([]float64, d.k)
		best := 0
		for t, x := range counts {
			if total > 0 {
				row[t] = float64(x) / float64(total)
			}
			if x > counts[best] {
				best = t
			}
		}
		names = append(names, name)
		shares = append(shares, row)
		v.TopTable = append(v.TopTable, labelRow{Label: name, Rows: fmtInt(total), Task: strconv.Itoa(best), Share: fmt.Sprintf("%.1f%%", 100*row[best])})
	}
	shown := min(len(labs), maxLabels)
	if len(labs) > maxLabels {
		shown = maxLabels - 1
	}
	for _, l := range labs[:shown] {
		name := c.Labels[l.i]
		if name == "" {
			name = "(no label)"
		}
		addRow(name, c.Counts[l.i], l.total)
	}
	if shown < len(labs) {
		others := make([]int64, d.k)
		var total int64
		for _, l := range labs[shown:] {
			for t, x := range c.Counts[l.i] {
				others[t] += x
			}
			total += l.total
		}
		addRow(fmt.Sprintf("(%d other labels)", len(labs)-shown), others, total)
		v.Others = true
	}
	v.Shown = shown
	svg, err := heatMapSVG(names, shares, d.k)
	if err != nil {
		return nil, err
	}
	v.SVG = template.HTML(svg)
	return v, nil
}

func training(runs []*run, evals []namedEval) (*trainingView, error) {
	v := &trainingView{}
	steps := 0
	for _, r := range runs {
		if n := len(r.log); n > 0 {
			steps = max(steps, int(r.log[n-1].Step)+1)
		}
	}
	v.Window = max1(int(math.Round(float64(steps) / 25)))
	// One chart: per run (strategy), the worst and the mean task loss.
	ymin, ymax := math.Inf(1), math.Inf(-1)
	var ss []series
	for i, r := range runs {
		rv := runView{Name: r.name, Strategy: r.strategy(), Color: template.CSS(runColorHex(i))}
		if c := r.config; c != nil {
			rv.Facts = append(rv.Facts, kv{"objective", c.Objective}, kv{"tasks", orNone(c.Tasks)},
				kv{"steps", strconv.Itoa(c.Steps)}, kv{"per-task batch", strconv.Itoa(c.PerTask)},
				kv{"learning rate", strconv.FormatFloat(c.LR, 'g', -1, 64)}, kv{"seed", strconv.FormatUint(c.Seed, 10)})
			if c.Strategy == "minimax" {
				rv.Facts = append(rv.Facts, kv{"temperature", strconv.FormatFloat(c.Temp, 'g', -1, 64)}, kv{"smoothing", strconv.FormatFloat(c.Smoothing, 'g', -1, 64)})
				if c.TempWarmup > 0 {
					rv.Facts = append(rv.Facts, kv{"temperature warm-up", strconv.Itoa(c.TempWarmup) + " steps"})
				}
			}
		}
		if len(r.log) == 0 {
			rv.Note = "no " + dataset.TrainLogFile
			v.Runs = append(v.Runs, rv)
			continue
		}
		xs, worst, mean := r.worstMean(v.Window, maxCurvePoints)
		for _, ys := range [][]float64{worst, mean} {
			for _, y := range ys {
				if !math.IsNaN(y) && !math.IsInf(y, 0) {
					ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
				}
			}
		}
		c := hexColor(runColorHex(i))
		ss = append(ss, series{xs: xs, ys: worst, color: c, width: 1.8},
			series{xs: xs, ys: mean, color: c, dashes: []vg.Length{4, 2}, width: 1.2})
		v.Runs = append(v.Runs, rv)
	}
	// Losses fall fast at first: a log scale shows the runs apart later
	// on, when every loss is positive.
	logY := ymin > 0 && ymax > ymin
	v.LogY = logY
	switch {
	case logY:
		ymin, ymax = ymin/1.1, ymax*1.1
	case ymax > ymin:
		pad := 0.05 * (ymax - ymin)
		ymin, ymax = ymin-pad, ymax+pad
	}
	if len(ss) > 0 {
		svg, err := lineChartSVG("training loss: worst task (solid) and task mean (dashed)", "step", "training loss", ss, ymin, ymax, logY, 720, 360)
		if err != nil {
			return nil, err
		}
		v.LossSVG = template.HTML(svg)
	}
	v.SeedNote = seedNote(runs)
	// Final weights: one chart per kind of tasks and K, runs grouped.
	type group struct {
		kind string
		k    int
		runs []int
	}
	var groups []group
	for i, r := range runs {
		if r.weights == nil || len(r.weights.Final) == 0 {
			continue
		}
		kind, k := r.taskKind(), len(r.weights.Final)
		j := slices.IndexFunc(groups, func(g group) bool { return g.kind == kind && g.k == k })
		if j < 0 {
			groups = append(groups, group{kind: kind, k: k})
			j = len(groups) - 1
		}
		groups[j].runs = append(groups[j].runs, i)
	}
	for _, g := range groups {
		var names []string
		var vals [][]float64
		for _, i := range g.runs {
			names = append(names, runs[i].name)
			vals = append(vals, runs[i].weights.Final)
		}
		svg, err := groupedBarsSVG(names, vals, g.k, "final task weight")
		if err != nil {
			return nil, err
		}
		title := fmt.Sprintf("%d tasks", g.k)
		if g.kind == train.TasksPOS {
			title = "part-of-speech tasks (" + strings.Join(train.POSClasses[:], ", ") + ")"
		}
		v.Weights = append(v.Weights, weightsView{Title: title, SVG: template.HTML(svg)})
	}
	v.Eval = evalTable(runs)
	v.Probes = probeTable(evals)
	return v, nil
}

// seedNote says how many seeds each strategy ran with; with several, the
// mean and standard deviation of their final worst validation loss
// (eval.json), else that the comparison has no seed spread.
func seedNote(runs []*run) string {
	var order []string
	byStrategy := map[string][]*run{}
	for _, r := range runs {
		s := r.strategy()
		if _, ok := byStrategy[s]; !ok {
			order = append(order, s)
		}
		byStrategy[s] = append(byStrategy[s], r)
	}
	if len(order) == 0 {
		return ""
	}
	var parts []string
	spread := false
	for _, s := range order {
		rs := byStrategy[s]
		var worst []float64
		seeds := map[uint64]bool{}
		for _, r := range rs {
			if r.config != nil {
				seeds[r.config.Seed] = true
			}
			if r.eval != nil {
				worst = append(worst, r.eval.Worst)
			}
		}
		n := max(len(seeds), 1)
		if n < 2 || len(worst) < 2 {
			parts = append(parts, fmt.Sprintf("%s: 1 seed", s))
			continue
		}
		spread = true
		mean, sd := meanSD(worst)
		parts = append(parts, fmt.Sprintf("%s: %d seeds, worst validation loss %.4f ± %.4f (mean ± sd)", s, n, mean, sd))
	}
	note := "Seeds per strategy: " + strings.Join(parts, "; ") + "."
	if !spread {
		note += " No seed spread: each strategy ran once, so a difference between runs may be within the variation between seeds; run each strategy with several --seed values to measure it."
	}
	return note
}

// meanSD is the mean and the sample standard deviation of xs (len ≥ 2).
func meanSD(xs []float64) (float64, float64) {
	var mean float64
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// evalTable lays out the runs' eval.json: per task, mean and worst, a
// column per run; each run's worst task is strong, the lowest mean and
// worst across runs are marked best.
func evalTable(runs []*run) *table {
	var rs []*run
	k := 0
	for _, r := range runs {
		if r.eval != nil {
			rs = append(rs, r)
			k = max(k, len(r.eval.Tasks))
		}
	}
	if len(rs) == 0 {
		return nil
	}
	tb := &table{Head: []string{"task"}}
	for _, r := range rs {
		tb.Head = append(tb.Head, r.name)
	}
	for t := range k {
		row := []cell{{Text: rs[0].taskLabel(t)}}
		for _, r := range rs {
			if t < len(r.eval.Tasks) {
				row = append(row, cell{Text: fmt.Sprintf("%.4f", r.eval.Tasks[t].Loss), Strong: r.eval.WorstTask == t})
			} else {
				row = append(row, cell{Text: "–"})
			}
		}
		tb.Rows = append(tb.Rows, row)
	}
	for _, what := range []string{"mean", "worst"} {
		row := []cell{{Text: what, Strong: true}}
		best := math.Inf(1)
		for _, r := range rs {
			x := r.eval.Mean
			if what == "worst" {
				x = r.eval.Worst
			}
			best = math.Min(best, x)
		}
		for _, r := range rs {
			x := r.eval.Mean
			if what == "worst" {
				x = r.eval.Worst
			}
			row = append(row, cell{Text: fmt.Sprintf("%.4f", x), Strong: true, Best: len(rs) > 1 && x == best})
		}
		tb.Rows = append(tb.Rows, row)
	}
	row := []cell{{Text: "worst task", Strong: true}}
	for _, r := range rs {
		row = append(row, cell{Text: r.taskLabel(r.eval.WorstTask)})
	}
	tb.Rows = append(tb.Rows, row)
	return tb
}

// probeTable lays out DIR/eval/eval.json: the downstream probes'
// accuracy per run, their mean and worst, and the runs' validation mean
// and worst loss.
func probeTable(evals []namedEval) *table {
	if len(evals) == 0 {
		return nil
	}
	tb := &table{Head: []string{""}}
	var names []string
	for _, e := range evals {
		tb.Head = append(tb.Head, runLabel(e.run, evals))
		for _, p := range e.Downstream {
			if p != nil && !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
	}
	sort.Strings(names)
	acc := func(e namedEval, name string) (float64, bool) {
		for _, p := range e.Downstream {
			if p != nil && p.Name == name {
				return p.Accuracy, true
			}
		}
		return 0, false
	}
	for _, name := range names {
		row := []cell{{Text: "probe " + name}}
		for _, e := range evals {
			if a, ok := acc(e, name); ok {
				row = append(row, cell{Text: fmt.Sprintf("%.4f", a)})
			} else {
				row = append(row, cell{Text: "–"})
			}
		}
		tb.Rows = append(tb.Rows, row)
	}
	// With one probe its mean and worst are the probe itself: no rows
	// that repeat it.
	if len(names) > 1 {
		for _, what := range []string{"probe mean", "probe worst"} {
			row := []cell{{Text: what, Strong: true}}
			for _, e := range evals {
				mean, worst, n := 0.0, math.Inf(1), 0
				for _, p := range e.Downstream {
					if p != nil {
						mean += p.Accuracy
						worst = math.Min(worst, p.Accuracy)
						n++
					}
				}
				switch {
				case n == 0:
					row = append(row, cell{Text: "–"})
				case what == "probe mean":
					row = append(row, cell{Text: fmt.Sprintf("%.4f", mean/float64(n)), Strong: true})
				default:
					row = append(row, cell{Text: fmt.Sprintf("%.4f", worst), Strong: true})
				}
			}
			tb.Rows = append(tb.Rows, row)
		}
	}
	// The validation losses are in the runs' table above: not repeated.
	return tb
}

// runLabel names a run of eval.json by the last element of its path
// when no other run has the same one, else by its whole path.
func runLabel(key string, evals []namedEval) string {
	base := filepath.Base(filepath.Clean(key))
	n := 0
	for _, e := range evals {
		if filepath.Base(filepath.Clean(e.run)) == base {
			n++
		}
	}
	if n == 1 {
		return base
	}
	return key
}

// fmtNumber writes a JSON number: whole numbers without exponent.
func fmtNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// fmtInt writes n with thousands separators.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtBytes writes a size in binary units.
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, u := float64(n), 0
	for v >= unit && u < 4 {
		v /= unit
		u++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[u-1])
}
