package features

import (
	"strings"

	"github.com/robustdata/robustdata/pipeline/spec"
)

// Settings are the features stage's settings (the run config's features
// section; the features command's flags of the same names).
var Settings = spec.Stage{
	Name: "features",
	Help: "pattern and semantic features (robustdata features)",
	Settings: []spec.Setting{
		{Key: "semantic", Default: ModeLSA, Output: true,
			Help:  "semantic features: lsa, vectors=FILE (GloVe text format, SIF-weighted) or column=NAME (an existing embedding column)",
			Check: validSemantic, Allow: "lsa, vectors=FILE or column=NAME"},
		{Key: "dim", Default: DefaultDim, Min: 1, Max: 4096, Output: true,
			Help: "LSA dimensions of the semantic column"},
		{Key: "vocab", Default: DefaultVocab, Min: 1, Output: true,
			Help: "LSA vocabulary size (most frequent hashed uni- and bigrams of the sample)"},
		{Key: "sample", Default: DefaultSample, Min: 2, Output: true,
			Help: "documents the features model is fitted on, drawn uniformly from the whole input"},
	},
}

// validSemantic tells whether v is lsa, vectors=FILE or column=NAME.
func validSemantic(v any) bool {
	s, _ := v.(string)
	mode, arg, _ := strings.Cut(s, "=")
	return s == ModeLSA || ((mode == ModeVectors || mode == ModeColumn) && arg != "")
}
