package configdoc

import (
	"reflect"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline"
)

// TestExampleRunConfig checks that the example config holds every key
// with its default and help, and parses back to the defaults with the
// example's inputs, output, label column and K: it runs as it is.
func TestExampleRunConfig(t *testing.T) {
	data, err := Example()
	if err != nil {
		t.Fatal(err)
	}
	got, err := pipeline.ParseRunConfig("robustdata.yaml", data)
	if err != nil {
		t.Fatalf("the example does not parse: %v\n%s", err, data)
	}
	want := pipeline.DefaultRunConfig()
	want.Path, want.Dir = "robustdata.yaml", "."
	want.Output, want.Inputs.Paths, want.Inputs.LabelCol, want.Partition.K = "out/example", []string{"examples/data/fortunes.parquet"}, "label", "8"
	want.SeedSet = true
	want.Train.TextCol = want.Inputs.TextCol
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("the example parses to\n%+v\nwant the defaults\n%+v", *got, want)
	}
	// Every key has help, and every help is of a key.
	keys := map[string]bool{}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		for i := range ty.NumField() {
			tag := configKey(ty.Field(i))
			if tag == "" {
				continue
			}
			if group, _, ok := strings.Cut(tag, "."); ok {
				keys[joinKey(path, group)] = true
			}
			tag = joinKey(path, tag)
			keys[tag] = true
			if ft := ty.Field(i).Type; ft.Kind() == reflect.Struct {
				walk(ft, tag)
			}
		}
	}
	walk(reflect.TypeOf(pipeline.RunConfig{}), "")
	for k := range keys {
		if configHelp(k) == "" {
			t.Errorf("key %s has no help", k)
		} else if !strings.Contains(string(data), "# "+configHelp(k)) {
			t.Errorf("the example does not show the help of %s", k)
		}
	}
	for k := range runConfigHelp {
		if !keys[k] {
			t.Errorf("help for %s, which is not a key", k)
		}
	}
}

// TestConfigHelpNested checks that a nested setting's help is its spec's.
func TestConfigHelpNested(t *testing.T) {
	if h := configHelp("partition.weights.pattern"); !strings.Contains(h, "pattern") {
		t.Errorf("partition.weights.pattern: help %q", h)
	}
	if configHelp("nope.nothing") != "" {
		t.Error("an unknown key has help")
	}
}
