package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
)

func newCatCmd(e *env) *cobra.Command {
	var (
		in     inputFlags
		out    outputFlags
		limit  int64
		cols   []string
		withID bool
	)
	cmd := &cobra.Command{
		Use:   "cat [-i IN]... [-o OUT] [--limit N] [--columns a,b] [IN...]",
		Short: "Concatenate inputs and convert between Parquet, Arrow IPC and JSONL",
		Long:  help("cat"),
		RunE: func(cmd *cobra.Command, args []string) error {
			inputs, iopts, err := in.options(e, args)
			if err != nil {
				return err
			}
			oopts, err := out.options(e)
			if err != nil {
				return err
			}
			if limit < -1 {
				return usagef("--limit must be -1 (no limit) or at least 0")
			}
			for i, c := range cols {
				if strings.TrimSpace(c) == "" {
					return usagef("--columns has an empty name")
				}
				if slices.Contains(cols[:i], c) {
					return usagef("--columns names %q twice", c)
				}
			}
			expanded, err := stream.ExpandInputs(inputs)
			if err != nil {
				return err
			}
			if err := pipeline.CheckOutputs([]string{out.output}, false, inputs, expanded); err != nil {
				return err
			}
			prog := e.newProgress()
			prog.Bytes("cat", pipeline.InputBytes(expanded))
			defer prog.End()
			opts := append(iopts, prog.Option(), stream.WithLimit(limit))
			if len(cols) > 0 {
				opts = append(opts, stream.WithColumns(cols...))
			}
			if withID {
				opts = append(opts, stream.WithDocID(schema.DocIDColumn))
			}
			rd, err := stream.OpenInputs(cmd.Context(), expanded, opts...)
			if err != nil {
				return err
			}
			return e.writeStream(cmd, rd, out.output, append(opts, oopts...))
		},
	}
	in.register(cmd)
	out.register(cmd)
	f := cmd.Flags()
	f.Int64Var(&limit, "limit", -1, "stop after N rows (-1: no limit)")
	f.StringSliceVar(&cols, "columns", nil, "keep only these columns, in this order (comma-separated)")
	f.BoolVar(&withID, "doc-id", false, "add a doc_id column (input name and row number) when the input has none")
	return cmd
}

// writeStream writes every batch of rd to output and closes rd, aborting
// the output on any failure so that nothing half-written is left.
func (e *env) writeStream(cmd *cobra.Command, rd stream.Reader, output string, opts []stream.Option) error {
	rows, err := pipeline.WriteStream(cmd.Context(), rd, output, opts)
	if err != nil {
		return err
	}
	e.log.Info("wrote", "command", cmd.Name(), "rows", rows, "output", output)
	return nil
}
