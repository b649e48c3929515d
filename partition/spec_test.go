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
