package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// shardFlags are the flags of the shard stage; the settings flags come
// from dataset.Settings, bound to a run config section.
type shardFlags struct {
	sec         pipeline.RunShard
	overwrite   bool
	tasks       int
	compression string
}

func (s *shardFlags) register(cmd *cobra.Command, own bool) {
	s.sec = pipeline.DefaultRunConfig().Shard
	f := cmd.Flags()
	bindSettings(cmd, dataset.Settings, &s.sec, nil)
	f.BoolVar(&s.overwrite, "overwrite", false, "replace an output folder that holds another dataset (manifest.json)")
	if own {
		f.IntVar(&s.tasks, "tasks", 0, "number of tasks K (default: read from the partition stage's metadata)")
		f.StringVar(&s.compression, "compression", "zstd", "Parquet compression of the shards: zstd, snappy or none")
	}
}

func (s *shardFlags) check() error {
	if err := checkSettings(dataset.Settings, &s.sec, nil); err != nil {
		return err
	}
	if s.tasks < 0 {
		return usagef("--tasks must be at least 0 (0: read K from the input), not %d", s.tasks)
	}
	return nil
}

// settings are the shard settings of the flags.
func (s *shardFlags) settings() pipeline.ShardSettings {
	return pipeline.ShardSettings{MaxRows: s.sec.MaxRows, MaxBytes: s.sec.MaxBytes, KeepFeatures: s.sec.KeepFeatures, Overwrite: s.overwrite}
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
		Long:  help("shard"),
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
			if err := dataset.CheckTarget(dir, sf.overwrite); err != nil {
				return usageError{Err: err}
			}
			expanded, err := stream.ExpandInputs(inputs)
			if err != nil {
				return err
			}
			if err := pipeline.CheckOutputs([]string{dir}, true, inputs, expanded); err != nil {
				return err
			}
			prog := e.newProgress()
			defer prog.End()
			return pipeline.Shard(cmd.Context(), e.stageEnv(prog), pipeline.ShardJob{Inputs: expanded, Options: iopts,
				Output: dir, Shard: sf.settings(), Tasks: sf.tasks, Compression: codec})
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
		Long:  help("verify"),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("verify takes one DIR")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := dataset.Verify(cmd.Context(), args[0])
			if rep != nil {
				if asJSON {
					if jerr := printJSON(e, rep); jerr != nil {
						return jerr
					}
				} else {
					rep.WriteText(e.stdout, args[0])
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
