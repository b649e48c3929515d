// Package progress draws a stage's progress on a terminal: Bars is a
// pipeline.Progress (a bar of input bytes for each pass, a ticking line
// for a fit, a bar of steps for training) and Terminal shares one stream
// between the bars and the log, so that no log line is printed on a
// bar's line.
package progress

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// clearLine moves to the start of the line and erases it (ANSI).
const clearLine = "\r\x1b[K"

// Terminal shares stderr between the progress bar and the log: a log
// line first erases the bar's line, is written on a line of its own, and
// the bar is drawn again below it; so no log line is ever printed on a
// bar's line.
type Terminal struct {
	mu  sync.Mutex
	out io.Writer
	// line is what the bar shows now ("" when no bar is on screen).
	line []byte
}

// NewTerminal shares out between the bars and the log.
func NewTerminal(out io.Writer) *Terminal { return &Terminal{out: out} }

// LogWriter is the writer of log lines and error messages.
func (t *Terminal) LogWriter() io.Writer { return termLog{t} }

// BarWriter is the writer a bar draws with.
func (t *Terminal) BarWriter() io.Writer { return termBar{t} }

// Clear erases the bar's line, if a bar is on screen, and forgets it.
func (t *Terminal) Clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.line) > 0 {
		io.WriteString(t.out, clearLine)
		t.line = t.line[:0]
	}
}

type termLog struct{ t *Terminal }

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

type termBar struct{ t *Terminal }

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

// Bars draws the steps of one command on stderr when progress is on:
// a bar of input bytes for each pass over the inputs, a ticking line for
// a step that reads nothing (a model fit). Starting a step ends the one
// before: its bar is drawn at 100% and the line is erased. It does nothing
// when progress is off.
type Bars struct {
	term *Terminal
	mu   sync.Mutex
	// bar is the current bar of bytes, nil between byte steps.
	bar *progressbar.ProgressBar
	// stop ends the ticker of the current step without bytes.
	stop chan struct{}
	done chan struct{}
}

// Option is the source option that counts the bytes read into the
// current step.
func (p *Bars) Option() stream.Option {
	if p == nil {
		return stream.WithProgress(nil)
	}
	return stream.WithProgress(p.add)
}

func (p *Bars) add(n int64) {
	p.mu.Lock()
	bar := p.bar
	p.mu.Unlock()
	if bar != nil {
		bar.Add64(n)
	}
}

// Bytes starts a step that reads total bytes (-1: unknown).
func (p *Bars) Bytes(what string, total int64) {
	if p == nil {
		return
	}
	p.End()
	if total <= 0 {
		total = -1 // unknown: a spinner
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.term.BarWriter()),
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

// Steps starts a step of n counted units (training steps); set moves it.
func (p *Bars) Steps(what string, n int) {
	if p == nil {
		return
	}
	p.End()
	bar := progressbar.NewOptions(n,
		progressbar.OptionSetWriter(p.term.BarWriter()),
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
func (p *Bars) current() *progressbar.ProgressBar {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bar
}

// Describe renames the current bar's step.
func (p *Bars) Describe(what string) {
	if bar := p.current(); bar != nil {
		bar.Describe(what)
	}
}

// Set moves the current bar to n and describes it.
func (p *Bars) Set(n int, what string) {
	if bar := p.current(); bar != nil {
		bar.Describe(what)
		bar.Set(n)
	}
}

// ticking is the period of the line of a step without bytes.
const ticking = 500 * time.Millisecond

// Working starts a step that reads nothing (a fit): a line with the
// step's name and the seconds it has run, drawn again every half second.
func (p *Bars) Working(what string) {
	if p == nil {
		return
	}
	p.End()
	stop, done := make(chan struct{}), make(chan struct{})
	p.mu.Lock()
	p.stop, p.done = stop, done
	p.mu.Unlock()
	start := time.Now()
	w := p.term.BarWriter()
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

// End ends the current step: a bar is drawn full, then its line erased.
func (p *Bars) End() {
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
	p.term.Clear()
}

// New returns the bars of one command drawn on t; a nil *Bars draws
// nothing.
func New(t *Terminal) *Bars { return &Bars{term: t} }
