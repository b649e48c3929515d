package main

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline"
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
		Long:  help("report"),
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
			if err := pipeline.CheckOutputs([]string{output}, false, nil, nil, pipeline.ReportReads(dir)...); err != nil {
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
