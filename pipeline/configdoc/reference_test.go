package configdoc

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline"
)

var update = flag.Bool("update", false, "rewrite docs/config.md from the stage specs")

// TestConfigReference keeps docs/config.md in sync with the stage specs.
func TestConfigReference(t *testing.T) {
	const path = "../../docs/config.md"
	got := Reference()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s is not what the specs generate: run go test ./pipeline/configdoc -run TestConfigReference -update", path)
	}
	for _, st := range pipeline.StageSpecs {
		for _, s := range st.Settings {
			if !strings.Contains(got, "`"+st.Name+"."+s.Key+"`") {
				t.Errorf("the reference lacks %s.%s", st.Name, s.Key)
			}
		}
	}
}
