package train

import (
	"context"
	"path/filepath"
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
