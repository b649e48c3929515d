package features

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/internal/longtest"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// runStage is `robustdata features -i inputs -o out` through the package
// API: fit (or use model), apply, write. It returns the model.
func runStage(t testing.TB, inputs []string, out string, cfg Config, model *Model, opts ...stream.Option) *Model {
	t.Helper()
	ctx := context.Background()
	ins, err := stream.ExpandInputs(inputs)
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts, stream.WithDocID(stream.DefaultDocIDColumn))
	rp := stream.NewReplay(ctx, ins, opts...)
	defer rp.Close()
	if model == nil {
		if model, err = Prepare(ctx, rp, cfg, ins[0].Name); err != nil {
			t.Fatalf("Prepare: %v", err)
		}
	}
	src, err := rp.Second()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := Apply(ctx, src, model, cfg, ins[0].Name)
	if err != nil {
		src.Close()
		t.Fatalf("Apply: %v", err)
	}
	defer rd.Close()
	w, err := stream.Create(out, rd.Schema(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Copy(ctx, w, rd); err != nil {
		w.Abort()
		t.Fatalf("Copy: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return model
}

const fortunes = "../examples/data/fortunes.parquet"

// TestNearestNeighbourQuality checks that the semantic column places
// documents next to documents of the same label far more often than
// chance, on the shipped real corpus and on synthetic data.
func TestNearestNeighbourQuality(t *testing.T) {
	longtest.Skip(t, "fits LSA on whole corpora: minutes under -race")
	dir := t.TempDir()
	synth := filepath.Join(dir, "synth.parquet")
	writeSynth(t, synth, 6000, 8, 0.6)
	for _, tc := range []struct {
		name, in string
		cfg      Config
		floor    float64 // nearest-neighbour label agreement
		ratio    float64 // at least this multiple of chance
	}{
		{"fortunes", fortunes, Config{Seed: 1}, 0.22, 5},
		{"fortunes dim 32", fortunes, Config{Seed: 1, Dim: 32}, 0.20, 4.5},
		{"synth overlap 0.6", synth, Config{Seed: 1}, 0.6, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "f.parquet")
			runStage(t, []string{tc.in}, out, tc.cfg, nil)
			x, labels := readVectors(t, out, SemanticColumn)
			acc, chance := nnAccuracy(x, labels, 3000)
			t.Logf("%s: nearest-neighbour label agreement %.3f, chance %.3f", tc.name, acc, chance)
			if acc < tc.floor || acc < tc.ratio*chance {
				t.Errorf("agreement %.3f below the floor %.3f or %.1f× chance %.3f", acc, tc.floor, tc.ratio, chance)
			}
		})
	}
}

// TestDeterministicForAnyWorkerCount checks byte-identical Parquet output
// for 1 and 3 workers and across runs, and that a saved model reproduces
// the fitted one's output.
func TestDeterministicForAnyWorkerCount(t *testing.T) {
	longtest.Skip(t, "features of a corpus with several worker counts")
	dir := t.TempDir()
	var outs [][]byte
	var model *Model
	for i, workers := range []int{1, 3, 3} {
		out := filepath.Join(dir, "out.parquet")
		model = runStage(t, []string{fortunes}, out, Config{Seed: 7, Workers: workers, Sample: 5000}, nil)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, data)
		if i > 0 && !bytes.Equal(outs[0], data) {
			t.Fatalf("output with %d workers differs from the first run's", workers)
		}
	}
	modelPath := filepath.Join(dir, "f.model")
	if err := SaveModel(modelPath, model); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadModel(modelPath, Config{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "reused.parquet")
	runStage(t, []string{fortunes}, out, Config{Workers: 2}, loaded)
	data, _ := os.ReadFile(out)
	if !bytes.Equal(outs[0], data) {
		t.Fatal("output with the saved model differs from the fitted model's")
	}
	// Another seed samples and fits differently.
	runStage(t, []string{fortunes}, out, Config{Seed: 8, Sample: 5000}, nil)
	data, _ = os.ReadFile(out)
	if bytes.Equal(outs[0], data) {
		t.Fatal("another seed gave the same output")
	}
}

// TestStdinEqualsFile checks that features read through a pipe (spooled
// for the second pass) equal features read from the file.
func TestStdinEqualsFile(t *testing.T) {
	longtest.Skip(t, "the features stage twice over a corpus")
	dir := t.TempDir()
	fromFile := filepath.Join(dir, "file.arrows")
	runStage(t, []string{fortunes}, fromFile, Config{Seed: 3, Sample: 3000}, nil)
	data, err := os.ReadFile(fortunes)
	if err != nil {
		t.Fatal(err)
	}
	fromPipe := filepath.Join(dir, "pipe.arrows")
	runStage(t, []string{"-"}, fromPipe, Config{Seed: 3, Sample: 3000}, nil, stream.WithStdin(bytes.NewReader(data)), stream.WithTempDir(dir))
	a := readColumn(t, fromFile, SemanticColumn)
	b := readColumn(t, fromPipe, SemanticColumn)
	if !array.Equal(a, b) {
		t.Fatal("semantic features from stdin differ from those from the file")
	}
	a.Release()
	b.Release()
	ids := readColumn(t, fromPipe, "doc_id").(*array.String)
	if ids.Value(5) != "stdin:5" {
		t.Errorf("doc_id from stdin = %q", ids.Value(5))
	}
	ids.Release()
}

func readColumn(t testing.TB, path, col string) arrow.Array {
	t.Helper()
	rd, err := stream.Open(context.Background(), []string{path}, stream.WithColumns(col))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var parts []arrow.Array
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c := rec.Column(0)
		c.Retain()
		parts = append(parts, c)
	}
	out, err := array.Concatenate(parts, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		p.Release()
	}
	return out
}

// TestRejectsAndBadInput covers null and blank texts, upstream rejects,
// a missing or mistyped text column.
func TestRejectsAndBadInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	lines := []string{
		`{"text":"The cat sat on the mat.","reject_reason":null}`,
		`{"text":null,"reject_reason":null}`,
		`{"text":"   \n\t ","reject_reason":null}`,
		`{"text":"A dog ran in the park.","reject_reason":"dedup: duplicate"}`,
		`{"text":"The cat ran on the mat.","reject_reason":null}`,
		`{"text":"","reject_reason":null}`,
		`{"text":"A dog sat in the park.","reject_reason":null}`,
	}
	os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	out := filepath.Join(dir, "out.arrows")
	runStage(t, []string{in}, out, Config{Seed: 1, Dim: 2, Sample: 10}, nil)
	reasons := readColumn(t, out, stream.RejectColumn).(*array.String)
	defer reasons.Release()
	want := []string{"", ReasonNullText, ReasonEmptyText, "dedup: duplicate", "", ReasonEmptyText, ""}
	sem := readColumn(t, out, SemanticColumn).(*array.FixedSizeList)
	defer sem.Release()
	vals := sem.ListValues().(*array.Float32)
	for i, w := range want {
		got := ""
		if reasons.IsValid(i) {
			got = reasons.Value(i)
		}
		if got != w {
			t.Errorf("row %d: reason %q, want %q", i, got, w)
		}
		norm := math.Hypot(float64(vals.Value(2*i)), float64(vals.Value(2*i+1)))
		if (w == "") != (math.Abs(norm-1) < 1e-5) {
			t.Errorf("row %d: semantic norm %v (rejected: %v)", i, norm, w != "")
		}
	}

	for _, tc := range []struct {
		name, data string
		cfg        Config
		want       []string
	}{
		{"no text column", `{"body":"x"}`, Config{}, []string{`column "text"`, "no such column", "the input has body"}},
		{"text column of numbers", `{"text":5}`, Config{}, []string{`column "text"`, "text column is int64, expected string"}},
		{"other text column", `{"body":"x"}`, Config{TextCol: "title"}, []string{`column "title"`, "the input has body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad.jsonl")
			os.WriteFile(p, []byte(tc.data+"\n"), 0o644)
			ins, _ := stream.ExpandInputs([]string{p})
			rp := stream.NewReplay(context.Background(), ins)
			defer rp.Close()
			_, err := Prepare(context.Background(), rp, tc.cfg, p)
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
}
