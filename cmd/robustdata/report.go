package main

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/report"
)

func newReportCmd(e *env) *cobra.Command {
	var (
		output   string
		sample   int
		labelCol string
	)
	cmd := &cobra.Command{
		Use:   "report DIR [-o FILE]",
		Short: "Write a self-contained HTML report of a dataset and its training runs",
		Long: `Write one HTML file about DIR, a dataset folder (manifest.json,
partition.json, task shards) or the output root of robustdata run
(DIR/dataset/, DIR/runs/NAME/, DIR/eval/eval.json):

  1. the dataset: inputs with size and sha256, rows, rejected rows, K and the
     configuration of every stage;
  2. a bar chart of the rows per task;
  3. a 2-D PCA projection of up to --sample rows drawn evenly from the
     shards, in the space k-means clustered (partition.json), coloured by
     task;
  4. per task: top terms, the pattern features that stand out, and three
     example texts;
  5. with a label column: NMI, ARI, purity over all rows and a labels × tasks
     heat map;
  6. with training runs: per-task training loss curves per run, the final
     task weights, the validation losses and the downstream probes.

The file needs nothing else: styles are inline and the charts are inline SVG
(no script, no font or image loaded from the network). The same inputs give
byte-identical output. The default output is DIR/report.html; -o - writes to
standard output.

Examples:
  robustdata report out/
  robustdata report out/quickstart -o quickstart.html`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("report takes one DIR")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if sample < 1 {
				return usagef("--sample must be at least 1")
			}
			dir := args[0]
			opts := report.Options{SampleRows: sample, LabelCol: labelCol, Log: e.log}
			if output == "-" {
				html, err := report.Build(cmd.Context(), dir, opts)
				if err != nil {
					return err
				}
				_, err = e.stdout.Write(html)
				return err
			}
			if output == "" {
				output = filepath.Join(dir, report.FileName)
			}
			if err := checkOutputs([]string{output}, false, nil, nil, reportReads(dir)...); err != nil {
				return err
			}
			if err := report.Write(cmd.Context(), dir, output, opts); err != nil {
				return err
			}
			e.log.Info("report: wrote", "report", output)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "", "the HTML file to write (default DIR/report.html; - for standard output)")
	f.IntVar(&sample, "sample", report.DefaultSampleRows, "most rows drawn evenly from the shards for the projection, terms and examples")
	f.StringVar(&labelCol, "label-col", "", "the label column to compare the tasks with (default: the partition's, else \"label\" when the shards have it)")
	return cmd
}

// reportReads lists what report reads in DIR, a dataset folder or a run
// output root, which -o may not replace: the manifests and models, and
// the folders of shards, rejected rows, runs and evaluations.
func reportReads(dir string) []string {
	var reads []string
	for _, ds := range []string{dir, filepath.Join(dir, "dataset")} {
		reads = append(reads, filepath.Join(ds, stream.ManifestName), filepath.Join(ds, partition.ModelFile),
			filepath.Join(ds, partition.RejectedDir))
		tasks, _ := filepath.Glob(filepath.Join(ds, "task=*"))
		reads = append(reads, tasks...)
	}
	return append(reads, filepath.Join(dir, "dataset"), filepath.Join(dir, "runs"), filepath.Join(dir, "eval"))
}
