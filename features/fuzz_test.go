package features

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/safetensors"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// fuzzTexts are the documents the fuzz seeds are fitted on and the fuzzed
// models are applied to.
var fuzzTexts = []string{
	"The cat sat on the mat with another cat.",
	"A dog chased the cat across the garden.",
	"Fish swim in the river; the dog watches the fish.",
	"Birds sing at dawn and the cat listens to the birds.",
	"Don't stop: visit http://example.org or www.Example.com now!",
	"- one bullet\n- two bullet\n1. numbered\n\n\nthe cat again...",
	"Ünïcödé wörds, 日本語 text, emoji 😀 and digits 12345.",
	"dog dog dog fish fish bird cat",
}

// fuzzVectors is the word-vector file FuzzLoadModel's vectors models are
// made for (dimension 3).
const fuzzVectors = "cat 1 0 0\ndog 0 1 0\nfish 1 1 0\nbird 0 0.5 1\nriver -1 0 2\n"

// fuzzMaxLoadAlloc bounds what one LoadModel may allocate on a small
// input. A model saved by the stage (2^20 buckets) needs 192 KiB for its
// bucket index.
const fuzzMaxLoadAlloc = 64 << 20

// fuzzMaxDim is the largest LSA or word-vector dimension the command line
// makes (--dim 1..4096, word vectors 1..4096 values).
const fuzzMaxDim = 4096

// FuzzLoadModel writes arbitrary bytes to a file and loads it with
// LoadModel in every mode. Nothing may panic or allocate more than
// fuzzMaxLoadAlloc; errors are one-line DataErrors naming the file; an
// accepted model is consistent and computes finite, unit-length (or zero)
// semantic vectors for a few documents.
func FuzzLoadModel(f *testing.F) {
	dir := f.TempDir()
	vecPath := filepath.Join(dir, "vectors.txt")
	if err := os.WriteFile(vecPath, []byte(fuzzVectors), 0o644); err != nil {
		f.Fatal(err)
	}
	for _, seed := range fuzzModelSeeds(f, dir, vecPath) {
		f.Add(seed)
	}
	configs := []Config{{}, {Semantic: ModeLSA}, {Semantic: "vectors=" + vecPath}, {Semantic: "column=emb"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "model.safetensors")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, cfg := range configs {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			m, err := LoadModel(p, cfg)
			runtime.ReadMemStats(&after)
			if d := after.TotalAlloc - before.TotalAlloc; d > fuzzMaxLoadAlloc {
				t.Errorf("--semantic %q: LoadModel allocated %d MiB for a %d-byte file (%s)", cfg.Semantic, d>>20, len(data), fuzzMetadataSummary(data))
			}
			if err != nil {
				if m != nil {
					t.Errorf("LoadModel returned a model and an error: %v", err)
				}
				if !stream.IsDataError(err) || !strings.HasPrefix(err.Error(), p+": ") {
					t.Errorf("--semantic %q: error %q (%T) is not a DataError naming the file", cfg.Semantic, err, err)
				}
				if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
					t.Errorf("error is not one line: %q", msg)
				}
				continue
			}
			fuzzCheckModel(t, m, cfg)
		}
	})
}

// fuzzCheckModel checks an accepted model's consistency and applies it to
// fuzzTexts.
func fuzzCheckModel(t *testing.T, m *Model, cfg Config) {
	t.Helper()
	if cfg.Semantic != "" {
		if mode, _, _ := ParseSemantic(cfg.Semantic); mode != m.Mode {
			t.Fatalf("--semantic %q loaded a %s model", cfg.Semantic, m.Mode)
		}
	}
	if m.Dim < 1 {
		t.Fatalf("accepted dim %d", m.Dim)
	}
	switch m.Mode {
	case ModeLSA:
		l := m.LSA
		if l == nil || l.Dim != m.Dim {
			t.Fatalf("LSA model without its LSA part or of another dim than %d", m.Dim)
		}
		if m.Dim > fuzzMaxDim {
			t.Fatalf("accepted an LSA model of dim %d with %d rows (the command line makes 1..%d; Apply panics in OutputSchema past 2^31-1, else allocates batch rows × dim floats)", m.Dim, len(l.Buckets), fuzzMaxDim)
		}
		rows := len(l.Buckets)
		if len(l.IDF) != rows || len(l.Proj) != rows*m.Dim || len(l.Terms) != rows {
			t.Fatalf("inconsistent LSA sizes: %d rows, %d idf, %d projection values (dim %d), %d terms", rows, len(l.IDF), len(l.Proj), m.Dim, len(l.Terms))
		}
		if l.BucketBits < 8 || l.BucketBits > 24 {
			t.Fatalf("accepted bucket bits %d", l.BucketBits)
		}
		for r, b := range l.Buckets {
			if b>>l.BucketBits != 0 || (r > 0 && b <= l.Buckets[r-1]) {
				t.Fatalf("bucket %d = %d: not ascending within 2^%d", r, b, l.BucketBits)
			}
		}
	case ModeVectors:
		s := m.SIF
		if s == nil || s.Vectors == nil || s.Vectors.Dim != m.Dim || len(s.PC) != m.Dim || len(s.Weight) != len(s.Vectors.Words) {
			t.Fatalf("inconsistent vectors model")
		}
	case ModeColumn:
		if want := "emb"; m.Column == "" || cfg.Semantic != "" && m.Column != want {
			t.Fatalf("column model for %q under --semantic %q", m.Column, cfg.Semantic)
		}
		if m.Dim > maxColumnDim {
			t.Fatalf("accepted a column model of dim %d (at most %d)", m.Dim, maxColumnDim)
		}
		if m.Dim > fuzzMaxDim {
			return // a real embedding column could be that wide: not applied here
		}
	default:
		t.Fatalf("--semantic %q: accepted a model of mode %q", cfg.Semantic, m.Mode)
	}
	fuzzApply(t, m)
}

// fuzzApply computes the features of fuzzTexts (and a null and a blank
// text) with m, as the stage's workers do, and checks the semantic
// vectors: finite, of unit length or zero, every buffer released.
func fuzzApply(t *testing.T, m *Model) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := arrow.NewSchema([]arrow.Field{
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "emb", Type: arrow.ListOf(arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, in)
	defer b.Release()
	tb := b.Field(0).(*array.StringBuilder)
	lb := b.Field(1).(*array.ListBuilder)
	vb := lb.ValueBuilder().(*array.Float32Builder)
	texts := append(slices.Clone(fuzzTexts), "", " \n\t")
	for i, text := range texts {
		tb.Append(text)
		lb.Append(true)
		for j := range m.Dim {
			vb.Append(float32(math.Sin(float64(i*m.Dim + j + 1))))
		}
	}
	tb.AppendNull()
	lb.AppendNull()
	rec := b.NewRecordBatch()
	defer rec.Release()

	w := &worker{m: m, mem: mem, out: OutputSchema(in, m), textIdx: 0, embIdx: -1, source: "fuzz"}
	if m.Mode == ModeColumn {
		w.embIdx = 1
	}
	w.a.collectTerms = m.Mode != ModeColumn
	out, err := w.apply(rec)
	if err != nil {
		t.Fatalf("applying an accepted %s model: %v", m.Mode, err)
	}
	defer out.Release()
	sem := out.Column(out.Schema().FieldIndices(SemanticColumn)[0]).(*array.FixedSizeList)
	vals := sem.ListValues().(*array.Float32).Float32Values()
	if len(vals) != sem.Len()*m.Dim {
		t.Fatalf("%d semantic values for %d rows of dim %d", len(vals), sem.Len(), m.Dim)
	}
	for i := range sem.Len() {
		v := vals[i*m.Dim : (i+1)*m.Dim]
		var ss float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("%s model: row %d (%.30q): semantic value %v from an accepted model", m.Mode, i, texts[min(i, len(texts)-1)], x)
			}
			ss += float64(x) * float64(x)
		}
		if ss != 0 && math.Abs(ss-1) > 1e-3 {
			t.Fatalf("%s model: row %d: semantic vector of squared length %v, want 1 or 0", m.Mode, i, ss)
		}
	}
}

// fuzzMetadataSummary names the metadata values that size a model, for
// failure messages.
func fuzzMetadataSummary(data []byte) string {
	f, err := safetensors.Read(strings.NewReader(string(data)))
	if err != nil {
		return "unreadable: " + err.Error()
	}
	var parts []string
	for _, k := range []string{"semantic", "dim", "bucket_bits"} {
		parts = append(parts, k+"="+strconv.Quote(f.Metadata[k]))
	}
	return strings.Join(parts, " ")
}

// fuzzModelSeeds saves real models — LSA fitted on fuzzTexts, SIF fitted
// with fuzzVectors, an embedding-column model — and variants whose
// metadata numbers have leading zeros, so that the fuzzer can grow them
// in place (the header's length prefixes it).
func fuzzModelSeeds(f *testing.F, dir, vecPath string) [][]byte {
	ctx := context.Background()
	var sample [][]byte
	for _, s := range fuzzTexts {
		sample = append(sample, []byte(s))
	}
	lsa, err := FitLSA(ctx, sample, LSAConfig{Dim: 4, Vocab: 24, MinDF: 1, BucketBits: 10, Seed: 1, Workers: 1})
	if err != nil {
		f.Fatal(err)
	}
	vec, err := LoadWordVectors(vecPath)
	if err != nil {
		f.Fatal(err)
	}
	sif, err := FitSIF(ctx, sample, vec, 1)
	if err != nil {
		f.Fatal(err)
	}
	models := []*Model{
		{Mode: ModeLSA, Dim: lsa.Dim, LSA: lsa},
		{Mode: ModeVectors, Dim: vec.Dim, SIF: sif},
		{Mode: ModeColumn, Dim: 3, Column: "emb"},
	}
	var seeds [][]byte
	for i, m := range models {
		p := filepath.Join(dir, "seed"+strconv.Itoa(i)+".safetensors")
		if err := SaveModel(p, m); err != nil {
			f.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
		st, err := safetensors.Read(strings.NewReader(string(data)))
		if err != nil {
			f.Fatal(err)
		}
		// Leading zeros: the same model, with room for bigger numbers.
		st.Metadata["dim"] = "0000000000" + st.Metadata["dim"]
		if bb, ok := st.Metadata["bucket_bits"]; ok {
			st.Metadata["bucket_bits"] = "000" + bb
			st.Metadata["sample_docs"] = "0000000000" + st.Metadata["sample_docs"]
		}
		var sb strings.Builder
		if err := safetensors.Write(&sb, st); err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, []byte(sb.String()))
	}
	return seeds
}

// fuzzRatios are the pattern features doc.go defines as a count over a
// count that includes it: each lies in [0, 1].
var fuzzRatios = []string{
	"type_token_ratio", "stopword_ratio", "punct_ratio", "digit_ratio", "upper_ratio",
	"whitespace_ratio", "non_ascii_ratio", "symbol_ratio", "url_rate", "bullet_line_rate",
	"repeated_line_frac", "repeated_bigram_frac", "empty_line_frac", "ellipsis_line_frac",
	"terminal_punct_line_frac", "alpha_word_frac",
}

// fuzzDirty is analysed before a fuzz input with the same analyzer, so
// that state left in its scratch tables would show.
const fuzzDirty = "Dirty dirty DIRTY words, words, words!\n- a bullet\n- a bullet\nÉtranger 日本 😀 http://x.y www.z...\n\n1) end."

// FuzzAnalyze computes the pattern features of arbitrary bytes: all 24
// values finite, ratios in [0, 1], the rest non-negative; the optimised
// analyzer agrees with the reference one (values, terms, spans) and gives
// the same result whatever it analysed before.
func FuzzAnalyze(f *testing.F) {
	for _, s := range fuzzTexts {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		"", " ", "\n", "\r\n\r\n", "a", "...", "…", "。", "www.", "http://", "HTTPS://x www.y http://z",
		"don't don’t 'quoted' it''s", "1. 2) 3.x\n* •\t\n‣ ◦ · – —", "x\xff\xfey\xc3", "\u0301\u0301a\u0301",
		"²³¹ ½ Ⅻ ٣", "ǅungla ǅ", "a_b __ _", "\x00\x01\x7f", strings.Repeat("la ", 300), strings.Repeat("é", 100),
		"Hello!!! World??? 。！？\n\"end\"\n'x'\n“q”\n", "a\rb\rc", "\u2028\u2029\u0085", "İstanbul ΣΑΣ ß ẞ",
	} {
		f.Add([]byte(s))
	}
	idx := map[string]int{}
	for i, n := range patternNames {
		idx[n] = i
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pat := PatternOf(string(data))
		if len(pat) != NumPattern {
			t.Fatalf("%d values", len(pat))
		}
		for i, v := range pat {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s = %v", patternNames[i], v)
			}
			if v < 0 {
				t.Fatalf("%s = %v < 0", patternNames[i], v)
			}
		}
		for _, n := range fuzzRatios {
			if v := pat[idx[n]]; v > 1 {
				t.Fatalf("%s = %v > 1", n, v)
			}
		}
		// The reference implementation agrees.
		var ref analyzer
		ref.collectTerms, ref.collectSpans = true, true
		pr := make([]float32, NumPattern)
		ref.analyzeRef(data, pr)
		var opt analyzer
		opt.collectTerms, opt.collectSpans = true, true
		po := make([]float32, NumPattern)
		opt.analyze(data, po)
		for i := range po {
			if d := math.Abs(float64(po[i] - pr[i])); d > 1e-5*max(1, math.Abs(float64(pr[i]))) {
				t.Fatalf("%s = %v, reference %v", patternNames[i], po[i], pr[i])
			}
			if po[i] != pat[i] {
				t.Fatalf("%s = %v collecting terms, %v without", patternNames[i], po[i], pat[i])
			}
		}
		if !slices.Equal(opt.terms, ref.terms) || !slices.Equal(opt.spans, ref.spans) || opt.nonStop != ref.nonStop {
			t.Fatalf("terms or spans differ from the reference: %d/%d terms, %d/%d spans", len(opt.terms), len(ref.terms), len(opt.spans), len(ref.spans))
		}
		terms := slices.Clone(opt.terms)
		// A reused analyzer gives the same values and terms.
		opt.analyze([]byte(fuzzDirty), po)
		opt.analyze(data, po)
		if !slices.Equal(po, pat) || !slices.Equal(opt.terms, terms) {
			t.Fatalf("a reused analyzer differs from a fresh one")
		}
		for _, w := range ContentWords(string(data)) {
			if w == "" {
				t.Fatalf("empty content word")
			}
		}
	})
}

// FuzzWordVectors writes arbitrary bytes to a file and reads it with
// LoadWordVectors: no panic; errors are one-line DataErrors naming the
// file; what is accepted holds finite values of one dimension in
// 1..maxVectorDim, distinct words, the file's sha256, and fits SIF.
func FuzzWordVectors(f *testing.F) {
	for _, s := range []string{
		fuzzVectors, "2 3\ncat 1 2 3\ndog 4 5 6\n", "cat 1 0\ndog 0 1\nCat 9 9\nfish 1 1\n", "a 1 2\nb 1\n", "a 1 x\n", "",
		"\n\n  \n", "x 1e38 -3.4e38 5e-46\n", "x 1e39\n", "x NaN\n", "x inf\n", "x 0x1p-2 1_0\n", "DON’T 1\ndon't 2\n",
		"word 1 2 3", "\xff\xfe 1\n", "a\t1\r\nb\t2\r\n", "3 1\n", "1 2\n3 4\n", "w " + strings.Repeat("0.5 ", 70) + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "vectors.txt")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		wv, err := LoadWordVectors(p)
		if err != nil {
			if wv != nil {
				t.Errorf("LoadWordVectors returned vectors and an error: %v", err)
			}
			if !stream.IsDataError(err) || !strings.HasPrefix(err.Error(), p) {
				t.Errorf("error %q (%T) is not a DataError naming the file", err, err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			return
		}
		if wv.Dim < 1 || wv.Dim > maxVectorDim {
			t.Fatalf("dim %d", wv.Dim)
		}
		if len(wv.Words) == 0 || len(wv.Values) != len(wv.Words)*wv.Dim {
			t.Fatalf("%d values for %d words of dim %d", len(wv.Values), len(wv.Words), wv.Dim)
		}
		for i, v := range wv.Values {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("value %d is %v", i, v)
			}
		}
		seen := map[string]bool{}
		for i, w := range wv.Words {
			if w == "" || strings.ContainsFunc(w, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' }) {
				t.Fatalf("word %d is %q", i, w)
			}
			if seen[w] {
				t.Fatalf("word %q twice", w)
			}
			seen[w] = true
			if r, ok := wv.row[TermHash(w)]; !ok || int(r) != i {
				t.Fatalf("word %q: row %d (%v), want %d", w, r, ok, i)
			}
		}
		if sum := sha256.Sum256(data); wv.SHA256 != hex.EncodeToString(sum[:]) || wv.Path != p {
			t.Fatalf("sha256 %s, path %s", wv.SHA256, wv.Path)
		}
		// Usable: SIF fits on a few texts holding its words.
		sample := [][]byte{[]byte(strings.Join(wv.Words[:min(len(wv.Words), 20)], " "))}
		for _, s := range fuzzTexts {
			sample = append(sample, []byte(s))
		}
		sif, err := FitSIF(context.Background(), sample, wv, 1)
		if err != nil {
			t.Fatalf("FitSIF: %v", err)
		}
		if len(sif.Weight) != len(wv.Words) || len(sif.PC) != wv.Dim {
			t.Fatalf("SIF of %d weights and a %d-value component", len(sif.Weight), len(sif.PC))
		}
	})
}
