package features

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/robustdata/robustdata/pipeline/schema"
)

// analyzeRef is the first, straightforward implementation of analyze,
// kept to check the optimised one against (TestAnalyzeMatchesReference).
func (a *analyzer) analyzeRef(text []byte, pat []float32) {
	a.bigrams.track = true
	a.words.reset()
	a.bigrams.reset()
	a.lines.reset()
	a.runes.track = true
	a.runes.reset()
	a.ascii = [128]int32{}
	a.terms = a.terms[:0]
	a.spans = a.spans[:0]
	a.nonStop = 0

	var (
		runes, letters, uppers, digits, spaces, puncts, symbols, nonASCII int
		words, stopWords, alphaWords, urls, sentences                     int
		sumLen, sumSq                                                     float64
		bigramTotal                                                       int

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
		l := float64(wordRunes)
		sumLen += l
		sumSq += l * l
		if wordHasLetter {
			alphaWords++
		}
		a.words.add(h)
		if havePrevWord {
			a.bigrams.add(prevWord*0x9E3779B97F4A7C15 ^ h)
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

	n := len(text)
	for i := 0; i < n; {
		c := text[i]
		var r rune
		var size int
		var k uint8
		if c < utf8.RuneSelf {
			r, size, k = rune(c), 1, asciiClass[c]
			a.ascii[c]++
		} else {
			r, size = utf8.DecodeRune(text[i:])
			k = classOf(r)
			nonASCII++
			a.runes.add(uint64(r))
		}
		runes++
		if k&cLetter != 0 {
			letters++
			if k&cUpper != 0 {
				uppers++
			}
		}
		if k&cDigit != 0 {
			digits++
		}
		if k&cSpace != 0 {
			spaces++
		}
		if k&cPunct != 0 {
			puncts++
		}
		if k&cSymbol != 0 {
			symbols++
		}
		// Words.
		isWord := k&cWord != 0
		if !isWord && inWord && (r == '\'' || r == '\u2019') && prevClass&cLetter != 0 && i+size < n {
			// An apostrophe inside a word, between letters.
			nc := text[i+size]
			var nk uint8
			if nc < utf8.RuneSelf {
				nk = asciiClass[nc]
			} else {
				nr, _ := utf8.DecodeRune(text[i+size:])
				nk = classOf(nr)
			}
			if nk&cLetter != 0 {
				isWord = true
				r = '\''
			}
		}
		if isWord {
			if !inWord {
				inWord, wordHasLetter, wordRunes, wordStart = true, false, 0, i
				h = fnvOffset
				if hasURLPrefix(text[i:]) {
					urls++
				}
			}
			wordRunes++
			if k&cLetter != 0 {
				wordHasLetter = true
			}
			if r < utf8.RuneSelf {
				b := byte(r)
				if k&cUpper != 0 {
					b |= 0x20
				}
				h = (h ^ uint64(b)) * fnvPrime
			} else {
				var buf [utf8.UTFMax]byte
				lr := unicode.ToLower(r)
				m := utf8.EncodeRune(buf[:], lr)
				for _, b := range buf[:m] {
					h = (h ^ uint64(b)) * fnvPrime
				}
			}
		} else if inWord {
			endWord(i)
		}
		// Sentences (after the word that an end mark closes): a run of
		// end marks followed by white space or the end of the text closes
		// a sentence that holds a word.
		if k&cEnd != 0 {
			endRun = true
			if r >= utf8.RuneSelf && sentHasWord {
				// 。！？ end a sentence without white space after them.
				sentences++
				sentHasWord = false
			}
		} else {
			if endRun && k&cSpace != 0 && sentHasWord {
				sentences++
				sentHasWord = false
			}
			endRun = false
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

	// Lines.
	var lines, emptyLines, nonEmpty, repeatedLines, bullets, ellipses, terminals int
	for rest := text; ; {
		j := bytes.IndexByte(rest, '\n')
		line := rest
		if j >= 0 {
			line = rest[:j]
		}
		if j < 0 && len(rest) == 0 && lines > 0 {
			break // a final '\n' does not start another line
		}
		lines++
		t := trimSpace(line)
		if len(t) == 0 {
			emptyLines++
		} else {
			nonEmpty++
			if a.lines.add(bytesHash(t)) > 1 {
				repeatedLines++
			}
			if isBullet(t) {
				bullets++
			}
			if bytes.HasSuffix(t, []byte("...")) || bytes.HasSuffix(t, []byte("…")) {
				ellipses++
			}
			if endsTerminal(t) {
				terminals++
			}
		}
		if j < 0 {
			break
		}
		rest = rest[j+1:]
	}

	// Entropy of the rune distribution, summed in a fixed order.
	var entropy float64
	if runes > 0 {
		total := float64(runes)
		for _, cnt := range a.ascii {
			if cnt > 0 {
				p := float64(cnt) / total
				entropy -= p * math.Log2(p)
			}
		}
		for _, r := range a.runes.keys {
			p := float64(a.runes.count(r)) / total
			entropy -= p * math.Log2(p)
		}
	}

	var repeatedBigrams int
	for _, k := range a.bigrams.keys {
		if cnt := a.bigrams.count(k); cnt > 1 {
			repeatedBigrams += int(cnt)
		}
	}

	ratio := func(num, den int) float32 {
		if den == 0 {
			return 0
		}
		return float32(float64(num) / float64(den))
	}
	var mean, std float64
	if words > 0 {
		mean = sumLen / float64(words)
		std = math.Sqrt(max(0, sumSq/float64(words)-mean*mean))
	}
	pat[0] = float32(math.Log1p(float64(n)))
	pat[1] = float32(math.Log1p(float64(words)))
	pat[2] = float32(math.Log1p(float64(lines)))
	pat[3] = float32(mean)
	pat[4] = float32(std)
	pat[5] = ratio(a.words.distinct, words)
	pat[6] = ratio(stopWords, words)
	pat[7] = ratio(puncts, runes)
	pat[8] = ratio(digits, runes)
	pat[9] = ratio(uppers, letters)
	pat[10] = ratio(spaces, runes)
	pat[11] = ratio(nonASCII, runes)
	pat[12] = ratio(symbols, runes)
	pat[13] = ratio(urls, words)
	pat[14] = ratio(bullets, nonEmpty)
	pat[15] = ratio(repeatedLines, nonEmpty)
	pat[16] = ratio(repeatedBigrams, bigramTotal)
	pat[17] = float32(entropy)
	pat[18] = ratio(words, sentences)
	pat[19] = ratio(emptyLines, lines)
	pat[20] = ratio(ellipses, nonEmpty)
	pat[21] = ratio(terminals, nonEmpty)
	pat[22] = ratio(alphaWords, words)
	if lines > 0 {
		pat[23] = float32(math.Log1p(float64(n) / float64(lines)))
	} else {
		pat[23] = 0
	}
}

// TestAnalyzeMatchesReference checks the optimised analyzer against the
// reference one on real, synthetic and random texts: the same terms, and
// pattern values equal up to float rounding.
func TestAnalyzeMatchesReference(t *testing.T) {
	var texts [][]byte
	_, _, syn := synthBatches(t, 3000)
	texts = append(texts, syn...)
	texts = append(texts, fortuneTexts(t)...)
	alphabet := []rune("aAbBzZ09_ '’.!?。！？,;:-*•\n\r\t  éÉß日本😀²\u0301$+<>\"”")
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		n := rng.IntN(60)
		var b []byte
		for range n {
			b = utf8.AppendRune(b, alphabet[rng.IntN(len(alphabet))])
		}
		if rng.IntN(10) == 0 {
			b = append(b, 0xff) // invalid UTF-8
		}
		texts = append(texts, b)
	}
	for _, words := range []string{"http://x.org www.Y.com HTTPS://z", "a\n- b\n1. c\n12) d\n-e\n", "x...\ny…\n\"q\"\n"} {
		texts = append(texts, []byte(words))
	}
	var opt, ref analyzer
	opt.collectTerms, ref.collectTerms = true, true
	opt.collectSpans, ref.collectSpans = true, true
	po := make([]float32, schema.NumPattern)
	pr := make([]float32, schema.NumPattern)
	for _, text := range texts {
		opt.analyze(text, po)
		ref.analyzeRef(text, pr)
		for i := range po {
			d := math.Abs(float64(po[i] - pr[i]))
			if d > 1e-5*max(1, math.Abs(float64(pr[i]))) {
				t.Fatalf("%q: %s = %v, reference %v", text, schema.PatternNames()[i], po[i], pr[i])
			}
		}
		if !slices.Equal(opt.terms, ref.terms) || !slices.Equal(opt.spans, ref.spans) || opt.nonStop != ref.nonStop {
			t.Fatalf("%q: terms or spans differ from the reference", text)
		}
	}
}
