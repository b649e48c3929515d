package pipeline

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// Env is what every stage takes from its caller: the seed, where to log
// and how to show progress. The zero Env logs nothing and shows nothing.
type Env struct {
	// Seed is the run's random seed.
	Seed uint64
	// Log receives the stages' log lines (nil: discarded).
	Log *slog.Logger
	// Progress shows the stages' steps (nil: none).
	Progress Progress
}

// log is e.Log, or a logger that discards.
func (e Env) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

// progress is e.Progress, or one that shows nothing.
func (e Env) progress() Progress {
	if e.Progress == nil {
		return NoProgress{}
	}
	return e.Progress
}

// Progress shows what a stage is doing, one step at a time: starting a
// step ends the one before. Implementations must be safe for the
// Option's counter to be called from the reading goroutine.
type Progress interface {
	// Bytes starts a step that reads total bytes (-1: unknown); the bytes
	// come through Option.
	Bytes(step string, total int64)
	// Steps starts a step of n counted units (training steps).
	Steps(step string, n int)
	// Set moves the current step to n and renames it.
	Set(n int, what string)
	// Working starts a step that reads nothing (a model fit).
	Working(step string)
	// Describe renames the current step.
	Describe(step string)
	// Option is the source option that counts the bytes read into the
	// current step.
	Option() stream.Option
	// End ends the current step.
	End()
}

// NoProgress is a Progress that shows nothing.
type NoProgress struct{}

// Bytes does nothing.
func (NoProgress) Bytes(string, int64) {}

// Steps does nothing.
func (NoProgress) Steps(string, int) {}

// Set does nothing.
func (NoProgress) Set(int, string) {}

// Working does nothing.
func (NoProgress) Working(string) {}

// Describe does nothing.
func (NoProgress) Describe(string) {}

// Option counts nothing.
func (NoProgress) Option() stream.Option { return stream.WithProgress(nil) }

// End does nothing.
func (NoProgress) End() {}

// UsageError is a mistake in how a stage was called (its settings, or
// outputs that would replace its inputs), not in the data: the CLI exits
// with status 2 on it.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef is a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// IsUsage reports whether err, or an error it wraps, is a UsageError.
func IsUsage(err error) bool {
	var ue UsageError
	return errors.As(err, &ue)
}

// InputBytes is the total size of inputs, -1 when one is unknown.
func InputBytes(inputs []stream.Input) int64 {
	total := int64(0)
	for _, in := range inputs {
		if in.Size < 0 {
			return -1
		}
		total += in.Size
	}
	return total
}

// SourceName names the inputs in messages.
func SourceName(inputs []stream.Input) string {
	if len(inputs) == 1 {
		return inputs[0].Name
	}
	return fmt.Sprintf("%s (and %d more inputs)", inputs[0].Name, len(inputs)-1)
}

// atEOF wraps rd so that at its end (io.EOF) then runs once: the step
// after a pass over the inputs starts as soon as the pass ends.
func atEOF(rd stream.Reader, then func()) stream.Reader {
	return &eofReader{Reader: rd, then: then}
}

type eofReader struct {
	stream.Reader
	then func()
	once sync.Once
}

func (r *eofReader) Read() (arrow.RecordBatch, error) {
	rec, err := r.Reader.Read()
	if errors.Is(err, io.EOF) {
		r.once.Do(r.then)
	}
	return rec, err
}

// closeAlso closes something more with its Reader.
type closeAlso struct {
	stream.Reader
	also func() error
}

func (c *closeAlso) Close() error {
	err := c.Reader.Close()
	if c.also != nil {
		if aerr := c.also(); err == nil {
			err = aerr
		}
		c.also = nil
	}
	return err
}
