package pipeline

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/spec"
	"github.com/robustdata/robustdata/train"
)

// StageSpecs are the stage sections of a run config, in order, as each
// stage declares its settings.
var StageSpecs = []spec.Stage{features.Settings, partition.Settings, dataset.Settings, train.Settings}

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
	}
	panic("pipeline: no run config section " + stage)
}

// field returns the field of section (a pointer to a section struct) that
// holds key: the one whose yaml tag is key, else whose json tag is.
func field(section any, key string) reflect.Value {
	v := reflect.ValueOf(section).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("yaml") == key {
			return v.Field(i)
		}
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == key && f.Tag.Get("yaml") == "" {
			return v.Field(i)
		}
	}
	panic(fmt.Sprintf("pipeline: %T has no field for %q", section, key))
}

// jsonKey is the json tag of the field holding key: the setting's name in
// a fingerprint.
func jsonKey(section any, key string) string {
	v := reflect.ValueOf(section).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Tag.Get("yaml") == key || (name == key && f.Tag.Get("yaml") == "") {
			return name
		}
	}
	return key
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
			if !s.Output || contains(skip, s.Key) {
				continue
			}
			into[jsonKey(sec, s.Key)] = field(sec, s.Key).Interface()
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
