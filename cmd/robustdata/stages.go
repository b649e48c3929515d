package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// errNotYet is returned by the stage commands this version does not have.
var errNotYet = errors.New("this stage is not available in this version of robustdata")

// plannedCmd is a stage command whose help is written but whose work is
// not yet built: it fails with exit status 1 and a clear message.
func plannedCmd(use, short, long string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errNotYet
		},
	}
}

func newRunCmd(e *env) *cobra.Command {
	return plannedCmd("run CONFIG.yaml",
		"Run the whole chain from one YAML config, skipping stages that are up to date",
		`Run features, partition, shard, train and eval as declared in CONFIG.yaml,
rerunning only the stages whose inputs or settings changed.`)
}

func newReportCmd(e *env) *cobra.Command {
	return plannedCmd("report DIR",
		"Write a self-contained HTML report of a dataset and its training runs",
		`Write one HTML file with task sizes, a 2-D projection coloured by task,
top terms and examples per task, label agreement and training curves.`)
}
