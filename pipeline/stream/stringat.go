package stream

import (
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// StringAt returns the start of row i of string column idx of rec, at
// most max bytes cut at a rune boundary, as a copy that outlives rec; ""
// when idx < 0, the column is not a string column or the value is null.
func StringAt(rec arrow.RecordBatch, idx, i, max int) string {
	if idx < 0 {
		return ""
	}
	col, ok := rec.Column(idx).(*array.String)
	if !ok || col.IsNull(i) {
		return ""
	}
	s := col.Value(i)
	if len(s) > max {
		n := max
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return strings.Clone(s)
}
