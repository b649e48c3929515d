// Package split runs one work unit of a stage split across processes or
// machines (--split I/N): the unit's share of the inputs
// (stream.SplitUnits), its part file, and a completion marker that makes
// a rerun of a complete unit a no-op and lets a folder of units be read
// only once every unit is complete. Features and Partition apply saved
// models unit by unit; Sample draws a unit's share of the features sample
// so that the fit itself needs no machine to read the whole corpus. It
// builds on pipeline (the stage jobs) and is imported only by the CLI.
package split
