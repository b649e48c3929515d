package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// arrow-go decodes Arrow IPC metadata (flatbuffers) without bounds checks
// and sizes its allocations by the counts and lengths it reads: a schema
// that claims 2^30 fields makes it allocate 94 GB before it reads the
// first. The checks here walk the same metadata with bounds checks before
// arrow-go sees it, and bound every count and length by the bytes that
// back it.

const (
	// ipcMaxMetadata is the largest message metadata (a schema, a batch's
	// layout) read: arrow-go's default. It is read as it arrives, so a
	// claim costs nothing until the bytes are there.
	ipcMaxMetadata = 64 << 20
	// ipcMaxBody is the largest message body (one batch) read. It too is
	// read as it arrives.
	ipcMaxBody = 2 << 30
	// ipcMaxDepth is the deepest nesting of types read (arrow-go's limit
	// when it loads arrays).
	ipcMaxDepth = 64
	// ipcPlausibleRatio bounds the decompressed size a compressed body may
	// claim before every claim is checked by decompressing.
	ipcPlausibleRatio = 256
)

// Arrow IPC flatbuffer enums (format/Message.fbs, Schema.fbs).
const (
	fbHeaderSchema          = 1
	fbHeaderDictionaryBatch = 2
	fbHeaderRecordBatch     = 3
	fbTypeUnion             = 14
	fbCodecLZ4Frame         = 0
	fbCodecZstd             = 1
)

// fbCheck reads a flatbuffer with bounds checks. The first problem is kept
// in err and every later read returns zero values. budget bounds what the
// metadata makes arrow-go materialise (fields, key-value pairs, names):
// tables may be shared, so a few bytes can describe a huge tree.
type fbCheck struct {
	b      []byte
	err    error
	budget int64
}

func newFBCheck(b []byte) *fbCheck {
	return &fbCheck{b: b, budget: 4*int64(len(b)) + 64<<10}
}

// fbTab is a table: its position, its vtable's and their sizes.
type fbTab struct{ pos, vt, vtLen, tabLen int }

func (c *fbCheck) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

func (c *fbCheck) in(p, n int) bool {
	if c.err != nil {
		return false
	}
	if p < 0 || n < 0 || p > len(c.b)-n {
		c.fail("offset %d+%d outside the %d-byte metadata", p, n, len(c.b))
		return false
	}
	return true
}

func (c *fbCheck) u8(p int) uint8 {
	if !c.in(p, 1) {
		return 0
	}
	return c.b[p]
}

func (c *fbCheck) u16(p int) int {
	if !c.in(p, 2) {
		return 0
	}
	return int(binary.LittleEndian.Uint16(c.b[p:]))
}

func (c *fbCheck) u32(p int) uint32 {
	if !c.in(p, 4) {
		return 0
	}
	return binary.LittleEndian.Uint32(c.b[p:])
}

func (c *fbCheck) i64(p int) int64 {
	if !c.in(p, 8) {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(c.b[p:]))
}

// spend takes n from the budget.
func (c *fbCheck) spend(n int64) {
	c.budget -= n
	if c.budget < 0 {
		c.fail("metadata describes far more fields or key-values than its %d bytes hold", len(c.b))
	}
}

// root is the buffer's root table.
func (c *fbCheck) root() fbTab { return c.table(int(c.u32(0))) }

// table checks the table at pos and its vtable.
func (c *fbCheck) table(pos int) fbTab {
	so := int64(int32(c.u32(pos)))
	if c.err != nil {
		return fbTab{}
	}
	vt := int64(pos) - so
	if vt < 0 || vt > int64(len(c.b))-4 {
		c.fail("table at %d has its vtable outside the metadata", pos)
		return fbTab{}
	}
	t := fbTab{pos: pos, vt: int(vt), vtLen: c.u16(int(vt)), tabLen: c.u16(int(vt) + 2)}
	if t.vtLen < 4 || t.vtLen%2 != 0 || t.tabLen < 4 || !c.in(t.vt, t.vtLen) || !c.in(pos, t.tabLen) {
		c.fail("malformed table at %d", pos)
		return fbTab{}
	}
	for e := 4; e < t.vtLen; e += 2 {
		if o := c.u16(t.vt + e); o != 0 && (o < 4 || o >= t.tabLen) {
			c.fail("table at %d has a field outside it", pos)
			return fbTab{}
		}
	}
	return t
}

// field is the position of field slot (of size bytes) in t, or -1.
func (c *fbCheck) field(t fbTab, slot, size int) int {
	e := 4 + 2*slot
	if c.err != nil || e+2 > t.vtLen {
		return -1
	}
	o := c.u16(t.vt + e)
	if o == 0 {
		return -1
	}
	if o+size > t.tabLen {
		c.fail("field %d of the table at %d overruns it", slot, t.pos)
		return -1
	}
	return t.pos + o
}

func (c *fbCheck) fieldU8(t fbTab, slot int) uint8 {
	if p := c.field(t, slot, 1); p >= 0 {
		return c.u8(p)
	}
	return 0
}

func (c *fbCheck) fieldI64(t fbTab, slot int) int64 {
	if p := c.field(t, slot, 8); p >= 0 {
		return c.i64(p)
	}
	return 0
}

// ref is where the offset field slot of t points, or -1.
func (c *fbCheck) ref(t fbTab, slot int) int {
	p := c.field(t, slot, 4)
	if p < 0 {
		return -1
	}
	to := int64(p) + int64(c.u32(p))
	if c.err == nil && to > int64(len(c.b))-4 {
		c.fail("field %d of the table at %d points outside the metadata", slot, t.pos)
	}
	if c.err != nil {
		return -1
	}
	return int(to)
}

// sub is the table field slot of t points to; ok is false when absent.
func (c *fbCheck) sub(t fbTab, slot int) (fbTab, bool) {
	to := c.ref(t, slot)
	if to < 0 {
		return fbTab{}, false
	}
	s := c.table(to)
	return s, c.err == nil
}

// vector checks the vector field slot of t, of elements of elem bytes,
// and returns where its elements start and how many there are.
func (c *fbCheck) vector(t fbTab, slot, elem int) (start, n int) {
	to := c.ref(t, slot)
	if to < 0 {
		return 0, 0
	}
	count := int64(c.u32(to))
	start = to + 4
	if c.err == nil && count*int64(elem) > int64(len(c.b)-start) {
		c.fail("vector of %d elements at %d overruns the %d-byte metadata", count, to, len(c.b))
	}
	if c.err != nil {
		return 0, 0
	}
	return start, int(count)
}

// elem is the table the i-th offset of a vector starting at start points to.
func (c *fbCheck) elem(start, i int) fbTab {
	p := start + 4*i
	to := int64(p) + int64(c.u32(p))
	if c.err == nil && to > int64(len(c.b))-4 {
		c.fail("vector element at %d points outside the metadata", p)
	}
	if c.err != nil {
		return fbTab{}
	}
	return c.table(int(to))
}

// str checks the string field slot of t and returns its length.
func (c *fbCheck) str(t fbTab, slot int) int {
	_, n := c.vector(t, slot, 1)
	return n
}

// keyValues checks a custom_metadata vector (KeyValue tables).
func (c *fbCheck) keyValues(t fbTab, slot int) {
	start, n := c.vector(t, slot, 4)
	for i := 0; i < n && c.err == nil; i++ {
		kv := c.elem(start, i)
		c.spend(16 + int64(c.str(kv, 0)) + int64(c.str(kv, 1)))
	}
}

// schema checks a Schema table.
func (c *fbCheck) schema(t fbTab) {
	start, n := c.vector(t, 1, 4)
	for i := 0; i < n && c.err == nil; i++ {
		c.schemaField(c.elem(start, i), 1)
	}
	c.keyValues(t, 2)
	c.vector(t, 3, 8)
}

// schemaField checks a Field table and its children.
func (c *fbCheck) schemaField(t fbTab, depth int) {
	if depth > ipcMaxDepth {
		c.fail("types nested deeper than %d", ipcMaxDepth)
		return
	}
	c.spend(16 + int64(c.str(t, 0)))
	if typ, ok := c.sub(t, 3); ok && c.fieldU8(t, 2) == fbTypeUnion {
		_, n := c.vector(typ, 1, 4)
		c.spend(int64(n))
	}
	if dict, ok := c.sub(t, 4); ok {
		c.sub(dict, 1)
	}
	start, n := c.vector(t, 5, 4)
	for i := 0; i < n && c.err == nil; i++ {
		c.schemaField(c.elem(start, i), depth+1)
	}
	c.keyValues(t, 6)
}

// ipcMessageInfo is what checkIPCMessage learnt of a message.
type ipcMessageInfo struct {
	header  uint8
	bodyLen int64
}

// checkIPCMessageMeta checks the metadata of one message (a Message
// flatbuffer) on its own: its tables and vectors, its schema, and its
// batch layout against the body length it declares.
func checkIPCMessageMeta(meta []byte) (ipcMessageInfo, error) {
	c := newFBCheck(meta)
	m := c.root()
	info := ipcMessageInfo{header: c.fieldU8(m, 1), bodyLen: c.fieldI64(m, 3)}
	if c.err == nil && (info.bodyLen < 0 || info.bodyLen > ipcMaxBody) {
		c.fail("message body of %d bytes (at most %d read)", info.bodyLen, int64(ipcMaxBody))
	}
	c.keyValues(m, 4)
	h, ok := c.sub(m, 2)
	if c.err == nil && !ok {
		c.fail("message without a header")
	}
	switch info.header {
	case fbHeaderSchema:
		c.schema(h)
	case fbHeaderRecordBatch:
		c.recordBatch(h, info.bodyLen)
	case fbHeaderDictionaryBatch:
		if data, ok := c.sub(h, 1); ok {
			c.recordBatch(data, info.bodyLen)
		} else {
			c.fail("dictionary batch without data")
		}
	default:
		c.fail("unsupported message type %d", info.header)
	}
	if c.err != nil {
		return info, fmt.Errorf("invalid message metadata: %w", c.err)
	}
	return info, nil
}

// recordBatch checks a RecordBatch table: non-negative lengths and counts,
// buffers inside a body of bodyLen bytes, a known codec, and variadic
// buffer counts that the buffers can back.
func (c *fbCheck) recordBatch(t fbTab, bodyLen int64) {
	if n := c.fieldI64(t, 0); n < 0 {
		c.fail("batch of %d rows", n)
	}
	start, n := c.vector(t, 1, 16)
	for i := 0; i < n && c.err == nil; i++ {
		length, nulls := c.i64(start+16*i), c.i64(start+16*i+8)
		if length < 0 || nulls < 0 || nulls > length {
			c.fail("column node %d of %d values with %d nulls", i, length, nulls)
		}
	}
	start, nbuf := c.vector(t, 2, 16)
	for i := 0; i < nbuf && c.err == nil; i++ {
		off, length := c.i64(start+16*i), c.i64(start+16*i+8)
		if off < 0 || length < 0 || off > bodyLen-length {
			c.fail("buffer %d (%d bytes at %d) outside the %d-byte body", i, length, off, bodyLen)
		}
	}
	if comp, ok := c.sub(t, 3); ok {
		if codec := c.fieldU8(comp, 0); codec != fbCodecLZ4Frame && codec != fbCodecZstd {
			c.fail("unknown compression codec %d", codec)
		}
		if method := c.fieldU8(comp, 1); method != 0 {
			c.fail("unknown compression method %d", method)
		}
	}
	start, nv := c.vector(t, 4, 8)
	var sum int64
	for i := 0; i < nv && c.err == nil; i++ {
		v := c.i64(start + 8*i)
		if v < 0 || v > int64(nbuf) {
			c.fail("variadic buffer count %d with %d buffers", v, nbuf)
		}
		if sum += v; sum > int64(nbuf) {
			c.fail("variadic buffer counts add up to more than the %d buffers", nbuf)
		}
	}
}

// checkIPCBody checks what the metadata of a batch or dictionary message
// (already checked by checkIPCMessageMeta) claims of its body: every
// compressed buffer's length prefix, which arrow-go allocates before it
// decompresses. Claims that add up to more than ipcPlausibleRatio times
// the body are each checked by decompressing.
func checkIPCBody(meta []byte, body io.ReaderAt, bodyLen int64) error {
	c := newFBCheck(meta)
	m := c.root()
	h, _ := c.sub(m, 2)
	if c.fieldU8(m, 1) == fbHeaderDictionaryBatch {
		h, _ = c.sub(h, 1)
	}
	comp, ok := c.sub(h, 3)
	if c.err != nil {
		return fmt.Errorf("invalid message metadata: %w", c.err)
	}
	if !ok {
		return nil
	}
	codec := c.fieldU8(comp, 0)
	start, nbuf := c.vector(h, 2, 16)
	type claim struct{ off, length, size int64 }
	var claims []claim
	var total int64
	var prefix [8]byte
	for i := 0; i < nbuf && c.err == nil; i++ {
		off, length := c.i64(start+16*i), c.i64(start+16*i+8)
		if length == 0 {
			continue
		}
		if length < 8 {
			return fmt.Errorf("compressed buffer %d of %d bytes has no 8-byte length prefix", i, length)
		}
		if _, err := body.ReadAt(prefix[:], off); err != nil {
			return fmt.Errorf("reading compressed buffer %d: %w", i, err)
		}
		size := int64(binary.LittleEndian.Uint64(prefix[:]))
		if size == -1 {
			continue // stored uncompressed
		}
		if size < 0 || size > ipcMaxBody {
			return fmt.Errorf("compressed buffer %d claims %d bytes decompressed", i, size)
		}
		if codec == fbCodecZstd {
			if err := checkZstdFrames(body, off+8, length-8, size); err != nil {
				return fmt.Errorf("compressed buffer %d: %w", i, err)
			}
		}
		claims = append(claims, claim{off + 8, length - 8, size})
		total += size
	}
	if c.err != nil {
		return fmt.Errorf("invalid message metadata: %w", c.err)
	}
	if total <= 1<<20+ipcPlausibleRatio*bodyLen {
		return nil
	}
	for i, cl := range claims {
		n, err := decompressedSize(codec, io.NewSectionReader(body, cl.off, cl.length), cl.size)
		if err != nil || n < cl.size {
			return fmt.Errorf("compressed buffer claims %d bytes decompressed but holds %d (%d of %d claims checked): %v", cl.size, n, i, len(claims), err)
		}
	}
	return nil
}

// zstdMaxWindow is the largest zstd window accepted for a buffer that
// decompresses to less: arrow-go's encoder declares 8 MiB windows.
const zstdMaxWindow = 8 << 20

// checkZstdFrames walks the zstd frames of the length bytes at off (their
// headers and block headers, not their contents): arrow-go's decoder
// allocates twice a frame's declared window before decoding a byte, so no
// frame may declare more than max(size, zstdMaxWindow), size being the
// decompressed size the buffer claims.
func checkZstdFrames(r io.ReaderAt, off, length, size int64) error {
	end := off + length
	var b [14]byte
	read := func(n int) ([]byte, error) {
		if int64(n) > end-off {
			return nil, errors.New("zstd data truncated")
		}
		if _, err := r.ReadAt(b[:n], off); err != nil {
			return nil, err
		}
		off += int64(n)
		return b[:n], nil
	}
	for frames := 0; off < end; frames++ {
		h, err := read(4)
		if err != nil {
			return err
		}
		switch magic := binary.LittleEndian.Uint32(h); {
		case magic&0xFFFFFFF0 == 0x184D2A50: // skippable frame
			h, err := read(4)
			if err != nil {
				return err
			}
			off += int64(binary.LittleEndian.Uint32(h))
			continue
		case magic != 0xFD2FB528:
			return fmt.Errorf("not zstd data (frame %d)", frames)
		}
		h, err = read(1)
		if err != nil {
			return err
		}
		fhd := h[0]
		single := fhd&0x20 != 0
		var window int64
		if !single {
			h, err := read(1)
			if err != nil {
				return err
			}
			exp, mant := int64(h[0]>>3), int64(h[0]&7)
			base := int64(1) << (10 + exp)
			window = base + base/8*mant
		}
		if _, err := read([]int{0, 1, 2, 4}[fhd&3]); err != nil { // dictionary id
			return err
		}
		fcsLen := []int{0, 2, 4, 8}[fhd>>6]
		if fcsLen == 0 && single {
			fcsLen = 1
		}
		if fcsLen > 0 {
			h, err := read(fcsLen)
			if err != nil {
				return err
			}
			var fcs uint64
			for i := fcsLen - 1; i >= 0; i-- {
				fcs = fcs<<8 | uint64(h[i])
			}
			if fcsLen == 2 {
				fcs += 256
			}
			if single {
				window = int64(min(fcs, math.MaxInt64))
			}
		}
		if window > max(size, zstdMaxWindow) {
			return fmt.Errorf("zstd frame %d declares a window of %d bytes for %d bytes of data", frames, window, size)
		}
		for last := false; !last; {
			h, err := read(3)
			if err != nil {
				return err
			}
			bh := uint32(h[0]) | uint32(h[1])<<8 | uint32(h[2])<<16
			last = bh&1 != 0
			n := int64(bh >> 3)
			switch (bh >> 1) & 3 {
			case 1: // RLE: one byte
				n = 1
			case 3:
				return fmt.Errorf("zstd frame %d: reserved block type", frames)
			}
			off += n
		}
		if fhd&0x04 != 0 { // content checksum
			off += 4
		}
	}
	if off > end {
		return errors.New("zstd data truncated")
	}
	return nil
}

// decompressedSize decompresses r with the codec, up to limit bytes, and
// returns how many it yields.
func decompressedSize(codec uint8, r io.Reader, limit int64) (int64, error) {
	var dec io.Reader
	switch codec {
	case fbCodecLZ4Frame:
		dec = lz4.NewReader(r)
	case fbCodecZstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxMemory(max(uint64(limit)+1, 8<<20)))
		if err != nil {
			return 0, err
		}
		defer zr.Close()
		dec = zr
	default:
		return 0, fmt.Errorf("unknown compression codec %d", codec)
	}
	n, err := io.CopyN(io.Discard, dec, limit)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

// ipcFileBlock is one message of an Arrow IPC file, as its footer places it.
type ipcFileBlock struct {
	offset int64
	meta   int32
	body   int64
}

// ipcFileIndex is what checkIPCFile learnt of a file.
type ipcFileIndex struct {
	size    int64
	batches []ipcFileBlock
}

var ipcFileMagic = []byte("ARROW1")

// checkIPCFile checks an Arrow IPC file's footer (its schema and the
// places of its messages) and its dictionary messages before arrow-go
// reads them, and returns the places of its record batches, to be checked
// by checkIPCFileBlock before each is read.
func checkIPCFile(r io.ReaderAt, size int64) (*ipcFileIndex, error) {
	const trailer = 10 // footer length + magic
	if size < int64(2*len(ipcFileMagic)+2+trailer) {
		return nil, fmt.Errorf("file too small (%d bytes)", size)
	}
	var tail [trailer]byte
	if _, err := r.ReadAt(tail[:], size-trailer); err != nil {
		return nil, fmt.Errorf("reading the footer: %w", err)
	}
	if string(tail[4:]) != string(ipcFileMagic) {
		return nil, errors.New("no ARROW1 magic at the end: not an Arrow IPC file, or truncated")
	}
	flen := int64(int32(binary.LittleEndian.Uint32(tail[:4])))
	if flen <= 0 || flen > size-trailer-int64(len(ipcFileMagic)) {
		return nil, fmt.Errorf("footer length %d in a %d-byte file", flen, size)
	}
	footer := make([]byte, flen)
	if _, err := r.ReadAt(footer, size-trailer-flen); err != nil {
		return nil, fmt.Errorf("reading the footer: %w", err)
	}
	c := newFBCheck(footer)
	f := c.root()
	if s, ok := c.sub(f, 1); ok {
		c.schema(s)
	} else if c.err == nil {
		c.fail("footer without a schema")
	}
	blocks := func(slot int) []ipcFileBlock {
		start, n := c.vector(f, slot, 24)
		out := make([]ipcFileBlock, n)
		for i := range out {
			p := start + 24*i
			out[i] = ipcFileBlock{offset: c.i64(p), meta: int32(c.u32(p + 8)), body: c.i64(p + 16)}
		}
		return out
	}
	dicts, batches := blocks(2), blocks(3)
	c.keyValues(f, 4)
	if c.err != nil {
		return nil, fmt.Errorf("invalid footer: %w", c.err)
	}
	idx := &ipcFileIndex{size: size, batches: batches}
	for i, b := range dicts {
		if err := idx.checkBlock(r, b, fbHeaderDictionaryBatch); err != nil {
			return nil, fmt.Errorf("dictionary %d: %w", i, err)
		}
	}
	return idx, nil
}

// checkBlock checks one message of the file before arrow-go reads it: its
// place, its metadata, and its body's claims.
func (idx *ipcFileIndex) checkBlock(r io.ReaderAt, b ipcFileBlock, header uint8) error {
	if b.offset < 0 || b.meta < 8 || b.body < 0 || b.meta > ipcMaxMetadata || b.body > ipcMaxBody ||
		b.offset > idx.size || int64(b.meta)+b.body > idx.size-b.offset {
		return fmt.Errorf("message of %d+%d bytes at %d outside the %d-byte file", b.meta, b.body, b.offset, idx.size)
	}
	buf := make([]byte, b.meta)
	if _, err := r.ReadAt(buf, b.offset); err != nil {
		return fmt.Errorf("reading message metadata: %w", err)
	}
	prefix := 4
	if binary.LittleEndian.Uint32(buf) == math.MaxUint32 {
		prefix = 8
	}
	meta := buf[prefix:]
	info, err := checkIPCMessageMeta(meta)
	if err != nil {
		return err
	}
	if info.header != header {
		return fmt.Errorf("message of type %d where type %d was expected", info.header, header)
	}
	if info.bodyLen != b.body {
		return fmt.Errorf("message body of %d bytes, the footer says %d", info.bodyLen, b.body)
	}
	return checkIPCBody(meta, io.NewSectionReader(r, b.offset+int64(b.meta), b.body), b.body)
}
