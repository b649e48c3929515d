package stream

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// missingColumn reports a column that is not in the schema, naming the ones
// that are.
func missingColumn(source, col string, sc *arrow.Schema) *DataError {
	return &DataError{Source: source, Row: -1, Column: col,
		Err: fmt.Errorf("no such column; the input has %s", columnList(sc))}
}

// columnList names a schema's columns for error messages.
func columnList(sc *arrow.Schema) string {
	names := make([]string, sc.NumFields())
	for i, f := range sc.Fields() {
		names[i] = f.Name
	}
	if len(names) == 0 {
		return "no columns"
	}
	return strings.Join(names, ", ")
}

// projectSchema keeps the named columns of sc, in that order. Every name
// must be in sc.
func projectSchema(sc *arrow.Schema, columns []string) *arrow.Schema {
	fields := make([]arrow.Field, len(columns))
	for i, col := range columns {
		fields[i] = sc.Field(sc.FieldIndices(col)[0])
	}
	md := sc.Metadata()
	return arrow.NewSchema(fields, &md)
}

// compareSchemas tells the first difference between the schema of a
// reference input and another input's, ignoring nullability and metadata,
// or "" when they agree.
func compareSchemas(ref, other *arrow.Schema) string {
	if ref.NumFields() != other.NumFields() {
		return fmt.Sprintf("it has %d columns (%s), expected %d (%s)",
			other.NumFields(), columnList(other), ref.NumFields(), columnList(ref))
	}
	for i := range ref.NumFields() {
		a, b := ref.Field(i), other.Field(i)
		if a.Name != b.Name {
			return fmt.Sprintf("column %d is %q, expected %q", i+1, b.Name, a.Name)
		}
		if !arrow.TypeEqual(a.Type, b.Type) {
			return fmt.Sprintf("column %q is %s, expected %s", a.Name, b.Type, a.Type)
		}
	}
	return ""
}

// mergeNullability returns ref with each field made nullable where other's
// is; batches of either can then be relabelled with the result.
func mergeNullability(ref, other *arrow.Schema) *arrow.Schema {
	changed := false
	fields := ref.Fields()
	for i := range fields {
		if other.Field(i).Nullable && !fields[i].Nullable {
			fields[i].Nullable = true
			changed = true
		}
	}
	if !changed {
		return ref
	}
	md := ref.Metadata()
	return arrow.NewSchema(fields, &md)
}

// relabel returns rec with schema sc when their fields differ only in
// nullability or metadata; the result is a new batch the caller releases.
func relabel(rec arrow.RecordBatch, sc *arrow.Schema) arrow.RecordBatch {
	return array.NewRecordBatch(sc, rec.Columns(), rec.NumRows())
}

// relabelColumns makes a batch of cols under sc; the caller releases it.
func relabelColumns(sc *arrow.Schema, cols []arrow.Array, rows int64) arrow.RecordBatch {
	return array.NewRecordBatch(sc, cols, rows)
}
