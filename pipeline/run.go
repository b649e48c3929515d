package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/pipeline/record"

	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/report"
	"github.com/robustdata/robustdata/train"
)

// StageGroups are the stages of the chain, in order: what RunOptions.From
// names.
var StageGroups = []string{"features", "partition", "train", "eval", "report"}

// RunOptions are the settings of one run of the chain besides its config.
type RunOptions struct {
	// From forces this stage group (see StageGroups) and everything
	// downstream of it to run; "" runs what is out of date.
	From string
}

// StagePlan is one stage of a plan: whether it runs, and why.
type StagePlan struct {
	Stage string
	Run   bool
	Why   string
}

// StageSummary is one stage of a run's summary.
type StageSummary struct {
	Stage   string  `json:"stage"`
	Status  string  `json:"status"` // ran, skipped, failed
	Seconds float64 `json:"seconds"`
	Rows    *int64  `json:"rows,omitempty"`
}

// RunSummary tells what a run did.
type RunSummary struct {
	// Root is the output root.
	Root string
	// Stages are the stages handled, in order, up to a failed one.
	Stages []StageSummary
	// Seconds is the run's wall time.
	Seconds float64
	// Report is the HTML report's path ("" when the config has none).
	Report string
}

// Plan tells, for every stage of the chain cfg describes, whether Run
// would run it and why, writing nothing.
func Plan(ctx context.Context, env Env, cfg *RunConfig, opts RunOptions) ([]StagePlan, error) {
	r, fromIdx, err := newChain(ctx, env, cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := r.plan(ctx, fromIdx); err != nil {
		return nil, err
	}
	out := make([]StagePlan, len(r.stages))
	for i, s := range r.stages {
		out[i] = StagePlan{Stage: s.name, Run: s.run, Why: s.why}
	}
	return out, nil
}

// Run runs the chain cfg describes — features, partition with the shards,
// one training run per strategy, eval, report — into cfg's output root,
// calling each stage's library function. A stage whose inputs, settings
// and outputs match its completion record is skipped; an interrupted
// training run continues from its checkpoint. The root is locked for the
// run. The seed is cfg's when it sets one, else env's. The summary is
// returned with the error of a failed run too (nil only when nothing
// ran).
func Run(ctx context.Context, env Env, cfg *RunConfig, opts RunOptions) (sum *RunSummary, err error) {
	r, fromIdx, err := newChain(ctx, env, cfg, opts)
	if err != nil {
		return nil, err
	}
	log := r.env.log()
	if err := record.ClaimRunRoot(r.root); err != nil {
		if errors.Is(err, record.ErrForeignRoot) {
			return nil, UsageError{err}
		}
		return nil, fmt.Errorf("run: %w", err)
	}
	lock, stale, err := record.AcquireRunLock(r.root, "robustdata run")
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := lock.Release(); rerr != nil && err == nil {
			err = fmt.Errorf("run: removing the lock: %w", rerr)
		}
		if err != nil {
			r.removeEmptyFolders()
		}
	}()
	if stale != nil {
		log.Warn("run: took over the lock of a process that is gone", "pid", stale.PID, "since", stale.Since, "lock", filepath.Join(r.root, record.RunLockName))
	}
	folders := []string{"features", "eval", "eval/downstream", "dataset"}
	if entries, err := os.ReadDir(r.path("runs")); err == nil {
		for _, en := range entries {
			if en.IsDir() {
				folders = append(folders, "runs/"+en.Name())
			}
		}
	}
	removed, err := record.RemoveStaleTemps(r.root, folders)
	if len(removed) > 0 {
		log.Info("run: removed the temporary files of an interrupted run", "files", removed)
	}
	if err != nil {
		return nil, fmt.Errorf("run: removing temporary files: %w", err)
	}

	start := time.Now()
	sum = &RunSummary{Root: r.root}
	if cfg.Report.Enabled {
		sum.Report = filepath.Join(r.root, dataset.HTMLReportFile)
	}
	defer func() { sum.Seconds = seconds(time.Since(start)) }()
	if err := r.plan(ctx, fromIdx); err != nil {
		return sum, err
	}
	for _, s := range r.stages {
		t0 := time.Now()
		if !s.run {
			log.Info(s.name + ": up to date")
			sum.Stages = append(sum.Stages, StageSummary{Stage: s.name, Status: "skipped", Seconds: seconds(time.Since(t0)), Rows: r.rows(s)})
			continue
		}
		log.Info(s.name+": running", "why", s.why)
		serr := r.execute(ctx, s)
		st := StageSummary{Stage: s.name, Status: "ran", Seconds: seconds(time.Since(t0))}
		if serr != nil {
			st.Status = "failed"
			sum.Stages = append(sum.Stages, st)
			return sum, serr
		}
		st.Rows = r.rows(s)
		sum.Stages = append(sum.Stages, st)
		log.Info(s.name+": done", "seconds", st.Seconds)
	}
	return sum, nil
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

// chainStage is one stage of a run: its job, what its fingerprint is made
// of and what it leaves behind.
type chainStage struct {
	name   string // features, partition, train:NAME, eval, report
	group  int    // index in StageGroups
	record string // completion record, relative to the root
	deps   []*chainStage
	config map[string]any
	// inputs are the files the stage reads: corpus files named as the
	// config names them, upstream outputs relative to the root.
	inputs  func(ctx context.Context) ([]record.FileSum, error)
	outputs func() ([]string, error)
	// exec runs the stage's job.
	exec func(ctx context.Context) error
	// job is the stage's job (FeaturesJob, PartitionJob, train.Config,
	// EvalJob, ReportJob), for callers that inspect a plan.
	job any
	// key is what a resumed training run must have been started with.
	key []string
	// prepare makes the stage's folder ready before exec.
	prepare func(ctx context.Context, fp record.StageFingerprint) error
	// done cleans up after the record is written.
	done func()

	run bool
	why string
}

// chain runs the stages of one config.
type chain struct {
	env    Env
	cfg    *RunConfig
	root   string // the output root as the stages are given it
	h      *record.FileHasher
	sets   []train.Downstream // eval.downstream, parsed; paths as written
	stages []*chainStage
}

// newChain checks the options, resolves the inputs and builds the stages.
func newChain(ctx context.Context, env Env, cfg *RunConfig, opts RunOptions) (*chain, int, error) {
	fromIdx := -1
	if opts.From != "" {
		for i, g := range StageGroups {
			if g == opts.From {
				fromIdx = i
			}
		}
		if fromIdx < 0 {
			return nil, 0, Usagef("--from must be %s or %s, not %q", strings.Join(StageGroups[:len(StageGroups)-1], ", "), StageGroups[len(StageGroups)-1], opts.From)
		}
		if opts.From == "report" && !cfg.Report.Enabled {
			return nil, 0, Usagef("--from report, but %s has report: false", cfg.Path)
		}
	}
	if cfg.SeedSet {
		env.Seed = cfg.Seed
	}
	r := &chain{env: env, cfg: cfg, root: cfg.OutputDir()}
	r.h = record.NewFileHasher(r.root)
	// The corpus must exist before anything runs (a missing input is bad
	// input even for a plan).
	corpus, err := r.expand(cfg.Inputs.Paths)
	if err != nil {
		return nil, 0, err
	}
	if r.sets, err = train.ParseDownstreams(cfg.Eval.Downstream); err != nil {
		return nil, 0, UsageError{err}
	}
	var downstream [][]stream.Input
	var featurize []bool
	for _, d := range r.sets {
		ins, err := r.expand([]string{d.Path})
		if err != nil {
			return nil, 0, err
		}
		downstream = append(downstream, ins)
		f, err := needsFeatures(ctx, cfg, ins)
		if err != nil {
			return nil, 0, err
		}
		featurize = append(featurize, f)
	}
	var vectors []stream.Input
	if mode, file, _ := strings.Cut(cfg.Features.Semantic, "="); mode == "vectors" {
		if vectors, err = r.expand([]string{file}); err != nil {
			return nil, 0, err
		}
	}
	if err := r.build(corpus, vectors, downstream, featurize); err != nil {
		return nil, 0, err
	}
	return r, fromIdx, nil
}

// needsFeatures tells whether a downstream set must go through the
// features stage (with the run's fitted model) before the probes can read
// it: the masked-regression model reads the vector column, which a raw
// corpus lacks.
func needsFeatures(ctx context.Context, cfg *RunConfig, ins []stream.Input) (bool, error) {
	if cfg.Train.Objective != train.ObjectiveRegression {
		return false, nil
	}
	rd, err := stream.OpenInputs(ctx, ins)
	if err != nil {
		return false, err
	}
	defer rd.Close()
	return len(rd.Schema().FieldIndices(cfg.Train.VectorCol)) == 0, nil
}

// expand resolves config paths (relative to the config's folder) into the
// files they name.
func (r *chain) expand(paths []string) ([]stream.Input, error) {
	resolved := make([]string, len(paths))
	for i, p := range paths {
		resolved[i] = r.cfg.Resolve(p)
	}
	return stream.ExpandInputs(resolved)
}

// configName names an input file relative to the config's folder,
// however the config spells it (absolute or relative), so that a
// fingerprint depends on which file it is and on its content, not on
// the spelling of its path or on the working directory.
func (r *chain) configName(path string) string {
	abs, err1 := filepath.Abs(path)
	dir, err2 := filepath.Abs(r.cfg.Dir)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(path)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

// sumInputs sums input files, named as the config names them.
func (r *chain) sumInputs(ctx context.Context, ins []stream.Input) ([]record.FileSum, error) {
	out := make([]record.FileSum, 0, len(ins))
	for _, in := range ins {
		s, err := r.h.File(ctx, r.configName(in.Path), in.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// path is a path under the output root, as the stages are given it.
func (r *chain) path(rel string) string { return filepath.Join(r.root, filepath.FromSlash(rel)) }

// fileName makes a downstream set's name safe as a file name.
func fileName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') || (i == 0 && c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// runFiles are the files of a training run that later stages read.
var runFiles = []string{dataset.ModelJSON, dataset.CheckpointFile, dataset.TrainLogFile, dataset.WeightsFile, dataset.EvalFile}

// inputOptions are the source options of the stages: the defaults of the
// CLI's input flags.
func (r *chain) inputOptions() []stream.Option {
	return []stream.Option{stream.WithInferRows(stream.DefaultInferRows), stream.WithBatchRows(stream.DefaultBatchRows), stream.WithLogger(r.env.log())}
}

// outputOptions are the sink options of the stages' stream outputs: the
// defaults of the CLI's output flags.
func outputOptions() []stream.Option {
	return []stream.Option{stream.WithCompression(stream.Zstd), stream.WithRowGroupRows(stream.DefaultRowGroupRows), stream.WithRowGroupBytes(stream.DefaultRowGroupBytes)}
}

// EvalJob is the eval stage of a run: its downstream sets that need
// features first, then the evaluation of every run.
type EvalJob struct {
	// Featurize are the downstream sets that go through the features
	// stage (with the run's fitted model) first, to Outputs.
	Featurize []FeaturesJob
	Outputs   []string
	// Shards is the dataset; Runs the run folders; Downstream the sets.
	Shards     string
	Runs       []string
	Downstream []train.Downstream
	// Output receives the evaluation (as `robustdata eval --json`).
	Output string
}

// ReportJob is the report stage of a run.
type ReportJob struct {
	// Dir is the output root; Output the HTML file.
	Dir, Output string
	Options     report.Options
}

// build makes the stages of the config. The config maps of the
// fingerprints hold the settings each stage's spec marks as changing its
// output, named as the run config's JSON names them.
func (r *chain) build(corpus, vectors []stream.Input, downstream [][]stream.Input, featurize []bool) error {
	features, fcfg := r.featuresStage(corpus, vectors)
	partition, err := r.partitionStage(features, fcfg)
	if err != nil {
		return err
	}
	runs, err := r.trainStages(partition)
	if err != nil {
		return err
	}
	eval, err := r.evalStage(features, partition, runs, downstream, featurize, fcfg)
	if err != nil {
		return err
	}
	r.stages = append([]*chainStage{features, partition}, runs...)
	r.stages = append(r.stages, eval)
	if r.cfg.Report.Enabled {
		r.stages = append(r.stages, r.reportStage(partition, eval, runs))
	}
	return nil
}

// ShardKeepsFeatures tells whether the chain's shards keep the feature
// columns: when the shard section asks for them (keep_features), or when
// the chain's training reads one of them (masked-regression over the
// semantic or pattern column, the vectors the probes of eval read too).
func (c *RunConfig) ShardKeepsFeatures() bool {
	if c.Shard.KeepFeatures {
		return true
	}
	return len(c.Train.Strategies) > 0 && c.Train.Objective == train.ObjectiveRegression &&
		(c.Train.VectorCol == schema.SemanticColumn || c.Train.VectorCol == schema.PatternColumn)
}

// base is the part of every stage's fingerprint config that is not a
// setting of its own.
func (r *chain) base(stage string) map[string]any {
	return map[string]any{"stage": stage, "seed": r.env.Seed, "tool_version": stream.ToolVersion}
}

// outputsOf lists fixed outputs.
func outputsOf(files ...string) func() ([]string, error) {
	return func() ([]string, error) { return files, nil }
}

// featuresStage is the features stage over the corpus (and a word-vectors
// file); it returns the stage's features configuration too.
func (r *chain) featuresStage(corpus, vectors []stream.Input) (*chainStage, features.Config) {
	cfg := r.cfg
	semantic := cfg.Features.Semantic
	if mode, file, _ := strings.Cut(semantic, "="); mode == "vectors" {
		semantic = "vectors=" + cfg.Resolve(file)
	}
	fcfg := FeaturesConfig(cfg.Inputs.TextCol, cfg.Features)
	fcfg.Semantic = semantic
	fjob := FeaturesJob{Inputs: corpus, Options: r.inputOptions(), Config: fcfg, ModelOut: r.path("features/features.model")}
	fconf := r.base("features")
	// A word-vectors file is named as the inputs are: the same file
	// spelt another way is the same setting.
	fsemantic := cfg.Features.Semantic
	if mode, file, _ := strings.Cut(fsemantic, "="); mode == "vectors" {
		fsemantic = "vectors=" + r.configName(cfg.Resolve(file))
	}
	cfg.stageRecord("features", fconf, "semantic")
	fconf["text_col"], fconf["semantic"] = cfg.Inputs.TextCol, fsemantic
	featuresOut := r.path("features/features.arrow")
	featuresStage := &chainStage{
		name: "features", group: 0, record: "features/" + record.StageRecordName,
		config: fconf, job: fjob,
		exec: func(ctx context.Context) error {
			rd, err := Features(ctx, r.env, fjob)
			if err != nil {
				return err
			}
			return r.writeStream(ctx, "features", rd, featuresOut)
		},
		inputs: func(ctx context.Context) ([]record.FileSum, error) {
			return r.sumInputs(ctx, append(append([]stream.Input(nil), corpus...), vectors...))
		},
		outputs: outputsOf("features/features.arrow", "features/features.model"),
		prepare: func(context.Context, record.StageFingerprint) error {
			return os.MkdirAll(r.path("features"), 0o755)
		},
	}

	return featuresStage, fcfg
}

// partitionStage is the partition stage, with the shards, over the
// features stage's output.
func (r *chain) partitionStage(featuresStage *chainStage, fcfg features.Config) (*chainStage, error) {
	cfg := r.cfg
	featuresOut := r.path("features/features.arrow")
	// The partition stage, with the shards. Its record sits beside the dataset
	// folder: `robustdata verify` counts every file inside it.
	pc := cfg.Partition
	pcfg, err := PartitionConfig(pc, cfg.Inputs.TextCol, cfg.Inputs.LabelCol)
	if err != nil {
		return nil, err
	}
	pjob := PartitionJob{
		Features: FeaturesJob{Config: fcfg}, Config: pcfg, KRange: pc.KRange, Output: r.path("dataset") + string(filepath.Separator), Dir: true,
		OutputOptions: []stream.Option{stream.WithCompression(stream.Zstd)},
		Shard:         ShardSettings{MaxRows: cfg.Shard.MaxRows, MaxBytes: cfg.Shard.MaxBytes, KeepFeatures: cfg.ShardKeepsFeatures(), Overwrite: true},
	}
	pconf := r.base("partition")
	cfg.stageRecord("partition", pconf, "k_range")
	cfg.stageRecord("shard", pconf)
	pconf["keep_features"] = cfg.ShardKeepsFeatures()
	pconf["label_col"] = cfg.Inputs.LabelCol
	if pc.K == "auto" {
		pconf["k_range"] = pc.KRange
	}
	partitionStage := &chainStage{
		name: "partition", group: 1, record: ".robustdata-stage.partition.json",
		deps: []*chainStage{featuresStage}, config: pconf, job: pjob,
		exec: func(ctx context.Context) error {
			job := pjob
			ins, err := stream.ExpandInputs([]string{featuresOut})
			if err != nil {
				return err
			}
			job.Inputs, job.Options = ins, r.inputOptions()
			job.Features.Inputs, job.Features.Options = ins, job.Options
			return Partition(ctx, r.env, job, nil)
		},
		inputs: func(ctx context.Context) ([]record.FileSum, error) {
			return r.h.Outputs(ctx, []string{"features/features.arrow"})
		},
		outputs: func() ([]string, error) { return record.ListFiles(r.root, "dataset") },
	}
	return partitionStage, nil
}

// trainStages are the training runs, one per strategy (erm first: doremi
// reads it).
func (r *chain) trainStages(partitionStage *chainStage) ([]*chainStage, error) {
	cfg := r.cfg
	tc := cfg.Train
	var runs []*chainStage
	var erm *chainStage
	for _, strat := range tc.Strategies {
		dir := "runs/" + strat
		deps := []*chainStage{partitionStage}
		upstream := []string{"dataset/manifest.json"}
		tcfg := TrainConfig(tc, strat)
		tcfg.Dataset, tcfg.RunDir, tcfg.Resume = r.path("dataset"), r.path(dir), true
		if strat == "doremi" && erm != nil {
			tcfg.Reference = r.path("runs/erm")
			deps = append(deps, erm)
			upstream = append(upstream, "runs/erm/model.json", "runs/erm/checkpoint.safetensors", "runs/erm/eval.json")
		}
		// The settings the spec marks as changing the output (not
		// checkpoint_every: the final outputs do not depend on it).
		tconf := r.base("train")
		cfg.stageRecord("train", tconf)
		tconf["strategy"] = strat
		key, err := json.Marshal(struct {
			train.Config
			Reference       string `json:"reference"`
			CheckpointEvery int    `json:"checkpoint_every"`
		}{tcfg, tcfg.Reference, tcfg.CheckpointEvery})
		if err != nil {
			return nil, err
		}
		s := &chainStage{
			name: "train:" + strat, group: 2, record: dir + "/" + record.StageRecordName,
			deps: deps, config: tconf, job: tcfg, key: []string{string(key)},
			exec: func(ctx context.Context) error {
				_, err := Train(ctx, r.env, tcfg)
				return err
			},
			inputs: func(ctx context.Context) ([]record.FileSum, error) {
				return r.h.Outputs(ctx, upstream)
			},
		}
		var files []string
		for _, f := range runFiles {
			files = append(files, dir+"/"+f)
		}
		s.outputs = outputsOf(files...)
		s.prepare = r.prepareTrain(s, dir)
		s.done = func() { os.Remove(r.path(dir + "/" + record.StageStartName)) }
		if strat == "erm" {
			erm = s
		}
		runs = append(runs, s)
	}

	return runs, nil
}

// evalStage evaluates every run. Downstream sets without the vector
// column the masked-regression model reads first go through the features
// stage with the fitted model, into eval/downstream/NAME.arrow.
func (r *chain) evalStage(featuresStage, partitionStage *chainStage, runs []*chainStage, downstream [][]stream.Input, featurize []bool, fcfg features.Config) (*chainStage, error) {
	cfg, tc := r.cfg, r.cfg.Train
	var runInputs, runDirs []string
	for _, strat := range tc.Strategies {
		dir := "runs/" + strat
		runInputs = append(runInputs, dir+"/model.json", dir+"/checkpoint.safetensors", dir+"/eval.json")
		runDirs = append(runDirs, r.path(dir))
	}
	ejob := EvalJob{Shards: r.path("dataset"), Runs: runDirs, Output: r.path("eval/eval.json")}
	var dsConf []map[string]any
	var dsInputs []stream.Input
	evalOutputs := []string{"eval/eval.json"}
	evalUpstream := append([]string{"dataset/manifest.json"}, runInputs...)
	usedNames := map[string]bool{}
	for i, d := range r.sets {
		path := cfg.Resolve(d.Path)
		if featurize[i] {
			name := fileName(d.Name)
			for usedNames[name] {
				name += "_"
			}
			usedNames[name] = true
			rel := "eval/downstream/" + name + ".arrow"
			ejob.Featurize = append(ejob.Featurize, FeaturesJob{Inputs: downstream[i], Options: r.inputOptions(), Config: fcfg,
				Model: r.path("features/features.model")})
			ejob.Outputs = append(ejob.Outputs, r.path(rel))
			path = r.path(rel)
			evalOutputs = append(evalOutputs, rel)
		}
		// The label column is always given, so that a colon in the path
		// cannot be taken for its separator.
		set, err := train.ParseDownstream(d.Name + "=" + path + ":" + d.LabelCol)
		if err != nil {
			return nil, UsageError{err}
		}
		ejob.Downstream = append(ejob.Downstream, set)
		dsConf = append(dsConf, map[string]any{"name": d.Name, "path": r.configName(cfg.Resolve(d.Path)), "label_col": d.LabelCol, "featurized": featurize[i]})
		dsInputs = append(dsInputs, downstream[i]...)
	}
	if len(ejob.Featurize) > 0 {
		evalUpstream = append(evalUpstream, "features/features.model")
	}
	econf := r.base("eval")
	econf["strategies"], econf["downstream"] = tc.Strategies, dsConf
	evalStage := &chainStage{
		name: "eval", group: 3, record: "eval/" + record.StageRecordName,
		deps: append([]*chainStage{featuresStage, partitionStage}, runs...), config: econf, job: ejob,
		exec: func(ctx context.Context) error { return r.eval(ctx, ejob) },
		inputs: func(ctx context.Context) ([]record.FileSum, error) {
			up, err := r.h.Outputs(ctx, evalUpstream)
			if err != nil {
				return nil, err
			}
			ds, err := r.sumInputs(ctx, dsInputs)
			return append(up, ds...), err
		},
		outputs: outputsOf(evalOutputs...),
		prepare: func(context.Context, record.StageFingerprint) error {
			if err := os.RemoveAll(r.path("eval/downstream")); err != nil {
				return err
			}
			if len(ejob.Featurize) > 0 {
				return os.MkdirAll(r.path("eval/downstream"), 0o755)
			}
			return os.MkdirAll(r.path("eval"), 0o755)
		},
	}

	return evalStage, nil
}

// reportStage writes the HTML report of the run.
func (r *chain) reportStage(partitionStage, evalStage *chainStage, runs []*chainStage) *chainStage {
	// 5. report.
	var reportInputs []string
	reportInputs = append(reportInputs, "dataset/manifest.json", "dataset/"+dataset.ModelFile, "dataset/report.md", "features/features.model")
	for _, s := range r.cfg.Train.Strategies {
		for _, f := range runFiles {
			reportInputs = append(reportInputs, "runs/"+s+"/"+f)
		}
	}
	reportInputs = append(reportInputs, "eval/eval.json")
	rjob := ReportJob{Dir: r.root, Output: filepath.Join(r.root, report.FileName),
		Options: report.Options{SampleRows: r.cfg.Report.Sample, LabelCol: r.cfg.Report.LabelCol, FeaturesModel: r.path("features/features.model"), Log: r.env.log()}}
	rconf := r.base("report")
	r.cfg.stageRecord("report", rconf)
	return &chainStage{
		name: "report", group: 4, record: ".robustdata-stage.report.json",
		deps: append([]*chainStage{partitionStage, evalStage}, runs...), config: rconf, job: rjob,
		exec: func(ctx context.Context) error {
			if err := report.Write(ctx, rjob.Dir, rjob.Output, rjob.Options); err != nil {
				return err
			}
			r.env.log().Info("report: wrote", "report", rjob.Output)
			return nil
		},
		inputs: func(ctx context.Context) ([]record.FileSum, error) {
			return r.h.Outputs(ctx, reportInputs)
		},
		outputs: outputsOf("report.html"),
	}
}

// writeStream writes a stage's output stream to a file.
func (r *chain) writeStream(ctx context.Context, stage string, rd stream.Reader, output string) error {
	rows, err := WriteStream(ctx, rd, output, outputOptions())
	if err != nil {
		return err
	}
	r.env.log().Info("wrote", "command", stage, "rows", rows, "output", output)
	return nil
}

// eval runs the eval stage: it featurizes the downstream sets that need
// it, evaluates every run and writes the evaluation as `robustdata eval
// --json` prints it.
func (r *chain) eval(ctx context.Context, job EvalJob) error {
	for i, fj := range job.Featurize {
		rd, err := Features(ctx, r.env, fj)
		if err != nil {
			return err
		}
		if err := r.writeStream(ctx, "features", rd, job.Outputs[i]); err != nil {
			return err
		}
		r.env.progress().End()
	}
	results, err := Eval(ctx, r.env, job.Shards, job.Runs, job.Downstream)
	if err != nil {
		return err
	}
	return stream.WriteFileAtomic(job.Output, func(w io.Writer) error { return EncodeJSON(w, EvalByRun(job.Runs, results)) })
}

// EncodeJSON writes v as indented JSON and a newline, as the CLI prints
// JSON.
func EncodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// prepareTrain continues an interrupted run of the same settings from its
// checkpoint, and otherwise starts the run folder afresh.
func (r *chain) prepareTrain(s *chainStage, dir string) func(context.Context, record.StageFingerprint) error {
	return func(ctx context.Context, fp record.StageFingerprint) error {
		marker := r.path(dir + "/" + record.StageStartName)
		if record.ReadStageStart(marker).Resumes(s.name, fp, s.key) {
			ok, why := trainResumable(r.path(dir))
			if ok {
				r.env.log().Info(s.name+": continuing the interrupted run", "dir", r.path(dir))
				return nil
			}
			r.env.log().Warn(s.name+": cannot continue the interrupted run: starting it again", "dir", r.path(dir), "why", why)
		}
		if err := os.RemoveAll(r.path(dir)); err != nil {
			return fmt.Errorf("run: clearing %s: %w", r.path(dir), err)
		}
		if err := os.MkdirAll(r.path(dir), 0o755); err != nil {
			return err
		}
		return record.WriteStageStart(marker, &record.StageStart{Stage: s.name, Fingerprint: fp, Args: s.key})
	}
}

// plan decides for every stage whether it runs, and why.
func (r *chain) plan(ctx context.Context, fromIdx int) error {
	for _, s := range r.stages {
		s.run, s.why = false, ""
		if fromIdx >= 0 && s.group >= fromIdx {
			s.run, s.why = true, "forced by --from "+StageGroups[fromIdx]
			continue
		}
		for _, d := range s.deps {
			if d.run {
				s.run, s.why = true, "upstream "+d.name+" runs"
				break
			}
		}
		if s.run {
			continue
		}
		rec, err := record.ReadStageRecord(r.path(s.record))
		if err != nil {
			s.run, s.why = true, "completion record unreadable: "+err.Error()
			continue
		}
		if rec == nil {
			s.run, s.why = true, "no completion record (never finished)"
			continue
		}
		// The stages upstream are up to date, so their outputs exist.
		fp, err := r.fingerprint(ctx, s)
		if err != nil {
			return err
		}
		if !fp.Matches(rec.Fingerprint) {
			s.run, s.why = true, strings.Join(fp.Changes(rec.Fingerprint), "; ")
			continue
		}
		why, err := rec.CheckOutputs(ctx, r.h)
		if err != nil {
			return err
		}
		if why != "" {
			s.run, s.why = true, why
			continue
		}
		s.why = "inputs, settings and outputs match its record"
	}
	return nil
}

func (r *chain) fingerprint(ctx context.Context, s *chainStage) (record.StageFingerprint, error) {
	ins, err := s.inputs(ctx)
	if err != nil {
		return record.StageFingerprint{}, err
	}
	return record.NewStageFingerprint(ins, s.config)
}

// execute runs one stage and writes its completion record.
func (r *chain) execute(ctx context.Context, s *chainStage) error {
	// The old record goes first: a stage killed from here on is never
	// taken for complete.
	if err := os.Remove(r.path(s.record)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	fp, err := r.fingerprint(ctx, s)
	if err != nil {
		return err
	}
	if s.prepare != nil {
		if err := s.prepare(ctx, fp); err != nil {
			return err
		}
	}
	err = s.exec(ctx)
	r.env.progress().End()
	if err != nil {
		return err
	}
	r.h.Forget()
	outs, err := s.outputs()
	if err != nil {
		return err
	}
	sums, err := r.h.Outputs(ctx, outs)
	if err != nil {
		return fmt.Errorf("run: %s: reading its outputs: %w", s.name, err)
	}
	if err := record.WriteStageRecord(r.path(s.record), &record.StageCompletion{Stage: s.name, Fingerprint: fp, Outputs: sums}); err != nil {
		return err
	}
	if s.done != nil {
		s.done()
	}
	return nil
}

// removeEmptyFolders removes the folders of the output root (and the root)
// that a failed run leaves empty, so that a failure leaves nothing that
// looks like output. Folders holding files are kept.
func (r *chain) removeEmptyFolders() {
	var dirs []string
	filepath.WalkDir(r.root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	// Deepest first: a parent is empty once its children are gone.
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i]) // fails, harmlessly, when not empty
	}
	// A root that holds nothing but its marker goes too.
	if entries, err := os.ReadDir(r.root); err == nil && len(entries) == 1 && entries[0].Name() == record.RunRootName {
		os.Remove(filepath.Join(r.root, record.RunRootName))
		os.Remove(r.root)
	}
}

// rows is the number of rows a stage handled, when it is cheap to tell.
func (r *chain) rows(s *chainStage) *int64 {
	if s.name != "partition" {
		return nil
	}
	m, err := dataset.ReadManifest(r.path("dataset"))
	if err != nil {
		return nil
	}
	n := m.InputRows
	return &n
}

// StageJob is one stage of a run and its job: a FeaturesJob,
// PartitionJob, train.Config, EvalJob or ReportJob.
type StageJob struct {
	Stage string
	Job   any
}

// StageJobs returns the stages cfg describes with the job each would
// run, reading nothing but the inputs' schemas.
func StageJobs(ctx context.Context, env Env, cfg *RunConfig) ([]StageJob, error) {
	r, _, err := newChain(ctx, env, cfg, RunOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]StageJob, len(r.stages))
	for i, s := range r.stages {
		out[i] = StageJob{Stage: s.name, Job: s.job}
	}
	return out, nil
}
