package stream

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DataError reports input data that cannot be used: a missing, truncated or
// mis-formatted file, a line of JSON that does not parse, a column of the
// wrong type, schemas that disagree between files. Its message is one line
// that names the file and, where known, the line or row and the column.
type DataError struct {
	// Source is the file the problem is in, as the user named it ("-" or
	// "stdin" for standard input).
	Source string
	// Line is the 1-based line number for line-oriented inputs (JSONL), or 0.
	Line int64
	// Row is the 0-based row index within Source when Line is not known,
	// or -1 when no row applies.
	Row int64
	// Column names the column concerned, or "".
	Column string
	// Err describes what was expected.
	Err error
}

// Error formats the problem as "source: line N: column "c": what".
func (e *DataError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	switch {
	case e.Line > 0:
		b.WriteString(": line ")
		b.WriteString(strconv.FormatInt(e.Line, 10))
	case e.Row >= 0:
		b.WriteString(": row ")
		b.WriteString(strconv.FormatInt(e.Row, 10))
	}
	if e.Column != "" {
		b.WriteString(": column ")
		b.WriteString(strconv.Quote(e.Column))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(oneLine(e.Err.Error()))
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *DataError) Unwrap() error { return e.Err }

// dataErr is a shorthand for a DataError without line or row.
func dataErr(source string, format string, args ...any) *DataError {
	return &DataError{Source: source, Row: -1, Err: fmt.Errorf(format, args...)}
}

// IsDataError reports whether err, or an error it wraps, is a *DataError.
func IsDataError(err error) bool {
	var de *DataError
	return errors.As(err, &de)
}

// oneLine folds a multi-line message (arrow-go's schema mismatch messages
// span lines) into one line, so every error stays one line on stderr.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	f := strings.Fields(s)
	return strings.Join(f, " ")
}
