package features

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// SIFWeight is the a of the SIF weight a/(a+p(w)) (Arora et al. 2017).
const SIFWeight = 1e-3

// Limits on word-vector files, so that a bad file cannot exhaust memory.
const (
	maxVectorDim  = 4096
	maxVectorLine = 1 << 20
)

// WordVectors are word embeddings read from a GloVe-format text file:
// one word per line followed by its values, separated by spaces (a
// word2vec header line "count dim" is skipped).
type WordVectors struct {
	// Dim is the number of values per word.
	Dim int
	// Values holds len(Words)×Dim values, row-major.
	Values []float32
	// Words are the words, lower-cased as the tokenizer does.
	Words []string
	// SHA256 is the hex digest of the file.
	SHA256 string
	// Path is the file read.
	Path string

	row map[uint64]int32 // TermHash(word) → row
}

// LoadWordVectors reads a GloVe-format file. Words are lower-cased; when
// two rows lower-case to the same word, the first is kept.
func LoadWordVectors(path string) (*WordVectors, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is the DataError's source
		}
		return nil, &stream.DataError{Source: cmp.Or(path, `""`), Row: -1, Err: fmt.Errorf("cannot open the word-vector file: %w", err)}
	}
	defer f.Close()
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(f, h), 1<<20)
	wv := &WordVectors{Path: path, Dim: -1, row: map[uint64]int32{}}
	var line int64
	for {
		text, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, &stream.DataError{Source: path, Line: line + 1, Err: fmt.Errorf("line longer than %d bytes", maxVectorLine)}
		}
		if len(text) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("robustdata/features: reading %s: %w", path, err)
		}
		line++
		fields := strings.Fields(string(text))
		if len(fields) == 0 {
			continue
		}
		if line == 1 && len(fields) == 2 {
			if _, e1 := strconv.Atoi(fields[0]); e1 == nil {
				if _, e2 := strconv.Atoi(fields[1]); e2 == nil {
					continue // word2vec header
				}
			}
		}
		dim := len(fields) - 1
		if wv.Dim < 0 {
			if dim < 1 || dim > maxVectorDim {
				return nil, &stream.DataError{Source: path, Line: line, Err: fmt.Errorf("%d values, expected 1..%d", dim, maxVectorDim)}
			}
			wv.Dim = dim
		} else if dim != wv.Dim {
			return nil, &stream.DataError{Source: path, Line: line, Err: fmt.Errorf("%d values, expected %d as on the first line", dim, wv.Dim)}
		}
		word := lowerWord([]byte(fields[0]), nil)
		key := TermHash(word)
		if _, dup := wv.row[key]; dup {
			continue
		}
		for j, s := range fields[1:] {
			v, err := strconv.ParseFloat(s, 32)
			if err != nil || !finite(v) {
				return nil, &stream.DataError{Source: path, Line: line, Err: fmt.Errorf("value %d is %q, expected a finite number", j+1, s)}
			}
			wv.Values = append(wv.Values, float32(v))
		}
		wv.row[key] = int32(len(wv.Words))
		wv.Words = append(wv.Words, word)
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if len(wv.Words) == 0 {
		return nil, &stream.DataError{Source: path, Row: -1, Err: errors.New("no word vectors in the file")}
	}
	wv.SHA256 = hex.EncodeToString(h.Sum(nil))
	return wv, nil
}

// SIF is a fitted smooth-inverse-frequency embedding (Arora, Liang, Ma
// 2017): a document's vector is the mean of a/(a+p(w))·v_w over its
// non-stop words w found in the word vectors, with its projection on the
// first principal component u of the sample's vectors removed, then
// L2-normalised.
type SIF struct {
	// Vectors are the word vectors.
	Vectors *WordVectors
	// Weight is a/(a+p(w)) of each word-vector row; p(w) is the word's
	// share of the non-stop word occurrences of the sample.
	Weight []float32
	// PC is the first principal component u (unit length).
	PC []float32
}

// FitSIF estimates word probabilities on sample and the first principal
// component of the sample's weighted mean vectors.
func FitSIF(ctx context.Context, sample [][]byte, vec *WordVectors, workers int) (*SIF, error) {
	counts := make([]int64, len(vec.Words))
	var total int64
	a := &analyzer{collectTerms: true}
	pat := make([]float32, NumPattern)
	for _, text := range sample {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a.analyze(text, pat)
		total += int64(a.nonStop)
		for _, h := range a.terms {
			if r, ok := vec.row[h]; ok {
				counts[r]++
			}
		}
	}
	s := &SIF{Vectors: vec, Weight: make([]float32, len(vec.Words)), PC: make([]float32, vec.Dim)}
	for r, c := range counts {
		p := 0.0
		if total > 0 {
			p = float64(c) / float64(total)
		}
		s.Weight[r] = float32(SIFWeight / (SIFWeight + p))
	}
	// u: top eigenvector of Σ_d v_d v_dᵀ over the sample's vectors.
	d := vec.Dim
	cov := mat.NewSymDense(d, nil)
	v := make([]float32, d)
	vf := make([]float64, d)
	for _, text := range sample {
		a.analyze(text, pat)
		if !s.mean(a.terms, v) {
			continue
		}
		for i := range v {
			vf[i] = float64(v[i])
		}
		cov.SymRankOne(cov, 1, mat.NewVecDense(d, vf))
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, errors.New("robustdata/features: SIF: eigen decomposition failed")
	}
	var ev mat.Dense
	eig.VectorsTo(&ev)
	// Eigenvalues ascend: the last column is the top one. Fix its sign.
	top := ev.ColView(d - 1)
	sign, big := 1.0, 0.0
	for i := range d {
		if x := top.AtVec(i); math.Abs(x) > big {
			big, sign = math.Abs(x), math.Copysign(1, x)
		}
	}
	for i := range d {
		s.PC[i] = float32(sign * top.AtVec(i))
	}
	return s, nil
}

// mean writes the weighted mean vector of terms into v and tells whether
// any term had a vector.
func (s *SIF) mean(terms []uint64, v []float32) bool {
	clear(v)
	n := 0
	d := s.Vectors.Dim
	for _, h := range terms {
		r, ok := s.Vectors.row[h]
		if !ok {
			continue
		}
		w := s.Weight[r]
		row := s.Vectors.Values[int(r)*d : int(r+1)*d]
		for i, x := range row {
			v[i] += w * x
		}
		n++
	}
	if n == 0 {
		return false
	}
	inv := 1 / float32(n)
	for i := range v {
		v[i] *= inv
	}
	return true
}

// embed writes the L2-normalised SIF vector of terms into out.
func (s *SIF) embed(terms []uint64, out []float32) {
	if !s.mean(terms, out) {
		return
	}
	var dot float32
	for i, x := range out {
		dot += x * s.PC[i]
	}
	for i := range out {
		out[i] -= dot * s.PC[i]
	}
	normalize(out)
}
