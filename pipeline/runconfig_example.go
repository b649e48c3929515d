package pipeline

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// runConfigHelp says what each key of a run config does, by its path
// ("train.steps"). ExampleRunConfig writes it beside every key, and its
// test checks that every key of RunConfig has an entry.
var runConfigHelp = map[string]string{
	"output":                     "the output root: features/, dataset/, runs/NAME/, eval/, report.html",
	"seed":                       "random seed of every stage (same input, config and seed: same bytes)",
	"inputs":                     "the corpus",
	"inputs.paths":               "files, folders and globs (Parquet, Arrow IPC, JSONL), relative to this file",
	"inputs.text_col":            "the text column",
	"inputs.label_col":           "a label column the report compares the tasks with (empty: none)",
	"features":                   "pattern and semantic features (robustdata features)",
	"features.semantic":          "lsa, vectors=FILE (GloVe text format) or column=NAME (an embedding column)",
	"features.dim":               "LSA dimensions of the semantic column",
	"features.vocab":             "LSA vocabulary: most frequent hashed uni- and bigrams of the sample",
	"features.sample":            "documents the features model is fitted on",
	"partition":                  "clustering into K sub-tasks (robustdata partition)",
	"partition.k":                "number of sub-tasks, or auto (chosen by silhouette within k_range)",
	"partition.k_range":          "MIN:MAX tried by k: auto",
	"partition.sample":           "rows k-means is fitted on",
	"partition.restarts":         "k-means++ seedings tried; the lowest inertia wins",
	"partition.max_iter":         "most Lloyd iterations per seeding",
	"partition.weights":          "weights of the two feature blocks in the k-means distance",
	"partition.weights.pattern":  "weight of the (standardised) pattern block",
	"partition.weights.semantic": "weight of the semantic block",
	"shard":                      "shard files of the dataset",
	"shard.max_rows":             "start a new shard file of a task after this many rows",
	"shard.max_bytes":            "start a new shard file of a task after about this many bytes",
	"train":                      "minimax pre-training over the sub-tasks (robustdata train), one run per strategy",
	"train.objective":            "masked-regression (of a vector column) or masked-token",
	"train.tasks":                "cluster (the partition's tasks) or pos (part of speech, masked-token only)",
	"train.strategies":           "any of erm, uniform, minimax, group-dro, doremi (doremi needs erm listed: its reference)",
	"train.steps":                "the most training steps (early stopping usually ends a run sooner)",
	"train.patience":             "stop once this many validations in a row have not lowered the mean validation loss (0: train all steps)",
	"train.eval_every":           "steps between validations on the full held-out split of every task",
	"train.per_task_batch":       "examples drawn from every task at each step",
	"train.lr":                   "Adam learning rate",
	"train.temperature":          "minimax temperature μ",
	"train.smoothing":            "minimax: moving average of the task losses",
	"train.eta":                  "group-dro step (0: 0.01) or doremi step (0: 1)",
	"train.checkpoint_every":     "steps between checkpoints (a killed run resumes from the last)",
	"train.vocab":                "masked-token: hashed vocabulary size",
	"train.window":               "masked-token: words per example",
	"train.hidden":               "hidden units of the model",
	"train.embed":                "masked-token: embedding width",
	"train.vector_col":           "masked-regression: the vector column regressed",
	"train.text_col":             "masked-token: the text column (empty: inputs.text_col)",
	"eval":                       "evaluation of the runs (robustdata eval)",
	"eval.downstream":            "labelled downstream sets, each {name, path, label_col}, probed with each run's model",
	"report":                     "write OUTPUT/report.html",
}

// runConfigForm shows the form of the keys whose default is an empty list
// (which the example leaves out, as a comment).
var runConfigForm = map[string]string{
	"eval.downstream": "[{name: apps, path: apps.parquet, label_col: label}]",
}

// ExampleRunConfig returns a complete run config: every key with its
// default and what it does, reading the example corpus that ships with
// the repository (examples/data/fortunes.parquet, relative to the
// repository root, where the file is meant to be saved) into out/example
// with K = 8. It parses back to DefaultRunConfig with those three values
// set, so it runs as it is.
func ExampleRunConfig() ([]byte, error) {
	cfg := DefaultRunConfig()
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
					help, ok := runConfigHelp[gpath]
					if !ok {
						return nil, fmt.Errorf("robustdata/pipeline: the run config key %s has no help", gpath)
					}
					into = &yaml.Node{Kind: yaml.MappingNode}
					n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: group, HeadComment: help}, into)
				}
				tag, prefix = rest, gpath
			}
			key := joinKey(prefix, tag)
			help, ok := runConfigHelp[key]
			if !ok {
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
