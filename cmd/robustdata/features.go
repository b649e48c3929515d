package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// featureFlags are the flags of the features stage, shared by the
// commands that compute features when their input lacks them (which name
// the sample and model flags with a "features-" prefix).
type featureFlags struct {
	prefix   string
	textCol  string
	semantic string
	dim      int
	vocab    int
	sample   int
	workers  int
	model    string
	modelOut string
}

func (f *featureFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.textCol, "text-col", features.DefaultTextColumn, "name of the text column")
	fs.StringVar(&f.semantic, "semantic", features.ModeLSA, "semantic features: lsa, vectors=FILE (GloVe text format, SIF-weighted) or column=NAME (an existing embedding column)")
	fs.IntVar(&f.dim, "dim", features.DefaultDim, "LSA dimensions of the semantic column")
	fs.IntVar(&f.vocab, "vocab", features.DefaultVocab, "LSA vocabulary size (most frequent hashed uni- and bigrams of the sample)")
	fs.IntVar(&f.sample, f.prefix+"sample", features.DefaultSample, "documents the features model is fitted on, drawn uniformly from the whole input")
	if f.prefix == "" {
		fs.IntVar(&f.workers, "workers", 0, "goroutines computing features (0: all cores); the output does not depend on it")
	}
	fs.StringVar(&f.model, f.prefix+"model", "", "reuse a features model saved with --"+f.prefix+"model-out instead of fitting one")
	fs.StringVar(&f.modelOut, f.prefix+"model-out", "", "save the fitted features model (safetensors) to this file")
}

// prepare fits the features model on the first pass of rp (as
// features.Prepare does), showing the fit as its own progress step.
func (f *featureFlags) prepare(ctx context.Context, rp *stream.Replay, cfg features.Config, source string, prog *progress) (*features.Model, error) {
	mode, arg, err := features.ParseSemantic(cfg.Semantic)
	if err != nil {
		return nil, usageError{err}
	}
	col := cfg.TextCol
	if mode == features.ModeColumn {
		col = arg
	}
	rd, err := rp.First(col)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return features.PrepareFrom(ctx, atEOF(rd, func() { prog.working("features: fit the " + mode + " model") }), cfg, source)
}

// reads lists the files the flags make the stage read besides its inputs:
// a saved model, a word-vector file.
func (f *featureFlags) reads() []string {
	r := []string{f.model}
	if mode, arg, err := features.ParseSemantic(f.semantic); err == nil && mode == features.ModeVectors {
		r = append(r, arg)
	}
	return r
}

// config checks the flags and returns the stage configuration.
func (f *featureFlags) config(e *env) (features.Config, error) {
	if _, _, err := features.ParseSemantic(f.semantic); err != nil {
		return features.Config{}, usageError{err}
	}
	if f.dim < 1 || f.dim > 4096 || f.vocab < 1 || f.sample < 2 || f.workers < 0 {
		return features.Config{}, usagef("--dim must be 1..4096, --vocab at least 1, --%ssample at least 2 and --workers at least 0", f.prefix)
	}
	return features.Config{TextCol: f.textCol, Semantic: f.semantic, Dim: f.dim, Vocab: f.vocab,
		Sample: f.sample, Workers: f.workers, Seed: e.seed, Log: e.log}, nil
}

// featureReader returns the inputs with their features: the model is
// loaded (--model) or fitted on a first pass over the inputs, saved when
// asked (--model-out), and applied on a second pass.
func (f *featureFlags) featureReader(cmd *cobra.Command, e *env, inputs []stream.Input, opts []stream.Option, prog *progress) (stream.Reader, error) {
	cfg, err := f.config(e)
	if err != nil {
		return nil, err
	}
	ctx := cmd.Context()
	source := inputs[0].Name
	if len(inputs) > 1 {
		source = fmt.Sprintf("%s (and %d more inputs)", source, len(inputs)-1)
	}
	rp := stream.NewReplay(ctx, inputs, opts...)
	total := inputBytes(inputs)
	var model *features.Model
	if f.model != "" {
		model, err = features.LoadModel(f.model, cfg)
	} else {
		// Pass 1 samples the texts, then the model is fitted: two steps.
		prog.bytes("features: sample", total)
		model, err = f.prepare(ctx, rp, cfg, source, prog)
	}
	if err != nil {
		rp.Close()
		return nil, err
	}
	prog.bytes("features", total)
	if f.modelOut != "" {
		if err := features.SaveModel(f.modelOut, model); err != nil {
			rp.Close()
			return nil, err
		}
		e.log.Info("wrote features model", "path", f.modelOut)
	}
	src, err := rp.Second()
	if err != nil {
		rp.Close()
		return nil, err
	}
	record := cfg.Record()
	if f.model != "" {
		h, err := stream.HashInputs(ctx, []stream.Input{{Name: f.model, Path: f.model}})
		if err != nil {
			src.Close()
			rp.Close()
			return nil, err
		}
		record["model_sha256"] = h[0].SHA256
	}
	if cfg.Provenance, err = stream.StageProvenance(ctx, src.Schema(), inputs, e.seed, "features", record); err != nil {
		src.Close()
		rp.Close()
		return nil, err
	}
	rd, err := features.Apply(ctx, src, model, cfg, source)
	if err != nil {
		src.Close()
		rp.Close()
		return nil, err
	}
	return &closeAlso{Reader: rd, also: rp.Close}, nil
}

// closeAlso closes something more with its Reader.
type closeAlso struct {
	stream.Reader
	also func() error
}

func (c *closeAlso) Close() error {
	err := c.Reader.Close()
	if c.also != nil {
		if aerr := c.also(); err == nil {
			err = aerr
		}
		c.also = nil
	}
	return err
}

func newFeaturesCmd(e *env) *cobra.Command {
	var (
		in   inputFlags
		out  outputFlags
		ff   featureFlags
		list bool
	)
	cmd := &cobra.Command{
		Use:   "features [-i IN]... [-o OUT]",
		Short: "Append pattern and semantic feature columns to every document",
		Long: `For every document compute pattern features (form: length, punctuation,
repetition... see --list) and semantic features (meaning), and append them
as the fixed-size-list columns "pattern" and "semantic" (L2-normalised).

Semantic features (--semantic):
  lsa            hashed unigrams+bigrams, TF-IDF and a rank --dim projection
                 fitted by randomized SVD on a uniform sample (--sample) of
                 the whole input (default)
  vectors=FILE   SIF-weighted mean of GloVe-format word vectors, first
                 principal component removed (Arora et al. 2017)
  column=NAME    an existing list<float> embedding column made by any model

The fitted model can be saved (--model-out) and reused (--model) so that
later corpora land in the same space. Files are read twice (to sample, then
to compute); standard input is spooled to a temporary file for the second
pass. Rows with a null or empty text keep zero features and get a reason in
the reject_reason column, which later stages pass on; the shard stage puts
them in the dataset's rejected/ folder. A doc_id column is added when the
input has none.

Examples:
  robustdata features -i corpus.parquet -o feats.parquet --model-out feats.model
  robustdata features -i more.parquet --model feats.model -o more-feats.parquet
  robustdata features -i corpus.parquet | robustdata partition --k 16 | robustdata shard -o out/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "index\tname\tdefinition")
				for i, name := range features.PatternNames() {
					fmt.Fprintf(tw, "%d\t%s\t%s\n", i, name, features.PatternDescriptions()[i])
				}
				return tw.Flush()
			}
			inputs, iopts, err := in.options(e, args)
			if err != nil {
				return err
			}
			oopts, err := out.options(e)
			if err != nil {
				return err
			}
			expanded, err := stream.ExpandInputs(inputs)
			if err != nil {
				return err
			}
			if err := checkOutputs([]string{out.output, ff.modelOut}, false, inputs, expanded, ff.reads()...); err != nil {
				return err
			}
			prog := e.newProgress()
			defer prog.end()
			opts := append(iopts, prog.option(), stream.WithDocID(stream.DefaultDocIDColumn))
			rd, err := ff.featureReader(cmd, e, expanded, opts, prog)
			if err != nil {
				return err
			}
			return e.writeStream(cmd, rd, out.output, append(opts, oopts...))
		},
	}
	in.register(cmd)
	out.register(cmd)
	ff.register(cmd)
	cmd.Flags().BoolVar(&list, "list", false, "list the pattern features (index, name, definition) and exit")
	return cmd
}
