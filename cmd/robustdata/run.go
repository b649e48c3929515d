package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/safetensors"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/train"
)

// runGroups are the stages --from names, in order.
var runGroups = []string{"features", "partition", "train", "eval", "report"}

func newRunCmd(e *env) *cobra.Command {
	var (
		dryRun  bool
		example bool
		from    string
	)
	cmd := &cobra.Command{
		Use:   "run CONFIG.yaml [--dry-run] [--from STAGE]",
		Short: "Run the whole chain from one YAML config, skipping stages that are up to date",
		Long: `Run features, partition (with its shards), train (one run per strategy),
eval and report as CONFIG.yaml declares them, each stage by the same
command you would type, into one output root:

  OUTPUT/features/   features.arrow, features.model
  OUTPUT/dataset/    the sharded dataset (manifest.json, partition.json, report.md)
  OUTPUT/runs/NAME/  one training run per strategy
  OUTPUT/eval/       eval.json (robustdata eval --json over every run)
  OUTPUT/report.html (report: true)

Every key of the config maps to the stage flag of the same meaning and has
its default; relative paths are relative to the config file's folder. An
unknown key, a wrong type or a missing required key (output, inputs.paths,
partition.k) is an error naming the key and its line (exit status 3).

Each stage writes a completion record last: the sha256 of its inputs (the
corpus files, the upstream stages' outputs), of its settings and the seed,
and of its outputs. A stage whose record matches and whose outputs are
unchanged is skipped; any other stage runs, and so does everything
downstream of it. A run killed at any moment and started again finishes
with the same outputs as an uninterrupted run (train continues from its
checkpoint). OUTPUT/.robustdata.lock keeps a second run off the same
output root; a lock left by a process that is gone is taken over.

Config (every section but output, inputs.paths and partition.k optional):

  output: out/quickstart
  seed: 1
  inputs: {paths: [data/corpus.parquet], text_col: text, label_col: label}
  features: {semantic: lsa, dim: 96, vocab: 32768, sample: 100000}
  partition: {k: 12, k_range: "2:64", sample: 200000, restarts: 4, max_iter: 100,
              weights: {pattern: 0.2, semantic: 1}}
  shard: {max_rows: 1048576, max_bytes: 268435456}
  train: {objective: masked-regression, tasks: cluster, strategies: [erm, minimax],
          steps: 5000, patience: 3, eval_every: 100, per_task_batch: 32, lr: 0.001, temperature: 0.1,
          smoothing: 0.9, eta: 0, checkpoint_every: 100, hidden: 128,
          vocab: 16384, embed: 64, window: 32, vector_col: semantic, text_col: text}
  eval: {downstream: ["fortunes=data/fortunes.parquet:label"]}
  report: true

Examples:
  robustdata run examples/quickstart/stream.yaml
  robustdata run stream.yaml --dry-run
  robustdata run --example-config > robustdata.yaml
  robustdata --log-format json run stream.yaml --from train`,
		Args: func(cmd *cobra.Command, args []string) error {
			if example {
				if len(args) != 0 {
					return usagef("run --example-config takes no CONFIG.yaml")
				}
				return nil
			}
			if len(args) != 1 {
				return usagef("run takes one CONFIG.yaml (or --example-config to print one)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if example {
				data, err := pipeline.ExampleRunConfig()
				if err != nil {
					return err
				}
				_, err = e.stdout.Write(data)
				return err
			}
			fromIdx := -1
			if from != "" {
				for i, g := range runGroups {
					if g == from {
						fromIdx = i
					}
				}
				if fromIdx < 0 {
					return usagef("--from must be %s or %s, not %q", strings.Join(runGroups[:len(runGroups)-1], ", "), runGroups[len(runGroups)-1], from)
				}
			}
			cfg, err := pipeline.LoadRunConfig(args[0])
			if err != nil {
				return err
			}
			seed := e.seed
			if cfg.SeedSet {
				if cmd.Flags().Changed("seed") && e.seed != cfg.Seed {
					return usagef("--seed %d disagrees with the config's seed %d: change the config", e.seed, cfg.Seed)
				}
				seed = cfg.Seed
			}
			if from == "report" && !cfg.Report {
				return usagef("--from report, but %s has report: false", args[0])
			}
			r, err := newRunner(cmd.Context(), e, cfg, seed)
			if err != nil {
				return err
			}
			return r.run(cmd.Context(), dryRun, fromIdx)
		},
	}
	cmd.Flags().BoolVar(&example, "example-config", false, "print a complete config (every setting, its default and what it does) that runs the example corpus, and exit")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan (each stage: run or up to date, and why) and do nothing")
	cmd.Flags().StringVar(&from, "from", "", "force this stage and everything downstream of it to run: features, partition, train, eval or report")
	return cmd
}

// runStage is one stage of a run: the command that makes it, what its
// fingerprint is made of and what it leaves behind.
type runStage struct {
	name   string // features, partition, train:NAME, eval, report
	group  int    // index in runGroups
	record string // completion record, relative to the root
	deps   []*runStage
	config map[string]any
	// inputs are the files the stage reads: corpus files named as the
	// config names them, upstream outputs relative to the root.
	inputs  func(ctx context.Context) ([]pipeline.FileSum, error)
	outputs func() ([]string, error)
	args    []string
	// pre are commands run before args (eval: featurizing downstream sets).
	pre [][]string
	// capture, when set, receives the command's standard output.
	capture string
	// prepare makes the stage's folder ready before the command runs.
	prepare func(ctx context.Context, fp pipeline.StageFingerprint) error
	// done cleans up after the record is written.
	done func()

	run bool
	why string
}

// runner runs the stages of one config.
type runner struct {
	e      *env
	cfg    *pipeline.RunConfig
	root   string // the output root as the stages are given it
	seed   uint64
	h      *pipeline.FileHasher
	stages []*runStage
}

// stageSummary is one stage of the run summary.
type stageSummary struct {
	Stage   string  `json:"stage"`
	Status  string  `json:"status"` // ran, skipped, failed
	Seconds float64 `json:"seconds"`
	Rows    *int64  `json:"rows,omitempty"`
}

func newRunner(ctx context.Context, e *env, cfg *pipeline.RunConfig, seed uint64) (*runner, error) {
	r := &runner{e: e, cfg: cfg, root: cfg.OutputDir(), seed: seed}
	r.h = pipeline.NewFileHasher(r.root)
	// The corpus must exist before anything runs (a missing input is exit
	// status 3 even for --dry-run).
	corpus, err := r.expand(cfg.Inputs.Paths)
	if err != nil {
		return nil, err
	}
	var downstream [][]stream.Input
	var featurize []bool
	for _, d := range cfg.Eval.Downstream {
		ins, err := r.expand([]string{d.Path})
		if err != nil {
			return nil, err
		}
		downstream = append(downstream, ins)
		f, err := needsFeatures(ctx, cfg, ins)
		if err != nil {
			return nil, err
		}
		featurize = append(featurize, f)
	}
	var vectors []stream.Input
	if mode, file, _ := strings.Cut(cfg.Features.Semantic, "="); mode == "vectors" {
		if vectors, err = r.expand([]string{file}); err != nil {
			return nil, err
		}
	}
	r.build(corpus, vectors, downstream, featurize)
	return r, nil
}

// needsFeatures tells whether a downstream set must go through the
// features stage (with the run's fitted model) before the probes can read
// it: the masked-regression model reads the vector column, which a raw
// corpus lacks.
func needsFeatures(ctx context.Context, cfg *pipeline.RunConfig, ins []stream.Input) (bool, error) {
	if cfg.Train.Objective != "masked-regression" {
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
func (r *runner) expand(paths []string) ([]stream.Input, error) {
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
func (r *runner) configName(path string) string {
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
func (r *runner) sumInputs(ctx context.Context, ins []stream.Input) ([]pipeline.FileSum, error) {
	out := make([]pipeline.FileSum, 0, len(ins))
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
func (r *runner) path(rel string) string { return filepath.Join(r.root, filepath.FromSlash(rel)) }

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

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

// Files of a training run that later stages read.
var runFiles = []string{"model.json", "checkpoint.safetensors", "train_log.parquet", "weights.json", "eval.json"}

// build makes the stages of the config. Every setting reaches its stage
// as the flag of the same meaning (see the table in run_test.go).
func (r *runner) build(corpus, vectors []stream.Input, downstream [][]stream.Input, featurize []bool) {
	cfg := r.cfg
	base := func(stage string) map[string]any {
		return map[string]any{"stage": stage, "seed": r.seed, "tool_version": stream.ToolVersion}
	}
	outputs := func(files ...string) func() ([]string, error) {
		return func() ([]string, error) { return files, nil }
	}

	// 1. features
	semantic := cfg.Features.Semantic
	if mode, file, _ := strings.Cut(semantic, "="); mode == "vectors" {
		semantic = "vectors=" + cfg.Resolve(file)
	}
	fargs := []string{"features"}
	for _, p := range cfg.Inputs.Paths {
		fargs = append(fargs, "-i", cfg.Resolve(p))
	}
	fargs = append(fargs, "--text-col", cfg.Inputs.TextCol, "--semantic", semantic,
		"--dim", strconv.Itoa(cfg.Features.Dim), "--vocab", strconv.Itoa(cfg.Features.Vocab),
		"--sample", strconv.Itoa(cfg.Features.Sample),
		"-o", r.path("features/features.arrow"), "--model-out", r.path("features/features.model"))
	fconf := base("features")
	// A word-vectors file is named as the inputs are: the same file
	// spelt another way is the same setting.
	fsemantic := cfg.Features.Semantic
	if mode, file, _ := strings.Cut(fsemantic, "="); mode == "vectors" {
		fsemantic = "vectors=" + r.configName(cfg.Resolve(file))
	}
	fconf["text_col"], fconf["semantic"] = cfg.Inputs.TextCol, fsemantic
	fconf["dim"], fconf["vocab"], fconf["sample"] = cfg.Features.Dim, cfg.Features.Vocab, cfg.Features.Sample
	features := &runStage{
		name: "features", group: 0, record: "features/" + pipeline.StageRecordName,
		config: fconf, args: fargs,
		inputs: func(ctx context.Context) ([]pipeline.FileSum, error) {
			return r.sumInputs(ctx, append(append([]stream.Input(nil), corpus...), vectors...))
		},
		outputs: outputs("features/features.arrow", "features/features.model"),
		prepare: func(context.Context, pipeline.StageFingerprint) error {
			return os.MkdirAll(r.path("features"), 0o755)
		},
	}

	// 2. partition, with the shards. Its record sits beside the dataset
	// folder: `robustdata verify` counts every file inside it.
	pc := cfg.Partition
	pargs := []string{"partition", "-i", r.path("features/features.arrow"), "--k", pc.K, "--k-range", pc.KRange,
		"--sample", strconv.Itoa(pc.Sample), "--restarts", strconv.Itoa(pc.Restarts), "--max-iter", strconv.Itoa(pc.MaxIter),
		"--weights", "pattern=" + fmtFloat(pc.PatternWeight) + ",semantic=" + fmtFloat(pc.SemanticWeight),
		"--text-col", cfg.Inputs.TextCol}
	if cfg.Inputs.LabelCol != "" {
		pargs = append(pargs, "--label-col", cfg.Inputs.LabelCol)
	}
	pargs = append(pargs, "--max-rows", strconv.FormatInt(cfg.Shard.MaxRows, 10), "--max-bytes", strconv.FormatInt(cfg.Shard.MaxBytes, 10),
		"--overwrite", "-o", r.path("dataset")+string(filepath.Separator))
	pconf := base("partition")
	pconf["k"], pconf["sample"], pconf["restarts"], pconf["max_iter"] = pc.K, pc.Sample, pc.Restarts, pc.MaxIter
	pconf["pattern_weight"], pconf["semantic_weight"] = pc.PatternWeight, pc.SemanticWeight
	pconf["label_col"], pconf["max_rows"], pconf["max_bytes"] = cfg.Inputs.LabelCol, cfg.Shard.MaxRows, cfg.Shard.MaxBytes
	if pc.K == "auto" {
		pconf["k_range"] = pc.KRange
	}
	partition := &runStage{
		name: "partition", group: 1, record: ".robustdata-stage.partition.json",
		deps: []*runStage{features}, config: pconf, args: pargs,
		inputs: func(ctx context.Context) ([]pipeline.FileSum, error) {
			return r.h.Outputs(ctx, []string{"features/features.arrow"})
		},
		outputs: func() ([]string, error) { return pipeline.ListFiles(r.root, "dataset") },
	}
	r.stages = []*runStage{features, partition}

	// 3. train, one run per strategy (erm first: doremi reads it).
	tc := cfg.Train
	var runs []*runStage
	var erm *runStage
	var runInputs []string
	for _, strat := range tc.Strategies {
		dir := "runs/" + strat
		targs := []string{"train", "-i", r.path("dataset"), "-o", r.path(dir), "--strategy", strat}
		deps := []*runStage{partition}
		upstream := []string{"dataset/manifest.json"}
		if strat == "doremi" && erm != nil {
			targs = append(targs, "--reference", r.path("runs/erm"))
			deps = append(deps, erm)
			upstream = append(upstream, "runs/erm/model.json", "runs/erm/checkpoint.safetensors", "runs/erm/eval.json")
		}
		targs = append(targs, "--objective", tc.Objective, "--tasks", tc.Tasks,
			"--steps", strconv.Itoa(tc.Steps), "--per-task-batch", strconv.Itoa(tc.PerTaskBatch),
			"--lr", fmtFloat(tc.LR), "--temperature", fmtFloat(tc.Temperature), "--smoothing", fmtFloat(tc.Smoothing),
			"--eta", fmtFloat(tc.Eta), "--hidden", strconv.Itoa(tc.Hidden), "--vocab", strconv.Itoa(tc.Vocab),
			"--embed", strconv.Itoa(tc.Embed), "--window", strconv.Itoa(tc.Window),
			"--vector-col", tc.VectorCol, "--text-col", tc.TextCol,
			"--checkpoint-every", strconv.Itoa(tc.CheckpointEvery), "--resume",
			"--patience", strconv.Itoa(tc.Patience), "--eval-every", strconv.Itoa(tc.EvalEvery))
		// checkpoint_every is left out: the final outputs do not depend on it.
		tconf := base("train")
		tconf["strategy"], tconf["objective"], tconf["tasks"] = strat, tc.Objective, tc.Tasks
		tconf["steps"], tconf["per_task_batch"], tconf["lr"] = tc.Steps, tc.PerTaskBatch, tc.LR
		tconf["patience"], tconf["eval_every"] = tc.Patience, tc.EvalEvery
		tconf["temperature"], tconf["smoothing"], tconf["eta"] = tc.Temperature, tc.Smoothing, tc.Eta
		tconf["hidden"], tconf["vocab"], tconf["embed"], tconf["window"] = tc.Hidden, tc.Vocab, tc.Embed, tc.Window
		tconf["vector_col"], tconf["text_col"] = tc.VectorCol, tc.TextCol
		s := &runStage{
			name: "train:" + strat, group: 2, record: dir + "/" + pipeline.StageRecordName,
			deps: deps, config: tconf, args: targs,
			inputs: func(ctx context.Context) ([]pipeline.FileSum, error) {
				return r.h.Outputs(ctx, upstream)
			},
		}
		var files []string
		for _, f := range runFiles {
			files = append(files, dir+"/"+f)
		}
		s.outputs = outputs(files...)
		s.prepare = r.prepareTrain(s, dir)
		s.done = func() { os.Remove(r.path(dir + "/" + pipeline.StageStartName)) }
		if strat == "erm" {
			erm = s
		}
		runs = append(runs, s)
		runInputs = append(runInputs, dir+"/model.json", dir+"/checkpoint.safetensors", dir+"/eval.json")
		r.stages = append(r.stages, s)
	}

	// 4. eval over every run. Downstream sets without the vector column
	// the masked-regression model reads first go through the features
	// stage with the fitted model, into eval/downstream/NAME.arrow.
	eargs := []string{"eval", "--shards", r.path("dataset"), "--json"}
	var dsConf []map[string]any
	var dsInputs []stream.Input
	var pre [][]string
	evalOutputs := []string{"eval/eval.json"}
	evalUpstream := append([]string{"dataset/manifest.json"}, runInputs...)
	usedNames := map[string]bool{}
	for i, d := range cfg.Eval.Downstream {
		path := cfg.Resolve(d.Path)
		if featurize[i] {
			name := fileName(d.Name)
			for usedNames[name] {
				name += "_"
			}
			usedNames[name] = true
			rel := "eval/downstream/" + name + ".arrow"
			cmd := []string{"features"}
			for _, in := range downstream[i] {
				cmd = append(cmd, "-i", in.Path)
			}
			cmd = append(cmd, "--text-col", cfg.Inputs.TextCol, "--semantic", semantic,
				"--dim", strconv.Itoa(cfg.Features.Dim), "--vocab", strconv.Itoa(cfg.Features.Vocab),
				"--sample", strconv.Itoa(cfg.Features.Sample),
				"--model", r.path("features/features.model"), "-o", r.path(rel))
			pre = append(pre, cmd)
			path = r.path(rel)
			evalOutputs = append(evalOutputs, rel)
		}
		// The label column is always given, so that a colon in the path
		// cannot be taken for its separator.
		eargs = append(eargs, "--downstream", d.Name+"="+path+":"+d.LabelCol)
		dsConf = append(dsConf, map[string]any{"name": d.Name, "path": r.configName(cfg.Resolve(d.Path)), "label_col": d.LabelCol, "featurized": featurize[i]})
		dsInputs = append(dsInputs, downstream[i]...)
	}
	if len(pre) > 0 {
		evalUpstream = append(evalUpstream, "features/features.model")
	}
	for _, s := range tc.Strategies {
		eargs = append(eargs, r.path("runs/"+s))
	}
	econf := base("eval")
	econf["strategies"], econf["downstream"] = tc.Strategies, dsConf
	eval := &runStage{
		name: "eval", group: 3, record: "eval/" + pipeline.StageRecordName,
		deps: append([]*runStage{features, partition}, runs...), config: econf, args: eargs, pre: pre,
		capture: "eval/eval.json",
		inputs: func(ctx context.Context) ([]pipeline.FileSum, error) {
			up, err := r.h.Outputs(ctx, evalUpstream)
			if err != nil {
				return nil, err
			}
			ds, err := r.sumInputs(ctx, dsInputs)
			return append(up, ds...), err
		},
		outputs: outputs(evalOutputs...),
		prepare: func(context.Context, pipeline.StageFingerprint) error {
			if err := os.RemoveAll(r.path("eval/downstream")); err != nil {
				return err
			}
			if len(pre) > 0 {
				return os.MkdirAll(r.path("eval/downstream"), 0o755)
			}
			return os.MkdirAll(r.path("eval"), 0o755)
		},
	}
	r.stages = append(r.stages, eval)

	// 5. report.
	if cfg.Report {
		var reportInputs []string
		reportInputs = append(reportInputs, "dataset/manifest.json", "dataset/partition.json", "dataset/report.md")
		for _, s := range tc.Strategies {
			for _, f := range runFiles {
				reportInputs = append(reportInputs, "runs/"+s+"/"+f)
			}
		}
		reportInputs = append(reportInputs, "eval/eval.json")
		r.stages = append(r.stages, &runStage{
			name: "report", group: 4, record: ".robustdata-stage.report.json",
			deps: append([]*runStage{partition, eval}, runs...), config: base("report"),
			args: []string{"report", r.root},
			inputs: func(ctx context.Context) ([]pipeline.FileSum, error) {
				return r.h.Outputs(ctx, reportInputs)
			},
			outputs: outputs("report.html"),
		})
	}
}

// prepareTrain continues an interrupted run of the same settings from its
// checkpoint (--resume), and otherwise starts the run folder afresh.
func (r *runner) prepareTrain(s *runStage, dir string) func(context.Context, pipeline.StageFingerprint) error {
	return func(ctx context.Context, fp pipeline.StageFingerprint) error {
		marker := r.path(dir + "/" + pipeline.StageStartName)
		if pipeline.ReadStageStart(marker).Resumes(s.name, fp, s.args) {
			ok, why := trainResumable(r.path(dir))
			if ok {
				r.e.log.Info(s.name+": continuing the interrupted run", "dir", r.path(dir))
				return nil
			}
			r.e.log.Warn(s.name+": cannot continue the interrupted run: starting it again", "dir", r.path(dir), "why", why)
		}
		if err := os.RemoveAll(r.path(dir)); err != nil {
			return fmt.Errorf("run: clearing %s: %w", r.path(dir), err)
		}
		if err := os.MkdirAll(r.path(dir), 0o755); err != nil {
			return err
		}
		return pipeline.WriteStageStart(marker, &pipeline.StageStart{Stage: s.name, Fingerprint: fp, Args: s.args})
	}
}

// trainResumable tells whether train --resume can continue a run folder
// to the outputs of an uninterrupted run: there is no checkpoint yet, or
// the training log covers every step before the checkpoint's. (A run
// killed between writing a checkpoint and its log has a log that stops
// short; continuing it would lose those steps' log rows.)
func trainResumable(dir string) (bool, string) {
	ck := filepath.Join(dir, train.CheckpointFile)
	if _, err := os.Stat(ck); errors.Is(err, fs.ErrNotExist) {
		return true, ""
	}
	f, err := safetensors.ReadFile(ck)
	if err != nil {
		return false, "the checkpoint cannot be read: " + err.Error()
	}
	t, ok := f.Tensor("train.step")
	if !ok {
		return false, "the checkpoint has no step"
	}
	steps, err := t.Int64s()
	if err != nil || len(steps) != 1 {
		return false, "the checkpoint's step cannot be read"
	}
	rows, err := parquet.ReadFile[train.LogRow](filepath.Join(dir, train.TrainLogFile))
	if err != nil {
		return false, "the training log cannot be read: " + err.Error()
	}
	last := int64(-1)
	for _, row := range rows {
		last = max(last, row.Step)
	}
	if last+1 < steps[0] {
		return false, fmt.Sprintf("the training log stops at step %d, the checkpoint is at step %d", last+1, steps[0])
	}
	return true, ""
}

// plan decides for every stage whether it runs, and why.
func (r *runner) plan(ctx context.Context, fromIdx int) error {
	for _, s := range r.stages {
		s.run, s.why = false, ""
		if fromIdx >= 0 && s.group >= fromIdx {
			s.run, s.why = true, "forced by --from "+runGroups[fromIdx]
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
		rec, err := pipeline.ReadStageRecord(r.path(s.record))
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

func (r *runner) fingerprint(ctx context.Context, s *runStage) (pipeline.StageFingerprint, error) {
	ins, err := s.inputs(ctx)
	if err != nil {
		return pipeline.StageFingerprint{}, err
	}
	return pipeline.NewStageFingerprint(ins, s.config)
}

// run plans and, unless dryRun, runs the stages under the root's lock.
func (r *runner) run(ctx context.Context, dryRun bool, fromIdx int) (err error) {
	e := r.e
	if dryRun {
		if err := r.plan(ctx, fromIdx); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "plan for %s (dry run: nothing is written)\n", r.root)
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		for _, s := range r.stages {
			what := "up to date"
			if s.run {
				what = "run"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.name, what, s.why)
		}
		return tw.Flush()
	}

	if err := pipeline.ClaimRunRoot(r.root); err != nil {
		if errors.Is(err, pipeline.ErrForeignRoot) {
			return usageError{err}
		}
		return fmt.Errorf("run: %w", err)
	}
	lock, stale, err := pipeline.AcquireRunLock(r.root, "robustdata run")
	if err != nil {
		return err
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
		e.log.Warn("run: took over the lock of a process that is gone", "pid", stale.PID, "since", stale.Since, "lock", filepath.Join(r.root, pipeline.RunLockName))
	}
	folders := []string{"features", "eval", "eval/downstream", "dataset"}
	if entries, err := os.ReadDir(r.path("runs")); err == nil {
		for _, en := range entries {
			if en.IsDir() {
				folders = append(folders, "runs/"+en.Name())
			}
		}
	}
	removed, err := pipeline.RemoveStaleTemps(r.root, folders)
	if len(removed) > 0 {
		e.log.Info("run: removed the temporary files of an interrupted run", "files", removed)
	}
	if err != nil {
		return fmt.Errorf("run: removing temporary files: %w", err)
	}

	start := time.Now()
	var summary []stageSummary
	defer func() { r.summarize(summary, time.Since(start)) }()
	if err := r.plan(ctx, fromIdx); err != nil {
		return err
	}
	for _, s := range r.stages {
		t0 := time.Now()
		if !s.run {
			e.log.Info(s.name + ": up to date")
			summary = append(summary, stageSummary{Stage: s.name, Status: "skipped", Seconds: seconds(time.Since(t0)), Rows: r.rows(s)})
			continue
		}
		e.log.Info(s.name+": running", "why", s.why)
		serr := r.execute(ctx, s)
		st := stageSummary{Stage: s.name, Status: "ran", Seconds: seconds(time.Since(t0))}
		if serr != nil {
			st.Status = "failed"
			summary = append(summary, st)
			return serr
		}
		st.Rows = r.rows(s)
		summary = append(summary, st)
		e.log.Info(s.name+": done", "seconds", st.Seconds)
	}
	return nil
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

// execute runs one stage and writes its completion record.
func (r *runner) execute(ctx context.Context, s *runStage) error {
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
	for _, pre := range s.pre {
		if code := r.invoke(ctx, pre, r.e.stdout); code != exitOK {
			return stageError(s.name, code)
		}
	}
	var stdout io.Writer = r.e.stdout
	var captured bytes.Buffer
	if s.capture != "" {
		stdout = &captured
	}
	if code := r.invoke(ctx, s.args, stdout); code != exitOK {
		return stageError(s.name, code)
	}
	if s.capture != "" {
		if err := stream.WriteFileAtomic(r.path(s.capture), func(w io.Writer) error {
			_, err := w.Write(captured.Bytes())
			return err
		}); err != nil {
			return err
		}
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
	if err := pipeline.WriteStageRecord(r.path(s.record), &pipeline.StageCompletion{Stage: s.name, Fingerprint: fp, Outputs: sums}); err != nil {
		return err
	}
	if s.done != nil {
		s.done()
	}
	return nil
}

// invoke runs one command through the CLI's own entry point, with a fresh
// env, so that the stage parses its flags exactly as when typed by hand.
func (r *runner) invoke(ctx context.Context, args []string, stdout io.Writer) int {
	// The stage shares the run's terminal: its bars and the run's log
	// lines take turns on one stderr.
	sub := &env{stdin: r.e.stdin, stdout: stdout, stderr: r.e.stderr, isTerminal: r.e.isTerminal, term: r.e.term}
	global := []string{"--log-format", r.e.logFormat, "--progress", r.e.progress, "--seed", strconv.FormatUint(r.seed, 10)}
	if r.e.quiet {
		global = append(global, "-q")
	}
	return sub.run(ctx, append(global, args...))
}

// removeEmptyFolders removes the folders of the output root (and the root)
// that a failed run leaves empty, so that a failure leaves nothing that
// looks like output. Folders holding files are kept.
func (r *runner) removeEmptyFolders() {
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
	if entries, err := os.ReadDir(r.root); err == nil && len(entries) == 1 && entries[0].Name() == pipeline.RunRootName {
		os.Remove(filepath.Join(r.root, pipeline.RunRootName))
		os.Remove(r.root)
	}
}

// stageError returns the error of a failed stage with the stage's own exit
// status; the stage has already said what went wrong, on one line, so the
// error is not printed again.
func stageError(stage string, code int) error {
	return reportedError{code: code, err: fmt.Errorf("run: stage %s failed with exit status %d; the stages before it are complete and will not run again", stage, code)}
}

// rows is the number of rows a stage handled, when it is cheap to tell.
func (r *runner) rows(s *runStage) *int64 {
	if s.name != "partition" {
		return nil
	}
	m, err := stream.ReadManifest(r.path("dataset"))
	if err != nil {
		return nil
	}
	n := m.InputRows
	return &n
}

// summarize logs the run summary: one JSON line with --log-format json, a
// small table with text logs.
func (r *runner) summarize(stages []stageSummary, d time.Duration) {
	e := r.e
	reportPath := ""
	if r.cfg.Report {
		reportPath = filepath.Join(r.root, partition.HTMLReportFile)
	}
	if e.logFormat == "json" {
		e.log.Info("run summary", "stages", stages, "seconds", seconds(d), "output", r.root, "report", reportPath)
		return
	}
	if e.quiet {
		return
	}
	fmt.Fprintf(e.stderr, "run summary: %s in %.1f s\n", r.root, d.Seconds())
	tw := tabwriter.NewWriter(e.stderr, 0, 4, 2, ' ', 0)
	for _, s := range stages {
		rows := ""
		if s.Rows != nil {
			rows = fmt.Sprintf("%d rows", *s.Rows)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%.1f s\t%s\n", s.Stage, s.Status, s.Seconds, rows)
	}
	tw.Flush()
	if reportPath != "" {
		fmt.Fprintf(e.stderr, "report: %s\n", reportPath)
	}
}
