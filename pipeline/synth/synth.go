package synth

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/robustdata/robustdata/pipeline/schema"
)

// DefaultBatchRows is the number of rows per batch when Config.BatchRows is 0.
const DefaultBatchRows = 8192

// MaxTasks is the largest accepted Config.Tasks.
const MaxTasks = 1000

// MaxBatchBytes bounds the text bytes of one batch: a batch is closed early
// (with fewer than BatchRows rows) once its text column reaches this size, so
// that the 32-bit string offsets never overflow. Rows do not depend on batch
// boundaries, so this never changes the corpus.
const MaxBatchBytes = 1 << 30

// ErrClosed is returned by Reader.Read after Reader.Close.
var ErrClosed = errors.New("synth: read from a closed reader")

// Config describes a synthetic corpus. The zero value is not valid: set at
// least Docs and Tasks.
type Config struct {
	// Docs is the number of documents (rows), ≥ 1.
	Docs int64
	// Tasks is the number K of generating sub-tasks, 1 ≤ K ≤ MaxTasks.
	Tasks int
	// Seed selects the corpus; the same Config always yields the same rows.
	Seed uint64
	// Sizes are optional relative task sizes, len(Sizes) == Tasks (for
	// example 70, 20, 10); nil or empty means equal sizes. Each row's task is
	// drawn independently from these weights, so realised shares are
	// approximate (binomial). Entries must be finite and ≥ 0 with a
	// positive sum; a task of size 0 gets no rows.
	Sizes []float64
	// Overlap in [0, 1] is the probability that a topic-word slot of a
	// document is filled from another task's vocabulary (a uniformly chosen
	// other task) instead of its own. 0 (the default) keeps vocabularies
	// disjoint; larger values make the tasks harder to separate. Ignored
	// when Tasks == 1.
	Overlap float64
	// StyleMix in [0, 1] is the probability that a document is written in
	// the style (layout, lengths, punctuation, casing, word-kind mix) of a
	// uniformly chosen other task instead of its own; its words still come
	// from its own task. 0 (the default) keeps styles pure; it is a second
	// difficulty knob, aimed at surface-statistics features as Overlap is at
	// vocabulary features. Ignored when Tasks == 1.
	StyleMix float64
	// BatchRows is the number of rows per batch, default DefaultBatchRows.
	// It never changes the rows, only how they are cut into batches.
	BatchRows int
}

// Validate reports the first problem with c, or nil.
func (c Config) Validate() error {
	switch {
	case c.Docs < 1:
		return fmt.Errorf("synth: Docs must be ≥ 1, got %d", c.Docs)
	case c.Tasks < 1:
		return fmt.Errorf("synth: Tasks must be ≥ 1, got %d", c.Tasks)
	case c.Tasks > MaxTasks:
		return fmt.Errorf("synth: Tasks must be ≤ %d, got %d", MaxTasks, c.Tasks)
	case len(c.Sizes) != 0 && len(c.Sizes) != c.Tasks:
		return fmt.Errorf("synth: Sizes has %d entries, want Tasks = %d (or none)", len(c.Sizes), c.Tasks)
	case math.IsNaN(c.Overlap) || c.Overlap < 0 || c.Overlap > 1:
		return fmt.Errorf("synth: Overlap must be in [0, 1], got %v", c.Overlap)
	case math.IsNaN(c.StyleMix) || c.StyleMix < 0 || c.StyleMix > 1:
		return fmt.Errorf("synth: StyleMix must be in [0, 1], got %v", c.StyleMix)
	case c.BatchRows < 0:
		return fmt.Errorf("synth: BatchRows must be ≥ 0 (0 = %d), got %d", DefaultBatchRows, c.BatchRows)
	}
	total := 0.0
	for i, s := range c.Sizes {
		if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
			return fmt.Errorf("synth: Sizes[%d] must be finite and ≥ 0, got %v", i, s)
		}
		total += s
	}
	if len(c.Sizes) != 0 && (!(total > 0) || math.IsInf(total, 0)) {
		return fmt.Errorf("synth: Sizes must have a positive, finite sum, got %v", total)
	}
	return nil
}

// weights returns the normalised task shares.
func (c Config) weights() []float64 {
	w := make([]float64, c.Tasks)
	if len(c.Sizes) == 0 {
		for i := range w {
			w[i] = 1 / float64(c.Tasks)
		}
		return w
	}
	total := 0.0
	for _, s := range c.Sizes {
		total += s
	}
	for i, s := range c.Sizes {
		w[i] = s / total
	}
	return w
}

func (c Config) batchRows() int {
	if c.BatchRows == 0 {
		return DefaultBatchRows
	}
	return c.BatchRows
}

// corpusSchema is built once; arrow.Schema is immutable.
var corpusSchema = arrow.NewSchema([]arrow.Field{
	{Name: schema.DocIDColumn, Type: arrow.BinaryTypes.String, Nullable: false},
	{Name: schema.TextColumn, Type: arrow.BinaryTypes.String, Nullable: false},
	{Name: schema.LabelColumn, Type: arrow.BinaryTypes.String, Nullable: false},
}, nil)

// Schema returns the schema of every batch: doc_id, text and label, all
// non-nullable strings.
func Schema() *arrow.Schema { return corpusSchema }

// TaskNames returns the label values of k tasks: "task-00" … with the index
// zero-padded to 2 digits, or to the digits of k-1 when k > 100 (3 digits up
// to 1000 tasks). It returns nil for k < 1.
func TaskNames(k int) []string {
	if k < 1 {
		return nil
	}
	width := 2
	if k > 100 {
		width = len(strconv.Itoa(k - 1))
	}
	out := make([]string, k)
	buf := make([]byte, 0, 16)
	for i := range out {
		buf = append(buf[:0], "task-"...)
		d := strconv.Itoa(i)
		for j := len(d); j < width; j++ {
			buf = append(buf, '0')
		}
		buf = append(buf, d...)
		out[i] = string(buf)
	}
	return out
}

// TaskInfo is the known ground truth of one sub-task.
type TaskInfo struct {
	// Name is the label value ("task-03").
	Name string
	// Archetype is the style archetype's name (see ArchetypeNames).
	Archetype string
	// Share is the task's normalised size (expected share of rows).
	Share float64
	// TopicWords are the task's topic pseudo-words, most frequent first.
	TopicWords []string
}
