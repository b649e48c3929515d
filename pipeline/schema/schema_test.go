package schema

import (
	"slices"
	"testing"
)

func TestPatternNamesAndDescriptions(t *testing.T) {
	names, defs := PatternNames(), PatternDescriptions()
	if len(names) != NumPattern || len(defs) != NumPattern {
		t.Fatalf("%d names, %d descriptions, want %d", len(names), len(defs), NumPattern)
	}
	seen := map[string]bool{}
	for i, n := range names {
		if n == "" || defs[i] == "" || seen[n] {
			t.Errorf("feature %d: name %q, description %q (empty or repeated)", i, n, defs[i])
		}
		seen[n] = true
	}
	// The slices are copies: changing one changes nothing for others.
	names[0] = "changed"
	if PatternNames()[0] == "changed" {
		t.Error("PatternNames returns the package's own array")
	}
	cols := []string{TextColumn, DocIDColumn, RejectColumn, PatternColumn, SemanticColumn, TaskColumn, DistanceColumn, LabelColumn}
	slices.Sort(cols)
	if len(slices.Compact(cols)) != 8 {
		t.Errorf("two column names are the same: %v", cols)
	}
}
