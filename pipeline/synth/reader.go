package synth

import (
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/arrio"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var _ arrio.Reader = (*Reader)(nil)

// Reader streams the rows of a synthetic corpus as Arrow record batches. It
// follows the arrio.Reader contract. A Reader is not safe for concurrent use;
// independent Readers (for example over disjoint row ranges of the same
// Config) share nothing mutable.
type Reader struct {
	cfg   Config
	g     *gen
	mem   memory.Allocator
	d     docGen
	rows  int // rows per batch
	next  int64
	cur   arrow.RecordBatch
	close bool

	ids, text, labels *array.StringBuilder
	idBuf             []byte
	idPrefix          int
	avgDoc            int // running estimate of text bytes per row, for reservations
}

// NewReader validates cfg, builds the corpus model (vocabularies and styles,
// a few milliseconds) and returns a Reader positioned at row 0. mem nil means
// memory.DefaultAllocator.
func NewReader(cfg Config, mem memory.Allocator) (*Reader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	g, err := newGen(cfg)
	if err != nil {
		return nil, err
	}
	cfg.Sizes = append([]float64(nil), cfg.Sizes...)
	r := &Reader{
		cfg:    cfg,
		g:      g,
		mem:    mem,
		d:      docGen{g: g, buf: make([]byte, 0, 16<<10)},
		rows:   cfg.batchRows(),
		ids:    array.NewStringBuilder(mem),
		text:   array.NewStringBuilder(mem),
		labels: array.NewStringBuilder(mem),
		avgDoc: 1024,
	}
	r.idBuf = append(r.idBuf, "synth:"...)
	r.idBuf = strconv.AppendUint(r.idBuf, cfg.Seed, 10)
	r.idBuf = append(r.idBuf, ':')
	r.idPrefix = len(r.idBuf)
	return r, nil
}

// Schema returns Schema().
func (r *Reader) Schema() *arrow.Schema { return corpusSchema }

// Tasks returns the ground truth of every task, indexed like TaskNames.
func (r *Reader) Tasks() []TaskInfo {
	w := r.cfg.weights()
	out := make([]TaskInfo, len(r.g.tasks))
	for t := range r.g.tasks {
		tk := &r.g.tasks[t]
		words := make([]string, TopicWords)
		for i := range words {
			words[i] = r.g.voc.str(int(tk.topicBase) + i)
		}
		out[t] = TaskInfo{
			Name:       string(tk.label),
			Archetype:  archetypes[tk.style.arch].name,
			Share:      w[t],
			TopicWords: words,
		}
	}
	return out
}

// Read returns the next batch of up to BatchRows rows, or (nil, io.EOF)
// after the last row. The batch is owned by the Reader and valid until the
// next call to Read or Close; Retain it to keep it longer. After Close, Read
// returns ErrClosed.
func (r *Reader) Read() (arrow.RecordBatch, error) {
	if r.close {
		return nil, ErrClosed
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.next >= r.cfg.Docs {
		return nil, io.EOF
	}
	n := int(min(int64(r.rows), r.cfg.Docs-r.next))
	r.ids.Reserve(n)
	r.labels.Reserve(n)
	r.text.Reserve(n)
	r.ids.ReserveData(n * (r.idPrefix + 10))
	r.labels.ReserveData(n * len(r.g.tasks[0].label))
	r.text.ReserveData(min(n*(r.avgDoc+r.avgDoc/8), MaxBatchBytes))
	got := 0
	for got < n && r.text.DataLen() < MaxBatchBytes {
		row := r.next + int64(got)
		t := r.d.doc(uint64(row))
		r.text.BinaryBuilder.Append(r.d.buf)
		r.labels.BinaryBuilder.Append(r.g.tasks[t].label)
		r.idBuf = strconv.AppendInt(r.idBuf[:r.idPrefix], row, 10)
		r.ids.BinaryBuilder.Append(r.idBuf)
		got++
	}
	r.next += int64(got)
	r.avgDoc = max(64, r.text.DataLen()/got)
	cols := [3]arrow.Array{r.ids.NewArray(), r.text.NewArray(), r.labels.NewArray()}
	r.cur = array.NewRecordBatch(corpusSchema, cols[:], int64(got))
	for _, c := range cols {
		c.Release()
	}
	return r.cur, nil
}

// Close releases the current batch and the builders. It is idempotent and
// always returns nil.
func (r *Reader) Close() error {
	if r.close {
		return nil
	}
	r.close = true
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.ids.Release()
	r.text.Release()
	r.labels.Release()
	return nil
}
