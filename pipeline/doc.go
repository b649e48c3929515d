// Package pipeline is the chain itself: the run config (YAML, one section
// per stage), stage fingerprints and the resume/skip records that let a
// rerun skip a stage whose inputs and settings did not change, the run
// folder's lock and ownership claim.
//
// It sits on top of the stages (features, partition, train, report) and
// of the substrate packages below them: pipeline/stream (record-batch
// streaming, atomic writes, bad-input errors), pipeline/synth (the
// synthetic corpus) and pipeline/safetensors. The stages never import
// pipeline itself, only its substrate (internal/layers checks this).
package pipeline
