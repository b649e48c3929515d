package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"
)

// metadataKey is the reserved header key holding the file's metadata.
const metadataKey = "__metadata__"

// Write writes f to w in the safetensors format.
//
// The output is deterministic: the same File always gives the same bytes.
// The tensors' data is laid out in the order of f.Tensors, without padding
// between tensors. The header JSON is compact and is built the way the
// reference implementation serializes it: "__metadata__" first (omitted
// when f.Metadata is empty), its keys sorted, then one entry per tensor in
// layout order, each with its fields in the order dtype, shape,
// data_offsets. Strings are escaped as serde_json does (only the double
// quote, the backslash and control characters). The header is padded with
// spaces to a multiple of 8 bytes so that the data starts 8-byte aligned.
// For a file whose tensors are given in the order the reference would
// choose (it sorts by descending dtype alignment, then by name) the bytes
// are identical to the reference's.
//
// Before writing anything, Write checks that tensor names are unique, are
// not "__metadata__" and are valid UTF-8, as are metadata keys and values;
// that every dtype is known; that shapes have at most MaxRank non-negative
// dimensions whose product does not overflow; and that len(Data) equals the
// number of elements times the dtype size.
func Write(w io.Writer, f *File) error {
	if f == nil {
		return errors.New("safetensors: Write of a nil *File")
	}
	header, err := buildHeader(f)
	if err != nil {
		return err
	}
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(header)))
	if err := writeAll(w, prefix[:]); err != nil {
		return err
	}
	if err := writeAll(w, header); err != nil {
		return err
	}
	for _, t := range f.Tensors {
		if err := writeAll(w, t.Data); err != nil {
			return err
		}
	}
	return nil
}

func writeAll(w io.Writer, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	n, err := w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("safetensors: writing: %w", err)
	}
	return nil
}

// buildHeader validates f and returns its padded header JSON.
func buildHeader(f *File) ([]byte, error) {
	keys := make([]string, 0, len(f.Metadata))
	for k, v := range f.Metadata {
		if !utf8.ValidString(k) {
			return nil, fmt.Errorf("safetensors: metadata key %q is not valid UTF-8", clip(k))
		}
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("safetensors: metadata value for key %q is not valid UTF-8", clip(k))
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)

	seen := make(map[string]bool, len(f.Tensors))
	for _, t := range f.Tensors {
		switch {
		case t.Name == metadataKey:
			return nil, fmt.Errorf("safetensors: tensor name %q is reserved for metadata", metadataKey)
		case !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("safetensors: tensor name %q is not valid UTF-8", clip(t.Name))
		case seen[t.Name]:
			return nil, fmt.Errorf("safetensors: duplicate tensor name %q", clip(t.Name))
		}
		seen[t.Name] = true
		if err := t.checkSize(); err != nil {
			return nil, err
		}
	}

	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	if len(keys) > 0 {
		writeJSONString(&b, metadataKey)
		b.WriteString(":{")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			writeJSONString(&b, f.Metadata[k])
		}
		b.WriteByte('}')
		first = false
	}
	var offset int64
	var num []byte
	for _, t := range f.Tensors {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSONString(&b, t.Name)
		b.WriteString(`:{"dtype":`)
		writeJSONString(&b, string(t.DType))
		b.WriteString(`,"shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				b.WriteByte(',')
			}
			num = strconv.AppendInt(num[:0], d, 10)
			b.Write(num)
		}
		end := offset + int64(len(t.Data))
		b.WriteString(`],"data_offsets":[`)
		num = strconv.AppendInt(num[:0], offset, 10)
		b.Write(num)
		b.WriteByte(',')
		num = strconv.AppendInt(num[:0], end, 10)
		b.Write(num)
		b.WriteString("]}")
		offset = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

// writeJSONString writes s (valid UTF-8) as a JSON string the way serde_json
// does: '"' and '\\' escaped, \b \f \n \r \t in short form, other control
// characters as \u00xx, everything else (including non-ASCII, '<', '>', '&',
// U+2028 and U+2029) verbatim.
func writeJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
