package features

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// maxTapText bounds the bytes of one text a RowTap keeps: a longer sampled
// text is featurised from its first MiB (at a rune boundary), so that
// the sample's memory stays bounded on corpora of huge documents. It is
// the bound a sample key is computed within, so the cut text keys as the
// whole one.
const maxTapText = stream.MaxKeyText

// RowTap passes the batches of a reader through unchanged while keeping
// a uniform sample of the rows the features stage computes features for
// (not rejected upstream, text neither null nor blank): the bottom k of
// stream.SampleKeyText(seed, text), ties broken by doc_id — the rows
// partition.DrawSample with that seed draws from the features stage's
// output, whatever the order of the rows. It keeps each sampled row's text and string columns, so that
// the features of the sample can be computed once a model is fitted
// (partition of a raw corpus: the k-means sample is drawn in the same
// pass as the features sample, and no features spool is written).
//
// A RowTap serves ModeLSA and ModeVectors; the embedding column of
// ModeColumn is not kept.
type RowTap struct {
	stream.Reader
	res     *stream.BottomK
	seed    uint64
	idIdx   int // the doc_id column in the reader's schema (-1: none)
	textIdx int
	large   bool
	names   []string
	cols    []int // of names in the reader's schema (-1: absent or not a string)
	texts   [][]byte
	strs    [][]string // [slot][column]
}

// NewRowTap returns a RowTap over rd keeping k rows drawn with seed, with
// the text column textCol and the string columns named in keep (a column
// rd lacks, or that is not a string column, is left out). When rd has no
// string text column the tap keeps nothing (the features fit reading
// through it reports the error).
func NewRowTap(rd stream.Reader, textCol string, k int, seed uint64, keep ...string) *RowTap {
	t := &RowTap{Reader: rd, res: stream.NewBottomK(k), seed: seed, textIdx: -1, idIdx: -1}
	sc := rd.Schema()
	if idx := sc.FieldIndices(schema.DocIDColumn); len(idx) > 0 && sc.Field(idx[0]).Type.ID() == arrow.STRING {
		t.idIdx = idx[0]
	}
	if idx := sc.FieldIndices(textCol); len(idx) > 0 {
		switch sc.Field(idx[0]).Type.ID() {
		case arrow.STRING:
			t.textIdx = idx[0]
		case arrow.LARGE_STRING:
			t.textIdx, t.large = idx[0], true
		}
	}
	for _, name := range keep {
		if name == "" || name == textCol {
			continue
		}
		c := -1
		if idx := sc.FieldIndices(name); len(idx) > 0 && sc.Field(idx[0]).Type.ID() == arrow.STRING {
			c = idx[0]
		}
		t.names, t.cols = append(t.names, name), append(t.cols, c)
	}
	return t
}

// Read returns the next batch of the underlying reader, sampling its rows.
func (t *RowTap) Read() (arrow.RecordBatch, error) {
	rec, err := t.Reader.Read()
	if err != nil || t.textIdx < 0 {
		return rec, err
	}
	texts := newTextColumn(rec.Column(t.textIdx))
	rejects := stream.Rejects(rec)
	strCols := make([]*array.String, len(t.cols))
	for j, c := range t.cols {
		if c >= 0 {
			strCols[j], _ = rec.Column(c).(*array.String)
		}
	}
	for i := range int(rec.NumRows()) {
		if stream.IsRejected(rejects, i) || texts.IsNull(i) {
			continue
		}
		text := texts.Value(i)
		if len(trimSpace(text)) == 0 {
			continue
		}
		// The key and tie partition.DrawSample gives the row.
		slot, keep := t.res.Offer(stream.SampleKeyText(t.seed, text), stream.StringAt(rec, t.idIdx, i, 1<<10))
		if !keep {
			continue
		}
		text = append([]byte(nil), stream.CutText(text, maxTapText)...)
		strs := make([]string, len(t.cols))
		for j, col := range strCols {
			if col != nil && col.IsValid(i) {
				strs[j] = col.ValueStr(i) // a copy
			}
		}
		if slot == len(t.texts) {
			t.texts, t.strs = append(t.texts, text), append(t.strs, strs)
		} else {
			t.texts[slot], t.strs[slot] = text, strs
		}
	}
	return rec, nil
}

// Seen is the number of rows offered to the sample (the usable rows read
// so far).
func (t *RowTap) Seen() int64 { return t.res.Seen() }

// Len is the number of rows kept.
func (t *RowTap) Len() int { return len(t.texts) }

// Batches returns the kept rows in slot order as batches of at most rows
// rows (the caller releases them), and their schema: the text column first (named textCol,
// of the input's string type), then the kept string columns the input
// has. A batch's rows are all usable, so the features stage applied to
// them computes the features of every one.
func (t *RowTap) Batches(mem memory.Allocator, textCol string, rows int) (*arrow.Schema, []arrow.RecordBatch) {
	textType := arrow.DataType(arrow.BinaryTypes.String)
	if t.large {
		textType = arrow.BinaryTypes.LargeString
	}
	fields := []arrow.Field{{Name: textCol, Type: textType, Nullable: true}}
	var present []int
	for j, c := range t.cols {
		if c >= 0 {
			fields = append(fields, arrow.Field{Name: t.names[j], Type: arrow.BinaryTypes.String, Nullable: true})
			present = append(present, j)
		}
	}
	sc := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	var out []arrow.RecordBatch
	for i, text := range t.texts {
		switch tb := b.Field(0).(type) {
		case *array.StringBuilder:
			tb.BinaryBuilder.Append(text)
		case *array.LargeStringBuilder:
			tb.BinaryBuilder.Append(text)
		}
		for f, j := range present {
			b.Field(f + 1).(*array.StringBuilder).Append(t.strs[i][j])
		}
		if (i+1)%rows == 0 || i == len(t.texts)-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	return sc, out
}
