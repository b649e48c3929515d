package stream

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestStringAt(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"héllo", ""}, []bool{true, false})
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{1, 2}, nil)
	s, n := sb.NewArray(), ib.NewArray()
	sb.Release()
	ib.Release()
	sc := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec := array.NewRecordBatch(sc, []arrow.Array{s, n}, 2)
	s.Release()
	n.Release()
	defer rec.Release()
	for _, c := range []struct {
		idx, row, max int
		want          string
	}{
		{0, 0, 10, "héllo"},
		{0, 0, 3, "hé"}, // "é" is 2 bytes: 3 bytes hold it whole
		{0, 0, 2, "h"},  // a cut inside "é" steps back to its start
		{0, 0, 0, ""},
		{0, 1, 10, ""},  // null
		{1, 0, 10, ""},  // not a string column
		{-1, 0, 10, ""}, // no column
	} {
		if got := StringAt(rec, c.idx, c.row, c.max); got != c.want {
			t.Errorf("StringAt(col %d, row %d, max %d) = %q, want %q", c.idx, c.row, c.max, got, c.want)
		}
	}
}
