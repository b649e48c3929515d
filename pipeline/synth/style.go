package synth

import "math"

// layout is the line structure of an archetype.
type layout uint8

const (
	layoutProse     layout = iota // paragraphs of sentences, one paragraph per line, blank line between
	layoutShout                   // short exclamatory lines
	layoutBullets                 // optional "Title:" header, then "- item" lines
	layoutNumbered                // "1. Sentence." lines
	layoutDialogue                // quoted lines, mostly questions, some attributed
	layoutRecords                 // "key: value; key: value" lines
	layoutVerse                   // short Title Case lines in stanzas
	layoutTechnical               // sentences with parentheses, slashes, URLs, numbers
)

// archetype is one row of the style table. Units are sentences (prose,
// technical), lines (shout, bullets, numbered, dialogue, verse) or records.
type archetype struct {
	name   string
	layout layout

	unitsMedian float64 // median units per document (log-normal)
	unitsSigma  float64 // σ of log(units)
	unitsMax    int     // cap on units per document

	wordsLo, wordsHi int // words per unit (fields per record), triangular on [lo, hi]
	groupLo, groupHi int // sentences per paragraph / lines per stanza / sentences per line

	pFunc    float64 // share of word slots filled with a function word
	pGeneric float64 // share filled with a shared generic pseudo-word
	pDigit   float64 // share filled with a number
	pComma   float64 // probability of a comma after a non-final word

	pUpper    float64 // shout: a word is written UPPER CASE
	pShout    float64 // shout: the whole line is UPPER CASE
	pDouble   float64 // shout: the line ends "!!" instead of "!"
	pHeader   float64 // bullets: the list has a "Title Case:" header line
	pQuestion float64 // dialogue: the line is a question
	pAttrib   float64 // dialogue: the line is attributed (` asked Name.`)
	pParen    float64 // technical: a slot opens a parenthetical "(…)"
	pSlash    float64 // technical: a slot is "word/word"
	pURL      float64 // technical: a slot is https://example.org/<word>/<n>
}

// archetypes is the documented style table (see doc.go).
var archetypes = [8]archetype{
	{name: "prose", layout: layoutProse,
		unitsMedian: 9, unitsSigma: 0.5, unitsMax: 80,
		wordsLo: 10, wordsHi: 26, groupLo: 3, groupHi: 6,
		pFunc: 0.45, pGeneric: 0.12, pDigit: 0.004, pComma: 0.08},
	{name: "shout", layout: layoutShout,
		unitsMedian: 7, unitsSigma: 0.45, unitsMax: 60,
		wordsLo: 2, wordsHi: 7,
		pFunc: 0.22, pGeneric: 0.12, pDigit: 0.01, pComma: 0.02,
		pUpper: 0.25, pShout: 0.12, pDouble: 0.3},
	{name: "bullets", layout: layoutBullets,
		unitsMedian: 8, unitsSigma: 0.5, unitsMax: 60,
		wordsLo: 2, wordsHi: 7,
		pFunc: 0.15, pGeneric: 0.15, pDigit: 0.02, pComma: 0.03,
		pHeader: 0.6},
	{name: "numbered", layout: layoutNumbered,
		unitsMedian: 7, unitsSigma: 0.5, unitsMax: 60,
		wordsLo: 6, wordsHi: 14,
		pFunc: 0.30, pGeneric: 0.10, pDigit: 0.12, pComma: 0.04},
	{name: "dialogue", layout: layoutDialogue,
		unitsMedian: 8, unitsSigma: 0.5, unitsMax: 60,
		wordsLo: 4, wordsHi: 11,
		pFunc: 0.45, pGeneric: 0.10, pDigit: 0.005, pComma: 0.05,
		pQuestion: 0.75, pAttrib: 0.35},
	{name: "records", layout: layoutRecords,
		unitsMedian: 6, unitsSigma: 0.5, unitsMax: 60,
		wordsLo: 3, wordsHi: 6,
		pFunc: 0.0, pGeneric: 0.25, pDigit: 0.0},
	{name: "verse", layout: layoutVerse,
		unitsMedian: 12, unitsSigma: 0.4, unitsMax: 80,
		wordsLo: 3, wordsHi: 6, groupLo: 3, groupHi: 5,
		pFunc: 0.35, pGeneric: 0.10, pDigit: 0.0},
	{name: "technical", layout: layoutTechnical,
		unitsMedian: 7, unitsSigma: 0.5, unitsMax: 60,
		wordsLo: 8, wordsHi: 18, groupLo: 1, groupHi: 3,
		pFunc: 0.30, pGeneric: 0.12, pDigit: 0.10, pComma: 0.05,
		pParen: 0.05, pSlash: 0.04, pURL: 0.02},
}

// ArchetypeNames returns the names of the style archetypes, in table order.
func ArchetypeNames() []string {
	out := make([]string, len(archetypes))
	for i, a := range archetypes {
		out[i] = a.name
	}
	return out
}

// unitQuantiles is the size of the table that samples units per document.
const unitQuantiles = 256

// style is an archetype after the per-task jitter, in sampling form.
type style struct {
	arch   int
	layout layout

	units            [unitQuantiles]uint16 // quantiles of the units distribution
	wordsLo, wordsHi int
	groupLo, groupHi int

	// slot kind thresholds on a 53-bit draw: u < tFunc → function word,
	// < tGeneric → generic word, < tDigit → number, else topic word.
	tFunc, tGeneric, tDigit uint64

	pComma, pUpper, pShout, pDouble, pHeader, pQuestion, pAttrib uint64
	pParen, pSlash, pURL                                         uint64
	pContentGeneric                                              uint64 // generic share of content-only slots
	zipf                                                         float64
}

// archetypeOf returns the archetype index of task t: tasks come in blocks of
// eight, and block b = t/8 uses a seeded permutation of the eight archetypes.
func archetypeOf(seed uint64, t int) int {
	var r rng
	r.reset(seed, domainArch, uint64(t/8))
	perm := [8]int{0, 1, 2, 3, 4, 5, 6, 7}
	for i := 0; i < 7; i++ {
		j := i + r.below(8-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm[t%8]
}

// styleOf derives the style of task t: its archetype, jittered on stream
// (seed, domainStyle, t). The jitter span is ±15% in the first block of
// eight tasks and ±30% after it (so repeated archetypes differ more).
func styleOf(seed uint64, t int) style {
	a := archetypes[archetypeOf(seed, t)]
	var r rng
	r.reset(seed, domainStyle, uint64(t))
	span := 0.15
	if t >= 8 {
		span = 0.30
	}
	jit := func() float64 { return 1 - span + 2*span*r.float() }
	fLen, fUnits, fRate := jit(), jit(), jit()
	funcShift := (r.float() - 0.5) * 0.1 // ±0.05 on the function-word share
	zipf := 0.95 + 0.2*r.float()         // topic Zipf exponent in [0.95, 1.15)

	s := style{arch: archetypeOf(seed, t), layout: a.layout, zipf: zipf}
	s.wordsLo = max(1, int(math.Round(float64(a.wordsLo)*fLen)))
	s.wordsHi = max(s.wordsLo, int(math.Round(float64(a.wordsHi)*fLen)))
	s.groupLo, s.groupHi = a.groupLo, a.groupHi
	if s.groupLo < 1 {
		s.groupLo, s.groupHi = 1, 1
	}

	median := a.unitsMedian * fUnits
	for j := range s.units {
		z := math.Sqrt2 * math.Erfinv(2*(float64(j)+0.5)/unitQuantiles-1)
		n := math.Round(median * math.Exp(a.unitsSigma*z))
		s.units[j] = uint16(min(max(n, 1), float64(a.unitsMax)))
	}

	pFunc := a.pFunc
	if pFunc > 0 {
		pFunc = min(max(pFunc+funcShift, 0.02), 0.7)
	}
	rate := func(p float64) uint64 { return prob53(min(p*fRate, 0.95)) }
	pDigit := min(a.pDigit*fRate, 0.5)
	s.tFunc = prob53(pFunc)
	s.tGeneric = prob53(pFunc + a.pGeneric)
	s.tDigit = prob53(pFunc + a.pGeneric + pDigit)
	pTopic := max(1-pFunc-a.pGeneric-pDigit, 0.05)
	s.pContentGeneric = prob53(a.pGeneric / (a.pGeneric + pTopic))
	s.pComma = rate(a.pComma)
	s.pUpper = rate(a.pUpper)
	s.pShout = rate(a.pShout)
	s.pDouble = rate(a.pDouble)
	s.pHeader = rate(a.pHeader)
	s.pQuestion = rate(a.pQuestion)
	s.pAttrib = rate(a.pAttrib)
	s.pParen = rate(a.pParen)
	s.pSlash = rate(a.pSlash)
	s.pURL = rate(a.pURL)
	return s
}
