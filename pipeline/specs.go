package pipeline

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/spec"
	"github.com/robustdata/robustdata/report"
	"github.com/robustdata/robustdata/train"
)

// StageSpecs are the stage sections of a run config, in order, as each
// stage declares its settings.
var StageSpecs = []spec.Stage{features.Settings, partition.Settings, dataset.Settings, train.Settings, train.EvalSettings, report.Settings}

// sectionOf returns the RunConfig section a stage spec describes.
func (c *RunConfig) sectionOf(stage string) any {
	switch stage {
	case "features":
		return &c.Features
	case "partition":
		return &c.Partition
	case "shard":
		return &c.Shard
	case "train":
		return &c.Train
	case "eval":
		return &c.Eval
	case "report":
		return &c.Report
	}
	panic("pipeline: no run config section " + stage)
}

// fieldIndex is the index of the field of section (a pointer to a section
// struct) that holds key: the one whose yaml tag is key, else the one
// without a yaml tag whose json tag is.
func fieldIndex(section any, key string) int {
	t := reflect.TypeOf(section).Elem()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("yaml") == key {
			return i
		}
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == key && f.Tag.Get("yaml") == "" {
			return i
		}
	}
	panic(fmt.Sprintf("pipeline: %T has no field for %q", section, key))
}

// field returns the field of section that holds key.
func field(section any, key string) reflect.Value {
	return reflect.ValueOf(section).Elem().Field(fieldIndex(section, key))
}

// jsonKey is the json tag of the field holding key: the setting's name in
// a fingerprint.
func jsonKey(section any, key string) string {
	f := reflect.TypeOf(section).Elem().Field(fieldIndex(section, key))
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// setDefaults sets every setting of the stage specs to its default.
func (c *RunConfig) setDefaults() {
	for _, st := range StageSpecs {
		sec := c.sectionOf(st.Name)
		for _, s := range st.Settings {
			field(sec, s.Key).Set(reflect.ValueOf(s.Default))
		}
	}
}

// stageRecord is the part of a stage's fingerprint its spec marks as
// changing the output, keyed as the section's JSON names them.
func (c *RunConfig) stageRecord(stage string, into map[string]any, skip ...string) {
	for _, st := range StageSpecs {
		if st.Name != stage {
			continue
		}
		sec := c.sectionOf(stage)
		for _, s := range st.Settings {
			if !s.Output || slices.Contains(skip, s.Key) {
				continue
			}
			into[jsonKey(sec, s.Key)] = field(sec, s.Key).Interface()
		}
	}
}

// SettingField is the field of a run config section (a pointer to
// RunFeatures, RunPartition, RunShard or RunTrain) that holds a setting's
// key: what the CLI binds a setting's flag to.
func SettingField(section any, key string) reflect.Value { return field(section, key) }

// FeaturesConfig is the features stage's configuration of a run config's
// features section, reading textCol.
func FeaturesConfig(textCol string, f RunFeatures) features.Config {
	return features.Config{TextCol: textCol, Semantic: f.Semantic, Dim: f.Dim, Vocab: f.Vocab, Sample: f.Sample}
}

// PartitionConfig is the partition stage's configuration of a run
// config's partition section, reading textCol and measuring against
// labelCol; K is parsed (see partition.ParseK).
func PartitionConfig(p RunPartition, textCol, labelCol string) (partition.Config, error) {
	k, kMin, kMax, err := partition.ParseK(p.K, p.KRange)
	if err != nil {
		return partition.Config{}, UsageError{err}
	}
	return partition.Config{K: k, KMin: kMin, KMax: kMax, Sample: p.Sample, Restarts: p.Restarts, MaxIter: p.MaxIter,
		PatternWeight: p.PatternWeight, SemanticWeight: p.SemanticWeight, LabelCol: labelCol, TextCol: textCol}, nil
}

// TrainConfig is a training run's configuration of a run config's train
// section, with strategy.
func TrainConfig(t RunTrain, strategy string) train.Config {
	return train.Config{Strategy: strategy, Objective: t.Objective, Tasks: t.Tasks, Steps: t.Steps, PerTask: t.PerTaskBatch,
		LR: t.LR, Temp: t.Temperature, TempWarmup: t.TempWarmup, Smoothing: t.Smoothing, Eta: t.Eta, Hidden: t.Hidden, Vocab: t.Vocab,
		Embed: t.Embed, Samples: t.Samples, Window: t.Window, VectorCol: t.VectorCol, TextCol: t.TextCol,
		CheckpointEvery: t.CheckpointEvery, Patience: t.Patience, EvalEvery: t.EvalEvery}
}
