package pipeline

import (
	"os"
	"path/filepath"

	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// CheckOutputs refuses (exit 2, before anything is written) outputs that
// overlap what the command reads: see stream.CheckOutput. raw are the
// inputs as the user gave them (folders count as a whole), expanded the
// files they stand for, and reads any other file or folder the command
// reads (a model, a reference run). folder tells whether the first output
// is a folder (a dataset or run folder); the others are files.
func CheckOutputs(outputs []string, folder bool, raw []string, expanded []stream.Input, reads ...string) error {
	ins := append(append([]string{}, raw...), reads...)
	for _, in := range expanded {
		if in.Path != "" {
			ins = append(ins, in.Path)
		}
	}
	for i, out := range outputs {
		if out != "" && out != "-" && !(folder && i == 0) {
			if st, err := os.Stat(out); err == nil && st.IsDir() {
				return Usagef("%s is a folder: name the file to write", out)
			}
		}
		if err := stream.CheckOutput(out, folder && i == 0, ins...); err != nil {
			return UsageError{err}
		}
	}
	return nil
}

// ReportReads lists what report reads in DIR, a dataset folder or a run
// output root, which -o may not replace: the manifests and models, and
// the folders of shards, rejected rows, runs and evaluations.
func ReportReads(dir string) []string {
	var reads []string
	for _, ds := range []string{dir, filepath.Join(dir, "dataset")} {
		reads = append(reads, filepath.Join(ds, dataset.ManifestName), filepath.Join(ds, dataset.ModelFile),
			filepath.Join(ds, dataset.RejectedDir))
		tasks, _ := filepath.Glob(filepath.Join(ds, "task=*"))
		reads = append(reads, tasks...)
	}
	return append(reads, filepath.Join(dir, "dataset"), filepath.Join(dir, "runs"), filepath.Join(dir, "eval"))
}
