package stream

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/arrio"
)

// Reader is a stream of record batches that share one schema.
//
// Read returns the next batch, or (nil, io.EOF) after the last one. The
// batch is owned by the Reader: it stays valid until the next call to Read
// or Close. A caller that keeps it longer calls Retain (and later Release).
// Close releases everything the Reader holds; it is safe to call twice.
type Reader interface {
	arrio.Reader
	// Schema is the schema of every batch Read returns.
	Schema() *arrow.Schema
	// Close releases the reader's resources and closes its files.
	Close() error
}

// Writer is a sink of record batches that share one schema.
//
// Write does not take ownership of the batch. Close finishes the output
// and makes it visible under its final name; after a failed Write, Close
// removes what was written and returns the first error. Abort removes the
// output without committing it; it is safe to call after Close.
type Writer interface {
	arrio.Writer
	// Close commits the output: nothing is visible under the final name
	// before Close returns nil.
	Close() error
	// Abort discards the output. It returns nil when there was nothing to
	// discard.
	Abort() error
}

// Copy writes every batch of src to dst until src ends and returns the
// number of rows copied. src is read in a goroutine of its own, one batch
// ahead of dst, so that decoding the input and encoding the output use two
// cores. The first error of either side stops both; ctx cancels the copy.
// Like arrio.Copy, a successful Copy returns a nil error, not io.EOF. Copy
// neither closes nor aborts dst, and src is not read once Copy returns.
func Copy(ctx context.Context, dst arrio.Writer, src arrio.Reader) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan arrow.RecordBatch, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		for {
			if err := ctx.Err(); err != nil {
				readErr <- err
				return
			}
			rec, err := src.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				readErr <- err
				return
			}
			rec.Retain()
			select {
			case batches <- rec:
			case <-ctx.Done():
				rec.Release()
				readErr <- ctx.Err()
				return
			}
		}
	}()
	var rows int64
	var werr error
	for rec := range batches {
		if werr == nil {
			if werr = dst.Write(rec); werr == nil {
				rows += rec.NumRows()
			} else {
				cancel()
			}
		}
		rec.Release()
	}
	if werr != nil {
		return rows, werr
	}
	select {
	case err := <-readErr:
		return rows, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return rows, err
	}
	return rows, nil
}
