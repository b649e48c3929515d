package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline/inspect"
	"github.com/robustdata/robustdata/pipeline/stream"
)

func newInspectCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect PATH...",
		Short: "Show schema, rows, row groups and sizes of data files, or a dataset's manifest",
		Long:  help("inspect"),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("inspect needs at least one PATH")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var results []inspect.Result
			for _, p := range args {
				r, err := inspect.Path(cmd.Context(), p, stream.WithStdin(e.stdin))
				if err != nil {
					return err
				}
				results = append(results, r)
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(results)
			}
			for i, r := range results {
				if i > 0 {
					fmt.Fprintln(e.stdout)
				}
				r.WriteText(e.stdout)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for machines instead of text")
	return cmd
}
