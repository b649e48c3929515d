package main

import (
	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/progress"
)

// newProgress returns the progress of a command; it draws only when
// e.showProgress().
func (e *env) newProgress() *progress.Bars {
	if !e.showProgress() {
		return nil
	}
	return progress.New(e.term)
}

// stageEnv is the library's Env of a command: its seed, its logger and
// prog (nil: no progress).
func (e *env) stageEnv(prog *progress.Bars) pipeline.Env {
	env := pipeline.Env{Seed: e.seed, Log: e.log}
	if prog != nil {
		env.Progress = prog
	}
	return env
}
