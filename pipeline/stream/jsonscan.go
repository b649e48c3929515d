package stream

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxJSONDepth bounds the nesting of arrays and objects the scanner follows
// where the schema does not bound it (inference, skipped values), so that a
// hostile line cannot exhaust the stack.
const maxJSONDepth = 1000

// strStop marks the bytes that end the fast scan of a string: the closing
// quote, a backslash and the control characters JSON forbids in strings.
var strStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'] = true
	t['\\'] = true
	return t
}()

// jsonScanner is a small hand-written JSON scanner over the bytes of one
// line. It validates as it goes and reports errors with the byte offset in
// the line. It never uses reflection.
type jsonScanner struct {
	buf     []byte
	pos     int
	scratch []byte // decoded strings with escapes or invalid UTF-8
	b64     []byte // decoded base64
}

func (s *jsonScanner) reset(line []byte) {
	s.buf = line
	s.pos = 0
	if cap(s.scratch) > longLineKeep {
		s.scratch = nil
	}
	if cap(s.b64) > longLineKeep {
		s.b64 = nil
	}
}

// syntaxErr reports malformed JSON at byte offset off of the line.
func (s *jsonScanner) syntaxErr(off int, format string, args ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", off, fmt.Sprintf(format, args...))
}

// expected reports that want was expected at the current position.
func (s *jsonScanner) expected(want string) error {
	return s.syntaxErr(s.pos, "expected %s, got %s", want, s.describeByte(s.pos))
}

// describeByte names the character at off, or the end of the line.
func (s *jsonScanner) describeByte(off int) string {
	if off >= len(s.buf) {
		return "end of line"
	}
	r, n := utf8.DecodeRune(s.buf[off:])
	if r == utf8.RuneError && n <= 1 {
		return fmt.Sprintf("byte 0x%02x", s.buf[off])
	}
	return strconv.QuoteRune(r)
}

func (s *jsonScanner) skipWS() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

// atEnd reports whether only whitespace is left.
func (s *jsonScanner) atEnd() bool {
	s.skipWS()
	return s.pos >= len(s.buf)
}

// peek returns the byte at the current position, or 0 at the end.
func (s *jsonScanner) peek() byte {
	if s.pos < len(s.buf) {
		return s.buf[s.pos]
	}
	return 0
}

// literal consumes word (true, false, null) or reports what is there.
func (s *jsonScanner) literal(word string) error {
	if len(s.buf)-s.pos >= len(word) && string(s.buf[s.pos:s.pos+len(word)]) == word {
		s.pos += len(word)
		return nil
	}
	return s.badValue()
}

// badValue reports that no JSON value starts at the current position,
// naming NaN and Infinity, which some writers emit.
func (s *jsonScanner) badValue() error {
	rest := s.buf[s.pos:]
	if len(rest) > 0 && rest[0] == '-' {
		rest = rest[1:]
	}
	if hasPrefixFold(rest, "nan") || hasPrefixFold(rest, "inf") {
		return s.syntaxErr(s.pos, "NaN and Infinity are not valid JSON; write null or a number")
	}
	return s.expected("a value")
}

func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// isNull consumes a null literal if one is at the current position.
func (s *jsonScanner) isNull() bool {
	if len(s.buf)-s.pos >= 4 && string(s.buf[s.pos:s.pos+4]) == "null" {
		s.pos += 4
		return true
	}
	return false
}

// str scans the string at the current position (which holds '"') and
// returns its decoded bytes. The result aliases the line or the scanner's
// scratch buffer: it is valid until the next call that decodes a string.
func (s *jsonScanner) str() ([]byte, error) {
	start := s.pos + 1
	buf := s.buf
	i := start
	var acc byte
	for i < len(buf) {
		c := buf[i]
		if strStop[c] {
			break
		}
		acc |= c
		i++
	}
	if i < len(buf) && buf[i] == '"' {
		v := buf[start:i]
		if acc < utf8.RuneSelf || utf8.Valid(v) {
			s.pos = i + 1
			return v, nil
		}
	}
	return s.strSlow(start)
}

// strSlow decodes a string with escapes or invalid UTF-8 the way
// encoding/json does: invalid UTF-8 and lone surrogates become U+FFFD.
func (s *jsonScanner) strSlow(start int) ([]byte, error) {
	buf := s.buf
	out := s.scratch[:0]
	i := start
	for {
		if i >= len(buf) {
			s.scratch = out
			return nil, s.syntaxErr(start-1, "string is not closed before the end of the line")
		}
		c := buf[i]
		switch {
		case c == '"':
			s.pos = i + 1
			s.scratch = out
			return out, nil
		case c == '\\':
			if i+1 >= len(buf) {
				s.scratch = out
				return nil, s.syntaxErr(start-1, "string is not closed before the end of the line")
			}
			switch e := buf[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
				i += 2
			case 'b':
				out = append(out, '\b')
				i += 2
			case 'f':
				out = append(out, '\f')
				i += 2
			case 'n':
				out = append(out, '\n')
				i += 2
			case 'r':
				out = append(out, '\r')
				i += 2
			case 't':
				out = append(out, '\t')
				i += 2
			case 'u':
				r, ok := hex4(buf, i+2)
				if !ok {
					s.scratch = out
					return nil, s.syntaxErr(i, "invalid \\u escape (want 4 hex digits)")
				}
				i += 6
				if utf16.IsSurrogate(r) && r < 0xdc00 && i+1 < len(buf) && buf[i] == '\\' && buf[i+1] == 'u' {
					if r2, ok := hex4(buf, i+2); ok {
						if p := utf16.DecodeRune(r, r2); p != utf8.RuneError {
							r = p
							i += 6
						}
					}
				}
				out = utf8.AppendRune(out, r) // a lone surrogate becomes U+FFFD
			default:
				s.scratch = out
				return nil, s.syntaxErr(i, "invalid escape %s in string", s.describeEscape(i))
			}
		case c < 0x20:
			s.scratch = out
			return nil, s.syntaxErr(i, "control character 0x%02x in string (must be escaped)", c)
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, n := utf8.DecodeRune(buf[i:])
			if r == utf8.RuneError && n == 1 {
				out = append(out, "\uFFFD"...)
			} else {
				out = append(out, buf[i:i+n]...)
			}
			i += n
		}
	}
}

func (s *jsonScanner) describeEscape(i int) string {
	if i+1 >= len(s.buf) {
		return `\`
	}
	r, _ := utf8.DecodeRune(s.buf[i+1:])
	if r < 0x20 || r == utf8.RuneError {
		return fmt.Sprintf(`\ followed by byte 0x%02x`, s.buf[i+1])
	}
	return `\` + string(r)
}

// hex4 reads 4 hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number scans a JSON number at the current position and returns its
// bytes and whether it is an integer (no fraction, no exponent).
func (s *jsonScanner) number() (num []byte, isInt bool, err error) {
	buf := s.buf
	start := s.pos
	i := start
	if i < len(buf) && buf[i] == '-' {
		i++
	}
	switch {
	case i < len(buf) && buf[i] == '0':
		i++
	case i < len(buf) && buf[i] >= '1' && buf[i] <= '9':
		for i < len(buf) && buf[i] >= '0' && buf[i] <= '9' {
			i++
		}
	default:
		if i > start && !hasPrefixFold(buf[i:], "inf") {
			s.pos = i
			return nil, false, s.expected("a digit after '-'")
		}
		s.pos = start
		return nil, false, s.badValue()
	}
	isInt = true
	if i < len(buf) && buf[i] == '.' {
		isInt = false
		i++
		d := i
		for i < len(buf) && buf[i] >= '0' && buf[i] <= '9' {
			i++
		}
		if i == d {
			s.pos = i
			return nil, false, s.expected("a digit after '.'")
		}
	}
	if i < len(buf) && (buf[i] == 'e' || buf[i] == 'E') {
		isInt = false
		i++
		if i < len(buf) && (buf[i] == '+' || buf[i] == '-') {
			i++
		}
		d := i
		for i < len(buf) && buf[i] >= '0' && buf[i] <= '9' {
			i++
		}
		if i == d {
			s.pos = i
			return nil, false, s.expected("a digit in the exponent")
		}
	}
	s.pos = i
	return buf[start:i], isInt, nil
}

// parseMagnitude reads an integer JSON number (from number with isInt)
// into its sign and magnitude; ok is false when it does not fit 64 bits.
func parseMagnitude(num []byte) (neg bool, mag uint64, ok bool) {
	if len(num) > 0 && num[0] == '-' {
		neg = true
		num = num[1:]
	}
	for _, c := range num {
		d := uint64(c - '0')
		if mag > (math.MaxUint64-d)/10 {
			return neg, 0, false
		}
		mag = mag*10 + d
	}
	return neg, mag, true
}

// errRange marks an integer or float that does not fit the column type.
var errRange = errors.New("out of range")

// parseSigned reads an integer JSON number into a signed integer of bits.
func parseSigned(num []byte, bits int) (int64, error) {
	neg, mag, ok := parseMagnitude(num)
	if !ok {
		return 0, errRange
	}
	limit := uint64(1) << (bits - 1)
	if neg {
		if mag > limit {
			return 0, errRange
		}
		return int64(-mag), nil
	}
	if mag >= limit {
		return 0, errRange
	}
	return int64(mag), nil
}

// parseUnsigned reads an integer JSON number into an unsigned integer of bits.
func parseUnsigned(num []byte, bits int) (uint64, error) {
	neg, mag, ok := parseMagnitude(num)
	if !ok || (neg && mag != 0) {
		return 0, errRange
	}
	if bits < 64 && mag >= uint64(1)<<bits {
		return 0, errRange
	}
	return mag, nil
}

// parseFloat reads a JSON number into a float of bitSize 32 or 64. Numbers
// too large for the type are errRange; numbers too small become 0.
func parseFloat(num []byte, bitSize int) (float64, error) {
	// The string aliases the line only for the call: strconv copies the
	// input into any error it returns, and the error is dropped here.
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(num), len(num)), bitSize)
	if err != nil {
		return 0, errRange
	}
	return f, nil
}

// skipValue scans over one JSON value, validating it.
func (s *jsonScanner) skipValue(depth int) error {
	if depth > maxJSONDepth {
		return s.syntaxErr(s.pos, "arrays and objects nested deeper than %d", maxJSONDepth)
	}
	switch c := s.peek(); {
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		_, _, err := s.number()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '[':
		s.pos++
		s.skipWS()
		if s.peek() == ']' {
			s.pos++
			return nil
		}
		for {
			s.skipWS()
			if err := s.skipValue(depth + 1); err != nil {
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
		s.pos++
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
			if _, err := s.str(); err != nil {
				return err
			}
			s.skipWS()
			if s.peek() != ':' {
				return s.expected("':' after key")
			}
			s.pos++
			s.skipWS()
			if err := s.skipValue(depth + 1); err != nil {
				return err
			}
			s.skipWS()
			switch s.peek() {
			case ',':
				s.pos++
			case '}':
				s.pos++
				return nil
			default:
				return s.expected("',' or '}' in object")
			}
		}
	default:
		return s.badValue()
	}
}

// describeValue scans the value at the current position and describes it
// for a type error: `string "abc"`, `number 1.5`, `boolean true`, `an
// array`, `an object`, `null`. It fails if the value is not valid JSON.
func (s *jsonScanner) describeValue() (string, error) {
	start := s.pos
	switch c := s.peek(); {
	case c == '"':
		v, err := s.str()
		if err != nil {
			return "", err
		}
		return "string " + quoteShort(v), nil
	case c == '-' || c >= '0' && c <= '9':
		v, _, err := s.number()
		if err != nil {
			return "", err
		}
		return "number " + shorten(string(v)), nil
	case c == 't' || c == 'f':
		if err := s.skipValue(0); err != nil {
			return "", err
		}
		return "boolean " + string(s.buf[start:s.pos]), nil
	case c == '[':
		if err := s.skipValue(0); err != nil {
			return "", err
		}
		return "an array", nil
	case c == '{':
		if err := s.skipValue(0); err != nil {
			return "", err
		}
		return "an object", nil
	case c == 'n':
		if err := s.skipValue(0); err != nil {
			return "", err
		}
		return "null", nil
	}
	return "", s.badValue()
}

// quoteShort quotes v for a message, cut to 40 runes.
func quoteShort(v []byte) string {
	const max = 40
	if utf8.RuneCount(v) <= max {
		return strconv.Quote(string(v))
	}
	n := 0
	for i := range string(v) {
		if n == max {
			return strconv.Quote(string(v[:i])) + "…"
		}
		n++
	}
	return strconv.Quote(string(v))
}

// shorten cuts s to 40 bytes for a message.
func shorten(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:40] + "…"
}
