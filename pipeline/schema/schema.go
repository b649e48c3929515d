// Package schema is the vocabulary every other package shares: the
// names of the columns the stages read and write, and the names and
// definitions of the pattern features, in column order. It is a leaf: it
// imports nothing of the module.
//
// The tokenizer is not here: it is fused with the pattern pass over the
// bytes (features.ContentWords, features.TermHash, features.HashedWords),
// which is where its one definition lives.
package schema

// Column names.
const (
	// TextColumn is the default name of the text column.
	TextColumn = "text"
	// DocIDColumn is the row identity column the first stage adds when
	// the input has none.
	DocIDColumn = "doc_id"
	// RejectColumn holds why a row is not usable (null when it is).
	RejectColumn = "reject_reason"
	// PatternColumn holds the pattern features (fixed-size list of
	// NumPattern float32).
	PatternColumn = "pattern"
	// SemanticColumn holds the semantic features (fixed-size list of
	// float32, L2-normalised).
	SemanticColumn = "semantic"
	// TaskColumn holds each row's sub-task.
	TaskColumn = "task"
	// DistanceColumn holds each row's distance to its task's centroid.
	DistanceColumn = "task_distance"
	// LabelColumn is the name of a labelled corpus' label column.
	LabelColumn = "label"
)

// NumPattern is the number of pattern features.
const NumPattern = 24

// patternNames are the pattern features in column order (features/doc.go
// tells how they are computed).
var patternNames = [NumPattern]string{
	"log_bytes", "log_words", "log_lines", "mean_word_len", "std_word_len",
	"type_token_ratio", "stopword_ratio", "punct_ratio", "digit_ratio", "upper_ratio",
	"whitespace_ratio", "non_ascii_ratio", "symbol_ratio", "url_rate", "bullet_line_rate",
	"repeated_line_frac", "repeated_bigram_frac", "char_entropy", "mean_sentence_words", "empty_line_frac",
	"ellipsis_line_frac", "terminal_punct_line_frac", "alpha_word_frac", "log_mean_line_bytes",
}

// patternDescriptions define the pattern features.
var patternDescriptions = [NumPattern]string{
	"ln(1 + bytes)",
	"ln(1 + words)",
	"ln(1 + lines)",
	"mean runes per word",
	"population standard deviation of runes per word",
	"distinct lower-cased words / words",
	"stop words / words",
	"punctuation runes / runes",
	"digit runes / runes",
	"upper-case letters / letters",
	"white-space runes / runes",
	"runes >= U+0080 / runes",
	"symbol runes (math, currency, modifier, other) / runes",
	"URLs (http://, https://, www. at a word start) / words",
	"non-empty lines starting with a bullet (- * + • or 1. 1)) / non-empty lines",
	"non-empty lines repeating an earlier one (trimmed) / non-empty lines",
	"word bigrams occurring more than once / word bigrams",
	"Shannon entropy of the rune distribution, in bits",
	"words / sentences",
	"empty or white-space lines / lines",
	"non-empty lines ending with ... or … / non-empty lines",
	"non-empty lines ending with terminal punctuation / non-empty lines",
	"words holding a letter / words",
	"ln(1 + bytes / lines)",
}

// PatternDescriptions returns the definitions of the pattern features, in
// column order.
func PatternDescriptions() []string { return append([]string(nil), patternDescriptions[:]...) }

// PatternNames returns the names of the pattern features, in column order.
func PatternNames() []string { return append([]string(nil), patternNames[:]...) }

// Field metadata keys the features stage writes on its columns.
const (
	// PatternNamesKey names the pattern column's values, comma-separated.
	PatternNamesKey = "robustdata.pattern.names"
	// PatternVersionKey is the version of the pattern definitions.
	PatternVersionKey = "robustdata.pattern.version"
	// SemanticModeKey is the semantic column's mode (lsa, vectors, column).
	SemanticModeKey = "robustdata.semantic.mode"
	// SemanticDimKey is the semantic column's width.
	SemanticDimKey = "robustdata.semantic.dim"
)
