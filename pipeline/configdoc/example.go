package configdoc

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/robustdata/robustdata/pipeline"
	yaml "go.yaml.in/yaml/v3"
)

// runConfigHelp says what each key of a run config that is not a stage
// setting does, by its path ("inputs.paths"); the stages' settings say it
// in their specs (see configHelp). Example writes it beside
// every key, and its test checks that every key of pipeline.RunConfig has one.
var runConfigHelp = map[string]string{
	"output":            "the output root: features/, dataset/, runs/NAME/, eval/, report.html",
	"seed":              "random seed of every stage (same input, config and seed: same bytes)",
	"inputs":            "the corpus",
	"inputs.paths":      "files, folders and globs (Parquet, Arrow IPC, JSONL), relative to this file",
	"inputs.text_col":   "the text column",
	"inputs.label_col":  "a label column the report compares the tasks with (empty: none)",
	"train.strategies":  "any of erm, uniform, minimax, group-dro, doremi (doremi needs erm listed: its reference)",
	"partition.weights": "weights of the two feature blocks in the k-means distance",
	"report.enabled":    "write OUTPUT/report.html (report: false alone leaves it out too)",
}

// configHelp says what a run config key does: its stage spec's help, else
// runConfigHelp's; "" when neither has it.
func configHelp(key string) string {
	section, rest, _ := strings.Cut(key, ".")
	for _, st := range pipeline.StageSpecs {
		if st.Name != section {
			continue
		}
		if rest == "" {
			return st.Help
		}
		if s := st.Lookup(rest); s != nil {
			return s.Help
		}
	}
	return runConfigHelp[key]
}

// runConfigForm shows the form of the keys whose default is an empty list
// (which the example leaves out, as a comment).
var runConfigForm = map[string]string{
	"eval.downstream": `["apps=apps.parquet:label"]`,
}

// Example returns a complete run config: every key with its
// default and what it does, reading the example corpus that ships with
// the repository (examples/data/fortunes.parquet, relative to the
// repository root, where the file is meant to be saved) into out/example
// with K = 8. It parses back to pipeline.DefaultRunConfig with those three values
// set, so it runs as it is.
func Example() ([]byte, error) {
	cfg := pipeline.DefaultRunConfig()
	cfg.Output = "out/example"
	cfg.Inputs.Paths = []string{"examples/data/fortunes.parquet"}
	cfg.Inputs.LabelCol = "label"
	cfg.Partition.K = "8"
	cfg.Train.TextCol = cfg.Inputs.TextCol
	root, err := exampleNode(reflect.ValueOf(cfg), "")
	if err != nil {
		return nil, err
	}
	root.HeadComment = "robustdata run config: every setting with its default.\n" +
		"Save it at the repository root and run: robustdata run robustdata.yaml"
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("robustdata/pipeline: writing the example config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("robustdata/pipeline: writing the example config: %w", err)
	}
	return b.Bytes(), nil
}

// exampleNode turns a config struct (or a value in it) into YAML nodes,
// keyed by the json tags, with runConfigHelp as comments.
func exampleNode(v reflect.Value, path string) (*yaml.Node, error) {
	switch v.Kind() {
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for i := range v.NumField() {
			tag := configKey(v.Type().Field(i))
			if tag == "" {
				continue
			}
			// A dotted key ("weights.pattern") is a key of a nested mapping.
			into, prefix := n, path
			if group, rest, ok := strings.Cut(tag, "."); ok {
				gpath := joinKey(path, group)
				into = nil
				for j := 0; j+1 < len(n.Content); j += 2 {
					if n.Content[j].Value == group {
						into = n.Content[j+1]
					}
				}
				if into == nil {
					help := configHelp(gpath)
					if help == "" {
						return nil, fmt.Errorf("robustdata/pipeline: the run config key %s has no help", gpath)
					}
					into = &yaml.Node{Kind: yaml.MappingNode}
					n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: group, HeadComment: help}, into)
				}
				tag, prefix = rest, gpath
			}
			key := joinKey(prefix, tag)
			help := configHelp(key)
			if help == "" {
				return nil, fmt.Errorf("robustdata/pipeline: the run config key %s has no help", key)
			}
			if f := v.Field(i); f.Kind() == reflect.Slice && f.Len() == 0 {
				// An empty list is not a valid value: show the key's form
				// as a comment of its section.
				n.HeadComment = strings.TrimSpace(n.HeadComment + "\n" + tag + ": " + runConfigForm[key] + " # " + help)
				continue
			}
			val, err := exampleNode(v.Field(i), key)
			if err != nil {
				return nil, err
			}
			k := &yaml.Node{Kind: yaml.ScalarNode, Value: tag}
			if val.Kind == yaml.MappingNode {
				k.HeadComment = help
				if val.HeadComment != "" {
					// Comments of keys left out go after the section's.
					k.HeadComment += "\n" + val.HeadComment
					val.HeadComment = ""
					val.Style = yaml.FlowStyle
				}
			} else if val.Kind == yaml.SequenceNode {
				val.LineComment = help
			} else {
				k.LineComment = help
			}
			into.Content = append(into.Content, k, val)
		}
		return n, nil
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for i := range v.Len() {
			item, err := exampleNode(v.Index(i), path)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, item)
		}
		return n, nil
	case reflect.String:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.String(), Style: yaml.DoubleQuotedStyle}, nil
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}, nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}, nil
	case reflect.Uint64, reflect.Uint, reflect.Uint32:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatUint(v.Uint(), 10)}, nil
	case reflect.Float64, reflect.Float32:
		f := strconv.FormatFloat(v.Float(), 'g', -1, 64)
		if !strings.ContainsAny(f, ".eEn") {
			f += ".0" // read back as a float, not an int
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: f}, nil
	}
	return nil, fmt.Errorf("robustdata/pipeline: run config key %s: no YAML form for %s", path, v.Kind())
}

// configKey is a config struct field's YAML key: its yaml tag, else its
// json tag; "" for a field that is not a key.
func configKey(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	if tag == "" {
		tag, _, _ = strings.Cut(f.Tag.Get("json"), ",")
	}
	if tag == "-" {
		return ""
	}
	return tag
}

// joinKey joins a key to its section's path.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
