package main

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/report"
)

func newReportCmd(e *env) *cobra.Command {
	var (
		output string
		sec    = pipeline.DefaultRunConfig().Report
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
			if err := checkSettings(report.Settings, &sec, nil); err != nil {
				return err
			}
			dir := args[0]
			opts := report.Options{SampleRows: sec.Sample, LabelCol: sec.LabelCol, Log: e.log}
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
	bindSettings(cmd, report.Settings, &sec, nil)
	return cmd
}
