package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// allDTypesFile has tensors of every dtype, a scalar, zero-size tensors and
// metadata.
func allDTypesFile() *File {
	raw := func(name string, d DType, shape []int64, data ...byte) Tensor {
		return Tensor{Name: name, DType: d, Shape: shape, Data: data}
	}
	return &File{
		Metadata: map[string]string{"format": "np", "note": "all dtypes", "empty": ""},
		Tensors: []Tensor{
			F32("f32", []int64{2, 3}, []float32{0, 1.5, -2, float32(math.Inf(1)), math.MaxFloat32, math.SmallestNonzeroFloat32}),
			F32("f32.scalar", []int64{}, []float32{42}),
			F32("f32.empty", []int64{0, 3}, nil),
			F64("f64", []int64{3}, []float64{math.Pi, -0.0, math.MaxFloat64}),
			F64("f64.scalar", []int64{}, []float64{-1}),
			I32("i32", []int64{2, 2}, []int32{math.MinInt32, -1, 0, math.MaxInt32}),
			I64("i64", []int64{1, 3}, []int64{math.MinInt64, 7, math.MaxInt64}),
			I64("i64.empty", []int64{3, 0}, []int64{}),
			U8("u8", []int64{4}, []uint8{0, 1, 128, 255}),
			U8("u8.scalar", []int64{}, []uint8{9}),
			raw("i8", DTypeI8, []int64{2}, 0x80, 0x7f),
			raw("u16", DTypeU16, []int64{2}, 1, 0, 0xff, 0xff),
			raw("i16", DTypeI16, []int64{1}, 0x00, 0x80),
			raw("u32", DTypeU32, []int64{1}, 1, 2, 3, 4),
			raw("u64", DTypeU64, []int64{1}, 1, 2, 3, 4, 5, 6, 7, 8),
			raw("f16", DTypeF16, []int64{2}, 0x00, 0x3c, 0x00, 0xc0),
			raw("bf16", DTypeBF16, []int64{1, 1}, 0x80, 0x3f),
			raw("bool", DTypeBOOL, []int64{3}, 1, 0, 1),
			raw("bool.empty", DTypeBOOL, []int64{0}),
		},
	}
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		file *File
	}{
		{"all dtypes", allDTypesFile()},
		{"empty file", &File{}},
		{"metadata only", &File{Metadata: map[string]string{"k": "v"}}},
		{"zero-size tensors first", &File{Tensors: []Tensor{
			F32("z1", []int64{0}, nil), F32("z2", []int64{4, 0, 2}, nil), F32("a", []int64{1}, []float32{1}), F32("z3", []int64{0}, nil),
		}}},
		{"odd names", &File{Tensors: []Tensor{
			U8("", []int64{1}, []uint8{1}),
			U8("quote\" back\\slash\nnew\ttab\x01\x1f\x7f <&> é 世界 \u2028", []int64{1}, []uint8{2}),
			U8("model.layers.0.weight", []int64{1}, []uint8{3}),
		}, Metadata: map[string]string{"json": `{"a": [1, 2]}`, "ctl\x00": "\b\f\r"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			first := mustWrite(t, c.file)
			if again := mustWrite(t, c.file); !bytes.Equal(first, again) {
				t.Fatal("Write is not deterministic")
			}
			if n := binary.LittleEndian.Uint64(first); n%8 != 0 {
				t.Errorf("header length %d is not a multiple of 8", n)
			}
			for _, path := range []string{"sized", "stream"} {
				var got *File
				var err error
				if path == "sized" {
					got, err = Read(bytes.NewReader(first))
				} else {
					got, err = Read(stream{bytes.NewReader(first)})
				}
				if err != nil {
					t.Fatalf("%s Read: %v", path, err)
				}
				if d := sameFile(c.file, got); d != "" {
					t.Fatalf("%s Read differs: %s", path, d)
				}
				if again := mustWrite(t, got); !bytes.Equal(first, again) {
					t.Fatalf("%s: Write(Read(b)) != b", path)
				}
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	f := allDTypesFile()
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := os.WriteFile(path, mustWrite(t, f), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameFile(f, got); d != "" {
		t.Fatal(d)
	}
	// Trailing bytes are seen through the file size, too.
	if err := os.WriteFile(path, append(mustWrite(t, f), 0), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), "1 trailing bytes") {
		t.Fatalf("trailing byte: err = %v", err)
	}
	_, err = ReadFile(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: err = %v", err)
	}
	checkErr(t, err)
}

// TestGolden checks byte-exact agreement with the reference implementation
// on files whose bytes are known: the first is what
// safetensors.numpy.save({"a": np.array([1, 2], dtype=np.float32)},
// metadata={"k": "v"}) produces; the others are the serialization test
// vectors of the reference Rust crate (safetensors/src/tensor.rs).
func TestGolden(t *testing.T) {
	f32le := func(v ...float32) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		return b
	}
	cases := []struct {
		name   string
		header string // JSON text, unpadded
		pad    int    // spaces the reference appends
		data   []byte
		file   *File
	}{
		{
			name:   "numpy a=[1,2] with metadata k=v",
			header: `{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
			pad:    1,
			data:   f32le(1, 2),
			file: &File{Metadata: map[string]string{"k": "v"},
				Tensors: []Tensor{F32("a", []int64{2}, []float32{1, 2})}},
		},
		{
			name:   "reference test_empty",
			header: `{}`,
			pad:    6,
			file:   &File{},
		},
		{
			name:   "reference test_empty with metadata",
			header: `{"__metadata__":{"framework":"pt"}}`,
			pad:    5,
			file:   &File{Metadata: map[string]string{"framework": "pt"}},
		},
		{
			name:   "reference test_serialization_forced_alignement",
			header: `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}`,
			pad:    7,
			data:   f32le(0, 1, 2, 3, 4, 5),
			file:   &File{Tensors: []Tensor{F32("attn0", []int64{1, 1, 2, 3}, []float32{0, 1, 2, 3, 4, 5})}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := rawFile(c.header+strings.Repeat(" ", c.pad), c.data)
			if (len(c.header)+c.pad)%8 != 0 {
				t.Fatalf("bad test: padded header length %d", len(c.header)+c.pad)
			}
			got, err := Read(bytes.NewReader(want))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if d := sameFile(c.file, got); d != "" {
				t.Fatalf("Read: %s", d)
			}
			if out := mustWrite(t, c.file); !bytes.Equal(out, want) {
				t.Fatalf("Write:\n got %q\nwant %q", out, want)
			}
		})
	}
	// The first golden file spelled out byte by byte, prefix included.
	golden := append([]byte{80, 0, 0, 0, 0, 0, 0, 0},
		`{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} `...)
	golden = append(golden, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40)
	if out := mustWrite(t, cases[0].file); !bytes.Equal(out, golden) {
		t.Fatalf("Write:\n got %q\nwant %q", out, golden)
	}
}

// TestWriteHeaderLayout pins the header bytes Write produces: metadata
// first with sorted keys, tensors in the given order, serde_json escaping.
func TestWriteHeaderLayout(t *testing.T) {
	cases := []struct {
		name string
		file *File
		want string
	}{
		{"metadata keys sorted, tensors in given order",
			&File{
				Metadata: map[string]string{"b": "2", "a": "1", "c": "3"},
				Tensors:  []Tensor{U8("z", []int64{1}, []uint8{1}), U8("a", []int64{}, []uint8{2})},
			},
			`{"__metadata__":{"a":"1","b":"2","c":"3"},"z":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[],"data_offsets":[1,2]}}`},
		{"empty metadata omitted",
			&File{Metadata: map[string]string{}, Tensors: []Tensor{F64("x", []int64{0, 3}, nil)}},
			`{"x":{"dtype":"F64","shape":[0,3],"data_offsets":[0,0]}}`},
		{"serde_json escaping",
			&File{Metadata: map[string]string{"q\"\\": "\b\f\n\r\t\x00\x1f\x7f<>&é\u2028"}},
			`{"__metadata__":{"q\"\\":"\b\f\n\r\t\u0000\u001f` + "\x7f<>&é\u2028" + `"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := mustWrite(t, c.file)
			n := binary.LittleEndian.Uint64(out)
			header := string(out[8 : 8+n])
			if got := strings.TrimRight(header, " "); got != c.want {
				t.Fatalf("header\n got %s\nwant %s", got, c.want)
			}
			if len(header)-len(c.want) >= 8 {
				t.Fatalf("over-padded: %d spaces", len(header)-len(c.want))
			}
		})
	}
}

// TestReadAcceptsVariants checks that Read takes what other writers may
// produce: any key order, whitespace, no padding, null metadata, escapes.
func TestReadAcceptsVariants(t *testing.T) {
	ab := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	cases := []struct {
		name   string
		header string
		data   []byte
		want   *File
	}{
		{"tensors not in offset order, metadata last, fields shuffled",
			`{"b":{"data_offsets":[8,12],"shape":[1],"dtype":"I32"},"a":{"shape":[2],"dtype":"F32","data_offsets":[0,8]},"__metadata__":{"x":"y"}}`,
			ab,
			&File{Metadata: map[string]string{"x": "y"}, Tensors: []Tensor{
				{Name: "a", DType: DTypeF32, Shape: []int64{2}, Data: ab[:8]},
				{Name: "b", DType: DTypeI32, Shape: []int64{1}, Data: ab[8:]},
			}}},
		{"pretty-printed with tabs and newlines, no padding",
			"{\n\t\"a\" : { \"dtype\" : \"U8\" , \"shape\" : [ 2 ] , \"data_offsets\" : [ 0 , 2 ] }\n}\r\n",
			ab[:2],
			&File{Tensors: []Tensor{{Name: "a", DType: DTypeU8, Shape: []int64{2}, Data: ab[:2]}}}},
		{"null metadata",
			`{"__metadata__":null,"a":{"dtype":"BOOL","shape":[],"data_offsets":[0,1]}}`,
			ab[:1],
			&File{Tensors: []Tensor{{Name: "a", DType: DTypeBOOL, Shape: []int64{}, Data: ab[:1]}}}},
		{"escaped names",
			`{"\u0061\n":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"__metadata__":{"\u00e9":"\ud83d\ude00"}}`,
			ab[:1],
			&File{Metadata: map[string]string{"é": "😀"}, Tensors: []Tensor{{Name: "a\n", DType: DTypeU8, Shape: []int64{1}, Data: ab[:1]}}}},
		{"zero-size tensors at the same offset as others",
			`{"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]},"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"e":{"dtype":"U8","shape":[0,9],"data_offsets":[8,8]}}`,
			ab[:8],
			&File{Tensors: []Tensor{
				{Name: "a", DType: DTypeU8, Shape: []int64{4}, Data: ab[:4]},
				{Name: "z", DType: DTypeF32, Shape: []int64{0}, Data: nil},
				{Name: "b", DType: DTypeU8, Shape: []int64{4}, Data: ab[4:8]},
				{Name: "e", DType: DTypeU8, Shape: []int64{0, 9}, Data: nil},
			}}},
		{"huge dims with a zero",
			`{"z":{"dtype":"F64","shape":[0,9223372036854775807],"data_offsets":[0,0]}}`,
			nil,
			&File{Tensors: []Tensor{{Name: "z", DType: DTypeF64, Shape: []int64{0, math.MaxInt64}}}}},
		{"lone surrogate escape becomes U+FFFD",
			`{"\ud800":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`,
			ab[:1],
			&File{Tensors: []Tensor{{Name: "\ufffd", DType: DTypeU8, Shape: []int64{}, Data: ab[:1]}}}},
		{"-0 is zero",
			`{"z":{"dtype":"F64","shape":[-0],"data_offsets":[0,-0]}}`,
			nil,
			&File{Tensors: []Tensor{{Name: "z", DType: DTypeF64, Shape: []int64{0}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := rawFile(c.header, c.data)
			for _, r := range []struct {
				name string
				read func() (*File, error)
			}{
				{"sized", func() (*File, error) { return Read(bytes.NewReader(b)) }},
				{"stream", func() (*File, error) { return Read(stream{bytes.NewReader(b)}) }},
			} {
				got, err := r.read()
				if err != nil {
					t.Fatalf("%s: %v", r.name, err)
				}
				if d := sameFile(c.want, got); d != "" {
					t.Fatalf("%s: %s", r.name, d)
				}
			}
		})
	}
}

// malformedCase is a bad input and a fragment its error must contain.
type malformedCase struct {
	name   string
	input  []byte
	want   string       // fragment of the error when the size is known
	stream string       // fragment when it is not, if different
	opts   []ReadOption // extra options
}

func malformedCases() []malformedCase {
	tensor := func(body string) []byte { return rawFile(`{"t":`+body+`}`, make([]byte, 8)) }
	ok := `{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	return []malformedCase{
		{name: "empty input", input: nil, want: "file too short: 0 bytes"},
		{name: "short length prefix", input: []byte{1, 2, 3}, want: "file too short: 3 bytes"},
		{name: "header length larger than the file", input: withLength(100, `{}`),
			want: "header length 100 exceeds file size 10", stream: "truncated header: length 100, file has 2 header bytes"},
		{name: "header length larger than the cap", input: withLength(DefaultMaxHeaderBytes+1, `{}`),
			want: "header length 100000001 exceeds limit 100000000"},
		{name: "header length 2^64-1", input: withLength(math.MaxUint64, `{}`),
			want: "header length 18446744073709551615 exceeds limit"},
		{name: "header length over a custom cap", input: rawFile(`{}      `, nil), opts: []ReadOption{WithMaxHeaderBytes(7)},
			want: "header length 8 exceeds limit 7"},
		{name: "empty header", input: rawFile(``, nil), want: "not valid JSON: unexpected end"},
		{name: "header not JSON", input: rawFile(`{not json}`, nil), want: "not valid JSON: invalid character 'n'"},
		{name: "header not UTF-8", input: rawFile("{\"\xff\":1}", nil), want: "not valid UTF-8"},
		{name: "header JSON array", input: rawFile(`[]`, nil), want: "header is a JSON array, want an object"},
		{name: "header JSON string", input: rawFile(`"x"`, nil), want: "header is a JSON string"},
		{name: "header truncated JSON", input: rawFile(`{"t":{"dtype":"F32"`, nil), want: "not valid JSON: unexpected end"},
		{name: "trailing garbage after object", input: rawFile(`{} x`, nil), want: "non-whitespace after its JSON object"},
		{name: "second JSON object", input: rawFile(`{}{}`, nil), want: "non-whitespace after its JSON object"},
		{name: "NUL padding", input: rawFile("{}\x00\x00", nil), want: "non-whitespace after its JSON object"},
		{name: "offsets beyond the file", input: rawFile(`{"t":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}}`, make([]byte, 8)),
			want: "truncated data: header describes 16 bytes, file has 8"},
		{name: "offset out of int64 range", input: tensor(`{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999]}`),
			want: `tensor "t": data_offsets value 99999999999999999999 is out of range`},
		{name: "offset negative", input: tensor(`{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}`),
			want: `data_offsets value -8 is negative`},
		{name: "offsets end before begin", input: tensor(`{"dtype":"F32","shape":[0],"data_offsets":[8,0]}`),
			want: `tensor "t": data_offsets [8 0] end before they begin`},
		{name: "offsets overlapping",
			input: rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
			want:  `tensor "b": data_offsets [4 12] overlap tensor "a", which ends at 8`},
		{name: "offsets identical",
			input: rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)),
			want:  `overlap tensor "a"`},
		{name: "offsets with a gap",
			input: rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}`, make([]byte, 20)),
			want:  `tensor "b": data_offsets [12 20] leave a gap after tensor "a", which ends at 8`},
		{name: "offsets not starting at 0",
			input: rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
			want:  `tensor "a": data_offsets [4 12] leave a gap: the data buffer starts at 0`},
		{name: "offsets not covering the buffer", input: rawFile(`{"t":`+ok+`}`, make([]byte, 12)),
			want:   "data_offsets do not cover the data buffer: header describes 8 bytes, file has 12 (4 trailing bytes)",
			stream: "data_offsets do not cover the data buffer: header describes 8 bytes, file has trailing bytes"},
		{name: "no tensors but data", input: rawFile(`{}`, []byte{1}), want: "(1 trailing bytes)", stream: "file has trailing bytes"},
		{name: "data over the data cap", input: tensor(ok), opts: []ReadOption{WithMaxDataBytes(7)},
			want: "data buffer of 8 bytes exceeds limit 7"},
		{name: "shape product overflow", input: tensor(`{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}`),
			want: `tensor "t": shape [4294967296 4294967296] overflows int64 elements`},
		{name: "shape product overflow despite a zero", input: tensor(`{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}`),
			want: "overflows int64 elements"},
		{name: "byte size overflow", input: tensor(`{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}`),
			want: `shape [2305843009213693952] overflows int64 bytes`},
		{name: "negative dim", input: tensor(`{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}`),
			want: `tensor "t": shape value -2 is negative`},
		{name: "fractional dim", input: tensor(`{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}`),
			want: `tensor "t": shape value 2.0 is not an integer`},
		{name: "exponent dim", input: tensor(`{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}`),
			want: `shape value 2e0 is not an integer`},
		{name: "huge dim", input: tensor(`{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]}`),
			want: `shape value 9223372036854775808 is out of range`},
		{name: "rank over 64", input: tensor(`{"dtype":"F32","shape":[` + strings.Repeat("1,", 64) + `2],"data_offsets":[0,8]}`),
			want: `shape has more than 64 values`},
		{name: "unknown dtype", input: tensor(`{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}`),
			want: `tensor "t": unknown dtype "F8_E4M3"`},
		{name: "lower-case dtype", input: tensor(`{"dtype":"f32","shape":[2],"data_offsets":[0,8]}`),
			want: `unknown dtype "f32"`},
		{name: "dtype x shape mismatch", input: rawFile(`{"idf":{"dtype":"F32","shape":[3],"data_offsets":[0,10]}}`, make([]byte, 10)),
			want: `safetensors: tensor "idf": data_offsets [0 10] hold 10 bytes, F32 shape [3] needs 12`},
		{name: "dtype x shape mismatch, scalar", input: tensor(`{"dtype":"F32","shape":[],"data_offsets":[0,8]}`),
			want: `data_offsets [0 8] hold 8 bytes, F32 shape [] needs 4`},
		{name: "non-string metadata value", input: rawFile(`{"__metadata__":{"k":1}}`, nil),
			want: `__metadata__ value for key "k" is a JSON number, want a string`},
		{name: "nested metadata value", input: rawFile(`{"__metadata__":{"k":{"a":"b"}}}`, nil),
			want: `__metadata__ value for key "k" is a JSON object`},
		{name: "null metadata value", input: rawFile(`{"__metadata__":{"k":null}}`, nil),
			want: `__metadata__ value for key "k" is a JSON null`},
		{name: "metadata not an object", input: rawFile(`{"__metadata__":["k","v"]}`, nil),
			want: `__metadata__ is a JSON array, want an object of strings`},
		{name: "duplicate tensor", input: rawFile(`{"t":`+ok+`,"t":`+ok+`}`, make([]byte, 8)),
			want: `header has tensor "t" twice`},
		{name: "duplicate tensor via escape", input: rawFile(`{"t":`+ok+`,"\u0074":`+ok+`}`, make([]byte, 8)),
			want: `header has tensor "t" twice`},
		{name: "duplicate metadata", input: rawFile(`{"__metadata__":{},"__metadata__":{}}`, nil),
			want: `header has __metadata__ twice`},
		{name: "duplicate metadata key", input: rawFile(`{"__metadata__":{"k":"v","k":"w"}}`, nil),
			want: `__metadata__ has key "k" twice`},
		{name: "duplicate field", input: tensor(`{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}`),
			want: `tensor "t": field dtype given twice`},
		{name: "missing dtype", input: tensor(`{"shape":[2],"data_offsets":[0,8]}`), want: `tensor "t": missing dtype`},
		{name: "missing shape", input: tensor(`{"dtype":"F32","data_offsets":[0,8]}`), want: `tensor "t": missing shape`},
		{name: "missing offsets", input: tensor(`{"dtype":"F32","shape":[2]}`), want: `tensor "t": missing data_offsets`},
		{name: "unknown field", input: tensor(`{"dtype":"F32","shape":[2],"data_offsets":[0,8],"stride":[1]}`),
			want: `tensor "t": unknown field "stride"`},
		{name: "tensor not an object", input: tensor(`[1,2]`), want: `tensor "t": entry is a JSON array, want an object`},
		{name: "dtype not a string", input: tensor(`{"dtype":4,"shape":[2],"data_offsets":[0,8]}`),
			want: `tensor "t": dtype is a JSON number, want a string`},
		{name: "shape not an array", input: tensor(`{"dtype":"F32","shape":2,"data_offsets":[0,8]}`),
			want: `tensor "t": shape is a JSON number, want an array of integers`},
		{name: "shape of strings", input: tensor(`{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}`),
			want: `tensor "t": shape holds a JSON string, want integers`},
		{name: "shape nested", input: tensor(`{"dtype":"F32","shape":[[2]],"data_offsets":[0,8]}`),
			want: `tensor "t": shape holds a JSON array, want integers`},
		{name: "one offset", input: tensor(`{"dtype":"F32","shape":[2],"data_offsets":[8]}`),
			want: `tensor "t": data_offsets has 1 values, want 2`},
		{name: "three offsets", input: tensor(`{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}`),
			want: `tensor "t": data_offsets has more than 2 values`},
		{name: "truncated data", input: rawFile(`{"t":`+ok+`}`, make([]byte, 5)),
			want: "truncated data: header describes 8 bytes, file has 5"},
		{name: "truncated data, no data at all", input: rawFile(`{"t":`+ok+`}`, nil),
			want: "truncated data: header describes 8 bytes, file has 0"},
	}
}

func TestReadMalformed(t *testing.T) {
	for _, c := range malformedCases() {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range []string{"sized", "stream"} {
				var err error
				if path == "sized" {
					_, err = Read(bytes.NewReader(c.input), c.opts...)
				} else {
					_, err = Read(stream{bytes.NewReader(c.input)}, c.opts...)
				}
				want := c.want
				if path == "stream" && c.stream != "" {
					want = c.stream
				}
				if err == nil {
					t.Fatalf("%s: no error, want %q", path, want)
				}
				checkErr(t, err)
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("%s: error %q does not contain %q", path, err, want)
				}
			}
		})
	}
}

// errReader fails after yielding its bytes.
type errReader struct {
	b   []byte
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestReadIOErrors(t *testing.T) {
	boom := errors.New("boom")
	valid := mustWrite(t, &File{Tensors: []Tensor{F32("a", []int64{2}, []float32{1, 2})}})
	for _, cut := range []int{0, 4, 8, 20, len(valid) - 3, len(valid)} {
		_, err := Read(&errReader{b: valid[:cut], err: boom})
		if !errors.Is(err, boom) {
			t.Fatalf("cut at %d: err = %v, want boom", cut, err)
		}
		checkErr(t, err)
	}
}

// TestReadDoesNotTrustLengths checks that huge claimed sizes on a stream
// cost memory in proportion to the input, not to the claims.
func TestReadDoesNotTrustLengths(t *testing.T) {
	cases := []struct {
		name  string
		input []byte
	}{
		{"header claims 99 MB", withLength(99_000_000, `{"a":`)},
		{"data claims 8 GiB", rawFile(`{"a":{"dtype":"U8","shape":[8589934592],"data_offsets":[0,8589934592]}}`, []byte{1, 2, 3})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := 0; i < 10; i++ {
				if _, err := Read(stream{bytes.NewReader(c.input)}); err == nil {
					t.Fatal("no error")
				}
			}
			runtime.ReadMemStats(&after)
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 10*(2*readChunk+64<<10) {
				t.Fatalf("10 reads allocated %d bytes", grown)
			}
		})
	}
}

// lyingLen claims far more bytes than it has; Read must not believe it.
type lyingLen struct{ *bytes.Reader }

func (lyingLen) Len() int { return 1 << 40 }

func TestReadSizeSources(t *testing.T) {
	f := allDTypesFile()
	b := mustWrite(t, f)
	sized := func(r io.Reader) func() (*File, error) { return func() (*File, error) { return Read(r) } }
	cases := []struct {
		name string
		read func() (*File, error)
	}{
		{"bytes.Reader", sized(bytes.NewReader(b))},
		{"bytes.Buffer", sized(bytes.NewBuffer(b))},
		{"strings.Reader", sized(strings.NewReader(string(b)))},
		{"SectionReader", sized(io.NewSectionReader(bytes.NewReader(append(b, "tail"...)), 0, int64(len(b))))},
		{"lying Len", sized(lyingLen{bytes.NewReader(b)})},
		{"stream", sized(stream{bytes.NewReader(b)})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.read()
			if err != nil {
				t.Fatal(err)
			}
			if d := sameFile(f, got); d != "" {
				t.Fatal(d)
			}
		})
	}
	// A lying Len on a short input must cost little memory.
	short := rawFile(`{"a":{"dtype":"U8","shape":[8589934592],"data_offsets":[0,8589934592]}}`, []byte{1})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Read(lyingLen{bytes.NewReader(short)})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated data: header describes 8589934592 bytes, file has 1") {
		t.Fatalf("err = %v", err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<20 {
		t.Fatalf("allocated %d bytes", grown)
	}
}

func TestLongNamesInErrors(t *testing.T) {
	long := strings.Repeat("é", 10000)
	_, err := Read(bytes.NewReader(rawFile(`{"`+long+`":{"dtype":"X"}}`, nil)))
	if err == nil {
		t.Fatal("no error")
	}
	checkErr(t, err)
	if len(err.Error()) > 300 || !strings.Contains(err.Error(), "...(20000 bytes)") {
		t.Fatalf("error not clipped: %d bytes: %.200s", len(err.Error()), err)
	}
	_, err = Read(bytes.NewReader(rawFile(`{"t":{"dtype":"U8","shape":[`+strings.Repeat("9", 5000)+`]}}`, nil)))
	if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(), "is out of range") {
		t.Fatalf("number not clipped: %.300v", err)
	}
}

func TestWriteValidation(t *testing.T) {
	good := F32("a", []int64{1}, []float32{1})
	cases := []struct {
		name string
		file *File
		want string
	}{
		{"nil file", nil, "safetensors: Write of a nil *File"},
		{"duplicate name", &File{Tensors: []Tensor{good, good}}, `safetensors: duplicate tensor name "a"`},
		{"reserved name", &File{Tensors: []Tensor{F32("__metadata__", nil, []float32{1})}}, `tensor name "__metadata__" is reserved`},
		{"invalid UTF-8 name", &File{Tensors: []Tensor{F32("\xff", nil, []float32{1})}}, `tensor name "\xff" is not valid UTF-8`},
		{"invalid UTF-8 metadata key", &File{Metadata: map[string]string{"\xfe": ""}}, `metadata key "\xfe" is not valid UTF-8`},
		{"invalid UTF-8 metadata value", &File{Metadata: map[string]string{"k": "\xfe"}}, `metadata value for key "k" is not valid UTF-8`},
		{"data too short", &File{Tensors: []Tensor{F32("a", []int64{3}, []float32{1, 2})}}, `tensor "a": F32 shape [3] needs 12 bytes, data has 8`},
		{"data too long", &File{Tensors: []Tensor{I64("a", []int64{}, []int64{1, 2})}}, `tensor "a": I64 shape [] needs 8 bytes, data has 16`},
		{"negative dim", &File{Tensors: []Tensor{F32("a", []int64{-1}, nil)}}, `tensor "a": shape [-1] has a negative dimension`},
		{"overflow", &File{Tensors: []Tensor{F32("a", []int64{1 << 62, 4}, nil)}}, `shape [4611686018427387904 4] overflows int64 elements`},
		{"byte overflow", &File{Tensors: []Tensor{F32("a", []int64{1 << 62}, nil)}}, `overflows int64 bytes`},
		{"rank", &File{Tensors: []Tensor{F32("a", make([]int64, 65), nil)}}, `has more than 64 dimensions`},
		{"unknown dtype", &File{Tensors: []Tensor{{Name: "a", DType: "F8_E4M3", Data: []byte{1}}}}, `tensor "a": unknown dtype "F8_E4M3"`},
		{"empty dtype", &File{Tensors: []Tensor{{Name: "a"}}}, `tensor "a": unknown dtype ""`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Write(&b, c.file)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			checkErr(t, err)
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
			if b.Len() != 0 {
				t.Fatalf("wrote %d bytes before failing", b.Len())
			}
		})
	}
}

// shortWriter accepts at most n bytes per call without an error.
type shortWriter struct{ n int }

func (w shortWriter) Write(p []byte) (int, error) { return min(len(p), w.n), nil }

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	f := allDTypesFile()
	if err := Write(shortWriter{3}, f); !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("short write: %v", err)
	}
	err := Write(failWriter{}, f)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("failing writer: %v", err)
	}
	checkErr(t, err)
}

func TestAccessors(t *testing.T) {
	f32 := F32("f", []int64{2}, []float32{1.5, -2})
	f64 := F64("d", []int64{1, 2}, []float64{math.E, math.Inf(-1)})
	i32 := I32("i", []int64{2}, []int32{-7, math.MaxInt32})
	i64 := I64("l", []int64{}, []int64{math.MinInt64})
	t.Run("values", func(t *testing.T) {
		if v, err := f32.Float32s(); err != nil || !slices.Equal(v, []float32{1.5, -2}) {
			t.Errorf("Float32s = %v, %v", v, err)
		}
		if v, err := f64.Float64s(); err != nil || !slices.Equal(v, []float64{math.E, math.Inf(-1)}) {
			t.Errorf("Float64s = %v, %v", v, err)
		}
		if v, err := i32.Int32s(); err != nil || !slices.Equal(v, []int32{-7, math.MaxInt32}) {
			t.Errorf("Int32s = %v, %v", v, err)
		}
		if v, err := i64.Int64s(); err != nil || !slices.Equal(v, []int64{math.MinInt64}) {
			t.Errorf("Int64s = %v, %v", v, err)
		}
		nan := F32("n", []int64{1}, []float32{float32(math.NaN())})
		if v, err := nan.Float32s(); err != nil || !math.IsNaN(float64(v[0])) {
			t.Errorf("NaN = %v, %v", v, err)
		}
		if v, err := F32("e", []int64{0, 3}, nil).Float32s(); err != nil || len(v) != 0 {
			t.Errorf("empty = %v, %v", v, err)
		}
	})
	errCases := []struct {
		name string
		call func() error
		want string
	}{
		{"Float32s on F64", func() error { _, err := f64.Float32s(); return err }, `tensor "d": Float32s needs dtype F32, tensor is "F64"`},
		{"Float64s on F32", func() error { _, err := f32.Float64s(); return err }, `Float64s needs dtype F64`},
		{"Int32s on I64", func() error { _, err := i64.Int32s(); return err }, `Int32s needs dtype I32`},
		{"Int64s on I32", func() error { _, err := i32.Int64s(); return err }, `Int64s needs dtype I64`},
		{"shape mismatch", func() error { _, err := F32("m", []int64{3}, []float32{1}).Float32s(); return err }, `F32 shape [3] needs 12 bytes, data has 4`},
		{"ragged data", func() error {
			_, err := Tensor{Name: "r", DType: DTypeI64, Shape: []int64{1}, Data: make([]byte, 9)}.Int64s()
			return err
		}, `needs 8 bytes, data has 9`},
		{"negative dim", func() error {
			_, err := Tensor{Name: "n", DType: DTypeI32, Shape: []int64{-1}}.Int32s()
			return err
		}, `negative dimension`},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatal("no error")
			}
			checkErr(t, err)
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestConstructorsCopy(t *testing.T) {
	shape := []int64{2}
	v := []uint8{1, 2}
	u := U8("u", shape, v)
	shape[0], v[0] = 9, 9
	if u.Shape[0] != 2 || u.Data[0] != 1 {
		t.Fatalf("constructor aliases its arguments: %+v", u)
	}
	if u.Shape == nil || F32("s", nil, []float32{1}).Shape == nil {
		t.Fatal("nil shape not normalized to empty")
	}
}

func TestFileTensor(t *testing.T) {
	f := allDTypesFile()
	if tt, ok := f.Tensor("i64"); !ok || tt.DType != DTypeI64 {
		t.Fatalf("Tensor(i64) = %+v, %v", tt, ok)
	}
	if _, ok := f.Tensor("nope"); ok {
		t.Fatal("found a missing tensor")
	}
	var nilFile *File
	if _, ok := nilFile.Tensor("x"); ok {
		t.Fatal("nil file has a tensor")
	}
}

func TestReadDataIsolation(t *testing.T) {
	f, err := Read(bytes.NewReader(mustWrite(t, &File{Tensors: []Tensor{
		U8("a", []int64{2}, []uint8{1, 2}), U8("b", []int64{2}, []uint8{3, 4}),
	}})))
	if err != nil {
		t.Fatal(err)
	}
	_ = append(f.Tensors[0].Data, 99)
	if f.Tensors[1].Data[0] != 3 {
		t.Fatal("appending to one tensor's Data overwrote the next")
	}
}

func TestDTypeSize(t *testing.T) {
	want := map[DType]int{
		DTypeF32: 4, DTypeF64: 8, DTypeI32: 4, DTypeI64: 8, DTypeU8: 1, DTypeI8: 1, DTypeU16: 2,
		DTypeI16: 2, DTypeU32: 4, DTypeU64: 8, DTypeF16: 2, DTypeBF16: 2, DTypeBOOL: 1, "F8_E5M2": 0, "": 0,
	}
	for d, n := range want {
		if got := d.Size(); got != n {
			t.Errorf("%q.Size() = %d, want %d", d, got, n)
		}
	}
}

func TestOptions(t *testing.T) {
	b := mustWrite(t, &File{Tensors: []Tensor{U8("a", []int64{8}, make([]uint8, 8))}})
	n := int64(binary.LittleEndian.Uint64(b))
	if _, err := Read(bytes.NewReader(b), WithMaxHeaderBytes(n), WithMaxDataBytes(8), nil); err != nil {
		t.Fatalf("limits equal to the sizes: %v", err)
	}
	if _, err := Read(bytes.NewReader(b), WithMaxDataBytes(-1)); err == nil || !strings.Contains(err.Error(), "exceeds limit 0") {
		t.Fatalf("negative data limit: %v", err)
	}
	if _, err := Read(bytes.NewReader(b), WithMaxHeaderBytes(-5)); err == nil || !strings.Contains(err.Error(), "exceeds limit 0") {
		t.Fatalf("negative header limit: %v", err)
	}
}
