// Package layers holds no code: its test keeps the import graph of the
// module in the layering DESIGN.md gives, so that a wrong import fails
// make test instead of growing into a cycle of responsibilities.
//
// The layers, bottom up: internal/* and the pipeline substrate
// (pipeline, pipeline/safetensors, pipeline/synth: streaming I/O,
// datasets, config) → the stages features → partition → train → report
// → cmd/robustdata, which only parses flags and wires them. A package
// imports only from its own layer's lower packages and the layers below.
package layers
