package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// inspectResult is what inspect reports about one path.
type inspectResult struct {
	Path     string             `json:"path"`
	Files    []*stream.FileInfo `json:"files,omitempty"`
	Manifest *manifestSummary   `json:"manifest,omitempty"`
	Rows     int64              `json:"rows"`
	Bytes    int64              `json:"bytes"`
}

// manifestSummary is the short form of a dataset's manifest.
type manifestSummary struct {
	Version      int     `json:"version"`
	ToolVersion  string  `json:"tool_version"`
	Seed         uint64  `json:"seed"`
	Inputs       int     `json:"inputs"`
	InputRows    int64   `json:"input_rows"`
	Tasks        int     `json:"tasks"`
	TotalRows    int64   `json:"total_rows"`
	RejectedRows int64   `json:"rejected_rows"`
	Shards       int     `json:"shards"`
	Bytes        int64   `json:"bytes"`
	TaskRows     []int64 `json:"task_rows"`
}

func newInspectCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect PATH...",
		Short: "Show schema, rows, row groups and sizes of data files, or a dataset's manifest",
		Long: `For each PATH print its schema, row count and sizes: for Parquet, its row
groups with compressed and uncompressed bytes (read from the footer only);
for Arrow IPC and JSONL, the rows and batches read. A folder holding a
manifest.json is summarised from its manifest (tasks, rows, shards,
rejected rows); another folder is described file by file.

Examples:
  robustdata inspect examples/data/fortunes.parquet
  robustdata inspect --json out/ | jq '.[0].manifest.task_rows'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("inspect needs at least one PATH")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var results []inspectResult
			for _, p := range args {
				r, err := inspectPath(cmd, e, p)
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
				printInspect(e.stdout, r)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for machines instead of text")
	return cmd
}

func inspectPath(cmd *cobra.Command, e *env, p string) (inspectResult, error) {
	res := inspectResult{Path: p}
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		if _, err := os.Stat(filepath.Join(p, stream.ManifestName)); err == nil {
			m, err := stream.ReadManifest(p)
			if err != nil {
				return res, err
			}
			s := &manifestSummary{Version: m.Version, ToolVersion: m.ToolVersion, Seed: m.Seed,
				Inputs: len(m.Inputs), InputRows: m.InputRows, Tasks: len(m.Tasks),
				TotalRows: m.TotalRows, RejectedRows: m.Rejected.Rows}
			for _, t := range m.Tasks {
				s.Shards += len(t.Shards)
				s.Bytes += t.Bytes
				s.TaskRows = append(s.TaskRows, t.Rows)
			}
			res.Manifest, res.Rows, res.Bytes = s, m.TotalRows, s.Bytes
			return res, nil
		}
	}
	inputs, err := stream.ExpandInputs([]string{p})
	if err != nil {
		return res, err
	}
	for _, in := range inputs {
		info, err := stream.InspectFile(cmd.Context(), in, stream.WithStdin(e.stdin))
		if err != nil {
			return res, err
		}
		res.Files = append(res.Files, info)
		res.Rows += info.Rows
		if info.Bytes > 0 {
			res.Bytes += info.Bytes
		}
	}
	return res, nil
}

func printInspect(w io.Writer, r inspectResult) {
	if m := r.Manifest; m != nil {
		fmt.Fprintf(w, "%s: dataset (manifest version %d, written by robustdata %s, seed %d)\n", r.Path, m.Version, m.ToolVersion, m.Seed)
		fmt.Fprintf(w, "  inputs: %d files, %d rows\n", m.Inputs, m.InputRows)
		fmt.Fprintf(w, "  tasks: %d, rows in shards: %d, rejected rows: %d\n", m.Tasks, m.TotalRows, m.RejectedRows)
		fmt.Fprintf(w, "  shards: %d, %s\n", m.Shards, humanBytes(m.Bytes))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  task\trows\tshare\t")
		for i, n := range m.TaskRows {
			share := 0.0
			if m.TotalRows > 0 {
				share = 100 * float64(n) / float64(m.TotalRows)
			}
			fmt.Fprintf(tw, "  %d\t%d\t%.1f%%\t\n", i, n, share)
		}
		tw.Flush()
		return
	}
	for i, f := range r.Files {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s: %s, %d rows", f.Path, f.Format, f.Rows)
		if f.Bytes >= 0 {
			fmt.Fprintf(w, ", %s", humanBytes(f.Bytes))
		}
		fmt.Fprintln(w)
		if f.CreatedBy != "" {
			fmt.Fprintf(w, "  created by: %s\n", f.CreatedBy)
		}
		if f.RowGroups != nil {
			fmt.Fprintf(w, "  row groups: %d, compressed %s, uncompressed %s\n", len(f.RowGroups), humanBytes(f.CompressedBytes), humanBytes(f.UncompressedBytes))
		}
		if f.Batches > 0 {
			fmt.Fprintf(w, "  record batches: %d\n", f.Batches)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  column\ttype\tnullable\tcodec")
		for _, c := range f.Columns {
			codec := c.Codec
			if codec == "" {
				codec = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%v\t%s\n", c.Name, c.Type, c.Nullable, codec)
		}
		tw.Flush()
		if len(f.RowGroups) > 1 && len(f.RowGroups) <= 20 {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "  row group\trows\tcompressed\tuncompressed\t")
			for j, rg := range f.RowGroups {
				fmt.Fprintf(tw, "  %d\t%d\t%s\t%s\t\n", j, rg.Rows, humanBytes(rg.CompressedBytes), humanBytes(rg.UncompressedBytes))
			}
			tw.Flush()
		}
	}
	if len(r.Files) > 1 {
		fmt.Fprintf(w, "\n%s: %d files, %d rows, %s\n", r.Path, len(r.Files), r.Rows, humanBytes(r.Bytes))
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
