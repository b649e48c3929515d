package features

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/stream"
)

func TestColumnMode(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, schema string
	}{
		{"list<float64>", "text:string,emb:list<float64>"},
		{"fixed_size_list<float32>", "text:string,emb:fixed_size_list<float32>[3]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := filepath.Join(dir, "in.jsonl")
			os.WriteFile(in, []byte(`{"text":"a","emb":[3,0,4]}
{"text":"b","emb":[0,-2,0]}
{"text":"c","emb":[1,1,1]}
`), 0o644)
			sc, err := stream.ParseSchema(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out.arrows")
			m := runStage(t, []string{in}, out, Config{Semantic: "column=emb"}, nil, stream.WithSchema(sc))
			if m.Dim != 3 {
				t.Fatalf("dim %d, want 3", m.Dim)
			}
			sem := readColumn(t, out, SemanticColumn).(*array.FixedSizeList)
			defer sem.Release()
			v := sem.ListValues().(*array.Float32)
			s3 := float32(1 / math.Sqrt(3))
			want := []float32{0.6, 0, 0.8, 0, -1, 0, s3, s3, s3}
			for i, w := range want {
				if math.Abs(float64(v.Value(i)-w)) > 1e-6 {
					t.Fatalf("value %d = %v, want %v", i, v.Value(i), w)
				}
			}
		})
	}
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"wrong dimension", "{\"text\":\"a\",\"emb\":[1.5,2]}\n{\"text\":\"b\",\"emb\":[1.5,2,3]}\n", []string{`column "emb"`, `doc_id "`, ":1", "3 values, expected 2"}},
		{"null value", "{\"text\":\"a\",\"emb\":[1.5,null]}\n", []string{`column "emb"`, "value 1 is null"}},
		{"not a list", "{\"text\":\"a\",\"emb\":\"x\"}\n", []string{`column "emb"`, "expected a list of numbers"}},
		{"list of strings", "{\"text\":\"a\",\"emb\":[\"x\"]}\n", []string{`column "emb"`, "list<item: utf8, nullable>, expected a list of numbers"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := filepath.Join(dir, "bad.jsonl")
			os.WriteFile(in, []byte(tc.data), 0o644)
			err := stageErr(t, in, Config{Semantic: "column=emb"})
			if err == nil || !stream.IsDataError(err) {
				t.Fatalf("error %v, want a DataError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
	// A null embedding is rejected, not an error.
	in := filepath.Join(dir, "null.jsonl")
	os.WriteFile(in, []byte("{\"text\":\"a\",\"emb\":[1.5,2]}\n{\"text\":\"b\",\"emb\":null}\n"), 0o644)
	out := filepath.Join(dir, "null.arrows")
	runStage(t, []string{in}, out, Config{Semantic: "column=emb"}, nil)
	rej := readColumn(t, out, stream.RejectColumn).(*array.String)
	defer rej.Release()
	if rej.IsValid(0) || rej.Value(1) != ReasonNullEmb {
		t.Fatalf("reasons %v", rej)
	}
	// NaN and Inf cannot be JSON: write them to Arrow.
	nan := filepath.Join(dir, "nan.arrows")
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
		{Name: "text", Type: arrow.BinaryTypes.String},
		{Name: "emb", Type: arrow.ListOf(arrow.PrimitiveTypes.Float32)}}, nil))
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", "b"}, nil)
	lb := b.Field(1).(*array.ListBuilder)
	vb := lb.ValueBuilder().(*array.Float32Builder)
	lb.Append(true)
	vb.AppendValues([]float32{1, 2}, nil)
	lb.Append(true)
	vb.AppendValues([]float32{float32(math.NaN()), 2}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	w, err := stream.Create(nan, rec.Schema())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(rec)
	w.Close()
	err = stageErr(t, nan, Config{Semantic: "column=emb"})
	if err == nil || !stream.IsDataError(err) || !strings.Contains(err.Error(), "value 0 is NaN, expected a finite number") || !strings.Contains(err.Error(), "nan.arrows:1") {
		t.Fatalf("NaN embedding: %v", err)
	}
}

// stageErr runs the stage on in and returns its first error.
func stageErr(t *testing.T, in string, cfg Config) error {
	t.Helper()
	ctx := context.Background()
	ins, err := stream.ExpandInputs([]string{in})
	if err != nil {
		return err
	}
	rp := stream.NewReplay(ctx, ins, stream.WithDocID("doc_id"))
	defer rp.Close()
	m, err := Prepare(ctx, rp, cfg, in)
	if err != nil {
		return err
	}
	src, err := rp.Second()
	if err != nil {
		return err
	}
	rd, err := Apply(ctx, src, m, cfg, in)
	if err != nil {
		src.Close()
		return err
	}
	defer rd.Close()
	for {
		if _, err := rd.Read(); err != nil {
			if err.Error() == "EOF" {
				return nil
			}
			return err
		}
	}
}

// TestVectorsMode checks SIF against a computation by hand: weights
// a/(a+p(w)) from the sample's word counts, the mean over known words,
// the first principal component removed, unit length.
func TestVectorsMode(t *testing.T) {
	dir := t.TempDir()
	vecs := filepath.Join(dir, "glove.txt")
	os.WriteFile(vecs, []byte("cat 1 0\ndog 0 1\nCat 9 9\nfish 1 1\n"), 0o644)
	in := filepath.Join(dir, "in.jsonl")
	// Non-stop words: cat cat dog | dog fish | bird (no vector).
	os.WriteFile(in, []byte("{\"text\":\"the cat and the CAT and a dog\"}\n{\"text\":\"dog fish\"}\n{\"text\":\"bird\"}\n"), 0o644)
	out := filepath.Join(dir, "out.arrows")
	m := runStage(t, []string{in}, out, Config{Semantic: "vectors=" + vecs}, nil)
	// Counts: cat 2, dog 2, fish 1, bird 1 of 6 non-stop words.
	a := SIFWeight
	w := func(c float64) float64 { return a / (a + c/6) }
	// Mean vectors: doc0 (2·w2·[1,0] + w2·[0,1]) / 3; doc1 (w2·[0,1] + w1·[1,1]) / 2.
	d0 := []float64{2 * w(2) / 3, w(2) / 3}
	d1 := []float64{w(1) / 2, (w(2) + w(1)) / 2}
	// First principal component of Σ v vᵀ.
	sxx := d0[0]*d0[0] + d1[0]*d1[0]
	sxy := d0[0]*d0[1] + d1[0]*d1[1]
	syy := d0[1]*d0[1] + d1[1]*d1[1]
	lambda := (sxx+syy)/2 + math.Sqrt((sxx-syy)*(sxx-syy)/4+sxy*sxy)
	u := []float64{sxy, lambda - sxx}
	nu := math.Hypot(u[0], u[1])
	u[0], u[1] = u[0]/nu, u[1]/nu
	if math.Abs(math.Abs(float64(m.SIF.PC[0]))-math.Abs(u[0])) > 1e-5 || math.Abs(math.Abs(float64(m.SIF.PC[1]))-math.Abs(u[1])) > 1e-5 {
		t.Fatalf("principal component %v, want ±%v", m.SIF.PC, u)
	}
	remove := func(v []float64) []float64 {
		dot := v[0]*u[0] + v[1]*u[1]
		r := []float64{v[0] - dot*u[0], v[1] - dot*u[1]}
		n := math.Hypot(r[0], r[1])
		return []float64{r[0] / n, r[1] / n}
	}
	sem := readColumn(t, out, SemanticColumn).(*array.FixedSizeList)
	defer sem.Release()
	v := sem.ListValues().(*array.Float32)
	for doc, want := range [][]float64{remove(d0), remove(d1), {0, 0}} {
		for j := range 2 {
			if got := float64(v.Value(doc*2 + j)); math.Abs(got-want[j]) > 1e-4 {
				t.Fatalf("doc %d value %d = %v, want %v", doc, j, got, want[j])
			}
		}
	}
	// The model saves and reloads with the same vector file.
	mp := filepath.Join(dir, "sif.model")
	if err := SaveModel(mp, m); err != nil {
		t.Fatal(err)
	}
	back, err := LoadModel(mp, Config{Semantic: "vectors=" + vecs})
	if err != nil || back.SIF.PC[0] != m.SIF.PC[0] || len(back.SIF.Weight) != 3 {
		t.Fatalf("LoadModel: %v", err)
	}
	os.WriteFile(vecs, []byte("cat 1 0\ndog 0 2\n"), 0o644)
	if _, err := LoadModel(mp, Config{Semantic: "vectors=" + vecs}); err == nil || !strings.Contains(err.Error(), "another word-vector file") {
		t.Fatalf("LoadModel with another vector file: %v", err)
	}
	for _, bad := range []struct{ data, want string }{
		{"a 1 2\nb 1\n", "line 2: 1 values, expected 2"},
		{"a 1 x\n", "line 1: value 2 is \"x\""},
		{"", "no word vectors"},
	} {
		os.WriteFile(vecs, []byte(bad.data), 0o644)
		if _, err := LoadWordVectors(vecs); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("LoadWordVectors(%q): %v, want %q", bad.data, err, bad.want)
		}
	}
}
