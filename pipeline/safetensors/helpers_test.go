package safetensors

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
)

// stream hides the size of its reader, forcing Read's incremental path.
type stream struct{ r io.Reader }

func (s stream) Read(p []byte) (int, error) { return s.r.Read(p) }

// rawFile assembles a file from a header, unpadded, and data bytes.
func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// withLength assembles a file whose length prefix is n whatever follows.
func withLength(n uint64, rest string) []byte {
	b := binary.LittleEndian.AppendUint64(nil, n)
	return append(b, rest...)
}

func mustWrite(t testing.TB, f *File) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, f); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return b.Bytes()
}

// sameFile reports how a and b differ, or "" (nil and empty slices and
// maps are equal).
func sameFile(a, b *File) string {
	if len(a.Metadata) != len(b.Metadata) || !maps.Equal(a.Metadata, b.Metadata) {
		return fmt.Sprintf("metadata %v != %v", a.Metadata, b.Metadata)
	}
	if len(a.Tensors) != len(b.Tensors) {
		return fmt.Sprintf("%d tensors != %d", len(a.Tensors), len(b.Tensors))
	}
	for i := range a.Tensors {
		x, y := a.Tensors[i], b.Tensors[i]
		if x.Name != y.Name || x.DType != y.DType || !slices.Equal(x.Shape, y.Shape) || !bytes.Equal(x.Data, y.Data) {
			return fmt.Sprintf("tensor %d: %+v != %+v", i, x, y)
		}
	}
	return ""
}

// checkErr checks the house style of errors: prefixed, single line.
func checkErr(t testing.TB, err error) {
	t.Helper()
	if msg := err.Error(); !strings.HasPrefix(msg, "safetensors: ") || strings.ContainsAny(msg, "\n\r") {
		t.Fatalf("badly formed error %q", msg)
	}
}
