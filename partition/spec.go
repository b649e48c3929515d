package partition

import (
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
		{Key: "k", Default: "", Output: true, Check: validK, Allow: "a whole number of sub-tasks or auto",
			Help: "number of sub-tasks K, or auto to choose it by silhouette in --k-range (required)"},
		{Key: "k_range", Default: "2:64", Output: true, Check: validKRange, Allow: `"MIN:MAX" with 2 <= MIN <= MAX`,
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

func validK(v any) bool {
	s, _ := v.(string)
	if s == "auto" {
		return true
	}
	k, err := strconv.Atoi(s)
	return err == nil && k >= 1
}

func validKRange(v any) bool {
	s, _ := v.(string)
	lo, hi, ok := strings.Cut(s, ":")
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	return ok && err1 == nil && err2 == nil && a >= 2 && b >= a
}

func validWeight(v any) bool {
	f, _ := v.(float64)
	return f >= 0 && f <= 1e6
}
