package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/split"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// featureFlags are the flags of the features stage, shared by the
// commands that compute features when their input lacks them (which name
// the sample and model flags with a "features-" prefix). The settings
// flags come from features.Settings, bound to a run config section.
type featureFlags struct {
	prefix   string
	textCol  string
	sec      pipeline.RunFeatures
	workers  int
	model    string
	modelOut string
}

func (f *featureFlags) register(cmd *cobra.Command) {
	f.sec = pipeline.DefaultRunConfig().Features
	fs := cmd.Flags()
	fs.StringVar(&f.textCol, "text-col", schema.TextColumn, "name of the text column")
	bindSettings(cmd, features.Settings, &f.sec, f.rename())
	if f.prefix == "" {
		fs.IntVar(&f.workers, "workers", 0, "goroutines computing features (0: all cores); the output does not depend on it")
	}
	fs.StringVar(&f.model, f.prefix+"model", "", "reuse a features model saved with --"+f.prefix+"model-out instead of fitting one")
	fs.StringVar(&f.modelOut, f.prefix+"model-out", "", "save the fitted features model (safetensors) to this file")
}

// rename names the sample flag with the prefix.
func (f *featureFlags) rename() map[string]string {
	return map[string]string{"sample": f.prefix + "sample"}
}

// reads lists the files the flags make the stage read besides its inputs:
// a saved model, a word-vector file.
func (f *featureFlags) reads() []string {
	r := []string{f.model}
	if mode, arg, err := features.ParseSemantic(f.sec.Semantic); err == nil && mode == features.ModeVectors {
		r = append(r, arg)
	}
	return r
}

// config checks the flags and returns the stage configuration.
func (f *featureFlags) config(e *env) (features.Config, error) {
	if err := checkSettings(features.Settings, &f.sec, f.rename()); err != nil {
		return features.Config{}, err
	}
	if f.workers < 0 {
		return features.Config{}, usagef("--workers must be at least 0, not %d", f.workers)
	}
	cfg := pipeline.FeaturesConfig(f.textCol, f.sec)
	cfg.Workers, cfg.Seed, cfg.Log = f.workers, e.seed, e.log
	return cfg, nil
}

// job is the features stage's job over inputs, read with opts.
func (f *featureFlags) job(e *env, inputs []stream.Input, opts []stream.Option) (pipeline.FeaturesJob, error) {
	cfg, err := f.config(e)
	if err != nil {
		return pipeline.FeaturesJob{}, err
	}
	return pipeline.FeaturesJob{Inputs: inputs, Options: opts, Config: cfg, Model: f.model, ModelOut: f.modelOut}, nil
}

func newFeaturesCmd(e *env) *cobra.Command {
	var (
		in               inputFlags
		out              outputFlags
		ff               featureFlags
		list, sampleOnly bool
		splitArg         string
	)
	cmd := &cobra.Command{
		Use:   "features [-i IN]... [-o OUT]",
		Short: "Append pattern and semantic feature columns to every document",
		Long:  help("features"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "index\tname\tdefinition")
				for i, name := range schema.PatternNames() {
					fmt.Fprintf(tw, "%d\t%s\t%s\n", i, name, schema.PatternDescriptions()[i])
				}
				return tw.Flush()
			}
			inputs, iopts, err := in.options(e, args)
			if err != nil {
				return err
			}
			out.dirOK = splitArg != "" || sampleOnly
			oopts, err := out.options(e)
			if err != nil {
				return err
			}
			expanded, err := stream.ExpandInputs(inputs)
			if err != nil {
				return err
			}
			if err := pipeline.CheckOutputs([]string{out.output, ff.modelOut}, out.dirOK, inputs, expanded, ff.reads()...); err != nil {
				return err
			}
			job, err := ff.job(e, expanded, iopts)
			if err != nil {
				return err
			}
			prog := e.newProgress()
			defer prog.End()
			if splitArg != "" || sampleOnly {
				unit := split.Features
				if sampleOnly {
					unit = split.Sample
				}
				_, err := unit(cmd.Context(), e.stageEnv(prog), job, splitArg, out.output, append(iopts, oopts...))
				return err
			}
			rd, err := pipeline.Features(cmd.Context(), e.stageEnv(prog), job)
			if err != nil {
				return err
			}
			return e.writeStream(cmd, rd, out.output, append(iopts, oopts...))
		},
	}
	in.register(cmd)
	out.register(cmd)
	ff.register(cmd)
	cmd.Flags().BoolVar(&list, "list", false, "list the pattern features (index, name, definition) and exit")
	cmd.Flags().StringVar(&splitArg, "split", "", "run work unit I of N (I/N, from 0) with a saved --model: -o DIR/ gets DIR/part-I-of-N.parquet and a completion marker; a complete unit is not run again")
	cmd.Flags().BoolVar(&sampleOnly, "sample-only", false, "with --split: write the unit's share of the sample the model is fitted on (the --sample texts of smallest seeded hash) into -o DIR/; features -i DIR/ --model-out M then fits what the whole corpus would")
	return cmd
}
