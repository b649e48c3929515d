package partition

import (
	"strings"
	"testing"
)

func TestParseK(t *testing.T) {
	for _, c := range []struct {
		k, kRange    string
		want, lo, hi int
		wrong        string
	}{
		{k: "8", kRange: "2:64", want: 8},
		{k: "1", want: 1},
		{k: "auto", kRange: "3:9", lo: 3, hi: 9},
		{k: "auto", kRange: "2:2", lo: 2, hi: 2},
		{k: "0", wrong: "--k must be a whole number of at least 1, or auto"},
		{k: "eight", wrong: "--k must be"},
		{k: "auto", kRange: "1:4", wrong: "--k-range must be MIN:MAX with 2 <= MIN <= MAX"},
		{k: "auto", kRange: "5:4", wrong: "--k-range"},
		{k: "auto", kRange: "5", wrong: "--k-range"},
	} {
		k, lo, hi, err := ParseK(c.k, c.kRange)
		if c.wrong != "" {
			if err == nil || !strings.Contains(err.Error(), c.wrong) {
				t.Errorf("%q %q: %v, want %q", c.k, c.kRange, err, c.wrong)
			}
			if validK(c.k) && validKRange(c.kRange) && c.k == "auto" {
				t.Errorf("%q %q: the spec's checks accept it", c.k, c.kRange)
			}
			continue
		}
		if err != nil || k != c.want || lo != c.lo || hi != c.hi {
			t.Errorf("%q %q: %d %d:%d %v", c.k, c.kRange, k, lo, hi, err)
		}
	}
}

func TestParseWeights(t *testing.T) {
	p, s, err := ParseWeights("pattern=0.5,semantic=2", 1, 1)
	if err != nil || p != 0.5 || s != 2 {
		t.Errorf("both: %v %v %v", p, s, err)
	}
	if p, s, err := ParseWeights(" semantic=3", 0.2, 1); err != nil || p != 0.2 || s != 3 {
		t.Errorf("one left out keeps its value: %v %v %v", p, s, err)
	}
	for bad, msg := range map[string]string{
		"pattern=-1": "non-negative", "pattern": "non-negative", "pattern=1e7": "non-negative",
		"style=1": `unknown block "style"`, "pattern=x": "non-negative",
	} {
		if _, _, err := ParseWeights(bad, 1, 1); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", bad, err, msg)
		}
	}
}
