package stream

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// biggestAlloc records the largest buffer asked of a checked allocator.
type biggestAlloc struct {
	*memory.CheckedAllocator
	biggest int
}

func (a *biggestAlloc) Allocate(n int) []byte {
	a.biggest = max(a.biggest, n)
	return a.CheckedAllocator.Allocate(n)
}

func (a *biggestAlloc) Reallocate(n int, b []byte) []byte {
	a.biggest = max(a.biggest, n)
	return a.CheckedAllocator.Reallocate(n, b)
}

// writeIPC writes recs as an Arrow IPC stream or file (file true) with the
// given writer options, and returns the bytes.
func writeIPC(t *testing.T, file bool, sc *arrow.Schema, recs []arrow.RecordBatch, opts ...ipc.Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	opts = append(opts, ipc.WithSchema(sc))
	var w interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	if file {
		fw, err := ipc.NewFileWriter(&buf, opts...)
		if err != nil {
			t.Fatal(err)
		}
		w = fw
	} else {
		w = ipc.NewWriter(&buf, opts...)
	}
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// drain opens path with mem, reads to the end, closes, and returns the
// rows read and the first error.
func drain(t *testing.T, path string, mem memory.Allocator) (int64, error) {
	t.Helper()
	rd, err := Open(context.Background(), []string{path}, WithAllocator(mem))
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	var rows int64
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows += rec.NumRows()
	}
}

// repetitive is one batch of n equal int64 values and n equal strings:
// compressed, a tiny body that claims a lot.
func repetitive(mem memory.Allocator, n int) (*arrow.Schema, arrow.RecordBatch) {
	sc := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}, {Name: "text", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	for range n {
		b.Field(0).(*array.Int64Builder).Append(42)
		b.Field(1).(*array.StringBuilder).Append("the same text again")
	}
	return sc, b.NewRecordBatch()
}

// Compressed streams and files read back, including a batch compressed
// far beyond ipcPlausibleRatio, whose claims are checked by decompressing.
func TestIPCCompressed(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  ipc.Option
	}{{"lz4", ipc.WithLZ4()}, {"zstd", ipc.WithZstd()}} {
		for _, n := range []int{10, 300_000} {
			for _, file := range []bool{false, true} {
				sc, rec := repetitive(memory.DefaultAllocator, n)
				data := writeIPC(t, file, sc, []arrow.RecordBatch{rec}, c.opt)
				rec.Release()
				name := "in.arrows"
				if file {
					name = "in.arrow"
				}
				p := filepath.Join(t.TempDir(), name)
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
				mem := checkedMem(t)
				rows, err := drain(t, p, mem)
				if err != nil || rows != int64(n) {
					t.Errorf("%s, %d rows, %s: read %d rows, error %v", c.name, n, name, rows, err)
				}
			}
		}
	}
}

// ipcStreamMessages splits an Arrow IPC stream into its messages'
// metadata and body positions.
func ipcStreamMessages(t *testing.T, data []byte) (metas [][2]int, bodies [][2]int) {
	t.Helper()
	for p := 0; p+8 <= len(data); {
		n := int(binary.LittleEndian.Uint32(data[p+4:]))
		if n == 0 {
			break
		}
		meta := data[p+8 : p+8+n]
		info, err := checkIPCMessageMeta(meta)
		if err != nil {
			t.Fatal(err)
		}
		metas = append(metas, [2]int{p + 8, p + 8 + n})
		bodies = append(bodies, [2]int{p + 8 + n, p + 8 + n + int(info.bodyLen)})
		p += 8 + n + int(info.bodyLen)
	}
	return metas, bodies
}

// A compressed buffer whose length prefix claims 1 GiB is refused before
// anything of that size is allocated.
func TestIPCCompressedClaim(t *testing.T) {
	sc, rec := repetitive(memory.DefaultAllocator, 100)
	data := writeIPC(t, false, sc, []arrow.RecordBatch{rec}, ipc.WithZstd())
	rec.Release()
	metas, bodies := ipcStreamMessages(t, data)
	if len(metas) != 2 {
		t.Fatalf("%d messages", len(metas))
	}
	c := newFBCheck(data[metas[1][0]:metas[1][1]])
	h, _ := c.sub(c.root(), 2)
	start, n := c.vector(h, 2, 16)
	patched := 0
	for i := range n {
		off, length := c.i64(start+16*i), c.i64(start+16*i+8)
		if length >= 8 {
			binary.LittleEndian.PutUint64(data[bodies[1][0]+int(off):], 1<<30)
			patched++
		}
	}
	if c.err != nil || patched == 0 {
		t.Fatalf("no compressed buffer to patch (%v)", c.err)
	}
	p := filepath.Join(t.TempDir(), "in.arrows")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mem := &biggestAlloc{CheckedAllocator: checkedMem(t)}
	_, err := drain(t, p, mem)
	if !IsDataError(err) || !strings.Contains(err.Error(), "claims 1073741824 bytes") {
		t.Errorf("error %v, want a DataError about the claim", err)
	}
	if mem.biggest > 1<<20 {
		t.Errorf("allocated a buffer of %d bytes", mem.biggest)
	}
}

// A batch whose columns hold more values than the batch has rows (which
// arrow-go's readers accept) is a DataError naming the column and the
// batch's first row.
func TestIPCColumnLongerThanBatch(t *testing.T) {
	mem := memory.DefaultAllocator
	sc, full := repetitive(mem, 5)
	defer full.Release()
	first := array.NewRecordBatch(sc, []arrow.Array{array.NewSlice(full.Column(0), 0, 3), array.NewSlice(full.Column(1), 0, 3)}, 3)
	defer first.Release()
	for _, col := range first.Columns() {
		col.Release() // held by the batch
	}
	long := array.NewRecordBatch(sc, full.Columns(), 3) // 5 values, 3 rows
	defer long.Release()
	for _, file := range []bool{false, true} {
		name := "in.arrows"
		if file {
			name = "in.arrow"
		}
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, writeIPC(t, file, sc, []arrow.RecordBatch{first, long}), 0o644); err != nil {
			t.Fatal(err)
		}
		rows, err := drain(t, p, checkedMem(t))
		if rows != 3 || !IsDataError(err) || !strings.Contains(err.Error(), `: row 3: column "n": `) ||
			!strings.Contains(err.Error(), "column of 5 values in a batch of 3 rows") {
			t.Errorf("%s: read %d rows, error %v", name, rows, err)
		}
	}
}

// A stream batch bigger than readBody's first chunk reads back whole.
func TestIPCStreamBigBody(t *testing.T) {
	sc, rec := repetitive(memory.DefaultAllocator, 400_000) // ~11 MB body
	data := writeIPC(t, false, sc, []arrow.RecordBatch{rec})
	rec.Release()
	p := filepath.Join(t.TempDir(), "in.arrows")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := drain(t, p, checkedMem(t))
	if err != nil || rows != 400_000 {
		t.Errorf("read %d rows, error %v", rows, err)
	}
	// Truncated inside the body: a DataError, not the end of the stream.
	if err := os.WriteFile(p, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := drain(t, p, checkedMem(t)); !IsDataError(err) || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("truncated stream: error %v", err)
	}
}

// A zstd frame that declares a window far beyond the data (arrow-go's
// decoder would allocate twice the window before decoding) is refused.
func TestIPCZstdWindow(t *testing.T) {
	sc, rec := repetitive(memory.DefaultAllocator, 100)
	data := writeIPC(t, false, sc, []arrow.RecordBatch{rec}, ipc.WithZstd())
	rec.Release()
	metas, bodies := ipcStreamMessages(t, data)
	c := newFBCheck(data[metas[1][0]:metas[1][1]])
	h, _ := c.sub(c.root(), 2)
	start, n := c.vector(h, 2, 16)
	patched := false
	for i := range n {
		off, length := c.i64(start+16*i), c.i64(start+16*i+8)
		buf := data[bodies[1][0]+int(off) : bodies[1][0]+int(off+length)]
		if length < 8 || int64(binary.LittleEndian.Uint64(buf)) == -1 {
			continue
		}
		frame := buf[8:]
		if binary.LittleEndian.Uint32(frame) != 0xFD2FB528 {
			t.Fatalf("buffer %d is not a zstd frame", i)
		}
		fhd := frame[4]
		if fhd&0x20 == 0 {
			frame[5] = 0xF8 // window descriptor: 2^41 bytes
		} else {
			frame[4] = fhd&^0xC0 | 0xC0 // 8-byte content size
			if fhd>>6 != 3 {
				t.Skip("cannot widen the content size field in place")
			}
			for j := 5 + []int{0, 1, 2, 4}[fhd&3]; j < 13; j++ {
				frame[j] = 0xFF
			}
		}
		patched = true
		break
	}
	if c.err != nil || !patched {
		t.Fatalf("no zstd buffer to patch (%v)", c.err)
	}
	p := filepath.Join(t.TempDir(), "in.arrows")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mem := &biggestAlloc{CheckedAllocator: checkedMem(t)}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := drain(t, p, mem)
	runtime.ReadMemStats(&after)
	if !IsDataError(err) || !strings.Contains(err.Error(), "declares a window") {
		t.Errorf("error %v, want a DataError about the window", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<20 {
		t.Errorf("allocated %d MiB", d>>20)
	}
}
