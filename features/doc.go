// Package features computes, for every document of a stream, pattern
// features (form: length, punctuation, repetition, ...) and semantic
// features (meaning: TF-IDF/LSA, word vectors or an existing embedding
// column) and appends them as the columns "pattern" and "semantic".
//
// This version holds no stage yet; see the README's status section.
package features
