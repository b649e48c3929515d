package features

// Tests of PatternOf against the specification in doc.go (pattern features)
// and stopwords.go. Every expectation below was computed by hand from the
// specification; the arithmetic is in the comment next to it.
//
// Conventions used in the comments:
//   B = bytes, R = runes, W = words, L = lines, NE = non-empty lines,
//   ln = natural logarithm, ent(c1, c2, ...) = Shannon entropy in bits of
//   the rune counts c1, c2, ... (see patEnt).

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline/schema"
)

// Feature names, exactly as in the table of doc.go.
const (
	patLogBytes     = "log_bytes"
	patLogWords     = "log_words"
	patLogLines     = "log_lines"
	patMeanWordLen  = "mean_word_len"
	patStdWordLen   = "std_word_len"
	patTTR          = "type_token_ratio"
	patStop         = "stopword_ratio"
	patPunct        = "punct_ratio"
	patDigit        = "digit_ratio"
	patUpper        = "upper_ratio"
	patSpace        = "whitespace_ratio"
	patNonASCII     = "non_ascii_ratio"
	patSymbol       = "symbol_ratio"
	patURL          = "url_rate"
	patBullet       = "bullet_line_rate"
	patRepLine      = "repeated_line_frac"
	patRepBigram    = "repeated_bigram_frac"
	patEntropy      = "char_entropy"
	patSentWords    = "mean_sentence_words"
	patEmptyLine    = "empty_line_frac"
	patEllipsis     = "ellipsis_line_frac"
	patTerminal     = "terminal_punct_line_frac"
	patAlpha        = "alpha_word_frac"
	patLogLineBytes = "log_mean_line_bytes"
)

// patSpecNames is the numbered table of doc.go, in order.
var patSpecNames = []string{
	patLogBytes, patLogWords, patLogLines, patMeanWordLen, patStdWordLen,
	patTTR, patStop, patPunct, patDigit, patUpper, patSpace, patNonASCII,
	patSymbol, patURL, patBullet, patRepLine, patRepBigram, patEntropy,
	patSentWords, patEmptyLine, patEllipsis, patTerminal, patAlpha,
	patLogLineBytes,
}

func patLn(x float64) float64 { return math.Log(x) }

// patEnt is the Shannon entropy, in bits, of a distribution given by counts.
func patEnt(counts ...int) float64 {
	n := 0
	for _, c := range counts {
		n += c
	}
	h := 0.0
	for _, c := range counts {
		p := float64(c) / float64(n)
		h -= p * math.Log2(p)
	}
	return h
}

// patClose compares with a relative tolerance of 1e-5 (values are float32);
// an expected 0 must be met within 1e-7.
func patClose(got float32, want float64) bool {
	g := float64(got)
	if math.IsNaN(g) || math.IsInf(g, 0) {
		return false
	}
	return math.Abs(g-want) <= 1e-5*math.Abs(want)+1e-7
}

type patCase struct {
	name string
	text string
	want map[string]float64
	// note marks an expectation that rests on a reading of an ambiguous
	// sentence of the specification (reported, see the comment of the case).
	note string
}

var patLongA = strings.Repeat("a", 10000)

var patCases = []patCase{
	// ---------------------------------------------------------------- ASCII prose
	{
		name: "ascii_hello",
		text: "Hello world",
		want: map[string]float64{
			patLogBytes:     patLn(1 + 11),                  // B 11
			patLogWords:     patLn(1 + 2),                   // "Hello","world"
			patLogLines:     patLn(1 + 1),                   // one line
			patMeanWordLen:  5,                              // (5+5)/2
			patStdWordLen:   0,                              // both 5
			patTTR:          1,                              // hello, world: 2/2
			patStop:         0,                              // neither is a stop word
			patPunct:        0,                              // none
			patDigit:        0,                              // none
			patUpper:        1.0 / 10,                       // H / 10 letters
			patSpace:        1.0 / 11,                       // one ' ' / R 11
			patNonASCII:     0,                              // all ASCII
			patSymbol:       0,                              // none
			patURL:          0,                              // none
			patBullet:       0,                              // 0/1 NE
			patRepLine:      0,                              // 0/1
			patRepBigram:    0,                              // 1 bigram, once
			patEntropy:      patEnt(1, 1, 3, 2, 1, 1, 1, 1), // H e l×3 o×2 ' ' w r d
			patEmptyLine:    0,                              // 0/1
			patEllipsis:     0,                              // ends with 'd'
			patTerminal:     0,                              // ends with 'd'
			patAlpha:        1,                              // 2/2
			patLogLineBytes: patLn(1 + 11.0/1),              // B 11 / L 1
		},
	},
	{
		name: "ascii_sentence",
		text: "The cat and the dog.",
		want: map[string]float64{
			patLogBytes:     patLn(1 + 20),                              // B 20
			patLogWords:     patLn(1 + 5),                               // The cat and the dog
			patLogLines:     patLn(2),                                   // L 1
			patMeanWordLen:  3,                                          // 5×3 runes
			patStdWordLen:   0,                                          // all equal
			patTTR:          4.0 / 5,                                    // the,cat,and,dog / 5
			patStop:         3.0 / 5,                                    // the, and, the
			patPunct:        1.0 / 20,                                   // '.' / R 20
			patDigit:        0,                                          //
			patUpper:        1.0 / 15,                                   // T / 15 letters
			patSpace:        4.0 / 20,                                   // 4 spaces
			patNonASCII:     0,                                          //
			patSymbol:       0,                                          //
			patURL:          0,                                          //
			patBullet:       0,                                          //
			patRepLine:      0,                                          //
			patRepBigram:    0,                                          // the-cat cat-and and-the the-dog: distinct
			patEntropy:      patEnt(1, 2, 2, 4, 1, 2, 2, 1, 2, 1, 1, 1), // T h2 e2 ' '4 c a2 t2 n d2 o g .
			patSentWords:    5,                                          // 5 words / 1 sentence ("." at end)
			patEmptyLine:    0,                                          //
			patEllipsis:     0,                                          //
			patTerminal:     1,                                          // ends with '.': 1/1
			patAlpha:        1,                                          // 5/5
			patLogLineBytes: patLn(1 + 20),                              // 20/1
		},
	},

	// ---------------------------------------------------------------- non-ASCII
	{
		name: "non_ascii_cafe_cjk_emoji",
		text: "Café 日本語 😀",
		want: map[string]float64{
			patLogBytes:     patLn(1 + 20),                     // Caf 3 + é 2 + ' ' + 日本語 9 + ' ' + 😀 4 = 20
			patLogWords:     patLn(1 + 2),                      // "Café", "日本語" (😀 is a symbol)
			patMeanWordLen:  3.5,                               // (4+3)/2
			patStdWordLen:   0.5,                               // deviations ±0.5
			patTTR:          1,                                 // 2/2
			patStop:         0,                                 //
			patPunct:        0,                                 //
			patDigit:        0,                                 //
			patUpper:        1.0 / 7,                           // C / (C a f é 日 本 語)
			patSpace:        2.0 / 10,                          // R 10
			patNonASCII:     5.0 / 10,                          // é 日 本 語 😀
			patSymbol:       1.0 / 10,                          // 😀 (So)
			patRepBigram:    0,                                 // 1 bigram
			patEntropy:      patEnt(2, 1, 1, 1, 1, 1, 1, 1, 1), // ' '×2, 8 distinct others
			patTerminal:     0,                                 // ends with 😀
			patAlpha:        1,                                 // both hold letters
			patLogLineBytes: patLn(1 + 20),                     // 20/1
		},
	},
	{
		name: "u2019_apostrophe",
		text: "I don’t know.",
		want: map[string]float64{
			patLogBytes:    patLn(1 + 15),                        // I,' ',don 3,’ 3,t,' ',know 4,'.' = 15
			patLogWords:    patLn(1 + 3),                         // "I","don’t","know"
			patMeanWordLen: 10.0 / 3,                             // (1+5+4)/3
			patStdWordLen:  math.Sqrt(26) / 3,                    // dev -7/3,5/3,2/3: (49+25+4)/9/3 = 26/9
			patTTR:         1,                                    // 3/3
			patPunct:       2.0 / 13,                             // ’ (Pf) and '.' / R 13
			patUpper:       1.0 / 9,                              // I / (I d o n t k n o w)
			patSpace:       2.0 / 13,                             //
			patNonASCII:    1.0 / 13,                             // ’
			patSymbol:      0,                                    //
			patEntropy:     patEnt(1, 2, 1, 2, 2, 1, 1, 1, 1, 1), // I ' '2 d o2 n2 ’ t k w .
			patSentWords:   3,                                    // 3/1
			patTerminal:    1,                                    // '.'
			patRepBigram:   0,                                    //
			patAlpha:       1,                                    //
		},
	},
	{
		// AMBIGUOUS: the stop-word list holds "don't" with U+0027; the spec
		// says only that words are lower-cased, nothing about folding U+2019
		// to U+0027. Literal reading: "don’t" is not in the list, only "i" is.
		name: "u2019_stopword",
		text: "I don’t know.",
		note: "U+2019 is read as U+0027 (doc.go)",
		want: map[string]float64{
			patStop: 2.0 / 3, // "i" and "don’t" read as "don't"
		},
	},
	{
		// doc.go: U+2019 is read as U+0027, so "don't" and "don’t" are
		// the same word.
		name: "u2019_distinct_word",
		text: "don't don’t",
		note: "U+2019 is read as U+0027 (doc.go)",
		want: map[string]float64{
			patTTR:  1.0 / 2, // "don't" = "don’t"
			patStop: 2.0 / 2, // both are the stop word "don't"
		},
	},
	{
		name: "ascii_apostrophe",
		text: "I don't know.",
		want: map[string]float64{
			patLogBytes:    patLn(1 + 13), // B 13
			patMeanWordLen: 10.0 / 3,      // (1+5+4)/3
			patStop:        2.0 / 3,       // "i", "don't"
			patPunct:       2.0 / 13,      // ' and .
			patNonASCII:    0,             //
		},
	},
	{
		name: "apostrophe_edges",
		text: "rock 'n' roll, dogs' x1's",
		want: map[string]float64{
			// 'n': no letter left of the first ', none right of the second;
			// dogs': nothing right; x1's: '1' is not a letter -> "x1","s".
			patLogWords:    patLn(1 + 6), // rock n roll dogs x1 s
			patMeanWordLen: 16.0 / 6,     // 4+1+4+4+2+1 = 16
			patStop:        1.0 / 6,      // "s"
			patPunct:       5.0 / 25,     // ' ' ' ' and ',' / R 25
			patDigit:       1.0 / 25,     // '1'
			patTTR:         1,            // 6 distinct
			patAlpha:       1,            // every word holds a letter
		},
	},
	{
		name: "apostrophe_join",
		text: "rock'n'roll",
		want: map[string]float64{
			patLogWords:    patLn(2), // one word
			patMeanWordLen: 11,       // 11 runes, apostrophes included
			patStdWordLen:  0,        //
			patPunct:       2.0 / 11, // two '
		},
	},
	{
		name: "other_numbers_in_words",
		text: "x² 3",
		want: map[string]float64{
			patLogBytes:    patLn(1 + 5), // x 1 + ² 2 + ' ' + 3
			patLogWords:    patLn(3),     // "x²" (² is No), "3"
			patMeanWordLen: 1.5,          // (2+1)/2
			patStdWordLen:  0.5,          //
			patDigit:       1.0 / 4,      // '3' only: ² is not unicode.IsDigit
			patNonASCII:    1.0 / 4,      // ²
			patSymbol:      0,            // ² is a number, not a symbol
			patAlpha:       0.5,          // "x²" yes, "3" no
		},
	},
	{
		name: "combining_mark",
		text: "Cafe\u0301!",
		want: map[string]float64{
			patLogBytes:    patLn(1 + 7), // Cafe 4 + U+0301 2 + ! 1
			patLogWords:    patLn(2),     // one word: the mark is a word character
			patMeanWordLen: 5,            // C a f e ◌́
			patUpper:       1.0 / 4,      // C / 4 letters (mark is not a letter)
			patNonASCII:    1.0 / 6,      // R 6
			patPunct:       1.0 / 6,      // !
			patSentWords:   1,            // "!" at end
			patTerminal:    1,            //
		},
	},
	{
		name: "upper_accents",
		text: "ÉCOLE école",
		want: map[string]float64{
			patLogBytes:    patLn(1 + 13), // É 2 + COLE 4 + ' ' + é 2 + cole 4
			patMeanWordLen: 5,             //
			patStdWordLen:  0,             //
			patTTR:         0.5,           // lower-cased both "école"
			patUpper:       5.0 / 10,      // É C O L E / 10 letters
			patNonASCII:    2.0 / 11,      // É é / R 11
			patRepBigram:   0,             // 1 bigram
		},
	},
	{
		name: "emoji",
		text: "ok 😀😀",
		want: map[string]float64{
			patLogBytes: patLn(1 + 11),      // 2 + 1 + 4 + 4
			patLogWords: patLn(2),           // "ok"
			patSymbol:   2.0 / 5,            // R 5
			patNonASCII: 2.0 / 5,            //
			patEntropy:  patEnt(1, 1, 1, 2), // o k ' ' 😀×2
			patAlpha:    1,                  //
		},
	},
	{
		name: "symbols",
		text: "1 + 2 = $3 ^ 😀",
		want: map[string]float64{
			patLogBytes: patLn(1 + 17), // 13 ASCII + 4
			patLogWords: patLn(1 + 3),  // "1","2","3"
			patSymbol:   5.0 / 14,      // + = $ ^ 😀 / R 14
			patDigit:    3.0 / 14,      //
			patPunct:    0,             //
			patSpace:    6.0 / 14,      //
			patNonASCII: 1.0 / 14,      //
			patUpper:    0,             // no letters: 0/0 -> 0
			patAlpha:    0,             // 0/3
			patTTR:      1,             // 3/3
		},
		// mean_sentence_words is not asserted: no . ! ? at all, so it rests on
		// the ambiguous trailing-sentence rule (asserted in sent_no_end).
	},
	{
		name: "punct_chars",
		text: "#%&@*",
		want: map[string]float64{
			patPunct:    1,                     // 5/5
			patSymbol:   0,                     //
			patEntropy:  patEnt(1, 1, 1, 1, 1), // log2 5
			patLogWords: 0,                     // no words
		},
	},
	{
		name: "symbol_chars",
		text: "<=>|~`^$",
		want: map[string]float64{
			patSymbol: 1, // 8/8 (Sm Sm Sm Sm Sm Sk Sk Sc)
			patPunct:  0, //
		},
	},
	{
		name: "invalid_utf8",
		text: "a\xffb",
		want: map[string]float64{
			patLogBytes:    patLn(1 + 3),    // B 3
			patLogWords:    patLn(1 + 2),    // U+FFFD is not a word character: "a","b"
			patMeanWordLen: 1,               //
			patSymbol:      1.0 / 3,         // U+FFFD is So / R 3
			patNonASCII:    1.0 / 3,         // U+FFFD >= U+0080
			patEntropy:     patEnt(1, 1, 1), // log2 3
		},
	},

	// ---------------------------------------------------------------- white space, lines
	{
		name: "whitespace_only",
		text: "  \t\n \n",
		want: map[string]float64{
			patLogBytes:     patLn(1 + 6),     // B 6
			patLogWords:     0,                // W 0
			patLogLines:     patLn(1 + 2),     // "  \t", " " (final '\n' starts none)
			patMeanWordLen:  0,                // 0/0
			patStdWordLen:   0,                //
			patTTR:          0,                // 0/0
			patStop:         0,                //
			patPunct:        0,                //
			patDigit:        0,                //
			patUpper:        0,                // no letters
			patSpace:        1,                // 6/6
			patNonASCII:     0,                //
			patSymbol:       0,                //
			patURL:          0,                //
			patBullet:       0,                // NE 0
			patRepLine:      0,                // NE 0
			patRepBigram:    0,                // no bigrams
			patEntropy:      patEnt(3, 1, 2),  // ' '×3 '\t' '\n'×2
			patSentWords:    0,                // no sentence
			patEmptyLine:    1,                // 2/2
			patEllipsis:     0,                //
			patTerminal:     0,                //
			patAlpha:        0,                //
			patLogLineBytes: patLn(1 + 6.0/2), // 6/2
		},
	},
	{
		// AMBIGUOUS for lines: "" is one empty piece or no line at all;
		// log_lines and empty_line_frac are therefore not asserted.
		name: "empty_text",
		text: "",
		want: map[string]float64{
			patLogBytes: 0, patLogWords: 0, patMeanWordLen: 0, patStdWordLen: 0,
			patTTR: 0, patStop: 0, patPunct: 0, patDigit: 0, patUpper: 0,
			patSpace: 0, patNonASCII: 0, patSymbol: 0, patURL: 0, patBullet: 0,
			patRepLine: 0, patRepBigram: 0, patEntropy: 0, patSentWords: 0,
			patEllipsis: 0, patTerminal: 0, patAlpha: 0,
			patLogLineBytes: 0, // 0 bytes / (0 or 1 lines) = 0 -> ln 1
		},
	},
	{
		// AMBIGUOUS: "" read as one empty piece (as strings.Split does): one
		// line, and it is empty.
		name: "empty_text_lines",
		text: "",
		note: "lines of the empty text",
		want: map[string]float64{
			patLogLines:  patLn(1 + 1), // one (empty) line
			patEmptyLine: 1,            // 1/1
		},
	},
	{
		name: "crlf",
		text: "ab\r\ncd\r\n",
		want: map[string]float64{
			patLogBytes:     patLn(1 + 8),             // B 8
			patLogLines:     patLn(1 + 2),             // "ab\r","cd\r"
			patSpace:        4.0 / 8,                  // \r \n \r \n
			patEmptyLine:    0,                        //
			patEntropy:      patEnt(1, 1, 1, 1, 2, 2), // a b c d \r×2 \n×2
			patLogLineBytes: patLn(1 + 8.0/2),         //
			patMeanWordLen:  2,                        // '\r' is not a word character
		},
	},
	{
		name: "crlf_empty_line",
		text: "ab\r\n\r\ncd",
		want: map[string]float64{
			patLogLines:     patLn(1 + 3),     // "ab\r", "\r", "cd"
			patEmptyLine:    1.0 / 3,          // "\r" is white space only
			patLogLineBytes: patLn(1 + 8.0/3), // B 8
		},
	},
	{
		name: "final_newline",
		text: "ab\n",
		want: map[string]float64{
			patLogLines:     patLn(2),         // one line
			patEmptyLine:    0,                //
			patLogLineBytes: patLn(1 + 3.0/1), // B 3
		},
	},
	{
		name: "two_final_newlines",
		text: "ab\n\n",
		want: map[string]float64{
			patLogLines:     patLn(3),         // "ab", ""
			patEmptyLine:    0.5,              // 1/2
			patLogLineBytes: patLn(1 + 4.0/2), // B 4
		},
	},
	{
		name: "only_newline",
		text: "\n",
		want: map[string]float64{
			patLogBytes:     patLn(2), // B 1
			patLogLines:     patLn(2), // one empty line
			patEmptyLine:    1,        // 1/1
			patSpace:        1,        // 1/1
			patEntropy:      0,        // one distinct rune
			patLogLineBytes: patLn(2), // 1/1
		},
	},
	{
		name: "nbsp_line",
		text: "a\n\u00a0\n",
		want: map[string]float64{
			patLogBytes:  patLn(1 + 5), // a \n U+00A0(2) \n
			patLogLines:  patLn(3),     // "a", "\u00a0"
			patEmptyLine: 0.5,          // U+00A0 is white space
			patSpace:     3.0 / 4,      // \n U+00A0 \n / R 4
			patNonASCII:  1.0 / 4,      //
		},
	},

	// ---------------------------------------------------------------- long words, digits, '_'
	{
		name: "long_word",
		text: patLongA + ".",
		want: map[string]float64{
			patLogBytes:     patLn(1 + 10001), // B 10001
			patLogWords:     patLn(2),         // W 1
			patLogLines:     patLn(2),         //
			patMeanWordLen:  10000,            //
			patStdWordLen:   0,                //
			patTTR:          1,                //
			patStop:         0,                //
			patPunct:        1.0 / 10001,      //
			patUpper:        0,                //
			patEntropy:      patEnt(10000, 1), // a×10000 '.'
			patSentWords:    1,                //
			patTerminal:     1,                //
			patAlpha:        1,                //
			patLogLineBytes: patLn(1 + 10001), //
		},
	},
	{
		name: "long_and_short_word",
		text: patLongA + " b",
		want: map[string]float64{
			patLogBytes:    patLn(1 + 10002), // B 10002
			patLogWords:    patLn(3),         //
			patMeanWordLen: 5000.5,           // (10000+1)/2
			patStdWordLen:  4999.5,           // |10000-5000.5|
			patSpace:       1.0 / 10002,      //
			patTTR:         1,                //
		},
	},
	{
		name: "digits_underscore",
		text: "x_1 42 _ a2b",
		want: map[string]float64{
			patLogBytes:    patLn(1 + 12),                  // B 12
			patLogWords:    patLn(1 + 4),                   // x_1, 42, _, a2b
			patMeanWordLen: 2.25,                           // (3+2+1+3)/4
			patStdWordLen:  math.Sqrt(0.6875),              // (.5625+.0625+1.5625+.5625)/4
			patTTR:         1,                              //
			patStop:        0,                              //
			patPunct:       2.0 / 12,                       // '_' is Pc, twice
			patDigit:       4.0 / 12,                       // 1 4 2 2
			patUpper:       0,                              // x a b
			patSpace:       3.0 / 12,                       //
			patEntropy:     patEnt(1, 2, 1, 3, 1, 2, 1, 1), // x _2 1 ' '3 4 2×2 a b
			patRepBigram:   0,                              //
			patAlpha:       0.5,                            // x_1, a2b / 4
		},
	},

	// ---------------------------------------------------------------- URLs
	{
		name: "url_http",
		text: "http://example.com",
		want: map[string]float64{
			patLogBytes: patLn(1 + 18), // B 18
			patLogWords: patLn(1 + 3),  // http, example, com
			patURL:      1.0 / 3,       // 1 URL / 3 words
			patPunct:    4.0 / 18,      // : / / .
			patSymbol:   0,             //
			patAlpha:    1,             //
		},
	},
	{
		name: "url_https_upper",
		text: "Visit HTTPS://X.ORG now",
		want: map[string]float64{
			patURL:   1.0 / 5,   // Visit HTTPS X ORG now
			patUpper: 10.0 / 17, // V HTTPS X ORG / 5+5+1+3+3 letters
		},
	},
	{
		name: "url_www",
		text: "go www.site.net",
		want: map[string]float64{
			patURL:      1.0 / 4, // go www site net
			patLogWords: patLn(5),
		},
	},
	{
		name: "url_xhttp_not",
		text: "xhttp://a.b",
		want: map[string]float64{
			patURL:      0,        // word is "xhttp": http:// does not begin it
			patLogWords: patLn(4), // xhttp a b
		},
	},
	{
		name: "url_mixed_case_two",
		text: "(Www.A.b hTtP://c)",
		want: map[string]float64{
			patURL: 2.0 / 5, // Www A b hTtP c: 2 URLs
		},
	},
	{
		name: "url_not_urls",
		text: "http:/x www x wwwx.com _http://a",
		want: map[string]float64{
			// http:/x lacks a '/', "www x" lacks '.', "wwwx." is not "www.",
			// "_http" begins with '_'.
			patURL:      0,        // words: http x www x wwwx com _http a
			patLogWords: patLn(9), // 8
		},
	},

	// ---------------------------------------------------------------- bullets
	{
		name: "bullets_mixed",
		text: "- a\n* b\n• c\n1. d\n12) e\n-f\n1.5 g\n+ h\n",
		want: map[string]float64{
			patBullet:       6.0 / 8,           // - * • 1. 12) + ; not -f, 1.5
			patLogBytes:     patLn(1 + 38),     // 4+4+6+5+6+3+6+4
			patLogWords:     patLn(1 + 12),     // a b c 1 d 12 e f 1 5 g h
			patLogLines:     patLn(1 + 8),      //
			patTTR:          11.0 / 12,         // "1" twice
			patStop:         2.0 / 12,          // "a", "d"
			patAlpha:        8.0 / 12,          // not 1 12 1 5
			patPunct:        7.0 / 36,          // - * • . ) - .  / R 36
			patDigit:        5.0 / 36,          // 1 1 2 1 5
			patSymbol:       1.0 / 36,          // +
			patSpace:        15.0 / 36,         // 7 ' ' + 8 '\n'
			patNonASCII:     1.0 / 36,          // •
			patRepLine:      0,                 //
			patRepBigram:    0,                 // 11 distinct bigrams
			patEmptyLine:    0,                 //
			patEllipsis:     0,                 //
			patTerminal:     0,                 // all end with a letter
			patLogLineBytes: patLn(1 + 38.0/8), //
		},
	},
	{
		name: "bullets_indented",
		text: "  - x\n\t3) y\nplain\n\n",
		want: map[string]float64{
			patBullet:       2.0 / 3,           // NE 3, two bullets after leading space
			patEmptyLine:    1.0 / 4,           // "  - x","\t3) y","plain",""
			patLogLines:     patLn(1 + 4),      //
			patLogLineBytes: patLn(1 + 19.0/4), // 6+6+6+1
		},
	},
	{
		name: "bullets_unicode",
		text: "– x\n— y\n‣ z\n◦ w\n· v",
		want: map[string]float64{
			patBullet:       1,                 // 5/5
			patPunct:        4.0 / 19,          // – — ‣ · (◦ is So) / R 15+4
			patSymbol:       1.0 / 19,          // ◦
			patNonASCII:     5.0 / 19,          //
			patLogLineBytes: patLn(1 + 28.0/5), // 3+3+3+3+2 + 5×2 + 4 '\n'
		},
	},
	{
		name: "bullets_not",
		text: "-a\n1.5 a\n•a\n. a\n1.a",
		want: map[string]float64{
			patBullet:   0,        // no white space after; ". a" has no digits
			patLogLines: patLn(6), //
		},
	},
	{
		name: "bullet_tab_then_empty",
		text: "-\ta\n\n",
		want: map[string]float64{
			patBullet:    1,   // 1/1 NE
			patEmptyLine: 0.5, // 1/2
		},
	},

	// ---------------------------------------------------------------- repeated lines
	{
		name: "repeated_lines",
		text: "abc\n  abc  \nabc\t\nxyz\n\n   \nABC\n",
		want: map[string]float64{
			patRepLine:      2.0 / 5,           // NE abc abc abc xyz ABC; 2nd, 3rd repeat (case kept)
			patEmptyLine:    2.0 / 7,           // "", "   "
			patLogLines:     patLn(1 + 7),      //
			patLogBytes:     patLn(1 + 30),     // 4+8+5+4+1+4+4
			patLogWords:     patLn(1 + 5),      //
			patTTR:          2.0 / 5,           // abc, xyz
			patRepBigram:    2.0 / 4,           // abc-abc ×2, abc-xyz, xyz-abc
			patLogLineBytes: patLn(1 + 30.0/7), //
		},
	},
	{
		name: "repeated_lines_crlf",
		text: "Same line\r\nSame line\r\n",
		want: map[string]float64{
			patRepLine:      1.0 / 2,       // "Same line\r" twice
			patLogLines:     patLn(3),      //
			patEmptyLine:    0,             //
			patSpace:        6.0 / 22,      // 2 ' ' 2 \r 2 \n / 22
			patTTR:          2.0 / 4,       //
			patRepBigram:    2.0 / 3,       // same-line ×2, line-same
			patTerminal:     0,             //
			patLogLineBytes: patLn(1 + 11), // 22/2
		},
	},
	{
		name: "repeated_lines_crlf_no_final",
		text: "Same line\r\nSame line",
		want: map[string]float64{
			patRepLine:  1.0 / 2, // "Same line\r" vs "Same line": equal after trimming
			patLogLines: patLn(3),
		},
	},

	// ---------------------------------------------------------------- repeated bigrams
	{
		name: "bigram_abab",
		text: "a b a b",
		want: map[string]float64{
			patRepBigram:   2.0 / 3,         // a-b ×2, b-a
			patTTR:         2.0 / 4,         //
			patStop:        2.0 / 4,         // "a" ×2
			patEntropy:     patEnt(2, 2, 3), // a2 b2 ' '3
			patMeanWordLen: 1,               //
			patStdWordLen:  0,               //
		},
	},
	{
		name: "bigram_case",
		text: "A b a B",
		want: map[string]float64{
			patRepBigram: 2.0 / 3, // lower-cased: a-b ×2, b-a
			patUpper:     2.0 / 4, // A B
			patTTR:       2.0 / 4, //
		},
	},
	{
		name: "bigram_all_repeated",
		text: "the cat the cat the",
		want: map[string]float64{
			patRepBigram: 1,       // the-cat ×2, cat-the ×2: 4/4
			patTTR:       2.0 / 5, //
			patStop:      3.0 / 5, // the ×3
		},
	},
	{
		name: "bigram_single_word",
		text: "word",
		want: map[string]float64{
			patRepBigram:   0, // no bigram: 0/0
			patMeanWordLen: 4, //
		},
	},
	{
		name: "bigram_across_lines",
		text: "a b\na b\n",
		want: map[string]float64{
			patRepBigram: 2.0 / 3, // a-b, b-a, a-b
			patRepLine:   1.0 / 2, //
		},
	},

	// ---------------------------------------------------------------- stop words
	{
		name: "stopwords_all",
		text: "It is what it is",
		want: map[string]float64{
			patStop: 1,       // it is what it is: all listed
			patTTR:  3.0 / 5, // it, is, what
		},
	},
	{
		name: "stopwords_contractions",
		text: "it's should've You'll",
		want: map[string]float64{
			patStop:     1,        // all three listed (U+0027)
			patLogWords: patLn(4), // apostrophes join
		},
	},

	// ---------------------------------------------------------------- sentences
	{
		name: "sent_hi_yes",
		text: "Hi. Yes!",
		want: map[string]float64{
			patSentWords: 1, // 2 words / 2 sentences
			patTerminal:  1, // '!'
		},
	},
	{
		name: "sent_eg_closed",
		text: "e.g. this.",
		want: map[string]float64{
			patSentWords: 3.0 / 2, // "e.g." ('.' before 'g' is no end), "this." : 3/2
		},
	},
	{
		// AMBIGUOUS: does the text after the last end ("this") form a
		// sentence? Read as: the end of the text closes the last sentence.
		name: "sent_eg_trailing",
		text: "e.g. this",
		note: "trailing sentence without . ! ?",
		want: map[string]float64{
			patSentWords: 3.0 / 2, // "e.g." + trailing "this"
		},
	},
	{
		name: "sent_end_run",
		text: "end?!",
		want: map[string]float64{
			patSentWords: 1, // one run "?!" at end: 1/1
			patTerminal:  1, //
			patPunct:     2.0 / 5,
		},
	},
	{
		name: "sent_ellipsis_mid",
		text: "Wait... what?",
		want: map[string]float64{
			patSentWords: 1, // "Wait..." + "what?": 2/2
			patEllipsis:  0, // line ends with '?'
			patTerminal:  1, //
		},
	},
	{
		// AMBIGUOUS: see sent_eg_trailing.
		name: "sent_no_end",
		text: "No end",
		note: "trailing sentence without . ! ?",
		want: map[string]float64{
			patSentWords: 2, // 2 words / 1 (the text end closes it)
		},
	},
	{
		name: "sent_cjk",
		text: "日本語。日本語！日本語？",
		want: map[string]float64{
			patSentWords:   1,             // 3 words / 3 sentences, no space needed
			patLogBytes:    patLn(1 + 36), // 12 runes × 3 bytes
			patLogWords:    patLn(1 + 3),  //
			patTTR:         1.0 / 3,       //
			patMeanWordLen: 3,             //
			patPunct:       3.0 / 12,      // 。！？
			patNonASCII:    1,             // 12/12
			patTerminal:    1,             // ends with ？
			patUpper:       0,             // 9 letters, none upper
		},
	},
	{
		name: "sent_cjk_then_ascii",
		text: "あ。Hi.",
		want: map[string]float64{
			patSentWords: 1, // "あ。" (。 ends without white space) + "Hi.": 2 words / 2
		},
	},
	{
		// Trailing "日本語" closes at the end of the text (the reading the
		// implementation also uses, see sent_no_end; not the point here).
		name: "sent_cjk_no_space_trailing",
		text: "日本語。日本語",
		want: map[string]float64{
			patSentWords: 1, // "日本語。" + "日本語": 2 words / 2
		},
	},
	{
		name: "sent_cjk_double",
		text: "あ。。い。",
		want: map[string]float64{
			patSentWords: 1, // "あ。", "。" (no word), "い。": 2/2
		},
	},
	{
		name: "sent_empty_sentence",
		text: "One. . Two.",
		want: map[string]float64{
			patSentWords: 1, // " ." holds no word: 2 words / 2
		},
	},
	{
		name: "sent_abbrev",
		text: "a.b.c. d e.",
		want: map[string]float64{
			patSentWords: 5.0 / 2, // "a.b.c." (3 words), "d e." (2)
		},
	},
	{
		name: "sent_no_space",
		text: "Hi!Yes.",
		want: map[string]float64{
			patSentWords: 2, // '!' followed by 'Y' ends nothing: 2/1
		},
	},
	{
		name: "sent_decimal",
		text: "3.14 is pi.",
		want: map[string]float64{
			patSentWords: 4,        // 3 14 is pi / 1
			patAlpha:     2.0 / 4,  // is, pi
			patDigit:     3.0 / 11, // 3 1 4 / R 11
		},
	},
	{
		name: "sent_newlines",
		text: "Hi.\r\nYes.\r\n",
		want: map[string]float64{
			patSentWords: 1, // '.' followed by '\r': 2/2
			patTerminal:  1, // 2/2 after trimming '\r'
			patLogLines:  patLn(3),
		},
	},
	{
		name: "sent_closing_quote",
		text: "He said “hi.” Then left.",
		want: map[string]float64{
			// ". followed by ”" is not followed by white space: one sentence.
			patSentWords: 5, // He said hi Then left / 1
			patTerminal:  1, //
		},
	},
	{
		name: "sent_only_punct",
		text: "... !",
		want: map[string]float64{
			patSentWords: 0, // no word anywhere: 0/0
			patEllipsis:  0, // ends with '!'
			patTerminal:  1, //
			patLogWords:  0, //
		},
	},

	// ---------------------------------------------------------------- ellipsis / terminal
	{
		name: "ellipsis_terminal_lines",
		text: "wait...\nwait…\nreally?\nshe said \"no\"\nit’s ’\nok 。\nfine\n\n  done.  \n",
		want: map[string]float64{
			patEllipsis:  2.0 / 8, // "wait...", "wait…" / NE 8
			patTerminal:  6.0 / 8, // . ? " ’ 。 . (not … nor "fine")
			patEmptyLine: 1.0 / 9, //
			patLogLines:  patLn(1 + 9),
		},
	},
	{
		name: "ellipsis_crlf",
		text: "wait...\r\n",
		want: map[string]float64{
			patEllipsis:  1, // trimmed "wait..."
			patTerminal:  1, // '.'
			patEmptyLine: 0, //
			patSentWords: 1, // "..." followed by '\r'
		},
	},
	{
		name: "ellipsis_unicode",
		text: "wait…",
		want: map[string]float64{
			patEllipsis: 1,       //
			patTerminal: 0,       // … is not in the terminal set
			patPunct:    1.0 / 5, //
			patNonASCII: 1.0 / 5, //
		},
	},
	{
		name: "ellipsis_spaced",
		text: "wait. . .",
		want: map[string]float64{
			patEllipsis: 0, // ". . ." is not "..."
			patTerminal: 1, //
		},
	},
	{
		name: "terminal_quotes",
		text: "'x'\n\"y\"\n”z”\n’w’\nv",
		want: map[string]float64{
			patTerminal: 4.0 / 5, // ' " ” ’ ; not "v"
			patEllipsis: 0,       //
		},
	},
}

func patIndex(t *testing.T) map[string]int {
	t.Helper()
	idx := make(map[string]int)
	for i, n := range schema.PatternNames() {
		idx[n] = i
	}
	return idx
}

func TestPatternNames(t *testing.T) {
	got := schema.PatternNames()
	if !slices.Equal(got, patSpecNames) {
		t.Fatalf("schema.PatternNames() = %q, want %q", got, patSpecNames)
	}
	if schema.NumPattern != len(patSpecNames) {
		t.Fatalf("schema.NumPattern = %d, want %d", schema.NumPattern, len(patSpecNames))
	}
}

func TestPatternOfCases(t *testing.T) {
	idx := patIndex(t)
	for _, c := range patCases {
		t.Run(c.name, func(t *testing.T) {
			got := PatternOf(c.text)
			if len(got) != len(patSpecNames) {
				t.Fatalf("PatternOf(%q) has %d values, want %d", c.text, len(got), len(patSpecNames))
			}
			for _, name := range patSpecNames { // fixed order for readable output
				want, ok := c.want[name]
				if !ok {
					continue
				}
				g := got[idx[name]]
				if !patClose(g, want) {
					amb := ""
					if c.note != "" {
						amb = " [ambiguous spec: " + c.note + "]"
					}
					t.Errorf("PatternOf(%q) %s = %.9g, want %.9g%s", patShort(c.text), name, g, want, amb)
				}
			}
		})
	}
}

func patShort(s string) string {
	if len(s) > 60 {
		return s[:30] + "..."
	}
	return s
}

// TestPatternCaseCoverage checks the test table itself: every key is a
// feature name and every feature is asserted in at least two cases.
func TestPatternCaseCoverage(t *testing.T) {
	count := make(map[string]int)
	for _, c := range patCases {
		for k := range c.want {
			if !slices.Contains(patSpecNames, k) {
				t.Errorf("case %s: unknown feature %q", c.name, k)
			}
			count[k]++
		}
	}
	for _, n := range patSpecNames {
		if count[n] < 2 {
			t.Errorf("feature %s asserted in %d cases, want >= 2", n, count[n])
		}
	}
}

// TestPatternFullVector asserts all 24 values of one realistic text.
func TestPatternFullVector(t *testing.T) {
	text := "# Notes\n\n- Buy milk.\n- Buy milk.\nThe café opens at 9!\nMenu: 5€ at https://cafe.fr/menu...\n"
	// Lines (6): "# Notes" | "" | "- Buy milk." | "- Buy milk." |
	//            "The café opens at 9!" | "Menu: 5€ at https://cafe.fr/menu..."
	// Bytes: 8 + 1 + 12 + 12 + 22 (é) + 38 (€) = 93; runes 90.
	// Words (17): Notes Buy milk Buy milk The café opens at 9 Menu 5 at https cafe fr menu
	//   lengths 5 3 4 3 4 3 4 5 2 1 4 1 2 5 4 2 4: sum 56, sum of squares 212.
	// Rune counts: ' '12 '\n'6 '.'6 e6 t5 a4 u4 '/'3 f3 m3 n3 s3
	//   '-'2 ':'2 B2 c2 h2 i2 k2 l2 o2 p2 y2 and 10 singletons (! # 5 9 M N T r é €).
	want := []float64{
		patLn(1 + 93),       //  0 log_bytes
		patLn(1 + 17),       //  1 log_words
		patLn(1 + 6),        //  2 log_lines
		56.0 / 17,           //  3 mean_word_len
		math.Sqrt(468) / 17, //  4 std: 212/17 - (56/17)^2 = (3604-3136)/289
		13.0 / 17,           //  5 ttr: notes buy milk the café opens at 9 menu 5 https cafe fr
		3.0 / 17,            //  6 stop: the at at
		15.0 / 90,           //  7 punct: # - . - . ! : : / / . / . . .
		2.0 / 90,            //  8 digits: 9 5
		5.0 / 54,            //  9 upper: N B B T M / letters 33+21
		18.0 / 90,           // 10 white space: 12 ' ' + 6 '\n'
		2.0 / 90,            // 11 non-ASCII: é €
		1.0 / 90,            // 12 symbol: €
		1.0 / 17,            // 13 URL: https://
		2.0 / 5,             // 14 bullets: two "- " / NE 5
		1.0 / 5,             // 15 repeated line: 2nd "- Buy milk."
		2.0 / 16,            // 16 bigrams 16, buy-milk twice
		patEnt(12, 6, 6, 6, 5, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), // 17
		17.0 / 4,          // 18 sentences: "milk." "milk." "9!" "menu..." (cafe.fr is no end)
		1.0 / 6,           // 19 empty lines
		1.0 / 5,           // 20 ellipsis: last line
		4.0 / 5,           // 21 terminal: . . ! .
		15.0 / 17,         // 22 alpha: not 9, 5
		patLn(1 + 93.0/6), // 23 log_mean_line_bytes
	}
	got := PatternOf(text)
	if len(got) != len(want) {
		t.Fatalf("len = %d, want %d", len(got), len(want))
	}
	for i := range want {
		if !patClose(got[i], want[i]) {
			t.Errorf("%2d %s = %.9g, want %.9g", i, patSpecNames[i], got[i], want[i])
		}
	}
}

// TestPatternFinite checks that no input yields NaN or Inf.
func TestPatternFinite(t *testing.T) {
	for _, c := range patCases {
		for i, v := range PatternOf(c.text) {
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				t.Errorf("PatternOf(%q)[%d] = %v", patShort(c.text), i, v)
			}
		}
	}
}

// TestPatternReusedAnalyzer checks that a document's features do not depend
// on the documents analysed before it by the same analyzer (the stage and
// the LSA fit reuse one analyzer per worker): "repeated_line_frac" counts
// lines equal to an earlier line of the same document only.
// (Uses the unexported analyzer, since PatternOf always starts afresh.)
func TestPatternReusedAnalyzer(t *testing.T) {
	texts := []string{
		"abc\nxyz\n",
		"abc\n",          // "abc" was in the previous document only: 0/1
		"xyz\nxyz\n",     // 1/2
		"Hello world",    //
		"I don’t know.",  //
		"a b a b\n- a\n", //
	}
	var a analyzer
	for _, text := range texts {
		got := make([]float32, schema.NumPattern)
		a.analyze([]byte(text), got)
		want := PatternOf(text)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("reused analyzer on %q: %s = %.9g, fresh PatternOf = %.9g", text, patSpecNames[i], got[i], want[i])
			}
		}
	}
	// And directly against the spec for the second document.
	var b analyzer
	pat := make([]float32, schema.NumPattern)
	b.analyze([]byte("abc\nxyz\n"), pat)
	b.analyze([]byte("abc\n"), pat)
	if !patClose(pat[15], 0) { // NE 1 ("abc"), no earlier line in this document: 0/1
		t.Errorf("second document \"abc\\n\": repeated_line_frac = %.9g, want 0", pat[15])
	}
}
