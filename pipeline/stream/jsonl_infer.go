package stream

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// inferKind is the JSON kind seen for a key while inferring a schema.
type inferKind uint8

const (
	inferNull   inferKind = iota // only null seen so far
	inferBool                    // true/false
	inferInt                     // integer numbers that fit int64
	inferFloat                   // numbers with a fraction or exponent (or too big for int64)
	inferString                  // strings
	inferList                    // arrays
	inferObject                  // objects
)

// kindName names a kind for conflict messages, singular ("a string") or
// plural ("strings").
func kindName(k inferKind, plural bool) string {
	names := [...][2]string{
		inferNull:   {"null", "null"},
		inferBool:   {"a boolean", "booleans"},
		inferInt:    {"a number", "numbers"},
		inferFloat:  {"a number", "numbers"},
		inferString: {"a string", "strings"},
		inferList:   {"an array", "arrays"},
		inferObject: {"an object", "objects"},
	}
	if plural {
		return names[k][1]
	}
	return names[k][0]
}

// inferNode accumulates what the inferred lines hold at one place in the
// document: a top-level key, a nested key, or the elements of an array.
type inferNode struct {
	kind inferKind
	line int64  // line on which kind was first seen
	top  string // top-level key this node is under, for DataError.Column
	path string // "meta.lang" for keys, "tags" for the elements of tags
	elem bool   // the node holds array elements (of path)
	root bool   // the node is the whole line

	items  *inferNode   // array elements, for inferList
	fields []*inferNode // keys in order of first appearance, for inferObject
	names  []string
	index  map[string]int
	seen   []uint64 // stamp per field, to find duplicate keys in one object
	stamp  uint64
}

// subject names the node in messages.
func (n *inferNode) subject() string {
	if n.elem {
		return fmt.Sprintf("elements of key %q are", n.path)
	}
	return fmt.Sprintf("key %q is", n.path)
}

// observe records that kind k was seen on line; numbers widen from int64
// to float64, other changes of kind are conflicts.
func (n *inferNode) observe(k inferKind, line int64) error {
	switch {
	case n.kind == k:
	case n.kind == inferNull:
		n.kind, n.line = k, line
	case n.kind == inferInt && k == inferFloat:
		n.kind = inferFloat
	case n.kind == inferFloat && k == inferInt:
	default:
		return &DataError{Column: n.top, Row: -1, Err: fmt.Errorf(
			"%s %s on line %d but %s on line %d; give --schema to choose its type",
			n.subject(), kindName(n.kind, n.elem), n.line, kindName(k, n.elem), line)}
	}
	return nil
}

// inferObjectMembers reads the members of the object at s.pos (which holds
// '{') into n.
func inferObjectMembers(s *jsonScanner, n *inferNode, line int64, depth int) error {
	s.pos++
	n.stamp++
	s.skipWS()
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		s.skipWS()
		if s.peek() != '"' {
			return s.expected("a string key")
		}
		keyPos := s.pos
		key, err := s.str()
		if err != nil {
			return err
		}
		i, ok := n.index[string(key)]
		if !ok {
			i = len(n.fields)
			name := string(key)
			child := &inferNode{top: n.top, path: n.path + "." + name}
			if n.elem {
				child.path = n.path + "[]." + name
			}
			if n.root {
				child.top, child.path = name, name
			}
			if n.index == nil {
				n.index = map[string]int{}
			}
			n.index[name] = i
			n.names = append(n.names, name)
			n.fields = append(n.fields, child)
			n.seen = append(n.seen, 0)
		}
		child := n.fields[i]
		if n.seen[i] == n.stamp {
			return &DataError{Column: child.top, Row: -1, Err: fmt.Errorf("duplicate key %q at byte %d", child.path, keyPos)}
		}
		n.seen[i] = n.stamp
		s.skipWS()
		if s.peek() != ':' {
			return withColumn(s.expected(fmt.Sprintf("':' after key %q", n.names[i])), child.top)
		}
		s.pos++
		s.skipWS()
		if err := inferValue(s, child, line, depth+1); err != nil {
			return withColumn(err, child.top)
		}
		s.skipWS()
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return withColumn(s.expected(fmt.Sprintf("',' or '}' after the value of key %q", n.names[i])), child.top)
		}
	}
}

// inferValue reads one value at s.pos into n.
func inferValue(s *jsonScanner, n *inferNode, line int64, depth int) error {
	if depth > maxJSONDepth {
		return s.syntaxErr(s.pos, "arrays and objects nested deeper than %d", maxJSONDepth)
	}
	switch c := s.peek(); {
	case c == 'n':
		return s.literal("null")
	case c == 't' || c == 'f':
		if err := s.skipValue(depth); err != nil {
			return err
		}
		return n.observe(inferBool, line)
	case c == '"':
		if _, err := s.str(); err != nil {
			return err
		}
		return n.observe(inferString, line)
	case c == '-' || c >= '0' && c <= '9':
		num, isInt, err := s.number()
		if err != nil {
			return err
		}
		k := inferFloat
		if isInt {
			if _, err := parseSigned(num, 64); err == nil {
				k = inferInt
			}
		}
		return n.observe(k, line)
	case c == '[':
		if err := n.observe(inferList, line); err != nil {
			return err
		}
		if n.items == nil {
			n.items = &inferNode{top: n.top, path: n.path, elem: true}
			if n.elem {
				n.items.path = n.path + "[]"
			}
		}
		s.pos++
		s.skipWS()
		if s.peek() == ']' {
			s.pos++
			return nil
		}
		for {
			s.skipWS()
			if err := inferValue(s, n.items, line, depth+1); err != nil {
				return err
			}
			s.skipWS()
			switch s.peek() {
			case ',':
				s.pos++
			case ']':
				s.pos++
				return nil
			default:
				return s.expected("',' or ']' in array")
			}
		}
	case c == '{':
		if err := n.observe(inferObject, line); err != nil {
			return err
		}
		return inferObjectMembers(s, n, line, depth)
	}
	return s.badValue()
}

// dataType is the Arrow type for what was seen: strings for keys that
// were only null, list<string> for arrays that were only empty.
func (n *inferNode) dataType() arrow.DataType {
	switch n.kind {
	case inferBool:
		return arrow.FixedWidthTypes.Boolean
	case inferInt:
		return arrow.PrimitiveTypes.Int64
	case inferFloat:
		return arrow.PrimitiveTypes.Float64
	case inferList:
		if n.items == nil {
			return arrow.ListOf(arrow.BinaryTypes.String)
		}
		return arrow.ListOf(n.items.dataType())
	case inferObject:
		return arrow.StructOf(n.arrowFields()...)
	}
	return arrow.BinaryTypes.String
}

func (n *inferNode) arrowFields() []arrow.Field {
	fs := make([]arrow.Field, len(n.fields))
	for i, f := range n.fields {
		fs[i] = arrow.Field{Name: n.names[i], Type: f.dataType(), Nullable: true}
	}
	return fs
}

// withColumn sets the column of a DataError that has none, or wraps a
// plain error into a DataError for that column.
func withColumn(err error, col string) error {
	if de, ok := err.(*DataError); ok {
		if de.Column == "" {
			de.Column = col
		}
		return de
	}
	return &DataError{Column: col, Row: -1, Err: err}
}
