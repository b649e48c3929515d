package stream

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
)

// maxSchemaDepth bounds the nesting of list and struct types in a schema
// spec, so that a hostile spec cannot exhaust the stack.
const maxSchemaDepth = 64

// schemaTypeNames are the primitive type names ParseSchema accepts.
var schemaTypeNames = []string{
	"string", "large_string", "binary", "large_binary", "bool",
	"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
	"float32", "float64",
	"list", "large_list", "fixed_size_list", "struct",
}

// ParseSchema parses a compact schema spec such as
//
//	doc_id:string,text:string,score:float32,tags:list<string>,
//	emb:fixed_size_list<float32>[384],meta:struct<lang:string,year:int16>
//
// A spec is a comma-separated list of name:type. The types are string,
// large_string, binary, large_binary, bool, int8, int16, int32, int64, uint8,
// uint16, uint32, uint64, float32, float64, list<T>, large_list<T>,
// fixed_size_list<T>[N] (N ≥ 1) and struct<name:T,...>. Spaces between
// tokens are ignored. A name that holds a character other than letters,
// digits and punctuation outside ':,<>[]"' (or is empty) is written in double
// quotes with Go/JSON escapes, for example "a:b":string. Every field, list
// element and struct member is nullable; list elements are named "item".
//
// Errors name the spec and the 1-based character position of the problem.
func ParseSchema(spec string) (*arrow.Schema, error) {
	p := &specParser{spec: spec}
	p.skipSpace()
	if p.pos == len(p.spec) {
		return nil, p.errAt(0, "empty schema (want name:type,name:type,...)")
	}
	fields, err := p.fieldList(0, 0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.spec) {
		return nil, p.errAt(p.pos, "unexpected %s after the last field (want ',')", p.describe(p.pos))
	}
	return arrow.NewSchema(fields, nil), nil
}

// FormatSchema writes s in the syntax ParseSchema reads, so that
// ParseSchema(FormatSchema(s)) gives s back for the types ParseSchema knows
// (nullability and list element names are not kept). Other types are
// written as arrow-go names them (for example "timestamp[ms, tz=UTC]"),
// which is fine for messages but does not parse back.
func FormatSchema(s *arrow.Schema) string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	for i, f := range s.Fields() {
		if i > 0 {
			b.WriteByte(',')
		}
		formatField(&b, f)
	}
	return b.String()
}

func formatField(b *strings.Builder, f arrow.Field) {
	b.WriteString(formatSchemaName(f.Name))
	b.WriteByte(':')
	formatType(b, f.Type)
}

func formatType(b *strings.Builder, dt arrow.DataType) {
	switch t := dt.(type) {
	case *arrow.StringType:
		b.WriteString("string")
	case *arrow.LargeStringType:
		b.WriteString("large_string")
	case *arrow.BinaryType:
		b.WriteString("binary")
	case *arrow.LargeBinaryType:
		b.WriteString("large_binary")
	case *arrow.BooleanType:
		b.WriteString("bool")
	case *arrow.Int8Type:
		b.WriteString("int8")
	case *arrow.Int16Type:
		b.WriteString("int16")
	case *arrow.Int32Type:
		b.WriteString("int32")
	case *arrow.Int64Type:
		b.WriteString("int64")
	case *arrow.Uint8Type:
		b.WriteString("uint8")
	case *arrow.Uint16Type:
		b.WriteString("uint16")
	case *arrow.Uint32Type:
		b.WriteString("uint32")
	case *arrow.Uint64Type:
		b.WriteString("uint64")
	case *arrow.Float32Type:
		b.WriteString("float32")
	case *arrow.Float64Type:
		b.WriteString("float64")
	case *arrow.ListType:
		b.WriteString("list<")
		formatType(b, t.Elem())
		b.WriteByte('>')
	case *arrow.LargeListType:
		b.WriteString("large_list<")
		formatType(b, t.Elem())
		b.WriteByte('>')
	case *arrow.FixedSizeListType:
		b.WriteString("fixed_size_list<")
		formatType(b, t.Elem())
		b.WriteString(">[")
		b.WriteString(strconv.FormatInt(int64(t.Len()), 10))
		b.WriteByte(']')
	case *arrow.StructType:
		b.WriteString("struct<")
		for i, f := range t.Fields() {
			if i > 0 {
				b.WriteByte(',')
			}
			formatField(b, f)
		}
		b.WriteByte('>')
	default:
		if dt == nil {
			b.WriteString("null")
			return
		}
		b.WriteString(dt.String())
	}
}

// formatSchemaName returns name bare when ParseSchema reads it back as is,
// else quoted.
func formatSchemaName(name string) string {
	if name == "" || !utf8.ValidString(name) {
		return strconv.Quote(name)
	}
	for _, r := range name {
		if !isBareNameRune(r) {
			return strconv.Quote(name)
		}
	}
	return name
}

// isBareNameRune reports whether r may appear in an unquoted field name.
func isBareNameRune(r rune) bool {
	switch r {
	case ':', ',', '<', '>', '[', ']', '"', '\\':
		return false
	}
	return r > ' ' && r != 0x7f && r != utf8.RuneError && !isSpecSpace(r)
}

func isSpecSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0' || r == '\u2028' || r == '\u2029'
}

// specParser is a recursive-descent parser over a schema spec.
type specParser struct {
	spec string
	pos  int // byte offset into spec
}

// errAt reports a problem at byte offset off, shown as a 1-based character
// position.
func (p *specParser) errAt(off int, format string, args ...any) error {
	if off > len(p.spec) {
		off = len(p.spec)
	}
	pos := utf8.RuneCountInString(p.spec[:off]) + 1
	return fmt.Errorf("robustdata/pipeline: schema %q: position %d: %s", p.spec, pos, fmt.Sprintf(format, args...))
}

// describe names what is at byte offset off, for messages.
func (p *specParser) describe(off int) string {
	if off >= len(p.spec) {
		return "end of schema"
	}
	r, _ := utf8.DecodeRuneInString(p.spec[off:])
	return strconv.QuoteRune(r)
}

func (p *specParser) skipSpace() {
	for p.pos < len(p.spec) {
		r, n := utf8.DecodeRuneInString(p.spec[p.pos:])
		if !isSpecSpace(r) {
			return
		}
		p.pos += n
	}
}

// peek returns the byte at the current position after spaces, or 0 at the end.
func (p *specParser) peek() byte {
	p.skipSpace()
	if p.pos >= len(p.spec) {
		return 0
	}
	return p.spec[p.pos]
}

// expect consumes c or fails saying what was being parsed.
func (p *specParser) expect(c byte, what string) error {
	if p.peek() != c {
		return p.errAt(p.pos, "expected '%c' %s, got %s", c, what, p.describe(p.pos))
	}
	p.pos++
	return nil
}

// fieldList parses name:type pairs separated by commas. With close != 0 it
// stops before that byte (the '>' of a struct) and accepts an empty list.
func (p *specParser) fieldList(close byte, depth int) ([]arrow.Field, error) {
	var fields []arrow.Field
	seen := map[string]bool{}
	if close != 0 && p.peek() == close {
		return fields, nil
	}
	for {
		p.skipSpace()
		namePos := p.pos
		name, err := p.name()
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, p.errAt(namePos, "duplicate field name %q", name)
		}
		seen[name] = true
		if err := p.expect(':', "after field name "+strconv.Quote(name)); err != nil {
			return nil, err
		}
		dt, err := p.typ(depth)
		if err != nil {
			return nil, err
		}
		fields = append(fields, arrow.Field{Name: name, Type: dt, Nullable: true})
		c := p.peek()
		if c != ',' {
			if close != 0 && c != close {
				return nil, p.errAt(p.pos, "expected ',' or '%c' after field %q, got %s", close, name, p.describe(p.pos))
			}
			return fields, nil
		}
		p.pos++
	}
}

// name parses a bare or double-quoted field name.
func (p *specParser) name() (string, error) {
	p.skipSpace()
	start := p.pos
	if p.pos < len(p.spec) && p.spec[p.pos] == '"' {
		i := p.pos + 1
		for i < len(p.spec) {
			switch p.spec[i] {
			case '\\':
				i += 2
				continue
			case '"':
				s, err := strconv.Unquote(p.spec[start : i+1])
				if err != nil {
					return "", p.errAt(start, "bad quoted name %s: %v", p.spec[start:i+1], err)
				}
				p.pos = i + 1
				return s, nil
			}
			i++
		}
		return "", p.errAt(start, "unterminated quoted name")
	}
	for p.pos < len(p.spec) {
		r, n := utf8.DecodeRuneInString(p.spec[p.pos:])
		if !isBareNameRune(r) {
			break
		}
		p.pos += n
	}
	if p.pos == start {
		return "", p.errAt(start, "expected a field name, got %s", p.describe(start))
	}
	return p.spec[start:p.pos], nil
}

// typ parses one type.
func (p *specParser) typ(depth int) (arrow.DataType, error) {
	p.skipSpace()
	start := p.pos
	if depth >= maxSchemaDepth {
		return nil, p.errAt(start, "types nested deeper than %d", maxSchemaDepth)
	}
	for p.pos < len(p.spec) {
		c := p.spec[p.pos]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			p.pos++
			continue
		}
		break
	}
	word := p.spec[start:p.pos]
	switch word {
	case "string":
		return arrow.BinaryTypes.String, nil
	case "large_string":
		return arrow.BinaryTypes.LargeString, nil
	case "binary":
		return arrow.BinaryTypes.Binary, nil
	case "large_binary":
		return arrow.BinaryTypes.LargeBinary, nil
	case "bool":
		return arrow.FixedWidthTypes.Boolean, nil
	case "int8":
		return arrow.PrimitiveTypes.Int8, nil
	case "int16":
		return arrow.PrimitiveTypes.Int16, nil
	case "int32":
		return arrow.PrimitiveTypes.Int32, nil
	case "int64":
		return arrow.PrimitiveTypes.Int64, nil
	case "uint8":
		return arrow.PrimitiveTypes.Uint8, nil
	case "uint16":
		return arrow.PrimitiveTypes.Uint16, nil
	case "uint32":
		return arrow.PrimitiveTypes.Uint32, nil
	case "uint64":
		return arrow.PrimitiveTypes.Uint64, nil
	case "float32":
		return arrow.PrimitiveTypes.Float32, nil
	case "float64":
		return arrow.PrimitiveTypes.Float64, nil
	case "list", "large_list", "fixed_size_list":
		if err := p.expect('<', "after "+word); err != nil {
			return nil, err
		}
		elem, err := p.typ(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expect('>', "to close "+word+"<"); err != nil {
			return nil, err
		}
		switch word {
		case "list":
			return arrow.ListOf(elem), nil
		case "large_list":
			return arrow.LargeListOf(elem), nil
		}
		if err := p.expect('[', "with the size of fixed_size_list<...>[N]"); err != nil {
			return nil, err
		}
		p.skipSpace()
		numPos := p.pos
		for p.pos < len(p.spec) && p.spec[p.pos] >= '0' && p.spec[p.pos] <= '9' {
			p.pos++
		}
		n, err := strconv.ParseInt(p.spec[numPos:p.pos], 10, 32)
		if err != nil || n < 1 {
			return nil, p.errAt(numPos, "fixed_size_list size must be an integer from 1 to %d, got %q", int32(1<<31-1), p.spec[numPos:p.pos])
		}
		if err := p.expect(']', "after the fixed_size_list size"); err != nil {
			return nil, err
		}
		return arrow.FixedSizeListOf(int32(n), elem), nil
	case "struct":
		if err := p.expect('<', "after struct"); err != nil {
			return nil, err
		}
		fields, err := p.fieldList('>', depth+1)
		if err != nil {
			return nil, err
		}
		if err := p.expect('>', "to close struct<"); err != nil {
			return nil, err
		}
		return arrow.StructOf(fields...), nil
	case "":
		return nil, p.errAt(start, "expected a type, got %s", p.describe(start))
	}
	if s := closestTypeName(word); s != "" {
		return nil, p.errAt(start, "unknown type %q (did you mean %q?)", word, s)
	}
	return nil, p.errAt(start, "unknown type %q", word)
}

// closestTypeName returns the known type name closest to word
// (case-insensitive) when it is a likely typo: within edit distance 1, or 2
// for words of 6 or more letters. Otherwise it returns "".
func closestTypeName(word string) string {
	lw := strings.ToLower(word)
	best, bestD := "", 2
	if len(word) >= 6 {
		bestD = 3
	}
	for _, n := range schemaTypeNames {
		if d := EditDistance(lw, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// EditDistance is the Damerau–Levenshtein (optimal string alignment)
// distance between a and b, in bytes.
func EditDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := 0; j <= len(b); j++ {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
