package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// Tensor is one named tensor: its element type, its shape (row-major, empty
// for a scalar) and its elements as contiguous little-endian bytes.
//
// Tensors returned by Read share one backing array for their Data (each
// slice is capped at its own end, so appending to one never overwrites
// another). Treat Data as read-only, or copy it first.
type Tensor struct {
	Name  string
	DType DType
	Shape []int64
	Data  []byte
}

// File is the content of a safetensors file: optional string metadata
// (the header's "__metadata__" object) and the tensors.
//
// Write lays the tensors out in slice order; Read returns them in the order
// of their data in the file, so Read(Write(f)) keeps f's order.
type File struct {
	Metadata map[string]string
	Tensors  []Tensor
}

// Tensor returns the tensor called name, and whether there is one. It is
// safe to call on a nil *File.
func (f *File) Tensor(name string) (Tensor, bool) {
	if f == nil {
		return Tensor{}, false
	}
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// F32 returns a float32 tensor holding a little-endian copy of v. It does
// not check that shape matches len(v); Write does.
func F32(name string, shape []int64, v []float32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return Tensor{Name: name, DType: DTypeF32, Shape: cloneShape(shape), Data: b}
}

// F64 returns a float64 tensor holding a little-endian copy of v. It does
// not check that shape matches len(v); Write does.
func F64(name string, shape []int64, v []float64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return Tensor{Name: name, DType: DTypeF64, Shape: cloneShape(shape), Data: b}
}

// I32 returns an int32 tensor holding a little-endian copy of v. It does
// not check that shape matches len(v); Write does.
func I32(name string, shape []int64, v []int32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return Tensor{Name: name, DType: DTypeI32, Shape: cloneShape(shape), Data: b}
}

// I64 returns an int64 tensor holding a little-endian copy of v. It does
// not check that shape matches len(v); Write does.
func I64(name string, shape []int64, v []int64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return Tensor{Name: name, DType: DTypeI64, Shape: cloneShape(shape), Data: b}
}

// U8 returns a uint8 tensor holding a copy of v. It does not check that
// shape matches len(v); Write does.
func U8(name string, shape []int64, v []uint8) Tensor {
	b := make([]byte, len(v))
	copy(b, v)
	return Tensor{Name: name, DType: DTypeU8, Shape: cloneShape(shape), Data: b}
}

// Float32s decodes an F32 tensor. It fails if the dtype is not F32 or the
// data length does not match the shape.
func (t Tensor) Float32s() ([]float32, error) {
	n, err := t.elements(DTypeF32, "Float32s")
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// Float64s decodes an F64 tensor. It fails if the dtype is not F64 or the
// data length does not match the shape.
func (t Tensor) Float64s() ([]float64, error) {
	n, err := t.elements(DTypeF64, "Float64s")
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return out, nil
}

// Int64s decodes an I64 tensor. It fails if the dtype is not I64 or the
// data length does not match the shape.
func (t Tensor) Int64s() ([]int64, error) {
	n, err := t.elements(DTypeI64, "Int64s")
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return out, nil
}

// Int32s decodes an I32 tensor. It fails if the dtype is not I32 or the
// data length does not match the shape.
func (t Tensor) Int32s() ([]int32, error) {
	n, err := t.elements(DTypeI32, "Int32s")
	if err != nil {
		return nil, err
	}
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// elements checks that t has dtype want and that its data holds exactly
// the elements its shape calls for, and returns their number.
func (t Tensor) elements(want DType, method string) (int, error) {
	if t.DType != want {
		return 0, fmt.Errorf("safetensors: tensor %q: %s needs dtype %s, tensor is %q", clip(t.Name), method, want, clip(string(t.DType)))
	}
	if err := t.checkSize(); err != nil {
		return 0, err
	}
	return len(t.Data) / want.Size(), nil
}

// checkSize checks that t's dtype is known and that its data length equals
// the byte size of its shape.
func (t Tensor) checkSize() error {
	if t.DType.Size() == 0 {
		return fmt.Errorf("safetensors: tensor %q: unknown dtype %q", clip(t.Name), clip(string(t.DType)))
	}
	nb, why := numBytes(t.DType, t.Shape)
	if why != "" {
		return fmt.Errorf("safetensors: tensor %q: shape %s %s", clip(t.Name), shapeString(t.Shape), why)
	}
	if nb != int64(len(t.Data)) {
		return fmt.Errorf("safetensors: tensor %q: %s shape %s needs %d bytes, data has %d", clip(t.Name), t.DType, shapeString(t.Shape), nb, len(t.Data))
	}
	return nil
}

func cloneShape(shape []int64) []int64 {
	out := make([]int64, len(shape))
	copy(out, shape)
	return out
}

// shapeString formats a shape for error messages, eliding the middle of
// very long ones so that messages stay short.
func shapeString(shape []int64) string {
	if len(shape) > 16 {
		return fmt.Sprintf("%v...(%d dims)", shape[:16], len(shape))
	}
	return fmt.Sprintf("%v", shape)
}

// clip shortens s for an error message, so that a hostile header with a
// megabyte-long name or number cannot make a megabyte-long error.
func clip(s string) string {
	const limit = 96
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s...(%d bytes)", s[:cut], len(s))
}
