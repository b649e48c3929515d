package synth

import (
	"fmt"
	"strings"
)

// functionWords is the shared pool of common English function words, in
// rough order of frequency (rank 0 = most frequent); every task draws from it
// with the same Zipf law (exponent functionZipf). All entries are lower-case
// ASCII letters and unique.
var functionWords = [...]string{
	"the", "of", "and", "to", "a", "in", "is", "that", "for", "it",
	"as", "with", "was", "on", "be", "by", "at", "this", "are", "from",
	"or", "an", "but", "not", "have", "which", "they", "he", "she", "we",
	"you", "his", "her", "their", "its", "has", "had", "were", "been", "will",
	"would", "can", "could", "may", "might", "should", "must", "do", "does", "did",
	"so", "if", "than", "then", "there", "these", "those", "such", "into", "over",
	"after", "before", "about", "between", "under", "through", "out", "up", "down", "more",
	"most", "some", "any", "all", "each", "other", "only", "also", "very", "just",
	"what", "when", "where", "why", "how", "who", "whom", "whose", "while", "because",
	"both", "either", "neither", "nor", "yet", "our", "your", "my", "them", "him",
	"us", "me", "no", "one", "two", "new", "first", "last", "many", "much",
	"few", "same", "own", "here", "now", "again", "once", "still", "even", "well",
	"too", "off", "upon", "within", "without", "against", "among", "toward", "during", "since",
	"until", "per", "via", "whether", "though", "although", "however", "thus", "therefore", "around",
}

// questionWords are the function words that open a question in the dialogue
// archetype.
var questionWords = [...]string{
	"what", "why", "how", "where", "who", "when", "is", "do", "does", "can",
	"will", "would", "could", "should", "did", "are", "was", "were",
}

// recordKeys are the field names of the records archetype, with the kind of
// value each takes.
var recordKeys = [...]struct {
	key  string
	kind valueKind
}{
	{"id", valueID}, {"name", valueWords}, {"kind", valueWords}, {"status", valueWords},
	{"owner", valueWords}, {"region", valueWords}, {"level", valueInt}, {"count", valueInt},
	{"date", valueDate}, {"note", valueWords}, {"source", valueWords}, {"score", valueDecimal},
	{"type", valueWords}, {"group", valueWords}, {"code", valueID}, {"state", valueWords},
}

// valueKind is the kind of value of a record field.
type valueKind uint8

const (
	valueWords   valueKind = iota // 1–3 words from the task's mixture
	valueInt                      // integer 0–999
	valueID                       // integer 1000–99999
	valueDecimal                  // d.dd
	valueDate                     // yyyy-mm-dd
)

// speechVerbs close an attributed dialogue line: `"…?" asked Velumar.`
var speechVerbs = [...]string{"said", "asked", "replied"}

// urlTokens are the fixed alphabetic tokens of technical URLs.
var urlTokens = [...]string{"https", "example", "org"}

// Syllable inventory of pseudo-words. A syllable is [onset] vowel [coda];
// onsets are single consonants or clusters, vowels simple or digraphs.
var (
	singleOnsets  = [...]string{"b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z"}
	clusterOnsets = [...]string{"br", "cr", "dr", "fr", "gr", "kr", "pr", "tr", "st", "sl", "sk", "th", "sh", "ch"}
	simpleVowels  = [...]string{"a", "e", "i", "o", "u"}
	digraphVowels = [...]string{"ae", "ai", "ei", "ou", "ia"}
	codas         = [...]string{"n", "r", "l", "s", "m", "t", "nd", "rt"}
)

// Vocabulary sizes and laws.
const (
	// TopicWords is the number of topic pseudo-words of each task.
	TopicWords = 300
	// GenericWords is the number of shared generic pseudo-words.
	GenericWords = 200

	functionZipf = 1.0 // Zipf exponent of the function-word pool
	genericZipf  = 1.0 // Zipf exponent of the generic pool

	// A task's syllable inventory: this many entries of each list.
	taskSingles, taskClusters, taskSimple, taskDigraphs, taskCodas = 8, 2, 3, 1, 4

	minWordLen  = 4
	maxWordLen  = 12
	maxAttempts = 100000 // per word; exhausting it is an error, never a loop
)

// vocab stores every token the generator can emit in one byte slice; a
// token is addressed by a dense id.
type vocab struct {
	text []byte
	off  []uint32 // len = tokens+1
	seen map[string]struct{}
}

func newVocab() *vocab {
	return &vocab{off: []uint32{0}, seen: make(map[string]struct{})}
}

// add appends a token and returns its id.
func (v *vocab) add(w string) int {
	v.text = append(v.text, w...)
	v.off = append(v.off, uint32(len(v.text)))
	v.seen[w] = struct{}{}
	return len(v.off) - 2
}

// word returns the bytes of token id (do not modify).
func (v *vocab) word(id int32) []byte {
	return v.text[v.off[id]:v.off[id+1]]
}

// str returns token id as a string (for TaskInfo).
func (v *vocab) str(id int) string {
	return string(v.text[v.off[id]:v.off[id+1]])
}

// inventory is a syllable inventory to build pseudo-words from.
type inventory struct {
	singles, clusters, simple, digraphs, codas []string
}

// fullInventory is the inventory of the shared generic words.
func fullInventory() inventory {
	return inventory{singles: singleOnsets[:], clusters: clusterOnsets[:],
		simple: simpleVowels[:], digraphs: digraphVowels[:], codas: codas[:]}
}

// subsetInventory draws a task inventory: random subsets (partial
// Fisher–Yates shuffles on the stream r, in field order) of 8 single onsets,
// 2 cluster onsets, 3 simple vowels, 1 digraph and 4 codas.
func subsetInventory(r *rng) inventory {
	return inventory{
		singles:  pick(r, singleOnsets[:], taskSingles),
		clusters: pick(r, clusterOnsets[:], taskClusters),
		simple:   pick(r, simpleVowels[:], taskSimple),
		digraphs: pick(r, digraphVowels[:], taskDigraphs),
		codas:    pick(r, codas[:], taskCodas),
	}
}

func pick(r *rng, from []string, n int) []string {
	s := append([]string(nil), from...)
	for i := 0; i < n; i++ {
		j := i + r.below(len(s)-i)
		s[i], s[j] = s[j], s[i]
	}
	return s[:n]
}

// pseudoWord draws one candidate word: 2 syllables with probability 1/2, 3
// with 2/5, 4 with 1/10. Each syllable: an onset (always, except that the
// first syllable has none with probability 1/5) that is a cluster with
// probability 1/5 else a single consonant; a vowel that is a digraph with
// probability 1/8 else simple; a coda with probability 1/2 in the last
// syllable and 1/5 elsewhere. Every choice within a list is uniform.
func pseudoWord(r *rng, inv inventory, b *strings.Builder) string {
	b.Reset()
	nsyl := 2
	switch u := r.below(10); {
	case u == 9:
		nsyl = 4
	case u >= 5:
		nsyl = 3
	}
	for s := 0; s < nsyl; s++ {
		if s > 0 || r.below(5) > 0 {
			if r.below(5) == 0 {
				b.WriteString(inv.clusters[r.below(len(inv.clusters))])
			} else {
				b.WriteString(inv.singles[r.below(len(inv.singles))])
			}
		}
		if r.below(8) == 0 {
			b.WriteString(inv.digraphs[r.below(len(inv.digraphs))])
		} else {
			b.WriteString(inv.simple[r.below(len(inv.simple))])
		}
		pCoda := 5
		if s == nsyl-1 {
			pCoda = 2
		}
		if r.below(pCoda) == 0 {
			b.WriteString(inv.codas[r.below(len(inv.codas))])
		}
	}
	return b.String()
}

// addPseudoWords appends n new pseudo-words drawn from inv on stream r;
// candidates that are too short, too long or already known are redrawn.
func (v *vocab) addPseudoWords(r *rng, inv inventory, n int) (first int, err error) {
	first = len(v.off) - 1
	var b strings.Builder
	for i := 0; i < n; i++ {
		ok := false
		for a := 0; a < maxAttempts; a++ {
			w := pseudoWord(r, inv, &b)
			if len(w) < minWordLen || len(w) > maxWordLen {
				continue
			}
			if _, dup := v.seen[w]; dup {
				continue
			}
			v.add(w)
			ok = true
			break
		}
		if !ok {
			return 0, fmt.Errorf("synth: could not draw %d distinct pseudo-words", n)
		}
	}
	return first, nil
}
