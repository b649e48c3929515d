package partition

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/robustdata/robustdata/pipeline/spec"
)

// Settings are the partition stage's settings (the run config's partition
// section; the partition command's flags of the same names, the weights
// given together as --weights pattern=P,semantic=S).
var Settings = spec.Stage{
	Name: "partition",
	Help: "clustering into K sub-tasks (robustdata partition)",
	Settings: []spec.Setting{
		{Key: "k", Default: "", Output: true, Check: validK, Allow: kAllowed,
			Help: "number of sub-tasks K, or auto to choose it by silhouette in --k-range (required)"},
		{Key: "k_range", Default: "2:64", Output: true, Check: validKRange, Allow: kRangeAllowed,
			Help: "range of K tried by --k auto, MIN:MAX"},
		{Key: "sample", Default: DefaultSample, Min: 2, Output: true,
			Help: "rows k-means is fitted on, drawn uniformly from the whole input"},
		{Key: "restarts", Default: DefaultRestarts, Min: 1, Output: true,
			Help: "k-means++ seedings tried; the lowest inertia wins"},
		{Key: "max_iter", Default: DefaultMaxIter, Min: 1, Output: true,
			Help: "most Lloyd iterations per seeding"},
		{Key: "weights.pattern", Flag: "-", Default: DefaultPatternWeight, Output: true, Check: validWeight, Allow: "a non-negative number (at most 1e6)",
			Help: "weight of the (standardised) pattern block in the k-means distance"},
		{Key: "weights.semantic", Flag: "-", Default: DefaultSemanticWeight, Output: true, Check: validWeight, Allow: "a non-negative number (at most 1e6)",
			Help: "weight of the semantic block in the k-means distance"},
	},
}

// What the k and k_range settings allow.
const (
	kAllowed      = "a whole number of at least 1, or auto"
	kRangeAllowed = "MIN:MAX with 2 <= MIN <= MAX"
)

// ParseK reads the k setting ("8", or "auto" with kRange "MIN:MAX"): K,
// or 0 and the range K is chosen in; an error says which is wrong.
func ParseK(k, kRange string) (kk, kMin, kMax int, err error) {
	if k == "auto" {
		lo, hi, ok := strings.Cut(kRange, ":")
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || a < 2 || b < a {
			return 0, 0, 0, fmt.Errorf("--k-range must be %s, not %q", kRangeAllowed, kRange)
		}
		return 0, a, b, nil
	}
	n, err := strconv.Atoi(k)
	if err != nil || n < 1 {
		return 0, 0, 0, fmt.Errorf("--k must be %s, not %q", kAllowed, k)
	}
	return n, 0, 0, nil
}

func validK(v any) bool {
	s, _ := v.(string)
	_, _, _, err := ParseK(s, "2:2")
	return err == nil
}

func validKRange(v any) bool {
	s, _ := v.(string)
	_, _, _, err := ParseK("auto", s)
	return err == nil
}

func validWeight(v any) bool {
	f, _ := v.(float64)
	return f >= 0 && f <= 1e6
}

// ParseWeights reads the --weights flag, pattern=P,semantic=S (either may
// be left out: it keeps its value given), each a number in [0, 1e6].
func ParseWeights(s string, pattern, semantic float64) (float64, float64, error) {
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		w, err := strconv.ParseFloat(val, 64)
		if !ok || err != nil || !validWeight(w) {
			return 0, 0, fmt.Errorf("--weights must be pattern=P,semantic=S with non-negative numbers, not %q", s)
		}
		switch name {
		case "pattern":
			pattern = w
		case "semantic":
			semantic = w
		default:
			return 0, 0, fmt.Errorf("--weights: unknown block %q (pattern or semantic)", name)
		}
	}
	return pattern, semantic, nil
}
