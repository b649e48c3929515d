package safetensors

// DType is the element type of a tensor, spelled as in the safetensors
// header ("F32", "I64", ...).
//
// The constants are named DTypeXXX rather than XXX because the package's
// tensor constructors (F32, F64, I32, I64, U8) already use those names.
type DType string

// The element types this package reads and writes. F16 and BF16 are carried
// as raw little-endian bytes: they can be read, written and round-tripped,
// but Tensor has no decoding accessor for them. The newer 8-bit and
// sub-byte float types of the reference implementation (F8_E4M3, F8_E5M2,
// ...) are not supported and are rejected as unknown dtypes.
const (
	DTypeF32  DType = "F32"  // 32-bit IEEE 754 float
	DTypeF64  DType = "F64"  // 64-bit IEEE 754 float
	DTypeI32  DType = "I32"  // 32-bit signed integer
	DTypeI64  DType = "I64"  // 64-bit signed integer
	DTypeU8   DType = "U8"   // 8-bit unsigned integer
	DTypeI8   DType = "I8"   // 8-bit signed integer
	DTypeU16  DType = "U16"  // 16-bit unsigned integer
	DTypeI16  DType = "I16"  // 16-bit signed integer
	DTypeU32  DType = "U32"  // 32-bit unsigned integer
	DTypeU64  DType = "U64"  // 64-bit unsigned integer
	DTypeF16  DType = "F16"  // 16-bit IEEE 754 half float, raw bytes only
	DTypeBF16 DType = "BF16" // 16-bit bfloat16, raw bytes only
	DTypeBOOL DType = "BOOL" // boolean, one byte per element (0 or 1)
)

// MaxRank is the largest number of dimensions a tensor may have, on read and
// on write. It matches NumPy 2's limit (NPY_MAXDIMS) and bounds the memory a
// hostile header can make Read spend on shapes.
const MaxRank = 64

// Size returns the number of bytes one element of d occupies, or 0 if d is
// not a dtype this package knows.
func (d DType) Size() int {
	switch d {
	case DTypeU8, DTypeI8, DTypeBOOL:
		return 1
	case DTypeU16, DTypeI16, DTypeF16, DTypeBF16:
		return 2
	case DTypeF32, DTypeI32, DTypeU32:
		return 4
	case DTypeF64, DTypeI64, DTypeU64:
		return 8
	}
	return 0
}

// numElements returns the number of elements of a tensor of the given shape
// (1 for the empty shape, a scalar). It fails on a negative dimension, on
// more than MaxRank dimensions, and when the product of the non-zero
// dimensions overflows int64; the last check is made whatever the order of
// the dimensions, so [0, 1<<40, 1<<40] is rejected just like
// [1<<40, 1<<40, 0].
func numElements(shape []int64) (int64, string) {
	if len(shape) > MaxRank {
		return 0, "has more than 64 dimensions"
	}
	n, zero := int64(1), false
	for _, d := range shape {
		switch {
		case d < 0:
			return 0, "has a negative dimension"
		case d == 0:
			zero = true
		default:
			if n > maxInt64/d {
				return 0, "overflows int64 elements"
			}
			n *= d
		}
	}
	if zero {
		return 0, ""
	}
	return n, ""
}

// numBytes returns the byte size of a tensor of the given dtype and shape,
// or a reason why there is none. The dtype must be known.
func numBytes(d DType, shape []int64) (int64, string) {
	n, why := numElements(shape)
	if why != "" {
		return 0, why
	}
	size := int64(d.Size())
	if n > maxInt64/size {
		return 0, "overflows int64 bytes"
	}
	return n * size, ""
}

const maxInt64 = 1<<63 - 1
