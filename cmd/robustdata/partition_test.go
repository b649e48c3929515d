package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/robustdata/robustdata/internal/longtest"
)

// partitionNMI runs a partition command with JSON logs and returns the NMI
// its report line logs.
func partitionNMI(t *testing.T, args ...string) float64 {
	t.Helper()
	code, _, stderr := runCLI(t, context.Background(), nil, false, append([]string{"--log-format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "partition: wrote report" {
			if nmi, ok := rec["nmi"].(float64); ok {
				return nmi
			}
		}
	}
	t.Fatalf("%v: no NMI logged:\n%s", args, stderr)
	return 0
}

// TestPartitionQuality checks NMI against known labels on the shipped real
// corpora and on synthetic data. The floors are scikit-learn's tf-idf (or
// raw pixels) + KMeans on the same data, measured with scikit-learn 1.2.1
// (Debian python3-sklearn), n_init=10, mean of seeds 0..4: fortunes 0.121
// at k=42, AppStream 0.257 at k=11; Fashion-MNIST's floor is the issue's
// 0.533 (scikit-learn on raw pixels here: 0.49-0.51).
func TestPartitionQuality(t *testing.T) {
	longtest.Skip(t, "partitions whole corpora")
	dir := t.TempDir()
	synth := filepath.Join(dir, "synth.parquet")
	if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "synth", "--docs", "8000", "--tasks", "8", "-o", synth); code != 0 {
		t.Fatal(stderr)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		floor float64
	}{
		{"fortunes", []string{"-i", "../../examples/data/fortunes.parquet", "--k", "42"}, 0.121},
		{"appstream", []string{"-i", "../../examples/data/appstream.parquet", "--k", "11"}, 0.257},
		{"fashion-mnist", []string{"-i", "../../examples/data/fashion-mnist-test.parquet", "--semantic", "column=pixels", "--k", "10"}, 0.533},
		{"synth", []string{"-i", synth, "--k", "8"}, 0.9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"partition", "--label-col", "label", "-o", filepath.Join(dir, tc.name+".arrows"), "--report", filepath.Join(dir, tc.name+".md")}, tc.args...)
			nmi := partitionNMI(t, args...)
			t.Logf("%s: NMI %.4f (floor %.3f)", tc.name, nmi, tc.floor)
			if nmi < tc.floor {
				t.Errorf("NMI %.4f below %.3f", nmi, tc.floor)
			}
		})
	}
}

// datasetFiles reads every file of a dataset folder.
func datasetFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			data, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = data
		}
		return nil
	})
	return out
}

func sameDataset(t *testing.T, a, b map[string][]byte, what string) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d files against %d", what, len(a), len(b))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Fatalf("%s: %s differs", what, name)
		}
	}
}

// TestPartitionDeterministic checks byte-identical datasets for the same
// input and seed, whatever the number of workers, and that verify passes.
func TestPartitionDeterministic(t *testing.T) {
	longtest.Skip(t, "partitions 5000 fortunes four times")
	dir := t.TempDir()
	small := filepath.Join(dir, "small.parquet") // 5000 fortunes
	if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "cat", "-i", corpus, "--limit", "5000", "-o", small); code != 0 {
		t.Fatal(stderr)
	}
	var first map[string][]byte
	for i, workers := range []string{"1", "2", "2"} {
		out := filepath.Join(dir, "ds"+workers+string(rune('a'+i))) + "/"
		code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "partition", "-i", small,
			"--k", "12", "--workers", workers, "--features-sample", "4000", "--sample", "6000", "--dim", "32", "--vocab", "4000", "-o", out)
		if code != 0 {
			t.Fatal(stderr)
		}
		if code, stdout, stderr := runCLI(t, context.Background(), nil, false, "verify", out); code != 0 {
			t.Fatalf("verify: %d %s %s", code, stdout, stderr)
		}
		ds := datasetFiles(t, out)
		if first == nil {
			first = ds
			continue
		}
		sameDataset(t, first, ds, "run with "+workers+" workers")
	}
	// Another seed gives another partition.
	out := filepath.Join(dir, "seed2") + "/"
	runCLI(t, context.Background(), nil, false, "-q", "--seed", "2", "partition", "-i", small,
		"--k", "12", "--features-sample", "4000", "--sample", "6000", "--dim", "32", "--vocab", "4000", "-o", out)
	if bytes.Equal(first["manifest.json"], datasetFiles(t, out)["manifest.json"]) {
		t.Fatal("seed 2 gave the same manifest as seed 1")
	}
}

// TestPipeEqualsBatch runs `features | partition | shard` through pipes
// and checks the dataset equals the one-command batch job's, manifest
// included.
func TestPipeEqualsBatch(t *testing.T) {
	dir := t.TempDir()
	corpus := smallCorpus(t)
	common := []string{"--k", "9", "--sample", "2000"}
	batch := filepath.Join(dir, "batch") + "/"
	args := append([]string{"-q", "partition", "-i", corpus, "--features-sample", "1500", "--dim", "16", "--vocab", "4000", "-o", batch}, common...)
	if code, _, stderr := runCLI(t, context.Background(), nil, false, args...); code != 0 {
		t.Fatal(stderr)
	}
	pipe := filepath.Join(dir, "pipe") + "/"
	r1, w1 := io.Pipe()
	r2, w2 := io.Pipe()
	var wg sync.WaitGroup
	codes := make([]int, 3)
	stderrs := make([]bytes.Buffer, 3)
	stage := func(i int, stdin io.Reader, stdout io.WriteCloser, args ...string) {
		defer wg.Done()
		e := &env{stdin: stdin, stdout: stdout, stderr: &stderrs[i], isTerminal: func(any) bool { return false }}
		codes[i] = e.run(context.Background(), args)
		if stdout != nil {
			stdout.Close()
		}
		if c, ok := stdin.(io.ReadCloser); ok {
			io.Copy(io.Discard, c) // let the writer finish if we failed early
		}
	}
	wg.Add(3)
	go stage(0, strings.NewReader(""), w1, "-q", "features", "-i", corpus, "--sample", "1500", "--dim", "16", "--vocab", "4000")
	go stage(1, r1, w2, append([]string{"-q", "partition"}, common...)...)
	go stage(2, r2, nil, "-q", "shard", "-o", pipe)
	wg.Wait()
	for i, c := range codes {
		if c != 0 {
			t.Fatalf("stage %d exited %d: %s", i, c, stderrs[i].String())
		}
	}
	b, p := datasetFiles(t, batch), datasetFiles(t, pipe)
	delete(b, "partition.json")
	delete(b, "report.md")
	// The features model the batch computed the features with sits beside
	// its shards (issue 16); the pipe's shard stage has none to save.
	delete(b, "features.model")
	sameDataset(t, b, p, "pipe against batch")
}

// TestPartitionDirCompression: --compression applies to the shards that
// partition -o DIR/ writes, as it does to shard's.
func TestPartitionDirCompression(t *testing.T) {
	for _, tc := range []struct {
		flag string
		want compress.Compression
	}{{"snappy", compress.Codecs.Snappy}, {"none", compress.Codecs.Uncompressed}, {"zstd", compress.Codecs.Zstd}} {
		t.Run(tc.flag, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "ds") + "/"
			code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "partition", "-i", smallCorpus(t),
				"--k", "4", "--features-sample", "1000", "--sample", "2000", "--dim", "8", "--vocab", "2000", "--compression", tc.flag, "-o", out)
			if code != 0 {
				t.Fatal(stderr)
			}
			shards, _ := filepath.Glob(filepath.Join(out, "task=*", "*.parquet"))
			if len(shards) == 0 {
				t.Fatal("no shards")
			}
			for _, p := range shards {
				f, err := file.OpenParquetFile(p, false)
				if err != nil {
					t.Fatal(err)
				}
				cc, err := f.MetaData().RowGroup(0).ColumnChunk(f.MetaData().Schema.ColumnIndexByName("text"))
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				if got := cc.Compression(); got != tc.want {
					t.Errorf("%s: text column compressed with %v, want %v", p, got, tc.want)
				}
			}
		})
	}
}

// TestPartitionInputOrder checks that the same files given in another
// order make the same dataset, byte for byte (models, shards, manifest),
// and the same features model: the samples are drawn by hash, and a
// dataset reads its inputs by name.
func TestPartitionInputOrder(t *testing.T) {
	dir := t.TempDir()
	corpus := smallCorpus(t)
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "cat", "-i", corpus, "--limit", "700", "-o", a); code != 0 {
		t.Fatal(stderr)
	}
	// b: other rows, of the same columns.
	synth := filepath.Join(dir, "synth.parquet")
	if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "synth", "--docs", "900", "--tasks", "3", "-o", synth); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "cat", "-i", synth, "--columns", "text,label", "-o", b); code != 0 {
		t.Fatal(stderr)
	}
	var first map[string][]byte
	var firstModel []byte
	for i, order := range [][]string{{a, b}, {b, a}} {
		out := filepath.Join(dir, fmt.Sprintf("ds%d", i)) + "/"
		fm := filepath.Join(dir, fmt.Sprintf("f%d.model", i))
		args := []string{"-q", "partition", "-i", order[0], "-i", order[1], "--k", "5", "--dim", "16", "--vocab", "4000",
			"--features-sample", "600", "--sample", "1000", "--features-model-out", fm, "-o", out}
		if code, _, stderr := runCLI(t, context.Background(), nil, false, args...); code != 0 {
			t.Fatal(stderr)
		}
		model, err := os.ReadFile(fm)
		if err != nil {
			t.Fatal(err)
		}
		ds := datasetFiles(t, out)
		if first == nil {
			first, firstModel = ds, model
			continue
		}
		if !bytes.Equal(model, firstModel) {
			t.Error("-i b -i a fits another features model than -i a -i b")
		}
		sameDataset(t, first, ds, "-i b -i a")
	}
}
