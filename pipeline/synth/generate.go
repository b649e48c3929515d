package synth

import "strconv"

// task is the immutable generating model of one sub-task.
type task struct {
	label     []byte
	style     style
	topicBase int32 // id of the task's rank-0 topic word
	topic     cdf   // Zipf over the task's TopicWords ranks
}

// gen holds the immutable tables of a corpus; it is shared read-only.
type gen struct {
	seed    uint64
	voc     *vocab
	tasks   []task
	taskCDF cdf // row → task

	funcBase, genericBase int32
	function, generic     cdf
	questionIDs           []int32
	speechIDs             []int32
	keyIDs                []int32
	urlIDs                [3]int32

	overlap   bool   // Overlap > 0 and Tasks > 1
	pOverlap  uint64 // 53-bit threshold of Overlap
	styleMix  bool   // StyleMix > 0 and Tasks > 1
	pStyleMix uint64 // 53-bit threshold of StyleMix
	pFav      uint64 // share of own-task topic slots filled from the favourites
}

// Favourite ("subtopic") words per document and their share of own-task
// topic slots.
const (
	favLo, favHi = 3, 5
	favRankLo    = 10 // favourites are drawn uniformly from ranks [favRankLo, TopicWords)
	favShare     = 0.2
)

// newGen builds the vocabulary and styles of cfg (assumed valid).
func newGen(cfg Config) (*gen, error) {
	g := &gen{seed: cfg.Seed, voc: newVocab()}
	v := g.voc
	// Fixed tokens first: they are reserved, so no pseudo-word equals one.
	g.funcBase = int32(len(v.off) - 1)
	for _, w := range functionWords {
		v.add(w)
	}
	idOf := func(w string) int32 {
		for i, f := range functionWords {
			if f == w {
				return g.funcBase + int32(i)
			}
		}
		return int32(v.add(w))
	}
	for _, w := range questionWords {
		g.questionIDs = append(g.questionIDs, idOf(w))
	}
	for _, w := range speechVerbs {
		g.speechIDs = append(g.speechIDs, idOf(w))
	}
	for _, k := range recordKeys {
		g.keyIDs = append(g.keyIDs, idOf(k.key))
	}
	for i, w := range urlTokens {
		g.urlIDs[i] = idOf(w)
	}
	g.function = newCDF(zipfWeights(len(functionWords), functionZipf))

	var r rng
	r.reset(cfg.Seed, domainVocab, 0)
	first, err := v.addPseudoWords(&r, fullInventory(), GenericWords)
	if err != nil {
		return nil, err
	}
	g.genericBase = int32(first)
	g.generic = newCDF(zipfWeights(GenericWords, genericZipf))

	names := TaskNames(cfg.Tasks)
	g.tasks = make([]task, cfg.Tasks)
	for t := range g.tasks {
		r.reset(cfg.Seed, domainVocab, uint64(t)+1)
		inv := subsetInventory(&r)
		first, err := v.addPseudoWords(&r, inv, TopicWords)
		if err != nil {
			return nil, err
		}
		st := styleOf(cfg.Seed, t)
		g.tasks[t] = task{
			label:     []byte(names[t]),
			style:     st,
			topicBase: int32(first),
			topic:     newCDF(zipfWeights(TopicWords, st.zipf)),
		}
	}
	v.seen = nil // only needed while building
	g.taskCDF = newCDF(cfg.weights())
	g.overlap = cfg.Overlap > 0 && cfg.Tasks > 1
	g.pOverlap = prob53(cfg.Overlap)
	g.styleMix = cfg.StyleMix > 0 && cfg.Tasks > 1
	g.pStyleMix = prob53(cfg.StyleMix)
	g.pFav = prob53(favShare)
	return g, nil
}

// casing of an emitted word.
type casing uint8

const (
	caseLower casing = iota
	caseCap          // first letter upper
	caseUpper        // all letters upper
)

// docGen generates documents into a reused buffer. It is not shared.
type docGen struct {
	g    *gen
	r    rng
	buf  []byte
	t    *task  // the document's task: label and vocabulary
	st   *style // the document's style: its task's, or another's (StyleMix)
	tIdx int
	fav  [favHi]int32
	nFav int
}

// doc generates row's document into d.buf and returns its task.
func (d *docGen) doc(row uint64) int {
	g := d.g
	d.r.reset(g.seed, domainRow, row)
	d.tIdx = g.taskCDF.sample(d.r.u53())
	d.t = &g.tasks[d.tIdx]
	d.st = &d.t.style
	if g.styleMix && d.r.chance(g.pStyleMix) {
		d.st = &g.tasks[d.other()].style
	}
	st := d.st
	d.nFav = d.r.between(favLo, favHi)
	for i := 0; i < d.nFav; i++ {
		d.fav[i] = d.t.topicBase + int32(d.r.between(favRankLo, TopicWords-1))
	}
	units := int(st.units[d.r.u64()>>56])
	d.buf = d.buf[:0]
	switch st.layout {
	case layoutProse:
		d.prose(units)
	case layoutShout:
		d.shout(units)
	case layoutBullets:
		d.bullets(units)
	case layoutNumbered:
		d.numbered(units)
	case layoutDialogue:
		d.dialogue(units)
	case layoutRecords:
		d.records(units)
	case layoutVerse:
		d.verse(units)
	case layoutTechnical:
		d.technical(units)
	}
	return d.tIdx
}

// topicID draws a topic word: from another task with probability Overlap,
// else one of the document's favourites with probability favShare, else
// from the own task's Zipf law.
func (d *docGen) topicID() int32 {
	g := d.g
	if g.overlap && d.r.chance(g.pOverlap) {
		ot := &g.tasks[d.other()]
		return ot.topicBase + int32(ot.topic.sample(d.r.u53()))
	}
	if d.r.chance(g.pFav) {
		return d.fav[d.r.below(d.nFav)]
	}
	return d.t.topicBase + int32(d.t.topic.sample(d.r.u53()))
}

// other draws a task other than the document's, uniformly.
func (d *docGen) other() int {
	o := d.r.below(len(d.g.tasks) - 1)
	if o >= d.tIdx {
		o++
	}
	return o
}

// put appends token id with the given casing.
func (d *docGen) put(id int32, c casing) {
	start := len(d.buf)
	d.buf = append(d.buf, d.g.voc.word(id)...)
	switch c {
	case caseCap:
		if b := d.buf[start]; b >= 'a' && b <= 'z' {
			d.buf[start] = b - 32
		}
	case caseUpper:
		for i := start; i < len(d.buf); i++ {
			if b := d.buf[i]; b >= 'a' && b <= 'z' {
				d.buf[i] = b - 32
			}
		}
	}
}

// slot fills one word slot from the task's mixture: function word, generic
// word, number, or topic word, with the given casing (numbers ignore it).
func (d *docGen) slot(c casing) {
	st := d.st
	u := d.r.u53()
	switch {
	case u < st.tFunc:
		d.put(d.g.funcBase+int32(d.g.function.sample(d.r.u53())), c)
	case u < st.tGeneric:
		d.put(d.g.genericBase+int32(d.g.generic.sample(d.r.u53())), c)
	case u < st.tDigit:
		d.number()
	default:
		d.put(d.topicID(), c)
	}
}

// contentSlot is slot without function words and numbers: a generic word
// with probability pGeneric/(pGeneric+pTopic), else a topic word.
func (d *docGen) contentSlot(c casing) {
	if d.r.chance(d.st.pContentGeneric) {
		d.put(d.g.genericBase+int32(d.g.generic.sample(d.r.u53())), c)
		return
	}
	d.put(d.topicID(), c)
}

// number appends a number in the archetype's style.
func (d *docGen) number() {
	switch d.st.layout {
	case layoutNumbered:
		switch d.r.below(4) {
		case 0:
			d.buf = strconv.AppendUint(d.buf, uint64(d.r.between(1, 99)), 10)
			d.buf = append(d.buf, '%')
		case 1:
			d.decimal(d.r.between(0, 99), 1)
		default:
			d.buf = strconv.AppendUint(d.buf, uint64(d.r.between(1, 999)), 10)
		}
	case layoutTechnical:
		switch d.r.below(3) {
		case 0:
			d.decimal(d.r.between(0, 20), 2)
		default:
			d.buf = strconv.AppendUint(d.buf, uint64(d.r.between(2, 65535)), 10)
		}
	default:
		d.buf = strconv.AppendUint(d.buf, uint64(d.r.between(1, 100)), 10)
	}
}

// decimal appends i.f with the given number of random fraction digits.
func (d *docGen) decimal(i, digits int) {
	d.buf = strconv.AppendUint(d.buf, uint64(i), 10)
	d.buf = append(d.buf, '.')
	for k := 0; k < digits; k++ {
		d.buf = append(d.buf, byte('0'+d.r.below(10)))
	}
}

// nWords draws words per unit: lo + U{0..h1} + U{0..h2}, h1+h2 = hi-lo.
func (d *docGen) nWords() int {
	st := d.st
	span := st.wordsHi - st.wordsLo
	h1 := span / 2
	return st.wordsLo + d.r.between(0, h1) + d.r.between(0, span-h1)
}

// words appends n space-separated slots; the first is capitalised if capFirst;
// a comma follows a non-final word with the style's comma probability.
func (d *docGen) words(n int, capFirst bool, c casing) {
	st := d.st
	for i := 0; i < n; i++ {
		if i > 0 {
			d.buf = append(d.buf, ' ')
		}
		wc := c
		if i == 0 && capFirst && c == caseLower {
			wc = caseCap
		}
		d.slot(wc)
		if i < n-1 && st.pComma > 0 && d.r.chance(st.pComma) {
			d.buf = append(d.buf, ',')
		}
	}
}

// prose: sentences (capitalised, ending '.') grouped into paragraphs of
// groupLo..groupHi sentences; a paragraph is one line, paragraphs are
// separated by a blank line.
func (d *docGen) prose(units int) {
	st := d.st
	para, in := d.r.between(st.groupLo, st.groupHi), 0
	for s := 0; s < units; s++ {
		if s > 0 {
			if in == para {
				d.buf = append(d.buf, '\n', '\n')
				para, in = d.r.between(st.groupLo, st.groupHi), 0
			} else {
				d.buf = append(d.buf, ' ')
			}
		}
		d.words(d.nWords(), true, caseLower)
		d.buf = append(d.buf, '.')
		in++
	}
}

// shout: short capitalised lines ending "!" (or "!!"); a line is entirely
// UPPER CASE with probability pShout, else each word is UPPER with
// probability pUpper.
func (d *docGen) shout(units int) {
	st := d.st
	for l := 0; l < units; l++ {
		if l > 0 {
			d.buf = append(d.buf, '\n')
		}
		all := d.r.chance(st.pShout)
		n := d.nWords()
		for i := 0; i < n; i++ {
			if i > 0 {
				d.buf = append(d.buf, ' ')
			}
			c := caseLower
			switch {
			case all || d.r.chance(st.pUpper):
				c = caseUpper
			case i == 0:
				c = caseCap
			}
			d.slot(c)
			if i < n-1 && d.r.chance(st.pComma) {
				d.buf = append(d.buf, ',')
			}
		}
		d.buf = append(d.buf, '!')
		if d.r.chance(st.pDouble) {
			d.buf = append(d.buf, '!')
		}
	}
}

// bullets: with probability pHeader a "Title Case Words:" header line of 2–4
// content words, then units lines "- item" in lower case without final
// punctuation.
func (d *docGen) bullets(units int) {
	st := d.st
	if d.r.chance(st.pHeader) {
		n := d.r.between(2, 4)
		for i := 0; i < n; i++ {
			if i > 0 {
				d.buf = append(d.buf, ' ')
			}
			d.contentSlot(caseCap)
		}
		d.buf = append(d.buf, ':', '\n')
	}
	for l := 0; l < units; l++ {
		if l > 0 {
			d.buf = append(d.buf, '\n')
		}
		d.buf = append(d.buf, '-', ' ')
		d.words(d.nWords(), false, caseLower)
	}
}

// numbered: lines "i. Sentence with numbers." for i = 1..units.
func (d *docGen) numbered(units int) {
	for l := 0; l < units; l++ {
		if l > 0 {
			d.buf = append(d.buf, '\n')
		}
		d.buf = strconv.AppendUint(d.buf, uint64(l+1), 10)
		d.buf = append(d.buf, '.', ' ')
		d.words(d.nWords(), true, caseLower)
		d.buf = append(d.buf, '.')
	}
}

// dialogue: one quoted line per unit: a question (probability pQuestion)
// opening with a question word and ending `?"`, else a sentence ending `."`;
// with probability pAttrib followed by ` asked|said|replied Name.` where Name
// is a capitalised topic word.
func (d *docGen) dialogue(units int) {
	st := d.st
	g := d.g
	for l := 0; l < units; l++ {
		if l > 0 {
			d.buf = append(d.buf, '\n')
		}
		d.buf = append(d.buf, '"')
		n := d.nWords()
		end := byte('.')
		if d.r.chance(st.pQuestion) {
			end = '?'
			d.put(g.questionIDs[d.r.below(len(g.questionIDs))], caseCap)
			if n > 1 {
				d.buf = append(d.buf, ' ')
				d.words(n-1, false, caseLower)
			}
		} else {
			d.words(n, true, caseLower)
		}
		d.buf = append(d.buf, end, '"')
		if d.r.chance(st.pAttrib) {
			d.buf = append(d.buf, ' ')
			d.put(g.speechIDs[d.r.below(len(g.speechIDs))], caseLower)
			d.buf = append(d.buf, ' ')
			d.put(d.topicID(), caseCap)
			d.buf = append(d.buf, '.')
		}
	}
}

// records: the document picks wordsLo..wordsHi distinct field keys (a partial
// shuffle of recordKeys); each of units lines is "key: value; key: value…"
// in lower case, with values typed by key.
func (d *docGen) records(units int) {
	g := d.g
	var keys [len(recordKeys)]uint8
	for i := range keys {
		keys[i] = uint8(i)
	}
	nf := min(d.nWords(), len(keys))
	for i := 0; i < nf; i++ {
		j := i + d.r.below(len(keys)-i)
		keys[i], keys[j] = keys[j], keys[i]
	}
	for l := 0; l < units; l++ {
		if l > 0 {
			d.buf = append(d.buf, '\n')
		}
		for f := 0; f < nf; f++ {
			if f > 0 {
				d.buf = append(d.buf, ';', ' ')
			}
			k := keys[f]
			d.put(g.keyIDs[k], caseLower)
			d.buf = append(d.buf, ':', ' ')
			switch recordKeys[k].kind {
			case valueInt:
				d.buf = strconv.AppendUint(d.buf, uint64(d.r.between(0, 999)), 10)
			case valueID:
				d.buf = strconv.AppendUint(d.buf, uint64(d.r.between(1000, 99999)), 10)
			case valueDecimal:
				d.decimal(d.r.between(0, 9), 2)
			case valueDate:
				d.buf = strconv.AppendUint(d.buf, uint64(d.r.between(1990, 2029)), 10)
				d.buf = append(d.buf, '-')
				d.twoDigits(d.r.between(1, 12))
				d.buf = append(d.buf, '-')
				d.twoDigits(d.r.between(1, 28))
			default:
				n := d.r.between(1, 3)
				for i := 0; i < n; i++ {
					if i > 0 {
						d.buf = append(d.buf, ' ')
					}
					d.contentSlot(caseLower)
				}
			}
		}
	}
}

func (d *docGen) twoDigits(v int) {
	d.buf = append(d.buf, byte('0'+v/10), byte('0'+v%10))
}

// verse: short lines with every word capitalised and no punctuation, in
// stanzas of groupLo..groupHi lines (one stanza length per document)
// separated by a blank line.
func (d *docGen) verse(units int) {
	st := d.st
	stanza := d.r.between(st.groupLo, st.groupHi)
	for l := 0; l < units; l++ {
		if l > 0 {
			d.buf = append(d.buf, '\n')
			if l%stanza == 0 {
				d.buf = append(d.buf, '\n')
			}
		}
		n := d.nWords()
		for i := 0; i < n; i++ {
			if i > 0 {
				d.buf = append(d.buf, ' ')
			}
			d.slot(caseCap)
		}
	}
}

// technical: capitalised sentences ending '.', groupLo..groupHi per line;
// each slot after the first is, with probabilities pURL, pSlash, pParen, a
// URL https://example.org/<topic>/<n>, a pair "word/word", or a parenthetical
// "(…)" of 1–3 slots; otherwise an ordinary slot.
func (d *docGen) technical(units int) {
	st := d.st
	g := d.g
	perLine, in := d.r.between(st.groupLo, st.groupHi), 0
	for s := 0; s < units; s++ {
		if s > 0 {
			if in == perLine {
				d.buf = append(d.buf, '\n')
				perLine, in = d.r.between(st.groupLo, st.groupHi), 0
			} else {
				d.buf = append(d.buf, ' ')
			}
		}
		n := d.nWords()
		for i := 0; i < n; i++ {
			if i == 0 {
				d.slot(caseCap)
				continue
			}
			d.buf = append(d.buf, ' ')
			u := d.r.u53()
			switch {
			case u < st.pURL:
				d.put(g.urlIDs[0], caseLower)
				d.buf = append(d.buf, ':', '/', '/')
				d.put(g.urlIDs[1], caseLower)
				d.buf = append(d.buf, '.')
				d.put(g.urlIDs[2], caseLower)
				d.buf = append(d.buf, '/')
				d.put(d.topicID(), caseLower)
				d.buf = append(d.buf, '/')
				d.buf = strconv.AppendUint(d.buf, uint64(d.r.between(1, 9999)), 10)
			case u < st.pURL+st.pSlash:
				d.contentSlot(caseLower)
				d.buf = append(d.buf, '/')
				d.contentSlot(caseLower)
			case u < st.pURL+st.pSlash+st.pParen:
				d.buf = append(d.buf, '(')
				k := d.r.between(1, 3)
				for j := 0; j < k; j++ {
					if j > 0 {
						d.buf = append(d.buf, ' ')
					}
					d.slot(caseLower)
				}
				d.buf = append(d.buf, ')')
			default:
				d.slot(caseLower)
			}
			if i < n-1 && d.r.chance(st.pComma) {
				d.buf = append(d.buf, ',')
			}
		}
		d.buf = append(d.buf, '.')
		in++
	}
}
