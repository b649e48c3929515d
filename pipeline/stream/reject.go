package stream

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// RejectColumn names the column that marks the rows a stage could not
// use: null for a usable row, the reason for a rejected one. Rejected rows
// stay in the stream, so that every stage writes as many rows as it reads;
// later stages pass them through untouched, and the shard stage writes
// them to the dataset's rejected/ folder and counts them in its manifest.
const RejectColumn = "reject_reason"

// RejectField is the Arrow field of RejectColumn.
var RejectField = arrow.Field{Name: RejectColumn, Type: arrow.BinaryTypes.String, Nullable: true}

// Rejects returns the reject column of rec, or nil when rec has none.
func Rejects(rec arrow.RecordBatch) *array.String {
	idx := rec.Schema().FieldIndices(RejectColumn)
	if len(idx) == 0 {
		return nil
	}
	col, _ := rec.Column(idx[0]).(*array.String)
	return col
}

// IsRejected tells whether row i is marked rejected in col (nil: none is).
func IsRejected(col *array.String, i int) bool {
	return col != nil && col.IsValid(i)
}

// MergeRejects builds the reject column of a stage's output: the reasons
// of upstream (nil when the input had none) where set, else reasons[i]
// when not empty, else null. The caller releases the result.
func MergeRejects(upstream *array.String, reasons []string, mem memory.Allocator) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(reasons))
	for i, r := range reasons {
		switch {
		case IsRejected(upstream, i):
			b.Append(upstream.Value(i))
		case r != "":
			b.Append(r)
		default:
			b.AppendNull()
		}
	}
	return b.NewArray()
}
