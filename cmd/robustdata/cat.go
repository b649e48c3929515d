package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

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
		Long: `Read every input as one stream (inputs must have the same columns and
types) and write it to one output, converting between formats. Inputs are
files, folders (every data file under them), globs, or - for standard input
(Parquet, Arrow IPC or JSONL, told by its first bytes).

Examples:
  robustdata cat -i corpus/ -o corpus.parquet
  robustdata cat -i 'shards/*.parquet' --columns text,label --limit 5 -o - | robustdata cat -o peek.jsonl
  zstdcat dump.jsonl.zst | robustdata cat -o dump.parquet --compression snappy`,
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
			if err := checkOutputs([]string{out.output}, false, inputs, expanded); err != nil {
				return err
			}
			prog := e.newProgress()
			prog.bytes("cat", inputBytes(expanded))
			defer prog.end()
			opts := append(iopts, prog.option(), stream.WithLimit(limit))
			if len(cols) > 0 {
				opts = append(opts, stream.WithColumns(cols...))
			}
			if withID {
				opts = append(opts, stream.WithDocID(stream.DefaultDocIDColumn))
			}
			return e.copyStream(cmd, expanded, out.output, append(opts, oopts...))
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

// copyStream reads inputs and writes them to output.
func (e *env) copyStream(cmd *cobra.Command, inputs []stream.Input, output string, opts []stream.Option) error {
	rd, err := stream.OpenInputs(cmd.Context(), inputs, opts...)
	if err != nil {
		return err
	}
	return e.writeStream(cmd, rd, output, opts)
}

// writeStream writes every batch of rd to output and closes rd, aborting
// the output on any failure so that nothing half-written is left.
func (e *env) writeStream(cmd *cobra.Command, rd stream.Reader, output string, opts []stream.Option) error {
	defer rd.Close()
	w, err := stream.Create(output, rd.Schema(), opts...)
	if err != nil {
		return err
	}
	rows, err := stream.Copy(cmd.Context(), w, rd)
	if err != nil {
		w.Abort()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	e.log.Info("wrote", "command", cmd.Name(), "rows", rows, "output", output)
	return nil
}
