package train

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// MixShard is one shard of a mixture: its path (relative to the
// dataset), its task and the probability of drawing from it.
type MixShard struct {
	Path        string  `json:"path"`
	Task        int     `json:"task"`
	Rows        int64   `json:"rows"`
	Probability float64 `json:"probability"`
}

// Mixture is a run's task weights spread over a dataset's shards: a
// shard's probability is its task's weight times its share of the task's
// rows. Its JSON form is what `robustdata mix --json` writes; Paths and
// Probabilities are the two lists datasets.interleave_datasets takes.
type Mixture struct {
	Run           string     `json:"run"`
	Strategy      string     `json:"strategy"`
	Weights       string     `json:"weights"` // "average" or "final"
	TaskWeights   []float64  `json:"task_weights"`
	Shards        []MixShard `json:"shards"`
	Paths         []string   `json:"paths"`
	Probabilities []float64  `json:"probabilities"`
}

// NewMixture reads the run's weights.json (its time-averaged weights, or
// with final its last ones) and spreads them over the shards of the
// dataset in datasetDir, which must have as many tasks as the run.
func NewMixture(runDir, datasetDir string, final bool) (*Mixture, error) {
	var w Weights
	if err := readJSON(filepath.Join(runDir, WeightsFile), &w); err != nil {
		return nil, err
	}
	m, err := stream.ReadManifest(datasetDir)
	if err != nil {
		return nil, err
	}
	tw, which := w.Average, "average"
	if final || len(tw) == 0 {
		tw, which = w.Final, "final"
	}
	if len(tw) != len(m.Tasks) {
		return nil, &stream.DataError{Source: filepath.Join(runDir, WeightsFile), Row: -1,
			Err: fmt.Errorf("%d task weights; the dataset %s has %d tasks", len(tw), datasetDir, len(m.Tasks))}
	}
	var sum float64
	for k, x := range tw {
		if !(x >= 0) || x > 1 {
			return nil, &stream.DataError{Source: filepath.Join(runDir, WeightsFile), Row: -1, Err: fmt.Errorf("task %d has weight %v", k, x)}
		}
		sum += x
	}
	mix := &Mixture{Run: runDir, Strategy: w.Strategy, Weights: which}
	for k, t := range m.Tasks {
		// Weights renormalised over the tasks that have rows.
		if t.Rows == 0 {
			tw[k] = 0
		}
	}
	sum = 0
	for _, x := range tw {
		sum += x
	}
	if sum <= 0 {
		return nil, &stream.DataError{Source: filepath.Join(runDir, WeightsFile), Row: -1, Err: fmt.Errorf("no weight on a task with rows")}
	}
	for k := range tw {
		tw[k] /= sum
	}
	mix.TaskWeights = tw
	for k, t := range m.Tasks {
		for _, s := range t.Shards {
			if t.Rows == 0 || s.Rows == 0 {
				continue
			}
			p := tw[k] * float64(s.Rows) / float64(t.Rows)
			mix.Shards = append(mix.Shards, MixShard{Path: s.Path, Task: k, Rows: s.Rows, Probability: p})
			mix.Paths = append(mix.Paths, s.Path)
			mix.Probabilities = append(mix.Probabilities, p)
		}
	}
	return mix, nil
}

// WriteBlend writes the mixture as a Megatron-LM blend list: one
// "weight path" line per shard, the pairs that --data-path takes (after
// each shard is converted to Megatron's .bin/.idx under the same name
// without its extension; prefix is put before every path).
func (m *Mixture) WriteBlend(w io.Writer, prefix string) error {
	bw := bufio.NewWriter(w)
	for _, s := range m.Shards {
		fmt.Fprintf(bw, "%s %s\n", strconv.FormatFloat(s.Probability, 'g', 17, 64), prefix+strings.TrimSuffix(s.Path, filepath.Ext(s.Path)))
	}
	return bw.Flush()
}

// WriteJSON writes the mixture as indented JSON.
func (m *Mixture) WriteJSON(w io.Writer) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// ReadBlend reads a blend list that WriteBlend wrote: the weight of each
// path, in order.
func ReadBlend(r io.Reader) (paths []string, weights []float64, err error) {
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, nil, fmt.Errorf("robustdata/train: blend list line %d: want \"weight path\", got %q", line, sc.Text())
		}
		x, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return nil, nil, fmt.Errorf("robustdata/train: blend list line %d: %w", line, err)
		}
		weights = append(weights, x)
		paths = append(paths, f[1])
	}
	return paths, weights, sc.Err()
}
