package features

import (
	"bytes"
	"iter"
	"math"
	"math/bits"
	"unicode"
	"unicode/utf8"

	"github.com/robustdata/robustdata/pipeline/schema"
)

// ASCII character classes.
const (
	cWord   = 1 << iota // letter, digit or '_'
	cLetter             // letter
	cUpper              // upper-case letter
	cDigit              // digit
	cSpace              // white space
	cPunct              // punctuation (unicode.IsPunct)
	cSymbol             // symbol (unicode.IsSymbol)
	cEnd                // sentence end: . ! ?
)

// asciiClass classifies the ASCII bytes with the unicode predicates, so
// that the fast path agrees with the slow one.
var asciiClass = func() (t [128]uint8) {
	for c := range rune(128) {
		var k uint8
		if unicode.IsLetter(c) {
			k |= cWord | cLetter
		}
		if unicode.IsUpper(c) {
			k |= cUpper
		}
		if unicode.IsDigit(c) {
			k |= cWord | cDigit
		}
		if c == '_' {
			k |= cWord
		}
		if unicode.IsSpace(c) {
			k |= cSpace
		}
		if unicode.IsPunct(c) {
			k |= cPunct
		}
		if unicode.IsSymbol(c) {
			k |= cSymbol
		}
		if c == '.' || c == '!' || c == '?' {
			k |= cEnd
		}
		t[c] = k
	}
	return t
}()

// classOf classifies a rune outside ASCII.
func classOf(r rune) uint8 {
	var k uint8
	switch {
	case unicode.IsLetter(r):
		k = cWord | cLetter
		if unicode.IsUpper(r) {
			k |= cUpper
		}
	case unicode.IsDigit(r), unicode.IsNumber(r):
		k = cWord
		if unicode.IsDigit(r) {
			k |= cDigit
		}
	case unicode.IsMark(r):
		k = cWord
	case unicode.IsSpace(r):
		k = cSpace
	case unicode.IsPunct(r):
		k = cPunct
		if r == '。' || r == '！' || r == '？' {
			k |= cEnd
		}
	case unicode.IsSymbol(r):
		k = cSymbol
	}
	return k
}

// analyzer computes the features of one document at a time. It keeps
// scratch tables between documents and must not be shared between
// goroutines.
type analyzer struct {
	words   counter // distinct lower-cased words
	bigrams counter // word bigrams
	lines   counter // trimmed non-empty lines
	runes   counter // runes outside ASCII, for the entropy
	ascii   [128]int32
	seen    [2]uint64 // which ASCII byte values occur
	// terms receives the term hashes (non-stop words and their bigrams)
	// when collectTerms is set.
	terms        []uint64
	collectTerms bool
	// nonStop counts the non-stop words of the document (the unigrams
	// among terms).
	nonStop int
	// spans receives, when collectSpans is set, the byte span of every
	// non-stop word in order (for the fit's term strings).
	spans        [][2]int32
	collectSpans bool
}

// analyze computes the pattern features of text into pat (schema.NumPattern
// values) and, when collectTerms is set, its terms into a.terms.
//
// It is the hot loop of the stage: ASCII bytes are classified by table and
// counted per byte value (the class counts are summed from those counts at
// the end), runs of ASCII word bytes are hashed in a tight inner loop, and
// only non-ASCII runes take the slow path through the unicode tables.
func (a *analyzer) analyze(text []byte, pat []float32) {
	a.words.reset()
	a.bigrams.reset()
	a.lines.reset()
	a.runes.track = true
	a.runes.reset()
	a.clearASCII()
	a.terms = a.terms[:0]
	a.spans = a.spans[:0]
	a.nonStop = 0

	var (
		// Counts of runes outside ASCII, by class.
		nLetters, nUppers, nDigits, nSpaces, nPuncts, nSymbols, nonASCII int

		words, stopWords, alphaWords, urls, sentences int
		sumLen, sumSq                                 int64
		bigramTotal, repeatedBigrams                  int

		inWord, wordHasLetter, sentHasWord, endRun bool
		wordRunes, wordStart                       int
		h, prevWord, prevTerm                      uint64
		havePrevWord, havePrevTerm                 bool
		prevClass                                  uint8
	)
	endWord := func(end int) {
		inWord = false
		words++
		sentHasWord = true
		l := int64(wordRunes)
		sumLen += l
		sumSq += l * l
		if wordHasLetter {
			alphaWords++
		}
		a.words.add(h)
		if havePrevWord {
			// Only compared within the document: a cheap mix will do. A
			// bigram seen twice makes two repeated occurrences, each later
			// sighting one more.
			switch a.bigrams.add(prevWord*0x9E3779B97F4A7C15 ^ h) {
			case 1:
			case 2:
				repeatedBigrams += 2
			default:
				repeatedBigrams++
			}
			bigramTotal++
		}
		prevWord, havePrevWord = h, true
		if isStopHash(h) {
			stopWords++
			return
		}
		a.nonStop++
		if a.collectTerms {
			a.terms = append(a.terms, h)
			if havePrevTerm {
				a.terms = append(a.terms, BigramHash(prevTerm, h))
			}
		}
		if a.collectSpans {
			a.spans = append(a.spans, [2]int32{int32(wordStart), int32(end)})
		}
		prevTerm, havePrevTerm = h, true
	}
	// classAt classifies the rune starting at text[j].
	classAt := func(j int) uint8 {
		if c := text[j]; c < utf8.RuneSelf {
			return asciiClass[c]
		}
		r, _ := utf8.DecodeRune(text[j:])
		return classOf(r)
	}
	// sentence advances the sentence state over a rune of class k that is
	// not part of a word.
	sentence := func(k uint8, cjkEnd bool) {
		if k&cEnd != 0 {
			endRun = true
			if cjkEnd && sentHasWord {
				// 。！？ end a sentence without white space after them.
				sentences++
				sentHasWord = false
			}
			return
		}
		if endRun && k&cSpace != 0 && sentHasWord {
			sentences++
			sentHasWord = false
		}
		endRun = false
	}

	n := len(text)
	for i := 0; i < n; {
		c := text[i]
		if c < utf8.RuneSelf {
			k := asciiClass[c]
			if k&cWord != 0 {
				if !inWord {
					inWord, wordHasLetter, wordRunes, wordStart = true, false, 0, i
					h = fnvOffset
					if (c == 'h' || c == 'H' || c == 'w' || c == 'W') && hasURLPrefix(text[i:]) {
						urls++
					}
				}
				endRun = false
				// The run of ASCII word bytes, in locals: h is captured
				// by endWord, so it lives in memory.
				j := i
				var kinds uint8
				lh := h
				ascii := &a.ascii
				for j < n {
					c := text[j]
					if c >= utf8.RuneSelf {
						break
					}
					k := asciiClass[c]
					if k&cWord == 0 {
						break
					}
					ascii[c]++
					kinds |= k
					lh = (lh ^ uint64(lowerASCII[c])) * fnvPrime
					j++
				}
				h = lh
				if kinds&cLetter != 0 {
					wordHasLetter = true
				}
				wordRunes += j - i
				prevClass = asciiClass[text[j-1]]
				i = j
				continue
			}
			a.ascii[c]++
			if inWord {
				if c == '\'' && prevClass&cLetter != 0 && i+1 < n && classAt(i+1)&cLetter != 0 {
					// An apostrophe between letters, inside the word.
					h = (h ^ uint64('\'')) * fnvPrime
					wordRunes++
					prevClass = k
					i++
					continue
				}
				endWord(i)
			}
			sentence(k, false)
			prevClass = k
			i++
			continue
		}

		// A rune outside ASCII.
		r, size := utf8.DecodeRune(text[i:])
		k := classOf(r)
		nonASCII++
		a.runes.add(uint64(r))
		if k&cLetter != 0 {
			nLetters++
			if k&cUpper != 0 {
				nUppers++
			}
		}
		if k&cDigit != 0 {
			nDigits++
		}
		if k&cSpace != 0 {
			nSpaces++
		}
		if k&cPunct != 0 {
			nPuncts++
		}
		if k&cSymbol != 0 {
			nSymbols++
		}
		isWord := k&cWord != 0
		if !isWord && inWord && r == '\u2019' && prevClass&cLetter != 0 && i+size < n && classAt(i+size)&cLetter != 0 {
			isWord, r = true, '\''
		}
		if isWord {
			if !inWord {
				inWord, wordHasLetter, wordRunes, wordStart = true, false, 0, i
				h = fnvOffset
			}
			endRun = false
			wordRunes++
			if k&cLetter != 0 {
				wordHasLetter = true
			}
			if r < utf8.RuneSelf {
				h = (h ^ uint64(r)) * fnvPrime
			} else {
				var buf [utf8.UTFMax]byte
				m := utf8.EncodeRune(buf[:], unicode.ToLower(r))
				for _, b := range buf[:m] {
					h = (h ^ uint64(b)) * fnvPrime
				}
			}
		} else {
			if inWord {
				endWord(i)
			}
			sentence(k, r == '。' || r == '！' || r == '？')
		}
		prevClass = k
		i += size
	}
	if inWord {
		endWord(n)
	}
	if sentHasWord {
		sentences++
	}
	a.markSeen()
	cc := a.classCounts(nonASCIIClasses{nLetters, nUppers, nDigits, nSpaces, nPuncts, nSymbols, nonASCII})
	ls := a.lineStats(text)
	wc := wordCounts{words: words, stopWords: stopWords, alphaWords: alphaWords, urls: urls, sentences: sentences,
		sumLen: sumLen, sumSq: sumSq, bigramTotal: bigramTotal, repeatedBigrams: repeatedBigrams}
	fillPattern(pat, n, wc, cc, ls, a.words.distinct, a.entropy(cc.runes))
}

// nonASCIIClasses counts the runes outside ASCII of a document, by class.
type nonASCIIClasses struct {
	letters, uppers, digits, spaces, puncts, symbols, runes int
}

// classCounts are a document's runes by class, ASCII and not.
type classCounts struct {
	runes, letters, uppers, digits, spaces, puncts, symbols, nonASCII int
}

// wordCounts are what the scan counts of a document's words.
type wordCounts struct {
	words, stopWords, alphaWords, urls, sentences int
	sumLen, sumSq                                 int64
	bigramTotal, repeatedBigrams                  int
}

// lineStats count a document's lines.
type lineStats struct {
	lines, emptyLines, nonEmpty, repeatedLines, bullets, ellipses, terminals int
}

// markSeen records which ASCII byte values occur: cheaper to find once
// after the scan than to track on every byte.
func (a *analyzer) markSeen() {
	var seen [2]uint64
	for c, m := range &a.ascii {
		if m != 0 {
			seen[c>>6] |= 1 << (c & 63)
		}
	}
	a.seen = seen
}

// classCounts sums the class counts of the ASCII bytes (from the counts
// per byte value) with those of the other runes.
func (a *analyzer) classCounts(o nonASCIIClasses) classCounts {
	var c classCounts
	for b := range a.seenASCII() {
		m := int(a.ascii[b])
		c.runes += m
		k := asciiClass[b]
		if k&cLetter != 0 {
			c.letters += m
		}
		if k&cUpper != 0 {
			c.uppers += m
		}
		if k&cDigit != 0 {
			c.digits += m
		}
		if k&cSpace != 0 {
			c.spaces += m
		}
		if k&cPunct != 0 {
			c.puncts += m
		}
		if k&cSymbol != 0 {
			c.symbols += m
		}
	}
	c.runes += o.runes
	c.nonASCII = o.runes
	c.letters += o.letters
	c.uppers += o.uppers
	c.digits += o.digits
	c.spaces += o.spaces
	c.puncts += o.puncts
	c.symbols += o.symbols
	return c
}

// lineStats counts the lines of text: empty ones, repeated ones (trimmed),
// bullets, and those ending with an ellipsis or terminal punctuation.
func (a *analyzer) lineStats(text []byte) lineStats {
	var l lineStats
	for rest := text; ; {
		j := bytes.IndexByte(rest, '\n')
		line := rest
		if j >= 0 {
			line = rest[:j]
		}
		if j < 0 && len(rest) == 0 && l.lines > 0 {
			break // a final '\n' does not start another line
		}
		l.lines++
		t := trimSpace(line)
		if len(t) == 0 {
			l.emptyLines++
		} else {
			l.nonEmpty++
			if a.lines.add(bytesHash(t)) > 1 {
				l.repeatedLines++
			}
			if isBullet(t) {
				l.bullets++
			}
			if bytes.HasSuffix(t, []byte("...")) || bytes.HasSuffix(t, []byte("…")) {
				l.ellipses++
			}
			if endsTerminal(t) {
				l.terminals++
			}
		}
		if j < 0 {
			break
		}
		rest = rest[j+1:]
	}
	return l
}

// entropy is the entropy of the rune distribution in bits: log2 N −
// (1/N)·Σ c·log2 c, the sum taken in a fixed order (ASCII by value, then
// other runes in the order first seen).
func (a *analyzer) entropy(runes int) float64 {
	if runes == 0 {
		return 0
	}
	var s float64
	for c := range a.seenASCII() {
		s += cLog2c(a.ascii[c])
	}
	for _, r := range a.runes.keys {
		s += cLog2c(a.runes.count(r))
	}
	total := float64(runes)
	return max(0, math.Log2(total)-s/total)
}

// fillPattern writes the pattern features of a document of n bytes (see
// schema.PatternNames) into pat.
func fillPattern(pat []float32, n int, w wordCounts, c classCounts, l lineStats, distinctWords int, entropy float64) {
	ratio := func(num, den int) float32 {
		if den == 0 {
			return 0
		}
		return float32(float64(num) / float64(den))
	}
	var mean, std float64
	if w.words > 0 {
		mean = float64(w.sumLen) / float64(w.words)
		std = math.Sqrt(max(0, float64(w.sumSq)/float64(w.words)-mean*mean))
	}
	pat[0] = float32(math.Log1p(float64(n)))
	pat[1] = float32(math.Log1p(float64(w.words)))
	pat[2] = float32(math.Log1p(float64(l.lines)))
	pat[3] = float32(mean)
	pat[4] = float32(std)
	pat[5] = ratio(distinctWords, w.words)
	pat[6] = ratio(w.stopWords, w.words)
	pat[7] = ratio(c.puncts, c.runes)
	pat[8] = ratio(c.digits, c.runes)
	pat[9] = ratio(c.uppers, c.letters)
	pat[10] = ratio(c.spaces, c.runes)
	pat[11] = ratio(c.nonASCII, c.runes)
	pat[12] = ratio(c.symbols, c.runes)
	pat[13] = ratio(w.urls, w.words)
	pat[14] = ratio(l.bullets, l.nonEmpty)
	pat[15] = ratio(l.repeatedLines, l.nonEmpty)
	pat[16] = ratio(w.repeatedBigrams, w.bigramTotal)
	pat[17] = float32(entropy)
	pat[18] = ratio(w.words, w.sentences)
	pat[19] = ratio(l.emptyLines, l.lines)
	pat[20] = ratio(l.ellipses, l.nonEmpty)
	pat[21] = ratio(l.terminals, l.nonEmpty)
	pat[22] = ratio(w.alphaWords, w.words)
	if l.lines > 0 {
		pat[23] = float32(math.Log1p(float64(n) / float64(l.lines)))
	} else {
		pat[23] = 0
	}
}

// seenASCII yields the ASCII byte values counted in a.ascii, ascending.
func (a *analyzer) seenASCII() iter.Seq[byte] {
	return func(yield func(byte) bool) {
		for w, bitsW := range a.seen {
			for bitsW != 0 {
				b := bits.TrailingZeros64(bitsW)
				bitsW &= bitsW - 1
				if !yield(byte(w*64 + b)) {
					return
				}
			}
		}
	}
}

// clearASCII zeroes the counts of the byte values seen.
func (a *analyzer) clearASCII() {
	for c := range a.seenASCII() {
		a.ascii[c] = 0
	}
	a.seen = [2]uint64{}
}

// lowerASCII lower-cases ASCII bytes.
var lowerASCII = func() (t [128]byte) {
	for c := range 128 {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] = byte(c) | 0x20
		}
	}
	return t
}()

// cLog2cTable holds c·log2(c) for small counts.
var cLog2cTable = func() (t [1024]float64) {
	for c := 1; c < len(t); c++ {
		t[c] = float64(c) * math.Log2(float64(c))
	}
	return t
}()

// cLog2c is c·log2(c) (0 for 0).
func cLog2c(c int32) float64 {
	if int(c) < len(cLog2cTable) {
		return cLog2cTable[c]
	}
	return float64(c) * math.Log2(float64(c))
}

// stopTable is an open-addressing set of the stop words' hashes.
var stopTable = func() (t [512]uint64) {
	for _, w := range stopWordList {
		h := TermHash(w)
		i := stopSlot(h)
		for t[i] != 0 {
			i = (i + 1) & (len(t) - 1)
		}
		t[i] = h
	}
	return t
}()

func stopSlot(h uint64) int { return int((h * 0x9E3779B97F4A7C15) >> (64 - 9)) }

// isStopHash tells whether h is the hash of a stop word.
func isStopHash(h uint64) bool {
	for i := stopSlot(h); ; i = (i + 1) & 511 {
		switch stopTable[i] {
		case h:
			return h != 0
		case 0:
			return false
		}
	}
}

// PatternOf computes the pattern features of one text (schema.NumPattern values,
// in PatternNames order). For many texts, the stage reuses its scratch
// state instead.
func PatternOf(text string) []float32 {
	var a analyzer
	pat := make([]float32, schema.NumPattern)
	a.analyze([]byte(text), pat)
	return pat
}

// hasURLPrefix tells whether b starts with "http://", "https://" or
// "www." in any case.
func hasURLPrefix(b []byte) bool {
	lower := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c | 0x20
		}
		return c
	}
	has := func(p string) bool {
		if len(b) < len(p) {
			return false
		}
		for i := 0; i < len(p); i++ {
			if lower(b[i]) != p[i] {
				return false
			}
		}
		return true
	}
	switch lower(b[0]) {
	case 'h':
		return has("http://") || has("https://")
	case 'w':
		return has("www.")
	}
	return false
}

// trimSpace trims Unicode white space from both ends.
func trimSpace(b []byte) []byte {
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			if asciiClass[b[0]]&cSpace == 0 {
				break
			}
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if !unicode.IsSpace(r) {
			break
		}
		b = b[size:]
	}
	for len(b) > 0 {
		c := b[len(b)-1]
		if c < utf8.RuneSelf {
			if asciiClass[c]&cSpace == 0 {
				break
			}
			b = b[:len(b)-1]
			continue
		}
		r, size := utf8.DecodeLastRune(b)
		if !unicode.IsSpace(r) {
			break
		}
		b = b[:len(b)-size]
	}
	return b
}

// isBullet tells whether a trimmed line starts with a bullet: a bullet
// rune, or digits and '.' or ')', then white space.
func isBullet(t []byte) bool {
	r, size := utf8.DecodeRune(t)
	switch r {
	case '-', '*', '+', '•', '‣', '◦', '·', '–', '—':
		return followedBySpace(t[size:])
	}
	i := 0
	for i < len(t) && '0' <= t[i] && t[i] <= '9' {
		i++
	}
	if i == 0 || i == len(t) || (t[i] != '.' && t[i] != ')') {
		return false
	}
	return followedBySpace(t[i+1:])
}

func followedBySpace(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	r, _ := utf8.DecodeRune(b)
	return unicode.IsSpace(r)
}

// endsTerminal tells whether a trimmed line ends with terminal
// punctuation.
func endsTerminal(t []byte) bool {
	r, _ := utf8.DecodeLastRune(t)
	switch r {
	case '.', '!', '?', '"', '\'', '”', '’', '。', '！', '？':
		return true
	}
	return false
}

// ContentWords returns the words of text that are not stop words,
// lower-cased as the tokenizer reads them (for reports: the terms of a
// group of documents).
func ContentWords(text string) []string {
	var a analyzer
	a.collectSpans = true
	pat := make([]float32, schema.NumPattern)
	b := []byte(text)
	a.analyze(b, pat)
	out := make([]string, len(a.spans))
	var buf []byte
	for i, sp := range a.spans {
		out[i] = lowerWord(b[sp[0]:sp[1]], buf[:0])
	}
	return out
}
