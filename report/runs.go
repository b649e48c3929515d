package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/parquet-go/parquet-go"

	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/train"
)

// run is one training run folder (DIR/runs/NAME/).
type run struct {
	name    string
	dir     string
	config  *train.Config  // model.json, nil when absent
	log     []train.LogRow // train_log.parquet, sorted by step then task
	weights *train.Weights // weights.json
	eval    *train.Eval    // eval.json
}

// strategy is the run's strategy as its files say, else its folder name.
func (r *run) strategy() string {
	switch {
	case r.weights != nil && r.weights.Strategy != "":
		return r.weights.Strategy
	case r.config != nil && r.config.Strategy != "":
		return r.config.Strategy
	}
	return r.name
}

// taskKind is "pos" for part-of-speech tasks, else "cluster".
func (r *run) taskKind() string {
	if r.config != nil && r.config.Tasks == train.TasksPOS {
		return train.TasksPOS
	}
	return train.TasksCluster
}

// tasks is the number of tasks the run's files show.
func (r *run) tasks() int {
	k := 0
	if r.config != nil {
		k = r.config.TaskCount
	}
	if r.weights != nil {
		k = max(k, len(r.weights.Final))
	}
	if r.eval != nil {
		k = max(k, len(r.eval.Tasks))
	}
	for _, l := range r.log {
		k = max(k, int(l.Task)+1)
	}
	return k
}

// taskLabel names task t of the run.
func (r *run) taskLabel(t int) string {
	if r.taskKind() == train.TasksPOS && t < len(train.POSClasses) {
		return train.POSClasses[t]
	}
	return fmt.Sprintf("%d", t)
}

// readRuns reads every run folder under dir (sorted by name); folders
// with none of a run's files are skipped.
func readRuns(dir string) ([]*run, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("robustdata/report: reading %s: %w", dir, err)
	}
	var runs []*run
	for _, e := range entries {
		if !e.IsDir() || e.Name()[0] == '.' || e.Name()[0] == '_' {
			continue
		}
		r, err := readRun(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if r != nil {
			runs = append(runs, r)
		}
	}
	return runs, nil
}

// readRun reads one run folder, or returns nil when it holds none of a
// run's files.
func readRun(dir string) (*run, error) {
	r := &run{name: filepath.Base(dir), dir: dir}
	found := false
	var cfg train.Config
	if ok, err := readJSONFile(filepath.Join(dir, train.ModelJSON), &cfg); err != nil {
		return nil, err
	} else if ok {
		r.config, found = &cfg, true
	}
	var w train.Weights
	if ok, err := readJSONFile(filepath.Join(dir, train.WeightsFile), &w); err != nil {
		return nil, err
	} else if ok {
		r.weights, found = &w, true
	}
	var ev train.Eval
	if ok, err := readJSONFile(filepath.Join(dir, train.EvalFile), &ev); err != nil {
		return nil, err
	} else if ok {
		r.eval, found = &ev, true
	}
	lp := filepath.Join(dir, train.TrainLogFile)
	if _, err := os.Stat(lp); err == nil {
		rows, err := parquet.ReadFile[train.LogRow](lp)
		if err != nil {
			return nil, &stream.DataError{Source: lp, Row: -1, Err: fmt.Errorf("cannot read the training log: %v", err)}
		}
		slices.SortStableFunc(rows, func(a, b train.LogRow) int {
			if a.Step != b.Step {
				return compareInt(a.Step, b.Step)
			}
			return compareInt(int64(a.Task), int64(b.Task))
		})
		r.log, found = rows, true
	}
	if !found {
		return nil, nil
	}
	return r, nil
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// readJSONFile decodes path into v; it returns false when the file does
// not exist and a *stream.DataError when it is not valid JSON.
func readJSONFile(path string, v any) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, &stream.DataError{Source: path, Row: -1, Err: fmt.Errorf("cannot read: %v", err)}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, &stream.DataError{Source: path, Row: -1, Err: fmt.Errorf("not valid JSON: %v", err)}
	}
	return true, nil
}

// evalEntry is one run of DIR/eval/eval.json, as `robustdata eval --json`
// prints it: the run's validation losses and its downstream probes.
type evalEntry struct {
	Tasks      []train.TaskEval     `json:"tasks"`
	Mean       float64              `json:"mean"`
	Worst      float64              `json:"worst"`
	WorstTask  int                  `json:"worst_task"`
	Downstream []*train.ProbeResult `json:"downstream"`
}

// namedEval is an evalEntry and the run it is of.
type namedEval struct {
	run string
	evalEntry
}

// readEval reads DIR/eval/eval.json: an object keyed by run (what
// `robustdata eval --json` prints), or a single run's entry. It returns
// nil when the file does not exist.
func readEval(path string) ([]namedEval, error) {
	var raw map[string]json.RawMessage
	ok, err := readJSONFile(path, &raw)
	if err != nil || !ok {
		return nil, err
	}
	bad := func(err error) error {
		return &stream.DataError{Source: path, Row: -1, Err: fmt.Errorf("not an evaluation (robustdata eval --json): %v", err)}
	}
	if _, single := raw["tasks"]; single {
		var e evalEntry
		if err := json.Unmarshal(mustJSON(raw), &e); err != nil {
			return nil, bad(err)
		}
		return []namedEval{{run: "eval", evalEntry: e}}, nil
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]namedEval, 0, len(keys))
	for _, k := range keys {
		var e evalEntry
		dec := json.NewDecoder(bytes.NewReader(raw[k]))
		if err := dec.Decode(&e); err != nil {
			return nil, bad(fmt.Errorf("%q: %v", k, err))
		}
		out = append(out, namedEval{run: k, evalEntry: e})
	}
	return out, nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// worstMean returns, per logged step, the worst (largest) and the mean
// of the tasks' training losses, each smoothed by a moving average over
// window steps, at no more than maxPoints steps.
func (r *run) worstMean(window, maxPoints int) (xs, worst, mean []float64) {
	type agg struct {
		step     int64
		max, sum float64
		n        int
	}
	var steps []agg
	for _, l := range r.log { // sorted by step then task
		if l.Task < 0 {
			continue
		}
		if len(steps) == 0 || steps[len(steps)-1].step != l.Step {
			steps = append(steps, agg{step: l.Step, max: math.Inf(-1)})
		}
		a := &steps[len(steps)-1]
		a.max = math.Max(a.max, l.Loss)
		a.sum += l.Loss
		a.n++
	}
	n := len(steps)
	stride := max1((n + maxPoints - 1) / maxPoints)
	var sw, sm float64
	for i, a := range steps {
		sw += a.max
		sm += a.sum / float64(a.n)
		if i >= window {
			old := steps[i-window]
			sw -= old.max
			sm -= old.sum / float64(old.n)
		}
		if i%stride == 0 || i == n-1 {
			w := float64(min(i+1, window))
			xs = append(xs, float64(a.step))
			worst = append(worst, sw/w)
			mean = append(mean, sm/w)
		}
	}
	return xs, worst, mean
}
