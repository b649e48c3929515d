package features

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/robustdata/robustdata/pipeline/safetensors"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// ModelFormat and ModelVersion identify a features model file.
const (
	ModelFormat  = "robustdata-features"
	ModelVersion = "1"
)

// SaveModel writes m to path in the safetensors format (atomically), so
// that any safetensors reader (numpy, PyTorch) can load it.
//
// Metadata: format, version, semantic (mode), dim, pattern_names,
// tokenizer, and per mode:
//
//	lsa:     bucket_bits, hash, tf, idf, sample_docs; tensors
//	         lsa.buckets I32 [V] (bucket of each vocabulary row, ascending),
//	         lsa.idf F32 [V], lsa.projection F32 [V, dim] (row-major; column
//	         j is the j-th right singular vector times (s_j/s_0)^p),
//	         lsa.singular_values F64 [r], lsa.terms.offsets I64 [V+1] and
//	         lsa.terms.bytes U8 [N] (row i's term is bytes[offsets[i]:offsets[i+1]])
//	vectors: vectors_path, vectors_sha256, sif_a; tensors
//	         sif.weight F32 [words] (a/(a+p(w)) per row of the vector file),
//	         sif.pc F32 [dim] (the removed principal component)
//	column:  column (the embedding column's name); no tensors
//
// A term's hash is FNV-1a 64 of its lower-cased UTF-8 bytes; a bigram's is
// splitmix64(a XOR (b × 0x9E3779B97F4A7C15)); its bucket is the top
// bucket_bits bits of the hash. A document's LSA vector is the L2-normalised
// Σ (1+ln tf)·idf·projection[row] over its terms whose bucket is in the
// vocabulary.
func SaveModel(path string, m *Model) error {
	f := &safetensors.File{Metadata: map[string]string{
		"format":        ModelFormat,
		"version":       ModelVersion,
		"semantic":      m.Mode,
		"dim":           strconv.Itoa(m.Dim),
		"pattern_names": strings.Join(schema.PatternNames(), ","),
		"tokenizer":     "robustdata-1: words are runs of letters, marks, digits and _ (apostrophes between letters), lower-cased; stop words: NLTK English (179)",
	}}
	switch m.Mode {
	case ModeLSA:
		l := m.LSA
		f.Metadata["bucket_bits"] = strconv.Itoa(int(l.BucketBits))
		f.Metadata["hash"] = "fnv1a64; bigram splitmix64(a^(b*0x9E3779B97F4A7C15)); bucket = hash >> (64-bucket_bits)"
		f.Metadata["tf"] = "1+ln(tf)"
		f.Metadata["idf"] = "ln((1+n)/(1+df))+1"
		f.Metadata["sample_docs"] = strconv.Itoa(l.SampleDocs)
		v := int64(len(l.Buckets))
		buckets := make([]int32, len(l.Buckets))
		for i, b := range l.Buckets {
			buckets[i] = int32(b)
		}
		offsets := make([]int64, 0, len(l.Terms)+1)
		var termBytes []byte
		offsets = append(offsets, 0)
		for _, t := range l.Terms {
			termBytes = append(termBytes, t...)
			offsets = append(offsets, int64(len(termBytes)))
		}
		if l.Terms == nil {
			offsets = make([]int64, v+1)
		}
		f.Tensors = []safetensors.Tensor{
			safetensors.I32("lsa.buckets", []int64{v}, buckets),
			safetensors.F32("lsa.idf", []int64{v}, l.IDF),
			safetensors.F32("lsa.projection", []int64{v, int64(l.Dim)}, l.Proj),
			safetensors.F64("lsa.singular_values", []int64{int64(len(l.Singular))}, l.Singular),
			safetensors.I64("lsa.terms.offsets", []int64{v + 1}, offsets),
			safetensors.U8("lsa.terms.bytes", []int64{int64(len(termBytes))}, termBytes),
		}
	case ModeVectors:
		s := m.SIF
		f.Metadata["vectors_path"] = s.Vectors.Path
		f.Metadata["vectors_sha256"] = s.Vectors.SHA256
		f.Metadata["sif_a"] = strconv.FormatFloat(SIFWeight, 'g', -1, 64)
		f.Tensors = []safetensors.Tensor{
			safetensors.F32("sif.weight", []int64{int64(len(s.Weight))}, s.Weight),
			safetensors.F32("sif.pc", []int64{int64(len(s.PC))}, s.PC),
		}
	case ModeColumn:
		f.Metadata["column"] = m.Column
	}
	return stream.WriteFileAtomic(path, func(w io.Writer) error {
		if err := safetensors.Write(w, f); err != nil {
			return fmt.Errorf("robustdata/features: writing model %s: %w", path, err)
		}
		return nil
	})
}

// LoadModel reads a model saved by SaveModel. cfg.Semantic must agree with
// the model's mode; a vectors model needs the same word-vector file
// (checked by its sha256), named by cfg.Semantic.
func LoadModel(path string, cfg Config) (*Model, error) {
	bad := func(format string, args ...any) error {
		return &stream.DataError{Source: path, Row: -1, Err: fmt.Errorf(format, args...)}
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, bad("not a features model: %v", err)
	}
	md := f.Metadata
	if md["format"] != ModelFormat {
		return nil, bad("not a features model (format %q)", md["format"])
	}
	if md["version"] != ModelVersion {
		return nil, bad("model version %q, this build reads %q", md["version"], ModelVersion)
	}
	if md["pattern_names"] != strings.Join(schema.PatternNames(), ",") {
		return nil, bad("model made with other pattern features")
	}
	mode, arg, err := ParseSemantic(cfg.Semantic)
	if cfg.Semantic == "" {
		// No --semantic: the model's own mode (and column) stand.
		mode, err = md["semantic"], nil
		if mode == ModeColumn {
			arg = md["column"]
		}
	}
	if err != nil {
		return nil, err
	}
	switch md["semantic"] {
	case ModeLSA, ModeVectors, ModeColumn:
	default:
		return nil, bad("unknown semantic mode %q (expected %s, %s or %s)", md["semantic"], ModeLSA, ModeVectors, ModeColumn)
	}
	if mode != md["semantic"] {
		return nil, bad("model is for --semantic %s, not %s", md["semantic"], mode)
	}
	if mode == ModeVectors && arg == "" {
		return nil, bad("a vectors model needs its word-vector file (--semantic vectors=FILE; it was made with %q)", md["vectors_path"])
	}
	maxDim := maxModelDim
	if mode == ModeColumn {
		maxDim = maxColumnDim
	}
	dim, err := strconv.Atoi(md["dim"])
	if err != nil || dim < 1 || dim > maxDim {
		return nil, bad("bad dim %q (expected 1..%d)", md["dim"], maxDim)
	}
	m := &Model{Mode: mode, Dim: dim}
	tensor := func(name string) (safetensors.Tensor, error) {
		t, ok := f.Tensor(name)
		if !ok {
			return t, bad("tensor %s missing", name)
		}
		return t, nil
	}
	switch mode {
	case ModeLSA:
		bits, err := strconv.Atoi(md["bucket_bits"])
		if err != nil || bits < minBucketBits || bits > maxBucketBits {
			return nil, bad("bad bucket_bits %q (expected %d..%d)", md["bucket_bits"], minBucketBits, maxBucketBits)
		}
		l := &LSA{BucketBits: uint8(bits), Dim: dim}
		l.SampleDocs, _ = strconv.Atoi(md["sample_docs"])
		var (
			buckets []int32
			offsets []int64
			terms   []byte
		)
		for _, get := range []func() error{
			func() (err error) { t, err := tensor("lsa.buckets"); buckets, err = int32s(t, err); return err },
			func() (err error) { t, err := tensor("lsa.idf"); l.IDF, err = float32s(t, err); return err },
			func() (err error) { t, err := tensor("lsa.projection"); l.Proj, err = float32s(t, err); return err },
			func() (err error) {
				t, err := tensor("lsa.singular_values")
				if err == nil {
					l.Singular, err = t.Float64s()
				}
				return err
			},
			func() (err error) { t, err := tensor("lsa.terms.offsets"); offsets, err = int64s(t, err); return err },
			func() (err error) {
				t, err := tensor("lsa.terms.bytes")
				terms = t.Data
				return err
			},
		} {
			if err := get(); err != nil {
				return nil, bad("%v", err)
			}
		}
		if rows := int64(len(buckets)); int64(len(l.Proj)) != rows*int64(dim) {
			return nil, bad("%d projection values for %d rows of dim %d", len(l.Proj), rows, dim)
		}
		for i, v := range l.IDF {
			if !(v >= 0 && v <= maxIDF) {
				return nil, bad("idf %v of row %d outside 0..%d", v, i, maxIDF)
			}
		}
		for i, v := range l.Proj {
			if !(math.Abs(float64(v)) <= maxUnit) {
				return nil, bad("projection value %v at %d: the projection's columns are unit vectors", v, i)
			}
		}
		l.Buckets = make([]uint32, len(buckets))
		for i, b := range buckets {
			if b < 0 {
				return nil, bad("negative bucket")
			}
			l.Buckets[i] = uint32(b)
		}
		if len(offsets) != len(buckets)+1 {
			return nil, bad("%d term offsets for %d rows", len(offsets), len(buckets))
		}
		l.Terms = make([]string, len(buckets))
		for i := range l.Terms {
			a, b := offsets[i], offsets[i+1]
			if a < 0 || b < a || b > int64(len(terms)) {
				return nil, bad("term offsets out of range")
			}
			l.Terms[i] = string(terms[a:b])
		}
		if err := l.init(); err != nil {
			return nil, bad("%v", err)
		}
		m.LSA = l
	case ModeVectors:
		vec, err := LoadWordVectors(arg)
		if err != nil {
			return nil, err
		}
		if vec.SHA256 != md["vectors_sha256"] {
			return nil, bad("made with another word-vector file (sha256 %s), not %s", md["vectors_sha256"], arg)
		}
		s := &SIF{Vectors: vec}
		w, err := tensor("sif.weight")
		if s.Weight, err = float32s(w, err); err != nil {
			return nil, bad("%v", err)
		}
		pc, err := tensor("sif.pc")
		if s.PC, err = float32s(pc, err); err != nil {
			return nil, bad("%v", err)
		}
		if len(s.Weight) != len(vec.Words) || len(s.PC) != vec.Dim || vec.Dim != dim {
			return nil, bad("sizes do not match the word-vector file")
		}
		for i, w := range s.Weight {
			if !(w >= 0 && w <= 1) {
				return nil, bad("SIF weight %v of word %d outside 0..1", w, i)
			}
		}
		var ss float64
		for i, v := range s.PC {
			if !(math.Abs(float64(v)) <= maxUnit) {
				return nil, bad("principal component value %v at %d: the component is a unit vector", v, i)
			}
			ss += float64(v) * float64(v)
		}
		if ss > maxUnit*maxUnit {
			return nil, bad("principal component of length %v: the component is a unit vector", math.Sqrt(ss))
		}
		m.SIF = s
	case ModeColumn:
		if md["column"] == "" {
			return nil, bad("column model without the embedding column's name")
		}
		if md["column"] != arg {
			return nil, bad("model is for column %q, not %q", md["column"], arg)
		}
		m.Column = arg
	}
	return m, nil
}

// Bounds on what a loaded model may hold, so that applying it cannot
// overflow to infinite or NaN semantic values or exhaust memory.
const (
	// maxModelDim is the largest LSA or word-vector dimension (the
	// command line's --dim and LoadWordVectors allow 1..4096).
	maxModelDim = maxVectorDim
	// maxColumnDim is the widest embedding column a column model takes.
	maxColumnDim = 1 << 16
	// maxIDF bounds an LSA idf: ln((1+n)/(1+df))+1 ≤ 45 for any sample,
	// raised to LSAConfig.IDFPower (ShortIDFPower by default: ≤ 785).
	maxIDF = 1 << 20
	// maxUnit bounds the values and length of unit vectors (projection
	// columns, SIF's principal component), with room for rounding.
	maxUnit = 1.001
)

func float32s(t safetensors.Tensor, err error) ([]float32, error) {
	if err != nil {
		return nil, err
	}
	return t.Float32s()
}

func int32s(t safetensors.Tensor, err error) ([]int32, error) {
	if err != nil {
		return nil, err
	}
	return t.Int32s()
}

func int64s(t safetensors.Tensor, err error) ([]int64, error) {
	if err != nil {
		return nil, err
	}
	return t.Int64s()
}
