package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// shardFlags are the flags of the shard stage.
type shardFlags struct {
	maxRows     int64
	maxBytes    int64
	overwrite   bool
	tasks       int
	compression string
}

func (s *shardFlags) register(cmd *cobra.Command, own bool) {
	f := cmd.Flags()
	f.Int64Var(&s.maxRows, "max-rows", partition.DefaultMaxRows, "start a new shard file after this many rows of a task")
	f.Int64Var(&s.maxBytes, "max-bytes", partition.DefaultMaxBytes, "start a new shard file after about this many bytes of a task (uncompressed)")
	f.BoolVar(&s.overwrite, "overwrite", false, "replace an output folder that holds another dataset (manifest.json)")
	if own {
		f.IntVar(&s.tasks, "tasks", 0, "number of tasks K (default: read from the partition stage's metadata)")
		f.StringVar(&s.compression, "compression", "zstd", "Parquet compression of the shards: zstd, snappy or none")
	}
}

func (s *shardFlags) check() error {
	switch {
	case s.maxRows < 1:
		return usagef("--max-rows must be at least 1, not %d", s.maxRows)
	case s.maxBytes < 1:
		return usagef("--max-bytes must be at least 1, not %d", s.maxBytes)
	case s.tasks < 0:
		return usagef("--tasks must be at least 0 (0: read K from the input), not %d", s.tasks)
	}
	return nil
}

// writeShards writes rd as a sharded dataset in dir, its manifest naming
// the provenance's inputs and stages.
func (e *env) writeShards(cmd *cobra.Command, rd stream.Reader, dir string, sf *shardFlags, prov *stream.Provenance, k int, modelHash string, beforePublish func(staging string) error, wopts ...stream.Option) error {
	defer rd.Close()
	config := map[string]any{"shard": map[string]any{"max_rows": sf.maxRows, "max_bytes": sf.maxBytes}}
	m := stream.Manifest{Config: config, PartitionModel: modelHash}
	if prov != nil {
		m.Inputs, m.Seed = prov.Inputs, prov.Seed
		for _, st := range prov.Stages {
			config[st.Stage] = st.Config
		}
	}
	man, err := partition.WriteShards(cmd.Context(), rd, dir, partition.ShardOptions{
		Tasks: k, MaxRows: sf.maxRows, MaxBytes: sf.maxBytes, Overwrite: sf.overwrite,
		Writer: wopts, Manifest: m, BeforePublish: beforePublish,
	})
	if errors.Is(err, partition.ErrExists) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	e.log.Info("wrote dataset", "dir", dir, "tasks", len(man.Tasks), "rows", man.TotalRows, "rejected", man.Rejected.Rows)
	return nil
}

// taskMeta reads K and the partition model's hash from the task column's
// metadata (see partition.OutputSchemaFor).
func taskMeta(sc *arrow.Schema) (int, string) {
	idx := sc.FieldIndices(partition.TaskColumn)
	if len(idx) == 0 {
		return 0, ""
	}
	md := sc.Field(idx[0]).Metadata
	k := 0
	if i := md.FindKey(partition.MetaK); i >= 0 {
		k, _ = strconv.Atoi(md.Values()[i])
	}
	hash := ""
	if i := md.FindKey(partition.MetaModelHash); i >= 0 {
		hash = md.Values()[i]
	}
	return k, hash
}

func newShardCmd(e *env) *cobra.Command {
	var (
		in  inputFlags
		sf  shardFlags
		dir string
	)
	cmd := &cobra.Command{
		Use:   "shard [-i IN]... -o DIR",
		Short: "Write per-task Parquet shards and a manifest.json",
		Long: `Split an input with a task column (the output of robustdata partition) into
a sharded dataset:

  DIR/task=NNN/part-NNNNN.parquet   rows of each task, in input order
  DIR/rejected/part-NNNNN.parquet   rows that a stage rejected (reject_reason)
  DIR/manifest.json                 inputs (size, sha256), configuration, seed,
                                    partition model hash, per task rows, bytes
                                    and shards (path, rows, bytes, sha256),
                                    rejected rows by reason, totals

A new shard starts every --max-rows rows or --max-bytes bytes. Memory is
bounded whatever K is. The dataset is written in a staging folder and moved
into place at the end, so DIR never holds half a dataset; a DIR holding
another dataset is refused unless --overwrite.

Examples:
  robustdata features -i corpus.parquet | robustdata partition --k 16 | robustdata shard -o out/
  robustdata shard -i tasks.parquet -o out/ --max-rows 100000`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" || dir == "-" {
				return usagef("-o DIR is missing: shard writes a dataset folder (robustdata shard -i IN -o DIR/)")
			}
			if err := sf.check(); err != nil {
				return err
			}
			codec, err := compressionOption(sf.compression)
			if err != nil {
				return err
			}
			inputs, iopts, err := in.options(e, args)
			if err != nil {
				return err
			}
			if err := partition.CheckTarget(dir, sf.overwrite); err != nil {
				return usageError{err}
			}
			expanded, err := stream.ExpandInputs(inputs)
			if err != nil {
				return err
			}
			if err := checkOutputs([]string{dir}, true, inputs, expanded); err != nil {
				return err
			}
			prog := e.newProgress()
			prog.bytes("shard", inputBytes(expanded))
			defer prog.end()
			popt := prog.option()
			// Like every stage, shard adds doc_id when the input has none:
			// train holds rows out by it and verify checks it is unique.
			rd, err := stream.OpenInputs(cmd.Context(), expanded, append(iopts, popt, stream.WithDocID(stream.DefaultDocIDColumn))...)
			if err != nil {
				return err
			}
			k, hash := taskMeta(rd.Schema())
			if sf.tasks > 0 {
				k = sf.tasks
			}
			if k == 0 {
				rd.Close()
				return usagef("--tasks K is missing: the input does not say how many tasks it has (no partition metadata)")
			}
			prov, _ := stream.ProvenanceOf(rd.Schema())
			if prov == nil {
				if prov, err = stream.StageProvenance(cmd.Context(), rd.Schema(), expanded, e.seed, "input", map[string]any{}); err != nil {
					rd.Close()
					return err
				}
				prov.Stages = nil
			}
			return e.writeShards(cmd, rd, dir, &sf, prov, k, hash, nil, stream.WithCompression(codec))
		},
	}
	in.register(cmd)
	cmd.Flags().StringVarP(&dir, "output", "o", "", "the dataset folder to write (required)")
	sf.register(cmd, true)
	return cmd
}

func newVerifyCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check a sharded dataset against its manifest",
		Long: `Recompute the size, sha256 and row count of every shard of DIR and compare
them with DIR/manifest.json; check that every row of a task shard belongs to
that task, that every doc_id appears once, that no file is missing or
unlisted, and that rows in = rows in task shards + rejected rows. Exits 0
when everything agrees, 3 with the problems found otherwise.

Examples:
  robustdata verify out/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("verify takes one DIR")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := partition.Verify(cmd.Context(), args[0])
			if rep != nil {
				if asJSON {
					if jerr := printJSON(e, rep); jerr != nil {
						return jerr
					}
				} else {
					fmt.Fprintf(e.stdout, "%s: %d files, %d tasks, %d rows in shards, %d rejected\n", args[0], rep.Files, rep.Tasks, rep.Rows, rep.Rejected)
					for _, p := range rep.Problems {
						fmt.Fprintf(e.stdout, "  problem: %s\n", p)
					}
				}
			}
			if err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintf(e.stdout, "%s: OK\n", args[0])
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
