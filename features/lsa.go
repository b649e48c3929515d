package features

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"unicode"

	"github.com/robustdata/robustdata/features/rsvd"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// LSA defaults.
const (
	DefaultDim        = 96
	DefaultVocab      = 1 << 15
	DefaultBucketBits = 22
	DefaultMinDF      = 2
	DefaultMaxDF      = 1.0
	// DefaultSingularPower weighs LSA dimension j by (s_j/s_0)^1.5, s_j
	// its singular value: the top of a broad optimum (1 to 2) of mean NMI
	// over the labelled corpora of scripts/bench-quality.sh.
	DefaultSingularPower = 1.5
)

// The idf power's range (see AutoIDFPower): ShortIDFPower up to
// ShortDocTerms terms in the median sample document, 1 from LongDocTerms
// on, log-linear in between.
const (
	ShortIDFPower = 1.75
	ShortDocTerms = 128
	LongDocTerms  = 512
)

// AutoIDFPower is the idf power for a sample whose median document has
// medianTerms terms (non-stop unigrams and bigrams). In short documents a
// term is seldom repeated, so tf says little and idf does all the
// weighting: raising it to ShortIDFPower lets the rarer, topical terms
// decide. In long documents the frequent terms of a kind of document
// (form rather than topic) carry the signal and plain idf keeps them.
// Chosen by mean NMI over the labelled corpora of scripts/bench-quality.sh
// (README, Sub-tasks: quality).
func AutoIDFPower(medianTerms int) float64 {
	switch {
	case medianTerms <= ShortDocTerms:
		return ShortIDFPower
	case medianTerms >= LongDocTerms:
		return 1
	}
	f := math.Log(float64(medianTerms)/ShortDocTerms) / math.Log(float64(LongDocTerms)/ShortDocTerms)
	return ShortIDFPower - (ShortIDFPower-1)*f
}

// minBucketBits and maxBucketBits bound LSA.BucketBits: the bucket index
// takes 2^BucketBits/64 × 12 bytes (3 MiB at 24 bits).
const (
	minBucketBits = 8
	maxBucketBits = 24
)

// LSAConfig tells FitLSA what to fit.
type LSAConfig struct {
	// Dim is the number of semantic dimensions (default DefaultDim).
	Dim int
	// Vocab bounds the vocabulary: the terms with the highest document
	// frequency in the sample are kept (default DefaultVocab).
	Vocab int
	// MinDF drops terms found in fewer sample documents (default 2).
	MinDF int
	// MaxDF drops terms found in more than this share of the sample
	// documents (default 1: none; stop words are gone already and idf
	// weighs common terms down).
	MaxDF float64
	// BucketBits sets the hashing space, 2^BucketBits buckets (default 22,
	// 8..24).
	BucketBits uint8
	// SingularPower weighs each LSA dimension j by (s_j/s_0)^SingularPower
	// (s_j its singular value, s_0 the largest), so that the dimensions
	// that carry most of the sample's variance count most in the cosine
	// geometry (default DefaultSingularPower; a negative value means 0:
	// plain LSA, unit projection columns).
	SingularPower float64
	// IDFPower raises each term's idf to this power; 0 (the default)
	// chooses it from the sample's median document length (AutoIDFPower).
	IDFPower float64
	// Seed seeds the randomized SVD.
	Seed uint64
	// Workers bounds the goroutines (default GOMAXPROCS); the result does
	// not depend on it.
	Workers int
}

func (c *LSAConfig) defaults() {
	if c.Dim <= 0 {
		c.Dim = DefaultDim
	}
	if c.Vocab <= 0 {
		c.Vocab = DefaultVocab
	}
	if c.MinDF <= 0 {
		c.MinDF = DefaultMinDF
	}
	if c.MaxDF <= 0 || c.MaxDF > 1 {
		c.MaxDF = DefaultMaxDF
	}
	if c.BucketBits == 0 {
		c.BucketBits = DefaultBucketBits
	}
	switch {
	case c.SingularPower == 0:
		c.SingularPower = DefaultSingularPower
	case c.SingularPower < 0:
		c.SingularPower = 0
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
}

// LSA is a fitted latent semantic analysis model: hashed terms, their
// inverse document frequencies and a projection onto Dim dimensions.
//
// A document's semantic vector is Σ_t (1+ln tf_t)·idf_t·P_t over its terms
// t in the vocabulary (P_t the term's row of the projection), divided by
// its L2 norm (zero when no term is in the vocabulary).
type LSA struct {
	// BucketBits sets the hashing space: a term's bucket is the top
	// BucketBits bits of its hash.
	BucketBits uint8
	// Buckets is the bucket of each vocabulary row, ascending.
	Buckets []uint32
	// IDF is (ln((1+n)/(1+df))+1)^IDFPower of each row, n the sample
	// size.
	IDF []float32
	// IDFPower is the power the idf was raised to (set by FitLSA; not
	// saved with the model, whose IDF holds the raised values).
	IDFPower float64
	// Proj holds len(Buckets)×Dim values, row-major: the top right
	// singular vectors of the sample's TF-IDF matrix, vector j scaled by
	// (s_j/s_0)^p (LSAConfig.SingularPower), so every value is within
	// [-1, 1].
	Proj []float32
	// Dim is the number of output dimensions.
	Dim int
	// Singular holds the singular values found (at most Dim).
	Singular []float64
	// Terms is a representative term (the most frequent surface form in
	// the sample, by majority vote) of each row, for reports.
	Terms []string
	// SampleDocs is the number of documents the model was fitted on.
	SampleDocs int

	// The vocabulary's buckets as a bitmap with the count of set bits
	// before each 64-bit word: a bucket's row is its rank. Both fit a
	// core's cache (192 KiB at 2^20 buckets) where a bucket → row array
	// would not.
	present []uint64
	before  []int32
}

// row returns the vocabulary row of the term with hash h, or -1.
func (m *LSA) row(h uint64) int32 { return m.rowOfBucket(bucketOf(h, m.BucketBits)) }

// rowOfBucket returns the vocabulary row of bucket b, or -1.
func (m *LSA) rowOfBucket(b uint32) int32 {
	w := m.present[b>>6]
	bit := uint64(1) << (b & 63)
	if w&bit == 0 {
		return -1
	}
	return m.before[b>>6] + int32(bits.OnesCount64(w&(bit-1)))
}

// init builds the bucket → row index.
func (m *LSA) init() error {
	if m.BucketBits < minBucketBits || m.BucketBits > maxBucketBits {
		return fmt.Errorf("bucket bits %d out of range %d..%d", m.BucketBits, minBucketBits, maxBucketBits)
	}
	rows := len(m.Buckets)
	if m.Dim < 1 || len(m.IDF) != rows || int64(len(m.Proj)) != int64(rows)*int64(m.Dim) || (m.Terms != nil && len(m.Terms) != rows) {
		return fmt.Errorf("inconsistent sizes: %d buckets, %d idf, %d projection values for dim %d, %d terms",
			rows, len(m.IDF), len(m.Proj), m.Dim, len(m.Terms))
	}
	nb := 1 << m.BucketBits
	m.present = make([]uint64, (nb+63)/64)
	m.before = make([]int32, len(m.present))
	for r, b := range m.Buckets {
		if int(b) >= nb || (r > 0 && b <= m.Buckets[r-1]) {
			return fmt.Errorf("bucket list is not ascending within 2^%d", m.BucketBits)
		}
		m.present[b>>6] |= 1 << (b & 63)
	}
	count := int32(0)
	for i, w := range m.present {
		m.before[i] = count
		count += int32(bits.OnesCount64(w))
	}
	for _, v := range m.IDF {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return errors.New("non-finite idf")
		}
	}
	for _, v := range m.Proj {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return errors.New("non-finite projection value")
		}
	}
	return nil
}

// lsaScratch is one worker's scratch state for embedding.
type lsaScratch struct {
	tf      []float32
	touched []int32
	// Entries of a block of documents, for embedBlock.
	rows    []int32
	docs    []int32
	weights []float32
	// Sorted by row.
	sDocs    []int32
	sWeights []float32
	starts   []int32
	// Rows with entries and where their entries end.
	runRows, runEnds []int32
}

// termRows turns a document's terms into its vocabulary rows and their
// TF-IDF weights (unnormalised), appended to s.rows/s.weights in the
// order the rows first occur, and returns how many were added.
func (m *LSA) termRows(terms []uint64, s *lsaScratch, doc int32) int {
	if len(s.tf) != len(m.Buckets) {
		s.tf = make([]float32, len(m.Buckets))
	}
	s.touched = s.touched[:0]
	for _, h := range terms {
		r := m.row(h)
		if r < 0 {
			continue
		}
		if s.tf[r] == 0 {
			s.touched = append(s.touched, r)
		}
		s.tf[r]++
	}
	for _, r := range s.touched {
		s.rows = append(s.rows, r)
		s.docs = append(s.docs, doc)
		s.weights = append(s.weights, tfWeight(s.tf[r])*m.IDF[r])
		s.tf[r] = 0
	}
	return len(s.touched)
}

// embedBlock computes the semantic vectors of a block of documents whose
// entries termRows collected into s, writing document d's vector to
// out[d*Dim:(d+1)*Dim] (zeroed first). The entries are sorted by row
// (counting sort), so that each projection row is read once per block and
// every vector sums its terms in ascending row order.
func (m *LSA) embedBlock(s *lsaScratch, out []float32, docs int) {
	clear(out[:docs*m.Dim])
	rows := len(m.Buckets)
	if cap(s.starts) < rows+1 {
		s.starts = make([]int32, rows+1)
	}
	starts := s.starts[:rows+1]
	clear(starts)
	for _, r := range s.rows {
		starts[r+1]++
	}
	for r := 1; r <= rows; r++ {
		starts[r] += starts[r-1]
	}
	n := len(s.rows)
	if cap(s.sDocs) < n {
		s.sDocs = make([]int32, n)
		s.sWeights = make([]float32, n)
	}
	sDocs, sWeights := s.sDocs[:n], s.sWeights[:n]
	// Place entries; starts[r] walks from the start of row r's range to
	// its end (the start of row r+1), so it ends up shifted by one row.
	for i, r := range s.rows {
		p := starts[r]
		sDocs[p], sWeights[p] = s.docs[i], s.weights[i]
		starts[r]++
	}
	// The runs of entries of each row that has some; then the projection
	// in chunks of scatterChunk dimensions, one chunk of every vector at a
	// time, so that the block's vectors take docs×128 bytes of cache per
	// pass rather than docs×Dim×4 (each value still sums its terms in
	// ascending row order: the same bits as embed).
	s.runRows, s.runEnds = s.runRows[:0], s.runEnds[:0]
	lo := int32(0)
	for r := range rows {
		if hi := starts[r]; hi != lo {
			s.runRows, s.runEnds = append(s.runRows, int32(r)), append(s.runEnds, hi)
			lo = hi
		}
	}
	d := m.Dim
	for c := 0; c < d; c += scatterChunk {
		w := min(scatterChunk, d-c)
		lo := int32(0)
		for i, r := range s.runRows {
			hi := s.runEnds[i]
			x := m.Proj[int(r)*d+c : int(r)*d+c+w]
			var next *float32
			if j := i + prefetchRuns; j < len(s.runRows) {
				next = &m.Proj[int(s.runRows[j])*d+c]
			}
			axpyScatter(x, sDocs[lo:hi], sWeights[lo:hi], out[c:], d, next)
			lo = hi
		}
	}
	for doc := range docs {
		normalize(out[doc*d : (doc+1)*d])
	}
	s.rows, s.docs, s.weights = s.rows[:0], s.docs[:0], s.weights[:0]
}

// prefetchRuns is how many rows ahead embedBlock fetches the projection
// chunk it will read (most rows of a large vocabulary are rare, read for
// a few documents of a block, and far from the cache).
const prefetchRuns = 8

// embed writes the L2-normalised semantic vector of one document's terms
// into out: the same values as embedBlock, summing in ascending row order.
func (m *LSA) embed(terms []uint64, s *lsaScratch, out []float32) {
	s.rows, s.docs, s.weights = s.rows[:0], s.docs[:0], s.weights[:0]
	m.termRows(terms, s, 0)
	idx := make([]int, len(s.rows))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(s.rows[a], s.rows[b]) })
	clear(out)
	d := m.Dim
	for _, i := range idx {
		r := int(s.rows[i])
		axpy(s.weights[i], m.Proj[r*d:(r+1)*d], out)
	}
	normalize(out)
	s.rows, s.docs, s.weights = s.rows[:0], s.docs[:0], s.weights[:0]
}

// normalize scales v to unit L2 norm; a zero vector stays zero.
func normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
}

// fitBlock is the number of sample documents a fit worker takes at a
// time; fixed so that the result does not depend on the worker count.
const fitBlock = 1024

// FitLSA fits an LSA model on sample, the texts of a sample of documents.
func FitLSA(ctx context.Context, sample [][]byte, cfg LSAConfig) (*LSA, error) {
	cfg.defaults()
	if cfg.BucketBits < minBucketBits || cfg.BucketBits > maxBucketBits {
		return nil, fmt.Errorf("robustdata/features: LSA bucket bits %d out of range %d..%d", cfg.BucketBits, minBucketBits, maxBucketBits)
	}
	n := len(sample)
	if n < 2 {
		return nil, fmt.Errorf("robustdata/features: LSA needs at least 2 sample documents, got %d", n)
	}
	nb := 1 << cfg.BucketBits
	blocks := (n + fitBlock - 1) / fitBlock

	// Pass 1, the only pass over the texts: every document's term buckets
	// (kept for pass 2) and the document frequency of every bucket, one
	// table per worker (integer sums: the total does not depend on which
	// worker counted what).
	type terms struct {
		buckets []uint32
		lens    []int32
	}
	docTerms := make([]terms, blocks)
	workers := min(cfg.Workers, blocks)
	dfParts := make([][]int32, workers)
	err := forBlocks(ctx, blocks, workers, func(w int, a *analyzer, b int) {
		if dfParts[w] == nil {
			dfParts[w] = make([]int32, nb)
		}
		df := dfParts[w]
		var seen counter
		pat := make([]float32, schema.NumPattern)
		var t terms
		for _, text := range sample[b*fitBlock : min(n, (b+1)*fitBlock)] {
			a.analyze(text, pat)
			seen.reset()
			for _, h := range a.terms {
				bk := bucketOf(h, cfg.BucketBits)
				t.buckets = append(t.buckets, bk)
				if seen.add(uint64(bk)) == 1 {
					df[bk]++
				}
			}
			t.lens = append(t.lens, int32(len(a.terms)))
		}
		docTerms[b] = t
	})
	if err != nil {
		return nil, err
	}
	df := make([]int32, nb)
	for _, part := range dfParts {
		for i, v := range part {
			df[i] += v
		}
	}
	dfParts = nil

	// The vocabulary: the most frequent buckets within [MinDF, MaxDF·n].
	maxDF := max(int32(math.Floor(cfg.MaxDF*float64(n))), int32(cfg.MinDF))
	var cand []uint32
	for b, v := range df {
		if v >= int32(cfg.MinDF) && v <= maxDF {
			cand = append(cand, uint32(b))
		}
	}
	if len(cand) == 0 {
		return nil, &stream.DataError{Source: "features sample", Row: -1, Err: fmt.Errorf("no term occurs in at least %d of the %d sample documents; the corpus is too small or too varied for LSA", cfg.MinDF, n)}
	}
	slices.SortFunc(cand, func(a, b uint32) int {
		if c := cmp.Compare(df[b], df[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	if len(cand) > cfg.Vocab {
		cand = cand[:cfg.Vocab]
	}
	slices.Sort(cand)
	m := &LSA{BucketBits: cfg.BucketBits, Buckets: cand, Dim: cfg.Dim, SampleDocs: n}
	m.IDFPower = cfg.IDFPower
	if m.IDFPower <= 0 {
		lens := make([]int32, 0, n)
		for _, t := range docTerms {
			lens = append(lens, t.lens...)
		}
		slices.Sort(lens)
		m.IDFPower = AutoIDFPower(int(lens[n/2]))
	}
	m.IDF = make([]float32, len(cand))
	for r, b := range cand {
		m.IDF[r] = float32(math.Pow(math.Log(float64(1+n)/float64(1+df[b]))+1, m.IDFPower))
	}
	m.Proj = make([]float32, len(cand)*cfg.Dim) // filled below
	if err := m.init(); err != nil {
		return nil, fmt.Errorf("robustdata/features: %w", err)
	}

	// Pass 2: the TF-IDF matrix, rows L2-normalised, from the buckets of
	// pass 1.
	type part struct {
		rowLen []int64
		col    []int32
		val    []float32
	}
	parts := make([]part, blocks)
	err = forBlocks(ctx, blocks, workers, func(_ int, _ *analyzer, b int) {
		var p part
		var s lsaScratch
		s.tf = make([]float32, len(m.Buckets))
		t := docTerms[b]
		next := 0
		for _, l := range t.lens {
			s.touched = s.touched[:0]
			for _, bk := range t.buckets[next : next+int(l)] {
				r := m.rowOfBucket(bk)
				if r < 0 {
					continue
				}
				if s.tf[r] == 0 {
					s.touched = append(s.touched, r)
				}
				s.tf[r]++
			}
			next += int(l)
			start := len(p.val)
			var ss float64
			for _, r := range s.touched {
				w := tfWeight(s.tf[r]) * m.IDF[r]
				s.tf[r] = 0
				p.col = append(p.col, r)
				p.val = append(p.val, w)
				ss += float64(w) * float64(w)
			}
			if ss > 0 {
				inv := float32(1 / math.Sqrt(ss))
				for i := start; i < len(p.val); i++ {
					p.val[i] *= inv
				}
			}
			p.rowLen = append(p.rowLen, int64(len(p.val)-start))
		}
		parts[b] = p
		docTerms[b] = terms{}
	})
	if err != nil {
		return nil, err
	}
	a := &rsvd.CSR{Rows: n, Cols: len(cand), RowPtr: make([]int64, 1, n+1)}
	for _, p := range parts {
		for _, l := range p.rowLen {
			a.RowPtr = append(a.RowPtr, a.RowPtr[len(a.RowPtr)-1]+l)
		}
		a.ColIdx = append(a.ColIdx, p.col...)
		a.Val = append(a.Val, p.val...)
	}
	parts, docTerms = nil, nil

	rank := min(cfg.Dim, n, len(cand))
	// The term names (one goroutine, a sequential vote) are made beside
	// the SVD, whose serial steps leave a core idle.
	named := make(chan []string, 1)
	go func() { named <- voteTerms(sample, m) }()
	res, err := rsvd.TruncatedSVD(ctx, a, rsvd.Options{Rank: rank, Seed: cfg.Seed, Workers: cfg.Workers})
	m.Terms = <-named
	if err != nil {
		return nil, fmt.Errorf("robustdata/features: fitting LSA: %w", err)
	}
	m.Singular = res.S
	scale := make([]float64, rank)
	for j := range rank {
		scale[j] = 1
		if cfg.SingularPower > 0 && res.S[0] > 0 {
			scale[j] = math.Pow(res.S[j]/res.S[0], cfg.SingularPower)
		}
	}
	for r := range cand {
		for j := range rank {
			m.Proj[r*cfg.Dim+j] = float32(res.V.At(r, j) * scale[j])
		}
	}
	return m, nil
}

// voteTerms names each vocabulary row by the majority vote (Boyer–Moore)
// of the surface forms hashing to it in the first documents of the sample.
func voteTerms(sample [][]byte, m *LSA) []string {
	const voteDocs = 20000
	cand := make([]string, len(m.Buckets))
	count := make([]int32, len(m.Buckets))
	var a analyzer
	a.collectTerms, a.collectSpans = true, true
	pat := make([]float32, schema.NumPattern)
	vote := func(h uint64, term string) {
		r := m.row(h)
		switch {
		case r < 0:
		case count[r] == 0:
			cand[r], count[r] = term, 1
		case cand[r] == term:
			count[r]++
		default:
			count[r]--
		}
	}
	var buf []byte
	for _, text := range sample[:min(len(sample), voteDocs)] {
		a.analyze(text, pat)
		// a.terms holds, per non-stop word, its hash, then the bigram with
		// the previous non-stop word when there is one.
		ti := 0
		var prev string
		for i, sp := range a.spans {
			word := lowerWord(text[sp[0]:sp[1]], buf[:0])
			vote(a.terms[ti], word)
			ti++
			if i > 0 {
				vote(a.terms[ti], prev+" "+word)
				ti++
			}
			prev = word
		}
	}
	return cand
}

// lowerWord lower-cases a word as the tokenizer hashes it.
func lowerWord(w []byte, buf []byte) string {
	for _, r := range string(w) {
		if r == '\u2019' {
			r = '\''
		}
		buf = append(buf, string(toLower(r))...)
	}
	return string(buf)
}

// forBlocks runs fn over blocks 0..n-1 on workers goroutines, each with
// its own analyzer collecting terms; fn gets the worker's index
// (0..workers-1) too.
func forBlocks(ctx context.Context, n, workers int, fn func(worker int, a *analyzer, block int)) error {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &analyzer{collectTerms: true}
			for b := range next {
				fn(w, a, b)
			}
		}()
	}
	var err error
	for b := 0; b < n; b++ {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- b
	}
	close(next)
	wg.Wait()
	return err
}

// toLower lower-cases a rune as the tokenizer does.
func toLower(r rune) rune { return unicode.ToLower(r) }

// tfWeights holds 1+ln(tf) for small term frequencies.
var tfWeights = func() (t [256]float32) {
	for i := 1; i < len(t); i++ {
		t[i] = 1 + float32(math.Log(float64(i)))
	}
	return t
}()

// tfWeight is the sublinear term-frequency weight 1+ln(tf).
func tfWeight(tf float32) float32 {
	if tf < float32(len(tfWeights)) {
		return tfWeights[int(tf)]
	}
	return 1 + float32(math.Log(float64(tf)))
}
