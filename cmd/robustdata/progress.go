package main

import (
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/robustdata/robustdata/pipeline"
)

// progressOption returns a source option that draws a progress bar of
// input bytes on stderr when progress is on, and a function that clears
// the bar; both are no-ops when it is off. passes is how many times the
// inputs are read (2 when a model is fitted on a first pass).
func (e *env) progressOption(inputs []pipeline.Input, what string, passes int) (pipeline.Option, func()) {
	if !e.showProgress() {
		return pipeline.WithProgress(nil), func() {}
	}
	total := int64(0)
	for _, in := range inputs {
		if in.Size < 0 {
			total = -1
			break
		}
		total += in.Size
	}
	if total > 0 {
		total *= int64(passes)
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(true),
	)
	return pipeline.WithProgress(func(n int64) { bar.Add64(n) }), func() { bar.Finish() }
}
