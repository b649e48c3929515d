package stream

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// MapFunc transforms one batch into a new one, which the caller releases.
// It must not keep rec beyond the call (Retain what it puts in the
// result, as array.NewRecordBatch does).
type MapFunc func(rec arrow.RecordBatch) (arrow.RecordBatch, error)

// ParallelMap returns a Reader of fn applied to every batch of src by
// workers goroutines, in the order of src: its output is the same for any
// number of workers when fn is a function of its batch alone. newFn makes
// one MapFunc per worker, so that each can keep scratch state. At most
// 2×workers batches are in flight. The first error stops the rest; Close
// stops the workers and closes src.
func ParallelMap(ctx context.Context, src Reader, schema *arrow.Schema, workers int, newFn func() MapFunc) Reader {
	workers = max(1, workers)
	ctx, cancel := context.WithCancel(ctx)
	p := &parallelReader{
		ctx:    ctx,
		src:    src,
		schema: schema,
		cancel: cancel,
		order:  make(chan *job, 2*workers),
		errc:   make(chan error, 1),
	}
	jobs := make(chan *job, workers)
	p.wg.Add(1 + workers)
	go func() { // dispatcher: read src, hand out jobs, keep their order
		defer p.wg.Done()
		defer close(jobs)
		defer close(p.order)
		for {
			// A cancelled map ends with the context's error, never
			// with io.EOF: the rows not read are not silently dropped.
			if err := ctx.Err(); err != nil {
				p.fail(err)
				return
			}
			rec, err := src.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				p.fail(err)
				return
			}
			rec.Retain()
			j := &job{in: rec, done: make(chan struct{})}
			select {
			case p.order <- j:
			case <-ctx.Done():
				rec.Release()
				p.fail(ctx.Err())
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				// Close finds j in p.order and releases j.in.
				p.fail(ctx.Err())
				return
			}
		}
	}()
	for range workers {
		go func() {
			defer p.wg.Done()
			fn := newFn()
			for j := range jobs {
				if ctx.Err() == nil {
					j.out, j.err = fn(j.in)
				}
				j.in.Release()
				j.in = nil
				close(j.done)
			}
		}()
	}
	return p
}

type job struct {
	in   arrow.RecordBatch
	out  arrow.RecordBatch
	err  error
	done chan struct{}
}

type parallelReader struct {
	ctx    context.Context
	src    Reader
	schema *arrow.Schema
	cancel context.CancelFunc
	order  chan *job
	errc   chan error
	wg     sync.WaitGroup
	cur    arrow.RecordBatch
	err    error
	closed bool
	// pending is a job Read took from order but gave up waiting for
	// (cancelled); Close releases it with the jobs left in order.
	pending *job
}

var _ Reader = (*parallelReader)(nil)

// fail records the first error of the dispatcher.
func (p *parallelReader) fail(err error) {
	select {
	case p.errc <- err:
	default:
	}
}

func (p *parallelReader) Schema() *arrow.Schema { return p.schema }

func (p *parallelReader) Read() (arrow.RecordBatch, error) {
	if p.cur != nil {
		p.cur.Release()
		p.cur = nil
	}
	if p.err != nil {
		return nil, p.err
	}
	j, ok := <-p.order
	if !ok {
		select {
		case err := <-p.errc:
			p.err = err
		default:
			p.err = io.EOF
		}
		return nil, p.err
	}
	select {
	case <-j.done:
	case <-p.ctx.Done():
		// Cancelled: the dispatcher may have stopped before handing j
		// to a worker, so j.done may never close. Close releases j.
		p.pending = j
		p.err = p.ctx.Err()
		return nil, p.err
	}
	if j.err != nil {
		p.err = j.err
		p.cancel()
		return nil, p.err
	}
	if j.out == nil {
		// The worker skipped it: the context was cancelled.
		p.err = p.ctx.Err()
		if p.err == nil {
			p.err = errors.New("robustdata/pipeline: cancelled")
		}
		return nil, p.err
	}
	p.cur = j.out
	return p.cur, nil
}

// Close stops the workers, releases every batch in flight and closes src.
func (p *parallelReader) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	p.cancel()
	if p.cur != nil {
		p.cur.Release()
		p.cur = nil
	}
	// Once the dispatcher and the workers are gone, every job left in
	// p.order is either done (its output to release) or was never handed
	// to a worker (its input to release).
	p.wg.Wait()
	left := func(yield func(*job) bool) {
		if p.pending != nil && !yield(p.pending) {
			return
		}
		for j := range p.order {
			if !yield(j) {
				return
			}
		}
	}
	for j := range left {
		select {
		case <-j.done:
			if j.out != nil {
				j.out.Release()
			}
		default:
			j.in.Release()
		}
	}
	if p.err == nil {
		p.err = errors.New("robustdata/pipeline: reader closed")
	}
	return p.src.Close()
}
