package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/spec"
	"github.com/robustdata/robustdata/report"
	"github.com/robustdata/robustdata/train"

	"github.com/robustdata/robustdata/pipeline/stream"

	"go.yaml.in/yaml/v3"
)

// RunConfig is the configuration of `robustdata run CONFIG.yaml`: the
// whole chain (features, partition with its shards, train, eval, report)
// in one file. Every setting maps to the stage flag of the same meaning and
// has that flag's default. Relative paths (output, inputs, a vectors file,
// downstream sets) are relative to the folder of the config file, so that
// the same file works from any working directory (a cron job, say).
type RunConfig struct {
	// Path is the config file as named; Dir is its folder, which relative
	// paths are resolved from.
	Path string `json:"-"`
	Dir  string `json:"-"`

	// Output is the output root as written (see OutputDir).
	Output string `json:"output"`
	// Seed is the random seed of every stage; SeedSet tells whether the
	// file sets it (otherwise the caller's --seed applies).
	Seed    uint64 `json:"seed"`
	SeedSet bool   `json:"-"`

	Inputs    RunInputs    `json:"inputs"`
	Features  RunFeatures  `json:"features"`
	Partition RunPartition `json:"partition"`
	Shard     RunShard     `json:"shard"`
	Train     RunTrain     `json:"train"`
	Eval      RunEval      `json:"eval"`
	// Report writes OUTPUT/report.html with `robustdata report OUTPUT`.
	Report RunReport `json:"report"`
}

// RunInputs is the inputs section: the corpus.
type RunInputs struct {
	// Paths are files, folders and globs, as written.
	Paths    []string `json:"paths"`
	TextCol  string   `json:"text_col"`
	LabelCol string   `json:"label_col,omitempty"`
}

// RunFeatures is the features section (the features command's flags).
type RunFeatures struct {
	// Semantic is lsa, vectors=FILE (FILE as written) or column=NAME.
	Semantic string `json:"semantic"`
	Dim      int    `json:"dim"`
	Vocab    int    `json:"vocab"`
	Sample   int    `json:"sample"`
}

// RunPartition is the partition section (the partition command's flags).
type RunPartition struct {
	// K is a whole number of sub-tasks or "auto".
	K              string  `json:"k"`
	KRange         string  `json:"k_range"`
	Sample         int     `json:"sample"`
	Restarts       int     `json:"restarts"`
	MaxIter        int     `json:"max_iter"`
	PatternWeight  float64 `json:"pattern_weight" yaml:"weights.pattern"`
	SemanticWeight float64 `json:"semantic_weight" yaml:"weights.semantic"`
}

// RunShard is the shard section: how the partition stage cuts shards.
type RunShard struct {
	MaxRows  int64 `json:"max_rows"`
	MaxBytes int64 `json:"max_bytes"`
	// KeepFeatures keeps the feature columns in the shards.
	KeepFeatures bool `json:"keep_features"`
}

// RunTrain is the train section (the train command's flags); one run per
// strategy.
type RunTrain struct {
	Objective       string   `json:"objective"`
	Tasks           string   `json:"tasks"`
	Strategies      []string `json:"strategies"`
	Steps           int      `json:"steps"`
	Patience        int      `json:"patience"`
	EvalEvery       int      `json:"eval_every"`
	PerTaskBatch    int      `json:"per_task_batch"`
	LR              float64  `json:"lr"`
	Temperature     float64  `json:"temperature"`
	TempWarmup      int      `json:"temperature_warmup"`
	Smoothing       float64  `json:"smoothing"`
	Eta             float64  `json:"eta"`
	CheckpointEvery int      `json:"checkpoint_every"`
	Vocab           int      `json:"vocab"`
	Window          int      `json:"window"`
	Hidden          int      `json:"hidden"`
	Embed           int      `json:"embed"`
	Samples         int      `json:"samples"`
	VectorCol       string   `json:"vector_col"`
	// TextCol defaults to inputs.text_col.
	TextCol string `json:"text_col"`
}

// RunEval is the eval section (train.EvalSettings).
type RunEval struct {
	// Downstream are labelled sets NAME=PATH[:LABELCOL], paths as
	// written (relative to the config's folder).
	Downstream []string `json:"downstream,omitempty"`
}

// RunReport is the report section (report.Settings): `report: false`
// leaves the report out, `report: true` writes it with the defaults.
type RunReport struct {
	// Enabled writes OUTPUT/report.html.
	Enabled bool `json:"enabled"`
	// Sample and LabelCol are the report command's --sample and
	// --label-col (empty: inputs.label_col).
	Sample   int    `json:"sample"`
	LabelCol string `json:"label_col"`
}

// RunStrategies are the training strategies a config may list.
var RunStrategies = []string{"erm", "uniform", "minimax", "group-dro", "doremi"}

// DefaultRunConfig returns the settings of a config that sets nothing but
// the required keys: the defaults of the stage commands' flags.
func DefaultRunConfig() RunConfig {
	c := RunConfig{Seed: 1, Inputs: RunInputs{TextCol: schema.TextColumn}, Report: RunReport{Enabled: true}}
	c.setDefaults()
	c.Train.Strategies = []string{"minimax"}
	return c
}

// LoadRunConfig reads and parses a config file. Every problem, a missing
// file included, is a *DataError naming the file and, where known, the
// line.
func LoadRunConfig(path string) (*RunConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, stream.FileError(path, err)
	}
	return ParseRunConfig(path, data)
}

// ParseRunConfig parses a config strictly: an unknown key, a value of the
// wrong type or out of range, a duplicate key and a missing required key
// (output, inputs.paths, partition.k) are each a *DataError naming the key
// and its line. name is the file's path: its folder is the config's Dir.
func ParseRunConfig(name string, data []byte) (*RunConfig, error) {
	p := &yparser{name: name}
	cfg := DefaultRunConfig()
	cfg.Path, cfg.Dir = name, filepath.Dir(name)

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, p.fail(nil, "empty config: expected at least output, inputs.paths and partition.k")
		}
		return nil, p.syntax(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, p.fail(&extra, "more than one YAML document (a line \"---\"): a config is one document")
	} else if !errors.Is(err, io.EOF) {
		return nil, p.syntax(err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, p.fail(root, "empty config: expected at least output, inputs.paths and partition.k")
		}
		root = root.Content[0]
	}
	if isNull(root) {
		return nil, p.fail(root, "empty config: expected at least output, inputs.paths and partition.k")
	}

	var (
		inputsKey, partitionKey, trainKey *yaml.Node
		seen                              map[string]*yaml.Node
		err                               error
	)
	seen, err = p.mapping(root, "", []yfield{
		{"output", p.str(&cfg.Output, "output")},
		{"seed", func(v *yaml.Node) error {
			cfg.SeedSet = true
			return p.uint64v(&cfg.Seed, "seed")(v)
		}},
		{"inputs", func(v *yaml.Node) error { return p.inputs(v, &cfg.Inputs) }},
		{"features", func(v *yaml.Node) error { return p.section(v, features.Settings, &cfg.Features, nil) }},
		{"partition", func(v *yaml.Node) error {
			return p.section(v, partition.Settings, &cfg.Partition, map[string]func(*yaml.Node) error{"k": p.partitionK(&cfg.Partition)})
		}},
		{"shard", func(v *yaml.Node) error { return p.section(v, dataset.Settings, &cfg.Shard, nil) }},
		{"train", func(v *yaml.Node) error {
			return p.section(v, train.Settings, &cfg.Train, map[string]func(*yaml.Node) error{"strategies": p.strategies(&cfg.Train)})
		}},
		{"eval", func(v *yaml.Node) error { return p.section(v, train.EvalSettings, &cfg.Eval, nil) }},
		{"report", p.report(&cfg.Report)},
	})
	if err != nil {
		return nil, err
	}
	inputsKey, partitionKey, trainKey = seen["inputs"], seen["partition"], seen["train"]
	if cfg.Output == "" {
		return nil, p.missing(seen["output"], root, "output", "", "the output root folder")
	}
	if len(cfg.Inputs.Paths) == 0 {
		return nil, p.missing(inputsKey, root, "paths", "inputs", "a list of corpus files, folders or globs")
	}
	if cfg.Partition.K == "" {
		return nil, p.missing(partitionKey, root, "k", "partition", "a number of sub-tasks or auto")
	}
	if cfg.Train.TextCol == "" {
		cfg.Train.TextCol = cfg.Inputs.TextCol
	}
	if cfg.Train.Tasks == "pos" && cfg.Train.Objective != "masked-token" {
		return nil, p.fail(lineOf(trainKey, root), "train: tasks pos needs objective masked-token (the part of speech of a masked word)")
	}
	return &cfg, nil
}

// OutputDir is the output root, resolved.
func (c *RunConfig) OutputDir() string { return c.Resolve(c.Output) }

// Resolve resolves a path of the config: relative paths are relative to
// the config file's folder. The result stays relative (to the working
// directory) when the config was named by a relative path.
func (c *RunConfig) Resolve(p string) string {
	if filepath.IsAbs(p) || c.Dir == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(c.Dir, p)
}

// yparser walks the YAML nodes of one config file.
type yparser struct{ name string }

// yfield is one known key of a mapping and how its value is parsed.
type yfield struct {
	key   string
	parse func(v *yaml.Node) error
}

func (p *yparser) fail(n *yaml.Node, format string, args ...any) *stream.DataError {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &stream.DataError{Source: p.name, Line: int64(line), Row: -1, Err: fmt.Errorf(format, args...)}
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax turns a YAML syntax error into a *DataError with its line.
func (p *yparser) syntax(err error) *stream.DataError {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &stream.DataError{Source: p.name, Line: int64(line), Row: -1, Err: fmt.Errorf("not valid YAML: %s", m[2])}
	}
	return &stream.DataError{Source: p.name, Row: -1, Err: fmt.Errorf("not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))}
}

// missing is the error of a required key that is absent: at the line of
// its section's key, or of the document.
func (p *yparser) missing(section, root *yaml.Node, key, in, what string) *stream.DataError {
	n := lineOf(section, root)
	if in == "" {
		return p.fail(n, "missing key %q (%s)", key, what)
	}
	return p.fail(n, "missing key %q in %s (%s)", key, in, what)
}

func lineOf(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	if fallback != nil && fallback.Line > 0 {
		return fallback
	}
	return &yaml.Node{Line: 1}
}

// mapping parses a mapping whose keys must be among fields, and returns
// the key nodes seen. A null value leaves the setting at its default.
func (p *yparser) mapping(n *yaml.Node, where string, fields []yfield) (map[string]*yaml.Node, error) {
	n = deref(n)
	label := where
	if label == "" {
		label = "the config"
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.fail(n, "%s: expected a mapping (key: value lines), got %s", label, describe(n))
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, p.fail(k, "%s: a key must be a plain name, got %s", label, describe(k))
		}
		var f *yfield
		for j := range fields {
			if fields[j].key == k.Value {
				f = &fields[j]
				break
			}
		}
		if f == nil {
			known := make([]string, len(fields))
			for j, fl := range fields {
				known[j] = fl.key
			}
			in := ""
			if where != "" {
				in = " in " + where
			}
			hint := ""
			if s := closest(k.Value, known); s != "" {
				hint = fmt.Sprintf("did you mean %q? ", s)
			}
			return nil, p.fail(k, "unknown key %q%s (%sknown: %s)", k.Value, in, hint, strings.Join(known, ", "))
		}
		if prev, ok := seen[k.Value]; ok {
			return nil, p.fail(k, "duplicate key %q%s (first at line %d)", k.Value, prefixIn(where), prev.Line)
		}
		seen[k.Value] = k
		if isNull(deref(v)) {
			continue
		}
		if err := f.parse(deref(v)); err != nil {
			return nil, err
		}
	}
	return seen, nil
}

func prefixIn(where string) string {
	if where == "" {
		return ""
	}
	return " in " + where
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names a value's type for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("string %q", n.Value)
		case "!!int", "!!float":
			return "number " + n.Value
		case "!!bool":
			return "boolean " + n.Value
		case "!!null":
			return "nothing"
		}
		return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
	}
	return "nothing"
}

func (p *yparser) str(dst *string, key string) func(*yaml.Node) error {
	return func(v *yaml.Node) error {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
			return p.fail(v, "%s: expected a string, got %s", key, describe(v))
		}
		if strings.TrimSpace(v.Value) == "" {
			return p.fail(v, "%s: must not be empty", key)
		}
		*dst = v.Value
		return nil
	}
}

// strList takes a list of strings, or one string as a list of one.
func (p *yparser) strList(dst *[]string, key string) func(*yaml.Node) error {
	return func(v *yaml.Node) error {
		var items []*yaml.Node
		switch v.Kind {
		case yaml.SequenceNode:
			items = v.Content
		case yaml.ScalarNode:
			items = []*yaml.Node{v}
		default:
			return p.fail(v, "%s: expected a list of strings, got %s", key, describe(v))
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			it = deref(it)
			if it.Kind != yaml.ScalarNode || it.ShortTag() != "!!str" {
				return p.fail(it, "%s: expected a list of strings, got %s in it", key, describe(it))
			}
			if strings.TrimSpace(it.Value) == "" {
				return p.fail(it, "%s: an empty string in the list", key)
			}
			out = append(out, it.Value)
		}
		if len(out) == 0 {
			return p.fail(v, "%s: the list is empty", key)
		}
		*dst = out
		return nil
	}
}

func (p *yparser) integer(v *yaml.Node, key string) (int64, error) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
		return 0, p.fail(v, "%s: expected a whole number, got %s", key, describe(v))
	}
	var i int64
	if err := v.Decode(&i); err != nil {
		return 0, p.fail(v, "%s: %s is not a whole number that fits in 64 bits", key, v.Value)
	}
	return i, nil
}

func (p *yparser) intv(dst *int, key string, lo, hi int64) func(*yaml.Node) error {
	return func(v *yaml.Node) error {
		i, err := p.integer(v, key)
		if err != nil {
			return err
		}
		if i < lo || i > hi {
			return p.fail(v, "%s: must be %s, got %d", key, rangeText(lo, hi), i)
		}
		*dst = int(i)
		return nil
	}
}

func rangeText(lo, hi int64) string {
	if hi == math.MaxInt32 {
		return fmt.Sprintf("at least %d", lo)
	}
	return fmt.Sprintf("%d..%d", lo, hi)
}

func (p *yparser) uint64v(dst *uint64, key string) func(*yaml.Node) error {
	return func(v *yaml.Node) error {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
			return p.fail(v, "%s: expected a whole number, got %s", key, describe(v))
		}
		var u uint64
		if err := v.Decode(&u); err != nil {
			return p.fail(v, "%s: must be a whole number from 0 to %d, got %s", key, uint64(math.MaxUint64), v.Value)
		}
		*dst = u
		return nil
	}
}

// floatv takes a number; check returns what is wrong with it, or "".
func (p *yparser) floatv(dst *float64, key string, check func(float64) string) func(*yaml.Node) error {
	return func(v *yaml.Node) error {
		if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!float" && v.ShortTag() != "!!int") {
			return p.fail(v, "%s: expected a number, got %s", key, describe(v))
		}
		var f float64
		if err := v.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return p.fail(v, "%s: expected a finite number, got %s", key, v.Value)
		}
		if msg := check(f); msg != "" {
			return p.fail(v, "%s: must be %s, got %s", key, msg, v.Value)
		}
		*dst = f
		return nil
	}
}

func (p *yparser) boolv(dst *bool, key string) func(*yaml.Node) error {
	return func(v *yaml.Node) error {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
			return p.fail(v, "%s: expected true or false, got %s", key, describe(v))
		}
		// A value tagged !!bool that is not a YAML boolean ("!!bool yes")
		// does not decode.
		var b bool
		if err := v.Decode(&b); err != nil {
			return p.fail(v, "%s: expected true or false, got %q", key, v.Value)
		}
		*dst = b
		return nil
	}
}

func (p *yparser) inputs(n *yaml.Node, in *RunInputs) error {
	_, err := p.mapping(n, "inputs", []yfield{
		{"paths", func(v *yaml.Node) error {
			if err := p.strList(&in.Paths, "inputs.paths")(v); err != nil {
				return err
			}
			for _, s := range in.Paths {
				if s == "-" {
					return p.fail(v, "inputs.paths: standard input (\"-\") cannot be the input of a run: it can be neither fingerprinted nor read again")
				}
			}
			return nil
		}},
		{"text_col", p.str(&in.TextCol, "inputs.text_col")},
		{"label_col", p.str(&in.LabelCol, "inputs.label_col")},
	})
	return err
}

// section parses a stage's section by its spec: every setting a key of
// its type, checked as the spec says; keys with a dot ("weights.pattern")
// are nested mappings. custom parses the keys that need more than their
// type (partition.k, train.strategies).
func (p *yparser) section(n *yaml.Node, st spec.Stage, sec any, custom map[string]func(v *yaml.Node) error) error {
	var fields []yfield
	nested := map[string][]yfield{}
	var order []string
	for _, s := range st.Settings {
		parse := custom[s.Key]
		if parse == nil {
			parse = p.setting(s, st.Name+"."+s.Key, field(sec, s.Key))
		}
		if outer, inner, ok := strings.Cut(s.Key, "."); ok {
			if _, seen := nested[outer]; !seen {
				order = append(order, outer)
			}
			nested[outer] = append(nested[outer], yfield{inner, parse})
			continue
		}
		fields = append(fields, yfield{s.Key, parse})
	}
	for _, outer := range order {
		inner, where := nested[outer], st.Name+"."+outer
		fields = append(fields, yfield{outer, func(v *yaml.Node) error {
			_, err := p.mapping(v, where, inner)
			return err
		}})
	}
	for key, parse := range custom {
		if st.Lookup(key) == nil {
			fields = append(fields, yfield{key, parse})
		}
	}
	_, err := p.mapping(n, st.Name, fields)
	return err
}

// setting parses one value of s's type into dst and checks it.
func (p *yparser) setting(s spec.Setting, key string, dst reflect.Value) func(v *yaml.Node) error {
	return func(v *yaml.Node) error {
		var val any
		switch s.Default.(type) {
		case int, int64:
			i, err := p.integer(v, key)
			if err != nil {
				return err
			}
			if msg := s.Validate(i); msg != "" {
				return p.fail(v, "%s: must be %s, got %d", key, msg, i)
			}
			val = i
		case float64:
			var f float64
			if err := p.floatv(&f, key, func(f float64) string { return s.Validate(f) })(v); err != nil {
				return err
			}
			val = f
		case bool:
			var b bool
			if err := p.boolv(&b, key)(v); err != nil {
				return err
			}
			val = b
		case []string:
			var list []string
			if err := p.strList(&list, key)(v); err != nil {
				return err
			}
			if msg := s.Validate(list); msg != "" {
				return p.fail(v, "%s: must be %s, got %s", key, msg, s.Show(list))
			}
			val = list
		default:
			var str string
			// Empty is allowed where it is the default (the setting's help
			// says what it means).
			emptyDefault := s.Default == "" && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value == ""
			if err := p.str(&str, key)(v); err != nil && !emptyDefault {
				return err
			}
			if msg := s.Validate(str); msg != "" {
				return p.fail(v, "%s: must be %s, got %q", key, msg, str)
			}
			val = str
		}
		dst.Set(reflect.ValueOf(val).Convert(dst.Type()))
		return nil
	}
}

// partitionK takes partition.k: a whole number (or one written as a
// string) or auto.
func (p *yparser) partitionK(pc *RunPartition) func(v *yaml.Node) error {
	return func(v *yaml.Node) error {
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value == "auto" {
			pc.K = "auto"
			return nil
		}
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
			if k, err := strconv.Atoi(v.Value); err == nil && k >= 1 {
				pc.K = strconv.Itoa(k)
				return nil
			}
		}
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
			return p.fail(v, "partition.k: expected a whole number of sub-tasks or auto, got %s", describe(v))
		}
		var k int
		if err := p.intv(&k, "partition.k", 1, math.MaxInt32)(v); err != nil {
			return err
		}
		pc.K = strconv.Itoa(k)
		return nil
	}
}

// strategies takes train.strategies: known strategies, each once, erm
// first (doremi reads its losses), erm listed when doremi is.
func (p *yparser) strategies(t *RunTrain) func(v *yaml.Node) error {
	return func(v *yaml.Node) error {
		var list []string
		if err := p.strList(&list, "train.strategies")(v); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, s := range list {
			if !slices.Contains(RunStrategies, s) {
				return p.fail(v, "train.strategies: unknown strategy %q (%s)", s, spec.OrList(RunStrategies))
			}
			if seen[s] {
				return p.fail(v, "train.strategies: %q listed twice", s)
			}
			seen[s] = true
		}
		if seen["doremi"] && !seen["erm"] {
			return p.fail(v, "train.strategies: doremi needs the erm run as its reference: list erm too")
		}
		t.Strategies = t.Strategies[:0:0]
		if seen["erm"] {
			t.Strategies = append(t.Strategies, "erm")
		}
		for _, s := range list {
			if s != "erm" {
				t.Strategies = append(t.Strategies, s)
			}
		}
		return nil
	}
}

// closest returns the candidate within edit distance 2 of s, if any
// (editDistance is in schemaspec.go).
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := stream.EditDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// report takes the report section: a mapping of report.Settings (and
// enabled, true when left out), or true or false alone.
func (p *yparser) report(r *RunReport) func(v *yaml.Node) error {
	return func(v *yaml.Node) error {
		if v.Kind == yaml.ScalarNode {
			return p.boolv(&r.Enabled, "report")(v)
		}
		r.Enabled = true
		return p.section(v, report.Settings, r, map[string]func(*yaml.Node) error{"enabled": p.boolv(&r.Enabled, "report.enabled")})
	}
}
