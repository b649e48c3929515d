package stream

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ipcStreamReader reads the Arrow IPC stream format.
type ipcStreamReader struct {
	name   string
	r      *ipc.Reader
	guard  *leakGuard
	closer io.Closer
	rows   int64 // rows read so far
	err    error
}

var _ Reader = (*ipcStreamReader)(nil)

// newIPCStreamReader reads r as an Arrow IPC stream. Its messages are read
// by an ipcMessageReader, which checks each before arrow-go decodes it.
func newIPCStreamReader(name string, r io.Reader, closer io.Closer, c *config) (*ipcStreamReader, error) {
	g := newLeakGuard(c.mem)
	g.watch()
	rd, err := ipc.NewReaderFromMessageReader(newIPCMessageReader(r, g), ipc.WithAllocator(g))
	g.done(err != nil)
	if err != nil {
		g.freeLost()
		return nil, &DataError{Source: name, Row: -1, Err: fmt.Errorf("not a valid Arrow IPC stream: %w", err)}
	}
	return &ipcStreamReader{name: name, r: rd, guard: g, closer: closer}, nil
}

func (r *ipcStreamReader) Schema() *arrow.Schema { return r.r.Schema() }

func (r *ipcStreamReader) Read() (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	r.guard.watch()
	rec, err := recoverRead(r.r.Read)
	r.guard.done(err != nil && !errors.Is(err, io.EOF))
	if err != nil {
		if errors.Is(err, io.EOF) {
			r.err = io.EOF
		} else {
			r.err = &DataError{Source: r.name, Row: -1, Err: fmt.Errorf("corrupt or truncated Arrow IPC stream: %w", err)}
		}
		return nil, r.err
	}
	if err := checkBatch(r.name, "corrupt Arrow IPC stream", rec, r.rows); err != nil {
		r.err = err
		return nil, err
	}
	r.rows += rec.NumRows()
	return rec, nil
}

func (r *ipcStreamReader) Close() error {
	if r.r != nil {
		r.r.Release()
		r.r = nil
		r.guard.freeLost()
	}
	if r.closer != nil {
		err := r.closer.Close()
		r.closer = nil
		return err
	}
	return nil
}

// ipcMessageReader reads the messages of an Arrow IPC stream for
// ipc.NewReaderFromMessageReader. Unlike the reader of ipc.NewReader, it
// reads a message's metadata and body as they arrive instead of
// allocating what their length prefixes claim, and checks each message
// (checkIPCMessageMeta, checkIPCBody) before arrow-go decodes it.
type ipcMessageReader struct {
	r    io.Reader
	mem  memory.Allocator
	msg  *ipc.Message
	refs atomic.Int64
	// messages counts the messages read.
	messages int64
}

// errNoEOS is the error of a stream that ends after a whole message
// without its end-of-stream marker.
var errNoEOS = errors.New("the stream ends without its end-of-stream marker (it was cut short)")

var _ ipc.MessageReader = (*ipcMessageReader)(nil)

func newIPCMessageReader(r io.Reader, mem memory.Allocator) *ipcMessageReader {
	m := &ipcMessageReader{r: r, mem: mem}
	m.refs.Add(1)
	return m
}

func (m *ipcMessageReader) Retain() { m.refs.Add(1) }

func (m *ipcMessageReader) Release() {
	if m.refs.Add(-1) == 0 && m.msg != nil {
		m.msg.Release()
		m.msg = nil
	}
}

// Message reads the next message, valid until the next call. At the end
// of the stream (its end-of-stream marker) it returns io.EOF; an input
// that ends between messages without the marker is truncated (errNoEOS),
// unless it ends before the first message (an empty input).
func (m *ipcMessageReader) Message() (*ipc.Message, error) {
	if m.msg != nil {
		m.msg.Release()
		m.msg = nil
	}
	var word [4]byte
	if n, err := io.ReadFull(m.r, word[:]); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			if m.messages == 0 {
				return nil, io.EOF
			}
			// The format allows a writer to end without the marker, but
			// every writer that finishes writes it: a stream that stops
			// after a whole message was cut, and reading it as complete
			// would drop rows silently.
			return nil, errNoEOS
		}
		return nil, fmt.Errorf("reading a message length: %w", noEOF(err))
	}
	length := binary.LittleEndian.Uint32(word[:])
	switch length {
	case 0:
		return nil, io.EOF
	case math.MaxUint32: // continuation marker, then the length
		if _, err := io.ReadFull(m.r, word[:]); err != nil {
			return nil, fmt.Errorf("reading a message length: %w", noEOF(err))
		}
		if length = binary.LittleEndian.Uint32(word[:]); length == 0 {
			return nil, io.EOF
		}
	}
	if length < 8 || length > ipcMaxMetadata {
		return nil, fmt.Errorf("message metadata of %d bytes (expected 8 to %d)", int32(length), ipcMaxMetadata)
	}
	meta, err := readAsArriving(m.r, int64(length))
	if err != nil {
		return nil, fmt.Errorf("reading message metadata: %w", err)
	}
	info, err := checkIPCMessageMeta(meta)
	if err != nil {
		return nil, err
	}
	body, err := readBody(m.r, m.mem, info.bodyLen)
	if err != nil {
		return nil, fmt.Errorf("reading a message body of %d bytes: %w", info.bodyLen, err)
	}
	defer body.Release()
	if info.header != fbHeaderSchema {
		if err := checkIPCBody(meta, bytes.NewReader(body.Bytes()), info.bodyLen); err != nil {
			return nil, err
		}
	}
	m.msg = ipc.NewMessage(memory.NewBufferBytes(meta), body)
	m.messages++
	return m.msg, nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: inside a message, the end
// of the input is a truncation, not the end of the stream.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readAsArriving reads n bytes, growing its buffer as they arrive rather
// than allocating n at once.
func readAsArriving(r io.Reader, n int64) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(int(min(n, 64<<10)))
	got, err := io.CopyN(&b, r, n)
	if got < n {
		return nil, noEOF(cmp.Or(err, io.ErrUnexpectedEOF))
	}
	return b.Bytes(), nil
}

// readBody reads a message body of n bytes into a buffer of mem, growing
// it as the bytes arrive.
func readBody(r io.Reader, mem memory.Allocator, n int64) (*memory.Buffer, error) {
	buf := memory.NewResizableBuffer(mem)
	size := min(n, 4<<20)
	buf.Resize(int(size))
	var got int64
	for got < n {
		k, err := io.ReadFull(r, buf.Bytes()[got:size])
		got += int64(k)
		if err != nil {
			buf.Release()
			return nil, noEOF(err)
		}
		if got == size && size < n {
			size = min(n, 2*size)
			buf.Resize(int(size))
		}
	}
	return buf, nil
}

// ipcFileReader reads the Arrow IPC file format (random access).
type ipcFileReader struct {
	name   string
	r      *ipc.FileReader
	src    io.ReaderAt // the file, read again to check each batch
	idx    *ipcFileIndex
	next   int // the batch Read reads next
	guard  *leakGuard
	closer io.Closer
	rows   int64 // rows read so far
	err    error
}

var _ Reader = (*ipcFileReader)(nil)

// newIPCFileReader reads src as an Arrow IPC file. Its footer and
// dictionaries are checked (checkIPCFile) before arrow-go decodes them,
// and each batch is checked before it is read.
func newIPCFileReader(name string, src ipc.ReadAtSeeker, closer io.Closer, c *config) (*ipcFileReader, error) {
	size, err := src.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("robustdata/pipeline: reading %s: %w", name, err)
	}
	raw := io.ReaderAt(src)
	if cf, ok := src.(*countingFile); ok {
		raw = cf.File // checks read again: not progress
	}
	idx, err := checkIPCFile(raw, size)
	if err != nil {
		return nil, &DataError{Source: name, Row: -1, Err: fmt.Errorf("not a valid Arrow IPC file: %w", err)}
	}
	g := newLeakGuard(c.mem)
	g.watch()
	rd, err := newIPCFileReaderSafe(src, g)
	g.done(err != nil)
	if err != nil {
		g.freeLost()
		return nil, &DataError{Source: name, Row: -1, Err: fmt.Errorf("not a valid Arrow IPC file: %w", err)}
	}
	if n := rd.NumRecords(); n != len(idx.batches) {
		rd.Close()
		g.freeLost()
		return nil, &DataError{Source: name, Row: -1, Err: fmt.Errorf("not a valid Arrow IPC file: %d batches, the footer lists %d", n, len(idx.batches))}
	}
	return &ipcFileReader{name: name, r: rd, src: raw, idx: idx, guard: g, closer: closer}, nil
}

// newIPCFileReaderSafe is ipc.NewFileReader, with its panics (on corrupt
// footers and dictionaries) turned into errors.
func newIPCFileReaderSafe(src ipc.ReadAtSeeker, mem memory.Allocator) (rd *ipc.FileReader, err error) {
	defer func() {
		if p := recover(); p != nil {
			rd, err = nil, fmt.Errorf("corrupt Arrow IPC file: %v", p)
		}
	}()
	return ipc.NewFileReader(src, ipc.WithAllocator(mem), ipc.WithMetadataSizeLimit(ipcMaxMetadata), ipc.WithBodySizeLimit(ipcMaxBody))
}

func (r *ipcFileReader) Schema() *arrow.Schema { return r.r.Schema() }

func (r *ipcFileReader) Read() (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.next >= len(r.idx.batches) {
		r.err = io.EOF
		return nil, io.EOF
	}
	if err := r.idx.checkBlock(r.src, r.idx.batches[r.next], fbHeaderRecordBatch); err != nil {
		r.err = &DataError{Source: r.name, Row: r.rows, Err: fmt.Errorf("corrupt Arrow IPC file: batch %d: %w", r.next, err)}
		return nil, r.err
	}
	r.next++
	r.guard.watch()
	rec, err := recoverRead(r.r.Read)
	r.guard.done(err != nil)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		r.err = &DataError{Source: r.name, Row: r.rows, Err: fmt.Errorf("corrupt Arrow IPC file: %w", err)}
		return nil, r.err
	}
	if err := checkBatch(r.name, "corrupt Arrow IPC file", rec, r.rows); err != nil {
		r.err = err
		return nil, err
	}
	r.rows += rec.NumRows()
	return rec, nil
}

func (r *ipcFileReader) Close() error {
	if r.r != nil {
		r.r.Close()
		r.r = nil
		r.guard.freeLost()
	}
	if r.closer != nil {
		err := r.closer.Close()
		r.closer = nil
		return err
	}
	return nil
}

// recoverRead calls read, turning a panic of arrow-go into an error.
func recoverRead(read func() (arrow.RecordBatch, error)) (rec arrow.RecordBatch, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("arrow-go panicked: %v", p)
		}
	}()
	return read()
}

// projectReader keeps some columns of another Reader's batches.
type projectReader struct {
	in     Reader
	idx    []int
	schema *arrow.Schema
	out    arrow.RecordBatch
}

var _ Reader = (*projectReader)(nil)

// newProjectReader keeps the named columns of in, in that order.
func newProjectReader(name string, in Reader, columns []string) (Reader, error) {
	sc := in.Schema()
	idx := make([]int, len(columns))
	for i, col := range columns {
		f := sc.FieldIndices(col)
		if len(f) == 0 {
			return nil, missingColumn(name, col, sc)
		}
		idx[i] = f[0]
	}
	return &projectReader{in: in, idx: idx, schema: projectSchema(sc, columns)}, nil
}

func (p *projectReader) Schema() *arrow.Schema { return p.schema }

func (p *projectReader) Read() (arrow.RecordBatch, error) {
	if p.out != nil {
		p.out.Release()
		p.out = nil
	}
	rec, err := p.in.Read()
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, len(p.idx))
	for i, j := range p.idx {
		cols[i] = rec.Column(j)
	}
	p.out = relabelColumns(p.schema, cols, rec.NumRows())
	return p.out, nil
}

func (p *projectReader) Close() error {
	if p.out != nil {
		p.out.Release()
		p.out = nil
	}
	return p.in.Close()
}
