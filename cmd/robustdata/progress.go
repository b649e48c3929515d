package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/schollz/progressbar/v3"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// clearLine moves to the start of the line and erases it (ANSI).
const clearLine = "\r\x1b[K"

// terminal shares stderr between the progress bar and the log: a log
// line first erases the bar's line, is written on a line of its own, and
// the bar is drawn again below it; so no log line is ever printed on a
// bar's line.
type terminal struct {
	mu  sync.Mutex
	out io.Writer
	// line is what the bar shows now ("" when no bar is on screen).
	line []byte
}

func newTerminal(out io.Writer) *terminal { return &terminal{out: out} }

// logWriter is the writer of log lines and error messages.
func (t *terminal) logWriter() io.Writer { return termLog{t} }

// barWriter is the writer a bar draws with.
func (t *terminal) barWriter() io.Writer { return termBar{t} }

// clear erases the bar's line, if a bar is on screen, and forgets it.
func (t *terminal) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.line) > 0 {
		io.WriteString(t.out, clearLine)
		t.line = t.line[:0]
	}
}

type termLog struct{ t *terminal }

func (w termLog) Write(p []byte) (int, error) {
	t := w.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.line) > 0 {
		io.WriteString(t.out, clearLine)
	}
	n, err := t.out.Write(p)
	if len(t.line) > 0 {
		t.out.Write(t.line)
	}
	return n, err
}

type termBar struct{ t *terminal }

// Write passes the bar's bytes on and keeps what its line shows: a
// carriage return starts the line again.
func (w termBar) Write(p []byte) (int, error) {
	t := w.t
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range p {
		if c == '\r' {
			t.line = t.line[:0]
			continue
		}
		t.line = append(t.line, c)
	}
	if len(bytes.TrimSpace(t.line)) == 0 {
		t.line = t.line[:0]
	}
	return t.out.Write(p)
}

// progress draws the steps of one command on stderr when progress is on:
// a bar of input bytes for each pass over the inputs, a ticking line for
// a step that reads nothing (a model fit). Starting a step ends the one
// before: its bar is drawn at 100% and the line is erased. It does nothing
// when progress is off.
type progress struct {
	e  *env
	mu sync.Mutex
	// bar is the current bar of bytes, nil between byte steps.
	bar *progressbar.ProgressBar
	// stop ends the ticker of the current step without bytes.
	stop chan struct{}
	done chan struct{}
}

// newProgress returns the progress of a command; it draws only when
// e.showProgress().
func (e *env) newProgress() *progress {
	if !e.showProgress() {
		return nil
	}
	return &progress{e: e}
}

// option is the source option that counts the bytes read into the
// current step.
func (p *progress) option() stream.Option {
	if p == nil {
		return stream.WithProgress(nil)
	}
	return stream.WithProgress(p.add)
}

func (p *progress) add(n int64) {
	p.mu.Lock()
	bar := p.bar
	p.mu.Unlock()
	if bar != nil {
		bar.Add64(n)
	}
}

// inputBytes is the total size of inputs, -1 when one is unknown.
func inputBytes(inputs []stream.Input) int64 {
	total := int64(0)
	for _, in := range inputs {
		if in.Size < 0 {
			return -1
		}
		total += in.Size
	}
	return total
}

// bytes starts a step that reads total bytes (-1: unknown).
func (p *progress) bytes(what string, total int64) {
	if p == nil {
		return
	}
	p.end()
	if total <= 0 {
		total = -1 // unknown: a spinner
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.e.term.barWriter()),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
	)
	bar.RenderBlank()
	p.mu.Lock()
	p.bar = bar
	p.mu.Unlock()
}

// steps starts a step of n counted units (training steps); set moves it.
func (p *progress) steps(what string, n int) {
	if p == nil {
		return
	}
	p.end()
	bar := progressbar.NewOptions(n,
		progressbar.OptionSetWriter(p.e.term.barWriter()),
		progressbar.OptionSetDescription(what),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionShowCount(),
	)
	bar.RenderBlank()
	p.mu.Lock()
	p.bar = bar
	p.mu.Unlock()
}

// current is the bar of the current step, or nil (no progress, or no
// bar yet).
func (p *progress) current() *progressbar.ProgressBar {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bar
}

// describe renames the current bar's step.
func (p *progress) describe(what string) {
	if bar := p.current(); bar != nil {
		bar.Describe(what)
	}
}

// set moves the current bar to n and describes it.
func (p *progress) set(n int, what string) {
	if bar := p.current(); bar != nil {
		bar.Describe(what)
		bar.Set(n)
	}
}

// ticking is the period of the line of a step without bytes.
const ticking = 500 * time.Millisecond

// working starts a step that reads nothing (a fit): a line with the
// step's name and the seconds it has run, drawn again every half second.
func (p *progress) working(what string) {
	if p == nil {
		return
	}
	p.end()
	stop, done := make(chan struct{}), make(chan struct{})
	p.mu.Lock()
	p.stop, p.done = stop, done
	p.mu.Unlock()
	start := time.Now()
	w := p.e.term.barWriter()
	draw := func() {
		fmt.Fprintf(w, "\r%s … %ds", what, int(time.Since(start).Seconds()))
	}
	draw()
	go func() {
		defer close(done)
		tick := time.NewTicker(ticking)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				draw()
			}
		}
	}()
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

// end ends the current step: a bar is drawn full, then its line erased.
func (p *progress) end() {
	if p == nil {
		return
	}
	p.mu.Lock()
	bar, stop, done := p.bar, p.stop, p.done
	p.bar, p.stop, p.done = nil, nil, nil
	p.mu.Unlock()
	if bar != nil {
		bar.Finish()
	}
	if stop != nil {
		close(stop)
		<-done
	}
	p.e.term.clear()
}
