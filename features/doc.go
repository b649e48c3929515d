// Package features computes, for every document of a stream, pattern
// features (form) and semantic features (meaning) and appends them as the
// columns "pattern" and "semantic" (fixed_size_list<float32>).
//
// # Tokens
//
// A word is a maximal run of word characters: Unicode letters (L*), marks
// (M*), digits (Nd, Nl, No) and '_', plus an apostrophe (' or U+2019) that
// has a letter on both sides ("don't" is one word). Words are lower-cased
// rune by rune with unicode.ToLower, and U+2019 is read as U+0027 ("don’t"
// is the word "don't", a stop word). A built-in list of English stop words
// (StopWords) marks the words that carry form but little meaning.
//
// Terms, for semantic features, are the words that are not stop words and
// the bigrams of consecutive such words (the stop words are removed first,
// as scikit-learn's analyzer does with ngram_range=(1, 2)). Terms are never
// materialised as strings in the hot path: each is a 64-bit FNV-1a hash of
// its lower-cased UTF-8 bytes (see TermHash and BigramHash).
//
// # Pattern features
//
// The pattern column holds these values, in this order (PatternNames; the
// Arrow field carries the names in its metadata). Bytes are the text's
// UTF-8 bytes; runes are its code points (an invalid byte counts as one
// rune, U+FFFD); lines are the pieces between '\n' (a final '\n' does not
// start another line; "\r\n" counts as one line end, the '\r' as white
// space); a line is empty when it holds only white space. A ratio whose
// denominator is zero is 0.
//
//	 0 log_bytes                 ln(1 + bytes)
//	 1 log_words                 ln(1 + words)
//	 2 log_lines                 ln(1 + lines)
//	 3 mean_word_len             mean runes per word
//	 4 std_word_len              population standard deviation of runes per word
//	 5 type_token_ratio          distinct lower-cased words / words
//	 6 stopword_ratio            stop words / words
//	 7 punct_ratio               punctuation runes (unicode.IsPunct) / runes
//	 8 digit_ratio               digit runes (unicode.IsDigit) / runes
//	 9 upper_ratio               upper-case letters (unicode.IsUpper) / letters
//	10 whitespace_ratio          white-space runes (unicode.IsSpace) / runes
//	11 non_ascii_ratio           runes >= U+0080 / runes
//	12 symbol_ratio              symbol runes (unicode.IsSymbol: math, currency, modifier, other) / runes
//	13 url_rate                  URLs / words; a URL starts where "http://", "https://" or "www." (any case) begins a word
//	14 bullet_line_rate          non-empty lines whose first non-space rune is a bullet (- * + • ‣ ◦ · – —) or a run of digits then '.' or ')', followed by white space / non-empty lines
//	15 repeated_line_frac        non-empty lines equal (after trimming white space) to an earlier non-empty line / non-empty lines
//	16 repeated_bigram_frac      word bigrams (consecutive lower-cased words) whose bigram occurs more than once in the document / word bigrams
//	17 char_entropy              Shannon entropy, in bits, of the distribution of runes
//	18 mean_sentence_words       words / sentences; a sentence ends at a run of . ! ? followed by white space or the end of the text, or at 。！？, and counts only if it holds a word
//	19 empty_line_frac           empty lines / lines
//	20 ellipsis_line_frac        non-empty lines ending, after trimming, with "..." or "…" / non-empty lines
//	21 terminal_punct_line_frac  non-empty lines ending, after trimming, with . ! ? " ' ” ’ 。！？ / non-empty lines
//	22 alpha_word_frac           words holding at least one letter / words
//	23 log_mean_line_bytes       ln(1 + bytes / lines)
//
// These are the signals curation tools compute (Gopher rules, C4 filters,
// RedPajama quality signals).
//
// It owns the pattern features' computation (analyze.go, one pass over the
// bytes that also tokenizes: ContentWords, TermHash, HashedWords), the LSA
// model (hashed uni- and bigrams, TF-IDF, randomized SVD in features/rsvd),
// word vectors (SIF) and embedding columns, and the features model file.
// It imports the pipeline substrate (pipeline/stream, pipeline/schema,
// pipeline/spec, pipeline/safetensors) and internal packages, never the
// pipeline orchestrator nor a later stage (internal/layers checks).
package features
