package stream

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/klauspost/compress/zstd"
)

// Create starts a Writer for path, its format told by the extension:
// .parquet, .arrow (IPC file), .arrows (IPC stream), .jsonl (optionally
// .gz or .zst). "-" writes an Arrow IPC stream to w (WithStdout). Files
// are written under a temporary name in the same folder and renamed on
// Close, so nothing half-written is ever visible.
func Create(path string, schema *arrow.Schema, opts ...Option) (Writer, error) {
	c := newConfig(opts...)
	if path == "-" {
		if c.stdout == nil {
			return nil, errors.New("robustdata/pipeline: standard output is not available")
		}
		bw := bufio.NewWriterSize(c.stdout, 1<<20)
		iw := ipc.NewWriter(bw, ipc.WithSchema(schema), ipc.WithAllocator(c.mem))
		return &streamWriter{w: iw, bw: bw}, nil
	}
	format, codec := FormatOf(path)
	if format == FormatUnknown {
		return nil, fmt.Errorf("robustdata/pipeline: %s: unknown output format: use .parquet, .arrow, .arrows or .jsonl", path)
	}
	if codec != CodecNone && format != FormatJSONL {
		return nil, fmt.Errorf("robustdata/pipeline: %s: whole-file compression is for .jsonl only (Parquet and Arrow compress inside)", path)
	}
	af, err := createAtomic(path)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatParquet:
		return newParquetWriter(af, schema, c), nil
	case FormatIPCFile:
		fw, err := ipc.NewFileWriter(af, ipc.WithSchema(schema), ipc.WithAllocator(c.mem))
		if err != nil {
			af.abort()
			return nil, fmt.Errorf("robustdata/pipeline: %s: %w", path, err)
		}
		return &fileSink{af: af, w: fw, close: fw.Close}, nil
	case FormatIPCStream:
		iw := ipc.NewWriter(af, ipc.WithSchema(schema), ipc.WithAllocator(c.mem))
		return &fileSink{af: af, w: iw, close: iw.Close}, nil
	}
	// JSONL, possibly compressed.
	var out io.Writer = af
	var finish func() error
	switch codec {
	case CodecGzip:
		zw := gzip.NewWriter(af)
		out, finish = zw, zw.Close
	case CodecZstd:
		zw, err := zstd.NewWriter(af, zstd.WithEncoderConcurrency(1))
		if err != nil {
			af.abort()
			return nil, fmt.Errorf("robustdata/pipeline: %s: %w", path, err)
		}
		out, finish = zw, zw.Close
	}
	jw := newJSONLWriter(out, schema, c)
	jw.source = path
	closeFn := jw.flush
	if finish != nil {
		closeFn = func() error { return errors.Join(jw.flush(), finish()) }
	}
	return &fileSink{af: af, w: jw, close: closeFn}, nil
}

// batchWriter is the part of a format writer a fileSink drives.
type batchWriter interface {
	Write(arrow.RecordBatch) error
}

// fileSink drives a format writer over an atomic file: the first failure
// is kept, and Close commits only when every Write succeeded.
type fileSink struct {
	af    *atomicFile
	w     batchWriter
	close func() error
	err   error
}

func (s *fileSink) Write(rec arrow.RecordBatch) error {
	if s.err != nil {
		return s.err
	}
	if err := s.w.Write(rec); err != nil {
		s.err = fmt.Errorf("robustdata/pipeline: writing %s: %w", s.af.final, err)
		if IsDataError(err) {
			s.err = err
		}
	}
	return s.err
}

func (s *fileSink) Close() error {
	if s.af.done {
		return s.err
	}
	if s.err != nil {
		return errors.Join(s.err, s.af.abort())
	}
	if err := s.close(); err != nil {
		s.err = fmt.Errorf("robustdata/pipeline: writing %s: %w", s.af.final, err)
		return errors.Join(s.err, s.af.abort())
	}
	if err := s.af.commit(); err != nil {
		s.err = err
	}
	return s.err
}

func (s *fileSink) Abort() error { return s.af.abort() }

// streamWriter writes an IPC stream to standard output.
type streamWriter struct {
	w    *ipc.Writer
	bw   *bufio.Writer
	err  error
	done bool
}

// poison is written by Abort: a message header announcing more metadata
// than any reader accepts. An IPC stream may end without its end-of-stream
// marker, so a stream merely cut short would look complete to the next
// stage of a pipe; this makes that stage fail instead.
var poison = []byte{0xff, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0x7f}

func (s *streamWriter) Write(rec arrow.RecordBatch) error {
	if s.err == nil {
		s.err = s.w.Write(rec)
		if s.err != nil {
			s.err = fmt.Errorf("robustdata/pipeline: writing to standard output: %w", s.err)
		}
	}
	return s.err
}

func (s *streamWriter) Close() error {
	if s.done {
		return s.err
	}
	s.done = true
	if s.err != nil {
		return s.err
	}
	if err := errors.Join(s.w.Close(), s.bw.Flush()); err != nil {
		s.err = fmt.Errorf("robustdata/pipeline: writing to standard output: %w", err)
	}
	return s.err
}

// Abort ends the stream with a poison marker, so that a reader downstream
// fails rather than taking the stream for complete.
func (s *streamWriter) Abort() error {
	if s.done {
		return nil
	}
	s.done = true
	s.bw.Write(poison)
	return s.bw.Flush()
}

// Sum implements Summer.
func (s *fileSink) Sum() (int64, string) { return s.af.sum() }
