package pipeline

import (
	"reflect"
	"strings"
	"testing"
)

// TestStageSpecsCoverSections checks that every setting of a stage spec
// is a field of its run config section and that every field of a section
// is a setting (the strategies list, which the train command takes one at
// a time, and the report's enabled switch, which is the run's, excepted): a setting added in one place only fails here.
func TestStageSpecsCoverSections(t *testing.T) {
	var cfg RunConfig
	for _, st := range StageSpecs {
		sec := cfg.sectionOf(st.Name)
		keys := map[string]bool{}
		for _, s := range st.Settings {
			keys[s.Key] = true
			f := field(sec, s.Key) // panics when missing
			if got, want := f.Type(), reflect.TypeOf(s.Default); got != want {
				t.Errorf("%s.%s: field of type %s, spec default of type %s", st.Name, s.Key, got, want)
			}
			if s.Help == "" {
				t.Errorf("%s.%s has no help", st.Name, s.Key)
			}
			if msg := s.Validate(s.Default); msg != "" && !(st.Name == "partition" && s.Key == "k") && !(st.Name == "train" && s.Key == "text_col") {
				t.Errorf("%s.%s: the default %v is not allowed (%s)", st.Name, s.Key, s.Default, msg)
			}
		}
		ty := reflect.TypeOf(sec).Elem()
		for i := range ty.NumField() {
			key := ty.Field(i).Tag.Get("yaml")
			if key == "" {
				key, _, _ = strings.Cut(ty.Field(i).Tag.Get("json"), ",")
			}
			if !keys[key] && !(st.Name == "train" && key == "strategies") && !(st.Name == "report" && key == "enabled") {
				t.Errorf("%s: the field %s (%s) has no setting in the spec", st.Name, ty.Field(i).Name, key)
			}
		}
	}
}

// TestDefaultRunConfigFromSpecs checks that the defaults come from the
// specs and that the fingerprint records hold exactly the settings that
// change the output.
func TestDefaultRunConfigFromSpecs(t *testing.T) {
	cfg := DefaultRunConfig()
	for _, st := range StageSpecs {
		rec := map[string]any{}
		cfg.stageRecord(st.Name, rec)
		sec := cfg.sectionOf(st.Name)
		for _, s := range st.Settings {
			if got := field(sec, s.Key).Interface(); !reflect.DeepEqual(got, s.Default) {
				t.Errorf("%s.%s = %v, want the spec's default %v", st.Name, s.Key, got, s.Default)
			}
			_, in := rec[jsonKey(sec, s.Key)]
			if in != s.Output {
				t.Errorf("%s.%s: in the fingerprint %v, changes the output %v", st.Name, s.Key, in, s.Output)
			}
		}
	}
	if k := jsonKey(&cfg.Partition, "weights.pattern"); k != "pattern_weight" {
		t.Errorf("weights.pattern: json key %q", k)
	}
}
