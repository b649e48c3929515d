package train

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/robustdata/robustdata/pipeline/dataset"

	"github.com/apache/arrow-go/v18/arrow/array"
	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/pipeline/safetensors"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// Downstream is a labelled set a run's representations are probed on.
type Downstream struct {
	// Name names the set in reports.
	Name string
	// Path is a data file (or folder, or glob) with the example column
	// (the run's text or vector column) and LabelCol.
	Path     string
	LabelCol string
}

// ParseDownstream parses NAME=PATH[:LABELCOL] (label column "label" when
// not given; the text after the last colon is the label column).
func ParseDownstream(s string) (Downstream, error) {
	name, rest, ok := strings.Cut(s, "=")
	d := Downstream{Name: name, Path: rest, LabelCol: "label"}
	if i := strings.LastIndex(rest, ":"); i > 0 {
		d.Path, d.LabelCol = rest[:i], rest[i+1:]
	}
	if !ok || strings.TrimSpace(name) == "" || d.Path == "" || d.LabelCol == "" {
		return Downstream{}, fmt.Errorf("--downstream must be NAME=PATH[:LABELCOL], not %q", s)
	}
	return d, nil
}

// ParseDownstreams parses a list of NAME=PATH[:LABELCOL], each name once.
func ParseDownstreams(list []string) ([]Downstream, error) {
	out := make([]Downstream, 0, len(list))
	seen := map[string]bool{}
	for _, s := range list {
		d, err := ParseDownstream(s)
		if err != nil {
			return nil, err
		}
		if seen[d.Name] {
			return nil, fmt.Errorf("--downstream: the name %q is used twice", d.Name)
		}
		seen[d.Name] = true
		out = append(out, d)
	}
	return out, nil
}

// maxProbeRows bounds the rows of a downstream set that are probed.
const maxProbeRows = 20000

// Probe fits a linear probe (ridge regression onto one-hot labels, on the
// frozen model's representations) on 80% of a downstream set — the rows
// whose FNV hash of their position puts them there — and returns its
// accuracy on the other 20%.
func Probe(ctx context.Context, runDir string, d Downstream, tokenize func(string) []uint64) (*dataset.ProbeResult, error) {
	var cfg Config
	if err := readJSON(filepath.Join(runDir, dataset.ModelJSON), &cfg); err != nil {
		return nil, err
	}
	cfg.defaults()
	cfg.Tokenize = tokenize
	if cfg.TaskCount < 1 {
		return nil, &stream.DataError{Source: filepath.Join(runDir, dataset.ModelJSON), Row: -1, Err: errors.New("no task_count")}
	}
	model, err := NewModel(&cfg, cfg.TaskCount)
	if err != nil {
		return nil, err
	}
	defer model.Close()
	ck := filepath.Join(runDir, dataset.CheckpointFile)
	f, err := safetensors.ReadFile(ck)
	if err != nil {
		return nil, &stream.DataError{Source: ck, Row: -1, Err: err}
	}
	if err := model.SetState(f); err != nil {
		return nil, &stream.DataError{Source: ck, Row: -1, Err: err}
	}
	exs, labels, unlabelled, err := readDownstream(ctx, d, &cfg)
	if err != nil {
		return nil, err
	}
	reps, err := represent(model, &cfg, exs)
	if err != nil {
		return nil, err
	}
	res, err := fitProbe(d.Name, reps, labels)
	if err != nil {
		return nil, err
	}
	res.Unlabelled = unlabelled
	return res, nil
}

// readDownstream reads a downstream set's examples and labels, and counts
// the rows without a label.
func readDownstream(ctx context.Context, d Downstream, cfg *Config) ([]example, []string, int, error) {
	col := cfg.TextCol
	if cfg.Objective == ObjectiveRegression {
		col = cfg.VectorCol
	}
	// rowExample reads the example from column 1.
	rd, err := stream.Open(ctx, []string{d.Path}, stream.WithColumns(d.LabelCol, col), stream.WithLimit(maxProbeRows))
	if err != nil {
		var de *stream.DataError
		if cfg.Objective == ObjectiveRegression && errors.As(err, &de) && de.Column == col {
			// A raw text file: say where the vectors come from.
			de.Err = fmt.Errorf("%w: a masked-regression run is probed on the vectors of the features stage, "+
				"so compute them first (robustdata features -i %s --model FEATURES_MODEL -o FILE, with the model the dataset's features "+
				"came from: features --model-out or partition --features-model-out), or let robustdata run do it", de.Err, d.Path)
		}
		return nil, nil, 0, err
	}
	defer rd.Close()
	lcfg := cfg.loaderConfig("")
	var exs []example
	var labels []string
	unlabelled := 0
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, 0, err
		}
		lab, ok := rec.Column(0).(*array.String)
		if !ok {
			return nil, nil, 0, &stream.DataError{Source: d.Path, Row: -1, Column: d.LabelCol, Err: fmt.Errorf("label column is %s, expected string", rec.Column(0).DataType())}
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			if lab.IsNull(i) {
				unlabelled++
				continue
			}
			lcfg.Tasks = TasksCluster
			ex, _, err := rowExample(rec, i, &lcfg)
			if err != nil {
				return nil, nil, 0, &stream.DataError{Source: d.Path, Row: -1, Column: col, Err: err}
			}
			exs = append(exs, ex)
			labels = append(labels, lab.Value(i))
		}
	}
	if len(exs) < 10 {
		return nil, nil, 0, &stream.DataError{Source: d.Path, Row: -1, Err: fmt.Errorf("%d labelled rows: a probe needs at least 10", len(exs))}
	}
	return exs, labels, unlabelled, nil
}

// represent runs examples through the model in full batches (the last one
// padded by repeating its first example) and returns their
// representations. Windows start at each text's first word.
func represent(m Model, cfg *Config, exs []example) ([][]float32, error) {
	per := cfg.TaskCount * cfg.PerTask
	var out [][]float32
	for lo := 0; lo < len(exs); lo += per {
		b := &Batch{K: cfg.TaskCount, B: cfg.PerTask}
		if cfg.Objective == ObjectiveRegression {
			b.D = cfg.Dim
		} else {
			b.W = cfg.Window
		}
		for j := range per {
			ex := exs[lo]
			if lo+j < len(exs) {
				ex = exs[lo+j]
			}
			if b.D > 0 {
				if len(ex.vec) != b.D {
					return nil, fmt.Errorf("robustdata/train: a downstream vector has %d values, the run was trained on %d", len(ex.vec), b.D)
				}
				b.X = append(b.X, ex.vec...)
				continue
			}
			for t := range b.W {
				id := int32(-1)
				if t < len(ex.tokens) {
					id = int32(ex.tokens[t] % uint64(cfg.Vocab))
				}
				b.Tokens = append(b.Tokens, id)
			}
		}
		reps, err := m.Represent(b)
		if err != nil {
			return nil, err
		}
		out = append(out, reps[:min(per, len(exs)-lo)]...)
	}
	return out, nil
}

// fitProbe splits rows 80/20 by the hash of their position, standardises
// the representations on the training part, fits ridge regression onto
// one-hot labels and returns the test accuracy.
func fitProbe(name string, reps [][]float32, labels []string) (*dataset.ProbeResult, error) {
	classes := map[string]int{}
	var names []string
	for _, l := range labels {
		if _, ok := classes[l]; !ok {
			classes[l] = 0
			names = append(names, l)
		}
	}
	sort.Strings(names)
	for i, l := range names {
		classes[l] = i
	}
	var train, test []int
	for i := range reps {
		h := fnv.New32a()
		io.WriteString(h, strconv.Itoa(i))
		if h.Sum32()%5 == 0 {
			test = append(test, i)
		} else {
			train = append(train, i)
		}
	}
	if len(train) == 0 || len(test) == 0 {
		return nil, errors.New("robustdata/train: a probe needs rows on both sides of the split")
	}
	d := len(reps[0])
	mean := make([]float64, d)
	std := make([]float64, d)
	for _, i := range train {
		for j, v := range reps[i] {
			mean[j] += float64(v) / float64(len(train))
		}
	}
	for _, i := range train {
		for j, v := range reps[i] {
			dv := float64(v) - mean[j]
			std[j] += dv * dv / float64(len(train))
		}
	}
	row := func(i int, dst []float64) {
		for j, v := range reps[i] {
			dst[j] = 0
			if std[j] > 1e-12 {
				dst[j] = (float64(v) - mean[j]) / math.Sqrt(std[j])
			}
		}
		dst[d] = 1 // bias
	}
	x := mat.NewDense(len(train), d+1, nil)
	y := mat.NewDense(len(train), len(names), nil)
	for r, i := range train {
		row(i, x.RawRowView(r))
		y.Set(r, classes[labels[i]], 1)
	}
	var xtx mat.Dense
	xtx.Mul(x.T(), x)
	lambda := 1e-2 * float64(len(train))
	for j := range d + 1 {
		xtx.Set(j, j, xtx.At(j, j)+lambda)
	}
	var xty mat.Dense
	xty.Mul(x.T(), y)
	var w mat.Dense
	if err := w.Solve(&xtx, &xty); err != nil {
		return nil, fmt.Errorf("robustdata/train: fitting the probe: %w", err)
	}
	hits := 0
	v := make([]float64, d+1)
	for _, i := range test {
		row(i, v)
		best, bc := -1e300, 0
		for c := range names {
			var s float64
			for j, xv := range v {
				s += xv * w.At(j, c)
			}
			if s > best {
				best, bc = s, c
			}
		}
		if bc == classes[labels[i]] {
			hits++
		}
	}
	return &dataset.ProbeResult{Name: name, Train: len(train), Test: len(test), Classes: len(names),
		Accuracy: float64(hits) / float64(len(test))}, nil
}
