package safetensors

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read through both of its paths (input
// of known size, and a stream of unknown size) and checks that it never
// panics, that both paths agree on success, that errors are well formed,
// and that whatever it accepts survives Write and Read again unchanged.
func FuzzRead(f *testing.F) {
	valid := []*File{
		allDTypesFile(),
		{},
		{Metadata: map[string]string{"k": "v"}, Tensors: []Tensor{F32("a", []int64{2}, []float32{1, 2})}},
		{Tensors: []Tensor{F32("z", []int64{0}, nil), I64("s", nil, []int64{5}), U8("b", []int64{2, 2}, []uint8{1, 2, 3, 4})}},
	}
	for _, v := range valid {
		f.Add(mustWrite(f, v))
	}
	for _, c := range malformedCases() {
		if len(c.opts) == 0 {
			f.Add(c.input)
		}
	}
	f.Add(rawFile(`{"b":{"data_offsets":[8,12],"shape":[1],"dtype":"I32"},"a":{"shape":[2],"dtype":"F32","data_offsets":[0,8]},"__metadata__":null}`, make([]byte, 12)))

	f.Fuzz(func(t *testing.T, in []byte) {
		// Small limits keep each run cheap; the stream path would
		// otherwise start a 64 KiB chunk for any claimed length.
		opts := []ReadOption{WithMaxHeaderBytes(1 << 16), WithMaxDataBytes(1 << 20)}
		got, err := Read(bytes.NewReader(in), opts...)
		got2, err2 := Read(stream{bytes.NewReader(in)}, opts...)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("sized and stream reads disagree: %v vs %v", err, err2)
		}
		// With the default limits, the sized path must agree too.
		if _, err3 := Read(bytes.NewReader(in)); err3 == nil && err != nil && len(in) < 1<<16 {
			t.Fatalf("default limits accept what small limits refuse: %v", err)
		}
		if err != nil {
			checkErr(t, err)
			checkErr(t, err2)
			return
		}
		if d := sameFile(got, got2); d != "" {
			t.Fatalf("sized and stream reads differ: %s", d)
		}
		var total int
		for _, tn := range got.Tensors {
			total += len(tn.Data)
			// Accessors must not panic whatever the dtype.
			_, _ = tn.Float32s()
			_, _ = tn.Float64s()
			_, _ = tn.Int32s()
			_, _ = tn.Int64s()
			if _, ok := got.Tensor(tn.Name); !ok {
				t.Fatalf("Tensor(%q) not found", tn.Name)
			}
		}
		n := binary.LittleEndian.Uint64(in)
		if uint64(total) != uint64(len(in))-8-n {
			t.Fatalf("tensors hold %d bytes, file has %d data bytes", total, uint64(len(in))-8-n)
		}
		var out bytes.Buffer
		if err := Write(&out, got); err != nil {
			t.Fatalf("Write of an accepted file: %v", err)
		}
		back, err := Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("Read of Write's output: %v", err)
		}
		if d := sameFile(got, back); d != "" {
			t.Fatalf("round trip differs: %s", d)
		}
		if again := mustWrite(t, back); !bytes.Equal(again, out.Bytes()) {
			t.Fatal("Write(Read(Write(f))) != Write(f)")
		}
	})
}
