package train

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// Rows without a label are not probed, and they are counted, not dropped
// silently.
func TestReadDownstreamCountsUnlabelled(t *testing.T) {
	type row struct {
		Text  string  `parquet:"text"`
		Label *string `parquet:"label,optional"`
	}
	var rows []row
	wantUnlabelled := 0
	for i := range 40 {
		r := row{Text: "alpha beta gamma delta word" + string(rune('a'+i%26))}
		if i%4 == 1 {
			wantUnlabelled++
		} else {
			l := []string{"x", "y"}[i%2]
			r.Label = &l
		}
		rows = append(rows, r)
	}
	p := filepath.Join(t.TempDir(), "d.parquet")
	if err := parquet.WriteFile(p, rows); err != nil {
		t.Fatal(err)
	}
	cfg := rtCfg("", "", "erm", ObjectiveToken)
	cfg.defaults()
	exs, labels, unlabelled, err := readDownstream(context.Background(), Downstream{Name: "d", Path: p, LabelCol: "label"}, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if unlabelled != wantUnlabelled || len(exs) != 40-wantUnlabelled || len(labels) != len(exs) {
		t.Fatalf("%d examples, %d labels, %d unlabelled; want %d, %d, %d", len(exs), len(labels), unlabelled, 40-wantUnlabelled, 40-wantUnlabelled, wantUnlabelled)
	}
	for i, l := range labels {
		if l != "x" && l != "y" {
			t.Fatalf("label %d = %q", i, l)
		}
	}
}

func TestParseDownstream(t *testing.T) {
	for in, want := range map[string]Downstream{
		"a=x.parquet":         {Name: "a", Path: "x.parquet", LabelCol: "label"},
		"a=x.parquet:cat":     {Name: "a", Path: "x.parquet", LabelCol: "cat"},
		"a=dir/x=1.parquet:c": {Name: "a", Path: "dir/x=1.parquet", LabelCol: "c"},
	} {
		got, err := ParseDownstream(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"x.parquet", "=x", " =x", "a=", "a=x:"} {
		if _, err := ParseDownstream(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseDownstreams([]string{"a=x", "b=y:c", "a=z"}); err == nil || !strings.Contains(err.Error(), `"a" is used twice`) {
		t.Errorf("a name twice: %v", err)
	}
	if got, err := ParseDownstreams([]string{"a=x", "b=y:c"}); err != nil || len(got) != 2 || got[1].LabelCol != "c" {
		t.Errorf("two sets: %+v %v", got, err)
	}
}
