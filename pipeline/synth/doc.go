// Package synth generates a synthetic text corpus whose documents come from
// K generating sub-tasks with known structure, so that later stages (feature
// extraction, k-means partitioning into sub-tasks, minimax training) can be
// checked for recovering the truth. It backs `robustdata synth`.
//
// Sub-tasks differ both in pattern (document length, sentence length,
// punctuation, casing, line structure, digit rate) and in vocabulary (each
// task has its own topic words; all tasks share function words and generic
// words). With the defaults (Overlap = StyleMix = 0) tasks are clearly
// separable: vocabularies are disjoint and every archetype has a surface
// signature no other archetype shows. Overlap (vocabulary) and StyleMix
// (style) make them harder.
//
// # Output
//
// NewReader returns an arrio.Reader of Arrow record batches with Schema():
//
//	doc_id string not null   "synth:<seed>:<row>", row = 0 … Docs-1, both decimal
//	text   string not null   the document, ASCII, lines separated by "\n", no trailing newline
//	label  string not null   the task, one of TaskNames(K): "task-00" …
//
// Batches hold BatchRows rows (the last one fewer); a batch is also closed
// early once its text reaches MaxBatchBytes. Reader.Tasks returns the ground
// truth per task: name, archetype, share and topic words.
//
// # Determinism
//
// Every random choice comes from a PCG stream (math/rand/v2 PCG, i.e.
// PCG-DXSM) seeded with the two words
//
//	mix64(Seed ^ domain), mix64(index + domain)
//
// where mix64 is the SplitMix64 finaliser and (domain, index) names the
// stream: rows (index = row), vocabulary (0 for the generic words, t+1 for
// task t), style jitter (index = t) and archetype permutation (index = t/8);
// the domain constants are in random.go. Document row i is generated from
// its own stream alone, so it does not depend on BatchRows, on Docs, or on
// any other row; readers over the same Config are byte-identical, and a
// corpus of 10^8 rows needs O(1) memory. Task t's vocabulary and style depend
// only on Seed and tasks 0…t, not on K: adding tasks leaves earlier ones
// unchanged.
//
// Draws: u64 is one 64-bit output; u53 = u64>>11 is uniform in [0, 2^53);
// below(n) = floor(u64·n/2^64); between(lo, hi) = lo + below(hi-lo+1); a
// Bernoulli(p) is u53 < floor(p·2^53). Weighted choices invert a cumulative
// table: index = smallest r with u53 < floor(2^53·(w0+…+wr)/Σw), the last
// positive weight's entry being 2^53. Zipf(s) over n ranks has weights
// 1/(r+1)^s for r = 0…n-1.
//
// # Task of a row
//
// Row i's stream is consumed in this order: task; with probability StyleMix
// a style donor (a uniformly chosen other task); the number of favourites
// and their ranks; the number of units; then the layout, left to right.
//
// The first draw of row i's stream picks its task from the normalised Sizes
// (equal when Sizes is empty). Proportions are therefore binomial around
// Sizes, not exact: a share p has standard deviation √(p(1−p)/Docs), at most
// 0.36 points at 20 000 rows.
//
// # Vocabulary
//
// Tokens are of four kinds, with disjoint spellings:
//
//   - 140 common English function words, shared by all tasks, drawn with
//     Zipf(1.0) over their listed order (vocab.go: functionWords). Fixed
//     tokens — the question words (a subset of these), the speech verbs said,
//     asked, replied, the 16 record keys and the URL tokens https, example,
//     org — are reserved too.
//   - GenericWords = 200 generic pseudo-words, shared, Zipf(1.0), generated
//     on the vocabulary stream with index 0 from the full syllable inventory.
//   - TopicWords = 300 topic pseudo-words per task t, generated on the
//     vocabulary stream with index t+1 after the generic words and tasks
//     0…t-1. Task t first draws its own syllable inventory (partial
//     Fisher–Yates shuffles: 8 of the 18 single-consonant onsets, 2 of the
//     14 cluster onsets, 3 of the 5 simple vowels, 1 of the 5 vowel
//     digraphs, 4 of the 8 codas), so tasks also differ in word shape. Their
//     rank order is generation order; frequencies follow Zipf(s_t), s_t from
//     the style jitter.
//
// A pseudo-word has 2 syllables (probability 1/2), 3 (2/5) or 4 (1/10). A
// syllable is an onset (omitted for the first syllable with probability
// 1/5; a cluster with probability 1/5, else a single consonant), a vowel (a
// digraph with probability 1/8, else simple) and a coda (probability 1/2 in
// the last syllable, 1/5 elsewhere); each list choice is uniform. A candidate
// shorter than 4 or longer than 12 letters, or equal to any token already
// made (reserved, generic, or an earlier task's topic word), is redrawn. So
// no two tasks share a topic word, and no pseudo-word equals a fixed token.
//
// # Word slots
//
// Layouts (below) are made of word slots. A slot draws u53 and becomes, by
// the style's cumulative shares, a function word (share pFunc), a generic
// word (pGeneric), a number (pDigit), or otherwise a topic word. A topic word
// is drawn in this order:
//
//  1. with probability Overlap (when K > 1): a uniformly chosen other task's
//     topic word, from that task's Zipf law;
//  2. else with probability 0.2: one of the document's favourites, uniform;
//  3. else from the own task's Zipf law.
//
// The favourites are the document's "subtopic": 3–5 ranks drawn uniformly
// from ranks 10…299 of its task at the start of the document, so documents
// of one task are not identical bags of words. A content slot (used where a
// number or function word would be out of place: headers, record values,
// slash pairs) is a generic word with probability pGeneric/(pGeneric+pTopic),
// else a topic word as above. Numbers depend on the layout: "n%", "d.d" or
// 1–999 (numbered), "d.dd" or 2–65535 (technical), 1–100 (others).
//
// A word is written lower case, Capitalised, or UPPER CASE as the layout
// says. Within a unit, words are separated by one space, and a comma follows
// a non-final word with probability pComma.
//
// # Styles
//
// Task t's archetype is perm_b[t mod 8], where perm_b is a seeded Fisher–
// Yates permutation of the eight archetypes for block b = t/8: the first
// eight tasks have eight different archetypes, and each further block of
// eight cycles through all of them again. The archetype's parameters are
// then jittered on the task's style stream, drawn in this order: a factor
// for words per unit (lo and hi, rounded), one for the median units per
// document, one shared by pDigit, pComma and every layout probability (each
// capped at 0.95, pDigit at 0.5), all uniform in [0.85, 1.15] — [0.7, 1.3]
// for t ≥ 8, so repeated archetypes differ more —, then a shift of pFunc
// uniform in ±0.05 (clamped to [0.02, 0.7]; not applied when pFunc is 0),
// then the topic Zipf exponent, uniform in [0.95, 1.15).
//
// Document length: a document has U units (sentences, lines or records),
// U = Q[u64>>56] from a 256-entry quantile table of a log-normal,
// Q[j] = clamp(round(median·exp(σ·z_j)), 1, max), z_j = √2·erfinv(2(j+½)/256−1).
// Words per unit are triangular, lo + between(0, h) + between(0, hi−lo−h),
// h = (hi−lo)/2.
//
//	archetype  layout                                            units med σ  max  words  pFunc pGen pDigit pComma  extras
//	prose      sentences "Cap … ." joined by " " into paragraphs    9  .50 80  10–26  .45   .12  .004   .08    3–6 sentences per paragraph; a paragraph is one line; "\n\n" between
//	shout      lines "Cap … !"                                      7  .45 60   2–7   .22   .12  .01    .02    line UPPER .12; word UPPER .25; "!!" .3
//	bullets    "Title Case Header:" line (p .6), then "- …" lines   8  .50 60   2–7   .15   .15  .02    .03    header: 2–4 content words; items lower case, no end punctuation
//	numbered   lines "i. Cap … ." for i = 1…U                       7  .50 60   6–14  .30   .10  .12    .04    numbers: n%, d.d, 1–999
//	dialogue   lines "\"Q-word … ?\"" (p .75) or "\"Cap … .\""      8  .50 60   4–11  .45   .10  .005   .05    attribution " said|asked|replied Name." p .35 (Name = Capitalised topic word)
//	records    lines "key: value; key: value; …", lower case        6  .50 60   3–6   0     .25  0      0      fields per document = "words"; keys: distinct, shuffled once per document; values: id/code 1000–99999, level/count 0–999, score d.dd, date yyyy-mm-dd, else 1–3 content words
//	verse      short lines, Every Word Capitalised, no punctuation 12  .40 80   3–6   .35   .10  0      0      stanzas of 3–5 lines (fixed per document), "\n\n" between
//	technical  sentences "Cap … ." 1–3 per line                     7  .50 60   8–18  .30   .12  .10    .05    per slot after the first: URL https://example.org/<topic>/<1–9999> .02, "word/word" .04, "(1–3 slots)" .05
//
// # Difficulty
//
// Overlap moves a share of topic tokens to other tasks' vocabularies (at 0
// no topic word of task i ever occurs in a document of task j ≠ i; at p
// about a share p of topic tokens are foreign). StyleMix writes a share of
// documents in another task's style (with the document's own vocabulary and
// favourites). With both at 0 a nearest-centroid TF-IDF classifier is
// essentially perfect at K = 8.
//
// # Speed
//
// Documents are built in a reused byte slice by appending precomputed token
// bytes (case changes in place, numbers by strconv.Append*), without
// allocating per word or per document, then copied once into the Arrow
// string builder: about 130 MB/s of text on one core of the development
// machine, Arrow building included (BenchmarkSynth).
// NewReader builds the model in about a millisecond for K = 8 and 0.2 s for
// K = 1000.
//
// It imports only pipeline/schema: the CLI's synth command and tests use it.
package synth
