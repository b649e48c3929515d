package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxHeaderBytes is the default limit on the JSON header's length:
// 100,000,000 bytes, the limit of the reference implementation
// (MAX_HEADER_SIZE in huggingface/safetensors).
const DefaultMaxHeaderBytes = 100_000_000

// DefaultMaxDataBytes is the default limit on the size of the data buffer
// (all tensors together): 8 GiB.
const DefaultMaxDataBytes = 8 << 30

// readChunk is the first allocation when reading a region whose presence in
// the input is not yet known; it doubles from there. Memory spent on a
// region therefore stays within about twice what the input really holds.
const readChunk = 64 << 10

// ReadOption configures Read and ReadFile.
type ReadOption func(*readConfig)

type readConfig struct {
	maxHeader int64
	maxData   int64
}

// WithMaxHeaderBytes sets the largest header length Read accepts (default
// DefaultMaxHeaderBytes). A longer header is refused before anything is
// allocated for it. Negative values are taken as 0.
func WithMaxHeaderBytes(n int64) ReadOption {
	return func(c *readConfig) { c.maxHeader = max(n, 0) }
}

// WithMaxDataBytes sets the largest data buffer Read accepts (default
// DefaultMaxDataBytes, 8 GiB). A file whose header describes more tensor
// data is refused before the data is read. Negative values are taken as 0.
func WithMaxDataBytes(n int64) ReadOption {
	return func(c *readConfig) { c.maxData = max(n, 0) }
}

// ReadFile reads the safetensors file at path; see Read.
func ReadFile(path string, opts ...ReadOption) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fh.Close()
	return Read(fh, opts...)
}

// Read reads a whole safetensors file from r, which must end where the data
// buffer ends.
//
// Read validates everything before trusting it: the header length against
// the header limit (before allocating), the header as UTF-8 JSON with no
// duplicate keys at any level, an object whose "__metadata__" entry, if
// present, maps strings to strings (null is taken as no metadata), and whose
// other entries are tensors with exactly the fields dtype (a known DType),
// shape (at most MaxRank non-negative integers whose product does not
// overflow) and data_offsets ([begin, end] with end-begin equal to the
// element count times the dtype size). Sorted by offset, the tensors must
// tile the data buffer from 0 with no gap and no overlap, and the buffer's
// total size must be within the data limit and equal to what follows the
// header in r. Trailing spaces (and other JSON whitespace) after the header
// object are allowed; keys may come in any order.
//
// Read is stricter than the reference in two ways: tensor entries with
// fields other than the three above are rejected (the reference ignores
// them), and so are duplicate keys, which the reference does not always
// reject. It is
// laxer in one: a lone UTF-16 surrogate escape such as "\ud800" in a string
// is read as U+FFFD, where the reference fails.
//
// When r's size is known (*bytes.Reader, *bytes.Buffer, *strings.Reader,
// *io.SectionReader, a regular *os.File) lengths are checked against it
// before reading; otherwise the header and the data are read in growing
// chunks, so a header that claims more bytes than r holds costs no more
// memory than about twice what r really provides.
//
// The returned tensors are in data order and their Data slices share one
// buffer. Errors are single-line and start with "safetensors: ".
func Read(r io.Reader, opts ...ReadOption) (*File, error) {
	cfg := readConfig{maxHeader: DefaultMaxHeaderBytes, maxData: DefaultMaxDataBytes}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	size, known := sizeOf(r)

	var prefix [8]byte
	if n, err := io.ReadFull(r, prefix[:]); err != nil {
		if isEOF(err) {
			return nil, fmt.Errorf("safetensors: file too short: %d bytes, need 8 for the header length", n)
		}
		return nil, fmt.Errorf("safetensors: reading header length: %w", err)
	}
	hlen := binary.LittleEndian.Uint64(prefix[:])
	if hlen > uint64(cfg.maxHeader) {
		return nil, fmt.Errorf("safetensors: header length %d exceeds limit %d", hlen, cfg.maxHeader)
	}
	n := int64(hlen)
	if known && n > size-8 {
		return nil, fmt.Errorf("safetensors: header length %d exceeds file size %d", n, size)
	}
	header, err := readRegion(r, n, known)
	if err != nil {
		if isEOF(err) {
			return nil, fmt.Errorf("safetensors: truncated header: length %d, file has %d header bytes", n, len(header))
		}
		return nil, fmt.Errorf("safetensors: reading header: %w", err)
	}

	meta, entries, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	total, err := layout(entries)
	if err != nil {
		return nil, err
	}
	if total > cfg.maxData {
		return nil, fmt.Errorf("safetensors: data buffer of %d bytes exceeds limit %d", total, cfg.maxData)
	}
	if known {
		have := size - 8 - n
		if total > have {
			return nil, fmt.Errorf("safetensors: truncated data: header describes %d bytes, file has %d", total, have)
		}
		if total < have {
			return nil, fmt.Errorf("safetensors: data_offsets do not cover the data buffer: header describes %d bytes, file has %d (%d trailing bytes)", total, have, have-total)
		}
	}
	data, err := readRegion(r, total, known)
	if err != nil {
		if isEOF(err) {
			return nil, fmt.Errorf("safetensors: truncated data: header describes %d bytes, file has %d", total, len(data))
		}
		return nil, fmt.Errorf("safetensors: reading data: %w", err)
	}
	var one [1]byte
	switch m, err := io.ReadFull(r, one[:]); {
	case m > 0:
		return nil, fmt.Errorf("safetensors: data_offsets do not cover the data buffer: header describes %d bytes, file has trailing bytes after them", total)
	case err != nil && !isEOF(err):
		return nil, fmt.Errorf("safetensors: reading data: %w", err)
	}

	f := &File{Metadata: meta, Tensors: make([]Tensor, len(entries))}
	for i, e := range entries {
		f.Tensors[i] = Tensor{Name: e.name, DType: e.dtype, Shape: e.shape, Data: data[e.begin:e.end:e.end]}
	}
	return f, nil
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// sizeOf returns the number of bytes left in r, for the readers whose
// answer can be trusted: in-memory readers, section readers and regular
// files. A size that is known lets Read reject bad lengths early and read
// the data with one exact allocation; any other reader is read in growing
// chunks instead, since an arbitrary Len or Seek implementation could
// overstate its size and make Read allocate up to the caps.
func sizeOf(r io.Reader) (size int64, known bool) {
	switch v := r.(type) {
	case *bytes.Reader:
		return int64(v.Len()), true
	case *bytes.Buffer:
		return int64(v.Len()), true
	case *strings.Reader:
		return int64(v.Len()), true
	case *io.SectionReader:
		cur, err := v.Seek(0, io.SeekCurrent)
		if err != nil || cur > v.Size() {
			return 0, false
		}
		return v.Size() - cur, true
	case *os.File:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return 0, false
		}
		cur, err := v.Seek(0, io.SeekCurrent)
		if err != nil || cur > st.Size() {
			return 0, false
		}
		return st.Size() - cur, true
	}
	return 0, false
}

// readRegion reads exactly n bytes from r. When the input is known to hold
// them it allocates n bytes at once; otherwise it starts with readChunk
// bytes and doubles, so that a lying length costs at most about twice the
// bytes actually present. On a short input it returns what it got and an
// EOF error.
func readRegion(r io.Reader, n int64, known bool) ([]byte, error) {
	first := n
	if !known {
		first = min(n, readChunk)
	}
	buf := make([]byte, 0, first)
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), n))
			copy(grown, buf)
			buf = grown
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// entry is one tensor as described by the header.
type entry struct {
	name       string
	dtype      DType
	shape      []int64
	begin, end int64
	order      int // position in the header, to keep sorting stable
}

// layout checks each entry's offsets against its dtype and shape, sorts the
// entries by offset and checks that they tile [0, total) exactly. It
// returns total.
func layout(entries []entry) (int64, error) {
	for _, e := range entries {
		if e.end < e.begin {
			return 0, fmt.Errorf("safetensors: tensor %q: data_offsets [%d %d] end before they begin", clip(e.name), e.begin, e.end)
		}
		nb, why := numBytes(e.dtype, e.shape)
		if why != "" {
			return 0, fmt.Errorf("safetensors: tensor %q: shape %s %s", clip(e.name), shapeString(e.shape), why)
		}
		if e.end-e.begin != nb {
			return 0, fmt.Errorf("safetensors: tensor %q: data_offsets [%d %d] hold %d bytes, %s shape %s needs %d", clip(e.name), e.begin, e.end, e.end-e.begin, e.dtype, shapeString(e.shape), nb)
		}
	}
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		if a.end != b.end {
			return a.end < b.end
		}
		return a.order < b.order
	})
	var at int64
	for i, e := range entries {
		switch {
		case e.begin < at:
			return 0, fmt.Errorf("safetensors: tensor %q: data_offsets [%d %d] overlap tensor %q, which ends at %d", clip(e.name), e.begin, e.end, clip(entries[i-1].name), at)
		case e.begin > at:
			if i == 0 {
				return 0, fmt.Errorf("safetensors: tensor %q: data_offsets [%d %d] leave a gap: the data buffer starts at 0", clip(e.name), e.begin, e.end)
			}
			return 0, fmt.Errorf("safetensors: tensor %q: data_offsets [%d %d] leave a gap after tensor %q, which ends at %d", clip(e.name), e.begin, e.end, clip(entries[i-1].name), at)
		}
		at = e.end
	}
	return at, nil
}

// parseHeader parses and checks the header JSON (but not the offsets).
func parseHeader(header []byte) (map[string]string, []entry, error) {
	if !utf8.Valid(header) {
		return nil, nil, errors.New("safetensors: header is not valid UTF-8")
	}
	p := &parser{dec: json.NewDecoder(bytes.NewReader(header))}
	p.dec.UseNumber()

	tok, err := p.token()
	if err != nil {
		return nil, nil, err
	}
	if tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("safetensors: header is a JSON %s, want an object", kind(tok))
	}
	var meta map[string]string
	var entries []entry
	seen := make(map[string]bool)
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return nil, nil, err
		}
		if seen[key] {
			if key == metadataKey {
				return nil, nil, errors.New("safetensors: header has __metadata__ twice")
			}
			return nil, nil, fmt.Errorf("safetensors: header has tensor %q twice", clip(key))
		}
		seen[key] = true
		if key == metadataKey {
			if meta, err = p.metadata(); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := p.tensor(key)
		if err != nil {
			return nil, nil, err
		}
		e.order = len(entries)
		entries = append(entries, e)
	}
	if _, err := p.token(); err != nil { // the closing '}'
		return nil, nil, err
	}
	if rest := header[p.dec.InputOffset():]; len(bytes.TrimLeft(rest, " \t\r\n")) > 0 {
		return nil, nil, fmt.Errorf("safetensors: header has %d bytes of non-whitespace after its JSON object", len(rest))
	}
	return meta, entries, nil
}

// parser walks the header with encoding/json's tokenizer, which checks the
// syntax; the structure is checked here. No value is ever skipped, so the
// nesting depth is bounded by the expected structure.
type parser struct {
	dec *json.Decoder
}

func (p *parser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("safetensors: header is not valid JSON: %v (at byte %d)", se, se.Offset)
		case isEOF(err):
			return nil, errors.New("safetensors: header is not valid JSON: unexpected end")
		default:
			return nil, fmt.Errorf("safetensors: header is not valid JSON: %v", err)
		}
	}
	return tok, nil
}

// key reads an object key; the tokenizer guarantees it is a string.
func (p *parser) key() (string, error) {
	tok, err := p.token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("safetensors: header has a JSON %s where an object key should be", kind(tok))
	}
	return s, nil
}

func (p *parser) metadata() (map[string]string, error) {
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil // "__metadata__": null, as the reference accepts
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("safetensors: __metadata__ is a JSON %s, want an object of strings", kind(tok))
	}
	meta := make(map[string]string)
	for p.dec.More() {
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		if _, dup := meta[k]; dup {
			return nil, fmt.Errorf("safetensors: __metadata__ has key %q twice", clip(k))
		}
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		v, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("safetensors: __metadata__ value for key %q is a JSON %s, want a string", clip(k), kind(tok))
		}
		meta[k] = v
	}
	if _, err := p.token(); err != nil {
		return nil, err
	}
	return meta, nil
}

func (p *parser) tensor(name string) (entry, error) {
	e := entry{name: name}
	tok, err := p.token()
	if err != nil {
		return e, err
	}
	if tok != json.Delim('{') {
		return e, fmt.Errorf("safetensors: tensor %q: entry is a JSON %s, want an object", clip(name), kind(tok))
	}
	var haveDtype, haveShape, haveOffsets bool
	for p.dec.More() {
		field, err := p.key()
		if err != nil {
			return e, err
		}
		switch field {
		case "dtype":
			if haveDtype {
				return e, fmt.Errorf("safetensors: tensor %q: field dtype given twice", clip(name))
			}
			haveDtype = true
			tok, err := p.token()
			if err != nil {
				return e, err
			}
			s, ok := tok.(string)
			if !ok {
				return e, fmt.Errorf("safetensors: tensor %q: dtype is a JSON %s, want a string", clip(name), kind(tok))
			}
			e.dtype = DType(s)
			if e.dtype.Size() == 0 {
				return e, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", clip(name), clip(s))
			}
		case "shape":
			if haveShape {
				return e, fmt.Errorf("safetensors: tensor %q: field shape given twice", clip(name))
			}
			haveShape = true
			e.shape, err = p.ints(name, "shape", MaxRank)
			if err != nil {
				return e, err
			}
			if _, why := numElements(e.shape); why != "" {
				return e, fmt.Errorf("safetensors: tensor %q: shape %s %s", clip(name), shapeString(e.shape), why)
			}
		case "data_offsets":
			if haveOffsets {
				return e, fmt.Errorf("safetensors: tensor %q: field data_offsets given twice", clip(name))
			}
			haveOffsets = true
			offs, err := p.ints(name, "data_offsets", 2)
			if err != nil {
				return e, err
			}
			if len(offs) != 2 {
				return e, fmt.Errorf("safetensors: tensor %q: data_offsets has %d values, want 2", clip(name), len(offs))
			}
			e.begin, e.end = offs[0], offs[1]
		default:
			return e, fmt.Errorf("safetensors: tensor %q: unknown field %q", clip(name), clip(field))
		}
	}
	if _, err := p.token(); err != nil {
		return e, err
	}
	switch {
	case !haveDtype:
		return e, fmt.Errorf("safetensors: tensor %q: missing dtype", clip(name))
	case !haveShape:
		return e, fmt.Errorf("safetensors: tensor %q: missing shape", clip(name))
	case !haveOffsets:
		return e, fmt.Errorf("safetensors: tensor %q: missing data_offsets", clip(name))
	}
	return e, nil
}

// ints reads a JSON array of at most limit non-negative integers that fit
// in an int64.
func (p *parser) ints(name, field string, limit int) ([]int64, error) {
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("safetensors: tensor %q: %s is a JSON %s, want an array of integers", clip(name), field, kind(tok))
	}
	out := make([]int64, 0, 4)
	for p.dec.More() {
		if len(out) == limit {
			return nil, fmt.Errorf("safetensors: tensor %q: %s has more than %d values", clip(name), field, limit)
		}
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, fmt.Errorf("safetensors: tensor %q: %s holds a JSON %s, want integers", clip(name), field, kind(tok))
		}
		v, err := strconv.ParseInt(string(num), 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return nil, fmt.Errorf("safetensors: tensor %q: %s value %s is out of range", clip(name), field, clip(string(num)))
		case err != nil:
			return nil, fmt.Errorf("safetensors: tensor %q: %s value %s is not an integer", clip(name), field, clip(string(num)))
		case v < 0:
			return nil, fmt.Errorf("safetensors: tensor %q: %s value %s is negative", clip(name), field, clip(string(num)))
		}
		out = append(out, v)
	}
	if _, err := p.token(); err != nil {
		return nil, err
	}
	return out, nil
}

// kind names the JSON type of a token for error messages.
func kind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return "object"
		case '[':
			return "array"
		}
		return "delimiter " + v.String()
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}
