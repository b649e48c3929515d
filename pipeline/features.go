package pipeline

import (
	"context"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// FeaturesJob is one run of the features stage.
type FeaturesJob struct {
	// Inputs are the files to read (expanded: see stream.ExpandInputs).
	Inputs []stream.Input
	// Options are the source options (columns, limit, stdin…); a doc_id
	// column is added when the inputs have none.
	Options []stream.Option
	// Config is the stage's configuration; its Seed and Log are the Env's.
	Config features.Config
	// Model, when set, is a saved features model to apply instead of
	// fitting one.
	Model string
	// ModelOut, when set, is where the fitted model is saved.
	ModelOut string
}

// Features returns the job's inputs with their feature columns: the model
// is loaded (Model) or fitted on a first pass over the inputs, saved when
// asked (ModelOut), and applied on a second pass. The caller closes the
// reader.
func Features(ctx context.Context, env Env, job FeaturesJob) (stream.Reader, error) {
	opts := append(append([]stream.Option(nil), job.Options...), env.progress().Option(), stream.WithDocID(schema.DocIDColumn))
	rp := stream.NewReplay(ctx, job.Inputs, opts...)
	if job.Model == "" {
		// Pass 1 samples the texts, then the model is fitted: two steps.
		env.progress().Bytes("features: sample", InputBytes(job.Inputs))
	}
	rd, err := featuresOver(ctx, env, rp, nil, job, SourceName(job.Inputs))
	if err != nil {
		rp.Close()
		return nil, err
	}
	return &closeAlso{Reader: rd, also: rp.Close}, nil
}

// featuresOver is the one features runner: it loads the job's model or
// fits one on the first pass of rp (first, when the caller has opened it
// already), saves it when asked, and applies it on rp's second pass,
// recording the stage (and the model's hash) in the provenance.
func featuresOver(ctx context.Context, env Env, rp *stream.Replay, first stream.Reader, job FeaturesJob, source string) (stream.Reader, error) {
	model, err := featuresModel(ctx, env, rp, first, job, source)
	if err != nil {
		return nil, err
	}
	env.progress().Bytes("features", InputBytes(job.Inputs))
	src, err := rp.Second()
	if err != nil {
		return nil, err
	}
	return applyFeatures(ctx, env, src, model, job, source)
}

// featuresModel loads the job's features model, or fits one on the first
// pass of rp (first, when the caller has opened it already, read to its
// end either way), and saves it when asked.
func featuresModel(ctx context.Context, env Env, rp *stream.Replay, first stream.Reader, job FeaturesJob, source string) (*features.Model, error) {
	cfg := job.Config
	cfg.Seed, cfg.Log = env.Seed, env.log()
	prog := env.progress()
	var model *features.Model
	var err error
	if job.Model != "" {
		if first != nil {
			// The first pass must still be read to its end (stdin is
			// spooled).
			if _, err := stream.Copy(ctx, discard{}, first); err != nil {
				return nil, err
			}
		}
		model, err = features.LoadModel(job.Model, cfg)
	} else {
		model, err = fitFeatures(ctx, rp, first, cfg, source, prog)
	}
	if err != nil {
		return nil, err
	}
	if job.ModelOut != "" {
		if err := features.SaveModel(job.ModelOut, model); err != nil {
			return nil, err
		}
		env.log().Info("wrote features model", "path", job.ModelOut)
	}
	return model, nil
}

// applyFeatures returns src with the feature columns of model appended
// (closing it closes src; on error src is closed), recording the stage
// (and a loaded model's hash) in the provenance.
func applyFeatures(ctx context.Context, env Env, src stream.Reader, model *features.Model, job FeaturesJob, source string) (stream.Reader, error) {
	cfg := job.Config
	cfg.Seed, cfg.Log = env.Seed, env.log()
	record := cfg.Record()
	if job.Model != "" {
		h, err := stream.HashInputs(ctx, []stream.Input{{Name: job.Model, Path: job.Model}})
		if err != nil {
			src.Close()
			return nil, err
		}
		record["model_sha256"] = h[0].SHA256
	}
	var err error
	if cfg.Provenance, err = stream.StageProvenance(ctx, src.Schema(), job.Inputs, env.Seed, "features", record); err != nil {
		src.Close()
		return nil, err
	}
	rd, err := features.Apply(ctx, src, model, cfg, source)
	if err != nil {
		src.Close()
		return nil, err
	}
	return rd, nil
}

// fitFeatures fits the features model on the first pass of rp (first,
// when the caller has opened it; else the text column's), showing the
// fit as its own progress step.
func fitFeatures(ctx context.Context, rp *stream.Replay, first stream.Reader, cfg features.Config, source string, prog Progress) (*features.Model, error) {
	mode, arg, err := features.ParseSemantic(cfg.Semantic)
	if err != nil {
		return nil, UsageError{err}
	}
	if first == nil {
		col := cfg.TextCol
		if mode == features.ModeColumn {
			col = arg
		}
		if first, err = rp.First(col); err != nil {
			return nil, err
		}
		defer first.Close()
	}
	return features.PrepareFrom(ctx, atEOF(first, func() { prog.Working("features: fit the " + mode + " model") }), cfg, source)
}

// WriteStream writes every batch of rd to output (a file, or "-" for
// standard output as the options say) and closes rd, aborting the output
// on any failure so that nothing half-written is left. It returns the
// rows written.
func WriteStream(ctx context.Context, rd stream.Reader, output string, opts []stream.Option) (int64, error) {
	defer rd.Close()
	w, err := stream.Create(output, rd.Schema(), opts...)
	if err != nil {
		return 0, err
	}
	rows, err := stream.Copy(ctx, w, rd)
	if err != nil {
		w.Abort()
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return rows, nil
}
