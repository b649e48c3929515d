package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/progress"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// Exit statuses, the same for every command.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitBadInput = 3
	exitSignal   = 130
)

// exitStatusHelp is the EXIT STATUS section of every command's help.
var exitStatusHelp = help("exit-status")

// usageError is a mistake in how the command was called: exit status 2.
// The library's stages return the same type.
type usageError = pipeline.UsageError

func usagef(format string, args ...any) error { return pipeline.Usagef(format, args...) }

// env is what one invocation of the CLI works with: its streams and the
// global flags. Nothing here outlives the invocation.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// isTerminal tells whether a stream is a terminal (tests replace it).
	isTerminal func(any) bool

	logFormat string
	progress  string
	quiet     bool
	seed      uint64
	cpuProf   string
	profFile  *os.File

	log *slog.Logger
	// term shares stderr between the log and the progress bars.
	term *progress.Terminal
}

// run executes the CLI with args and returns the exit status. It is the
// whole program apart from signal handling, so tests drive it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, isTerminal: isTerminal}
	return e.run(ctx, args)
}

// helpInOrder makes cobra list commands in the order they were added
// (pipeline order, see commands) instead of alphabetically. cobra keeps
// that setting in a package variable: it is set once, before any command
// is built, so that parallel in-process runs (tests) never race on it.
var helpInOrder sync.Once

// commandsInOrder makes cobra keep the commands in pipeline order (see
// helpInOrder) before a root command is built or listed.
func commandsInOrder() { helpInOrder.Do(func() { cobra.EnableCommandSorting = false }) }

func (e *env) run(ctx context.Context, args []string) int {
	commandsInOrder()
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	e.stopProfile() // also when the command failed
	return e.exit(cmd, err)
}

// packagePrefix matches the package prefixes of robustdata's library
// errors, which exit leaves out.
var packagePrefix = regexp.MustCompile(`\brobustdata/[a-z]+: `)

// exit reports err on one line of stderr and maps it to an exit status:
// the one place where errors become statuses.
func (e *env) exit(cmd *cobra.Command, err error) int {
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ue usageError
	switch {
	case errors.As(err, &ue), isCobraUsage(err):
		code = exitUsage
	case stream.IsDataError(err):
		code = exitBadInput
	case errors.Is(err, context.Canceled):
		code = exitSignal
		err = errors.New("interrupted")
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	// The library's errors start with their package ("robustdata/pipeline:
	// ..."), which helps a Go caller and only repeats itself on the
	// command line.
	msg = packagePrefix.ReplaceAllString(msg, "")
	if e.term != nil {
		e.term.Clear() // a bar left by the failed step
	}
	fmt.Fprintf(e.stderr, "robustdata: %s\n", msg)
	if code == exitUsage && cmd != nil {
		fmt.Fprintf(e.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// isCobraUsage recognises the errors cobra itself returns for bad usage.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "required flag", "accepts ", "requires at least"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "robustdata",
		Short: "Prepare pre-training data for task-robust (minimax) pre-training",
		Long:  help("root"),
		Example: `  robustdata partition -i corpus.parquet -o out/ --k 16   # features, K sub-tasks, shards
  robustdata run examples/quickstart/pipeline.yaml        # the whole chain from one config`,
		Version:       stream.ToolVersion,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return e.setup()
		},
		PersistentPostRunE: func(cmd *cobra.Command, args []string) error {
			return e.stopProfile()
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{Err: err} })
	pf := root.PersistentFlags()
	pf.StringVar(&e.logFormat, "log-format", "text", "log format on stderr: text or json")
	pf.StringVar(&e.progress, "progress", "auto", "progress bar on stderr: auto (when stderr is a terminal), always or never")
	pf.BoolVarP(&e.quiet, "quiet", "q", false, "log only warnings and errors; no progress bar")
	pf.Uint64Var(&e.seed, "seed", 1, "random seed: the same input, flags and seed give byte-identical output")
	pf.StringVar(&e.cpuProf, "cpuprofile", "", "write a CPU profile (go tool pprof) of the command to this file")
	for _, c := range commands(e) {
		c.Long = strings.TrimSpace(c.Long) + "\n" + exitStatusHelp
		root.AddCommand(c)
	}
	return root
}

// commands is the one list of subcommands, in the order help shows them.
func commands(e *env) []*cobra.Command {
	return []*cobra.Command{
		// The stages, in pipeline order.
		newFeaturesCmd(e),
		newPartitionCmd(e),
		newShardCmd(e),
		newTrainCmd(e),
		newEvalCmd(e),
		newReportCmd(e),
		newRunCmd(e),
		// Tools.
		newMixCmd(e),
		newInspectCmd(e),
		newCatCmd(e),
		newVerifyCmd(e),
		newSynthCmd(e),
	}
}

// setup checks the global flags and makes the logger.
func (e *env) setup() error {
	if e.term == nil {
		e.term = progress.NewTerminal(e.stderr)
	}
	level := slog.LevelInfo
	if e.quiet {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	switch e.logFormat {
	case "text":
		e.log = slog.New(slog.NewTextHandler(e.term.LogWriter(), opts))
	case "json":
		e.log = slog.New(slog.NewJSONHandler(e.term.LogWriter(), opts))
	default:
		return usagef("--log-format must be text or json, not %q", e.logFormat)
	}
	switch e.progress {
	case "auto", "always", "never":
	default:
		return usagef("--progress must be auto, always or never, not %q", e.progress)
	}
	if e.cpuProf != "" {
		f, err := os.Create(e.cpuProf)
		if err != nil {
			return usagef("--cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("starting the CPU profile: %w", err)
		}
		e.profFile = f
	}
	return nil
}

// stopProfile ends the CPU profile, if one runs.
func (e *env) stopProfile() error {
	if e.profFile == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := e.profFile.Close()
	e.profFile = nil
	return err
}

// showProgress tells whether to draw a progress bar on stderr.
func (e *env) showProgress() bool {
	switch {
	case e.quiet || e.progress == "never":
		return false
	case e.progress == "always":
		return true
	}
	return e.isTerminal(e.stderr)
}

// outputFlags are the flags of every command that writes a data stream.
type outputFlags struct {
	// dirOK: -o may also name a folder (DIR/): partition's dataset, or the
	// parts of features --split.
	dirOK         bool
	output        string
	compression   string
	rowGroupRows  int64
	rowGroupBytes int64
}

func (o *outputFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "-", "output file: .parquet, .arrow (IPC file), .arrows (IPC stream), .jsonl[.gz|.zst]; - is an Arrow IPC stream on stdout")
	f.StringVar(&o.compression, "compression", "zstd", "Parquet compression: zstd, snappy or none")
	f.Int64Var(&o.rowGroupRows, "row-group-rows", stream.DefaultRowGroupRows, "Parquet: most rows in one row group")
	f.Int64Var(&o.rowGroupBytes, "row-group-bytes", stream.DefaultRowGroupBytes, "Parquet: most in-memory bytes in one row group (bounds the writer's memory)")
}

// options checks the output flags and turns them into sink options.
func (o *outputFlags) options(e *env) ([]stream.Option, error) {
	if o.output == "-" && e.isTerminal(e.stdout) {
		return nil, usagef("refusing to write an Arrow IPC stream to a terminal: give -o FILE or pipe the output into another command")
	}
	codec, err := compressionOption(o.compression)
	if err != nil {
		return nil, err
	}
	if o.rowGroupRows < 1 || o.rowGroupBytes < 1 {
		return nil, usagef("--row-group-rows and --row-group-bytes must be at least 1")
	}
	if o.output != "-" && !(o.dirOK && stream.IsDirOutput(o.output)) {
		if f, _ := stream.FormatOf(o.output); f == stream.FormatUnknown {
			if filepath.Ext(o.output) == "" {
				hint := ""
				if o.dirOK {
					hint = fmt.Sprintf(", or end it with a slash (%s/) for a sharded dataset folder", o.output)
				}
				return nil, usagef("-o %s: a file name without an extension: name a .parquet, .arrow, .arrows or .jsonl file%s", o.output, hint)
			}
			return nil, usagef("-o %s: unknown output format: use .parquet, .arrow, .arrows or .jsonl", o.output)
		}
	}
	return []stream.Option{
		stream.WithStdout(e.stdout),
		stream.WithCompression(codec),
		stream.WithRowGroupRows(o.rowGroupRows),
		stream.WithRowGroupBytes(o.rowGroupBytes),
	}, nil
}

// inputFlags are the flags of every command that reads a data stream.
type inputFlags struct {
	inputs    []string
	schema    string
	inferRows int
	batchRows int
}

func (in *inputFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVarP(&in.inputs, "input", "i", nil, "input: a file, folder, glob or - for stdin (repeatable; default: stdin)")
	f.StringVar(&in.schema, "schema", "", `schema of JSONL input, e.g. "text:string,label:string,emb:list<float32>" (default: inferred)`)
	f.IntVar(&in.inferRows, "infer-rows", stream.DefaultInferRows, "JSONL: lines the schema is inferred from")
	f.IntVar(&in.batchRows, "batch-rows", stream.DefaultBatchRows, "most rows in one record batch (memory is bounded by batch size)")
}

// options checks the input flags and turns them into source options; it
// returns the inputs to read (stdin when none was named).
func (in *inputFlags) options(e *env, extra []string) ([]string, []stream.Option, error) {
	inputs := append(append([]string(nil), in.inputs...), extra...)
	if len(inputs) == 0 {
		if e.isTerminal(e.stdin) {
			return nil, nil, usagef("no input: give -i FILE or pipe data into standard input")
		}
		inputs = []string{"-"}
	}
	if in.inferRows < 1 || in.batchRows < 1 {
		return nil, nil, usagef("--infer-rows and --batch-rows must be at least 1")
	}
	opts := []stream.Option{
		stream.WithStdin(e.stdin),
		stream.WithInferRows(in.inferRows),
		stream.WithBatchRows(in.batchRows),
		stream.WithLogger(e.log),
	}
	if in.schema != "" {
		sc, err := stream.ParseSchema(in.schema)
		if err != nil {
			return nil, nil, usageError{Err: err}
		}
		opts = append(opts, stream.WithSchema(sc))
	}
	return inputs, opts, nil
}

// compressionOption checks a --compression value.
func compressionOption(name string) (stream.Compression, error) {
	c, err := stream.ParseCompression(name)
	if err != nil {
		return c, usagef("--compression %v", err)
	}
	return c, nil
}

// printJSON writes v to stdout as indented JSON.
func printJSON(e *env, v any) error { return pipeline.EncodeJSON(e.stdout, v) }
