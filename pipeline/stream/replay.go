package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// Replay reads the same inputs twice: a first pass that looks at the data
// (to draw a sample and fit a model) and a second that transforms it.
// Files are simply opened again; standard input, FIFOs and process
// substitutions (anything that reads only once) are copied during the first
// pass to a temporary Arrow IPC file, unlinked at once, which the second
// pass reads. Both passes therefore see the same rows in the same order,
// whether the data comes from files or through a pipe.
type Replay struct {
	ctx    context.Context
	inputs []Input
	opts   []Option
	stdin  bool
	spool  *os.File
	first  *teeReader
}

// NewReplay prepares two passes over inputs, opened with opts.
func NewReplay(ctx context.Context, inputs []Input, opts ...Option) *Replay {
	r := &Replay{ctx: ctx, inputs: inputs, opts: opts}
	for _, in := range inputs {
		if in.Streamed() {
			r.stdin = true
		}
	}
	return r
}

// First opens the first pass. When reading files it reads only columns
// (all when none are named); from standard input it reads every column,
// since they are all needed again. Read it to the end before Second.
func (r *Replay) First(columns ...string) (Reader, error) {
	if !r.stdin {
		opts := r.opts
		if len(columns) > 0 {
			opts = append(append([]Option(nil), opts...), WithColumns(columns...))
		}
		return OpenInputs(r.ctx, r.inputs, opts...)
	}
	rd, err := OpenInputs(r.ctx, r.inputs, r.opts...)
	if err != nil {
		return nil, err
	}
	c := newConfig(r.opts...)
	f, err := os.CreateTemp(c.tempDir, "robustdata-replay-*.arrows")
	if err != nil {
		rd.Close()
		return nil, fmt.Errorf("robustdata/pipeline: creating the replay spool: %w", err)
	}
	os.Remove(f.Name())
	r.spool = f
	w := ipc.NewWriter(f, ipc.WithSchema(rd.Schema()), ipc.WithAllocator(c.mem))
	r.first = &teeReader{Reader: rd, w: w}
	return r.first, nil
}

// Second opens the second pass over every column.
func (r *Replay) Second() (Reader, error) {
	if !r.stdin {
		return OpenInputs(r.ctx, r.inputs, r.opts...)
	}
	if r.first == nil || !r.first.done {
		return nil, errors.New("robustdata/pipeline: Replay.Second before the first pass was read to its end")
	}
	if _, err := r.spool.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("robustdata/pipeline: rewinding the replay spool: %w", err)
	}
	c := newConfig(r.opts...)
	rd, err := newIPCStreamReader(StdinName, r.spool, nil, c)
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// Close removes the spool.
func (r *Replay) Close() error {
	if r.spool == nil {
		return nil
	}
	err := r.spool.Close()
	r.spool = nil
	return err
}

// teeReader copies every batch it reads to an IPC writer.
type teeReader struct {
	Reader
	w    *ipc.Writer
	done bool
	err  error
}

func (t *teeReader) Read() (arrow.RecordBatch, error) {
	if t.err != nil {
		return nil, t.err
	}
	rec, err := t.Reader.Read()
	if errors.Is(err, io.EOF) {
		if cerr := t.w.Close(); cerr != nil {
			t.err = fmt.Errorf("robustdata/pipeline: writing the replay spool: %w", cerr)
			return nil, t.err
		}
		t.done = true
		return nil, io.EOF
	}
	if err != nil {
		t.err = err
		return nil, err
	}
	if err := t.w.Write(rec); err != nil {
		t.err = fmt.Errorf("robustdata/pipeline: writing the replay spool: %w", err)
		return nil, t.err
	}
	return rec, nil
}
