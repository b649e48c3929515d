package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/robustdata/robustdata/pipeline/stream"
)

const corpus = "../../examples/data/fortunes.parquet"

// smallRows is how many rows of the corpus smallCorpus keeps.
const smallRows = 3000

var (
	smallOnce sync.Once
	smallPath string
)

// smallCorpus is the first smallRows rows of the corpus in a Parquet
// file, written once for the tests that share it: enough for the pipe
// and format tests, at a fifth of the cost of the whole corpus.
func smallCorpus(t *testing.T) string {
	t.Helper()
	smallOnce.Do(func() {
		p := filepath.Join(sharedDir(t, "small"), "small.parquet")
		if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "cat", "-i", corpus, "--limit", strconv.Itoa(smallRows), "-o", p); code != 0 {
			t.Errorf("writing the small corpus: exit %d: %s", code, stderr)
			return
		}
		smallPath = p
	})
	if smallPath == "" {
		t.Fatal("no small corpus (see the first test that asked for it)")
	}
	return smallPath
}

// runCLI runs the CLI in-process and returns its exit status, stdout and
// stderr. Streams are never terminals unless terminal says so.
func runCLI(t *testing.T, ctx context.Context, stdin io.Reader, terminal bool, args ...string) (int, []byte, string) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	e := &env{stdin: stdin, stdout: &stdout, stderr: &stderr, isTerminal: func(any) bool { return terminal }}
	code := e.run(ctx, args)
	return code, stdout.Bytes(), stderr.String()
}

// readTexts reads the text and label columns of a data file.
func readTexts(t *testing.T, path string) (texts, labels []string) {
	t.Helper()
	rd, err := stream.Open(context.Background(), []string{path}, stream.WithColumns("text", "label"))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		tc, lc := rec.Column(0).(*array.String), rec.Column(1).(*array.String)
		for i := 0; i < tc.Len(); i++ {
			texts = append(texts, tc.Value(i))
			labels = append(labels, lc.Value(i))
		}
	}
	return texts, labels
}

// TestCatPipeRoundTrip is `robustdata cat -i corpus.parquet -o - |
// robustdata cat -i - -o copy.X` for every output format: every row,
// text and label survives, in order.
func TestCatPipeRoundTrip(t *testing.T) {
	corpus := smallCorpus(t)
	wantTexts, wantLabels := readTexts(t, corpus)
	if len(wantTexts) != smallRows {
		t.Fatalf("corpus has %d rows, want %d", len(wantTexts), smallRows)
	}
	for _, ext := range []string{"parquet", "arrow", "arrows", "jsonl", "jsonl.zst"} {
		t.Run(ext, func(t *testing.T) {
			ctx := context.Background()
			code, stream, stderr := runCLI(t, ctx, nil, false, "-q", "cat", "-i", corpus, "-o", "-")
			if code != 0 {
				t.Fatalf("first cat: exit %d: %s", code, stderr)
			}
			out := filepath.Join(t.TempDir(), "copy."+ext)
			code, _, stderr = runCLI(t, ctx, bytes.NewReader(stream), false, "-q", "cat", "-i", "-", "-o", out)
			if code != 0 {
				t.Fatalf("second cat: exit %d: %s", code, stderr)
			}
			texts, labels := readTexts(t, out)
			if len(texts) != len(wantTexts) {
				t.Fatalf("copy has %d rows, want %d", len(texts), len(wantTexts))
			}
			for i := range texts {
				if texts[i] != wantTexts[i] || labels[i] != wantLabels[i] {
					t.Fatalf("row %d differs: %q/%q, want %q/%q", i, texts[i], labels[i], wantTexts[i], wantLabels[i])
				}
			}
		})
	}
}

func TestRefusesBinaryToTerminal(t *testing.T) {
	for _, args := range [][]string{
		{"cat", "-i", corpus},
		{"cat", "-i", corpus, "-o", "-"},
		{"synth", "--docs", "3"},
	} {
		code, out, stderr := runCLI(t, context.Background(), nil, true, args...)
		if code != exitUsage || len(out) != 0 || !strings.Contains(stderr, "refusing to write an Arrow IPC stream to a terminal") {
			t.Errorf("%v on a terminal: exit %d, %d bytes out, stderr %q", args, code, len(out), stderr)
		}
	}
	// No input and stdin a terminal: usage error, not a hang.
	code, _, stderr := runCLI(t, context.Background(), nil, true, "cat", "-o", filepath.Join(t.TempDir(), "x.parquet"))
	if code != exitUsage || !strings.Contains(stderr, "no input") {
		t.Errorf("cat without input on a terminal: exit %d, %q", code, stderr)
	}
}

func TestGlobalFlags(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.jsonl")
	code, _, stderr := runCLI(t, context.Background(), nil, false, "--log-format", "json", "cat", "-i", corpus, "--limit", "2", "-o", out)
	if code != 0 || !strings.HasPrefix(stderr, "{") || !strings.Contains(stderr, `"rows":2`) {
		t.Errorf("--log-format json: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, context.Background(), nil, false, "-q", "cat", "-i", corpus, "--limit", "2", "-o", out)
	if code != 0 || stderr != "" {
		t.Errorf("-q: exit %d, stderr %q", code, stderr)
	}
	for _, bad := range [][]string{{"--log-format", "xml", "cat"}, {"--progress", "sometimes", "cat"}} {
		code, _, stderr = runCLI(t, context.Background(), nil, false, bad...)
		if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", bad, code, stderr)
		}
	}
	// --seed changes synth output; the same seed repeats it byte for byte.
	synth := func(seed string) []byte {
		p := filepath.Join(dir, "s"+seed+".parquet")
		if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "--seed", seed, "synth", "--docs", "500", "--tasks", "4", "-o", p); code != 0 {
			t.Fatalf("synth: %s", stderr)
		}
		data, _ := os.ReadFile(p)
		return data
	}
	a, b, c := synth("5"), synth("5"), synth("6")
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Errorf("synth: same seed equal %v (want true), other seed equal %v (want false)", bytes.Equal(a, b), bytes.Equal(a, c))
	}
}

// TestInterruptedLeavesNothing cancels a run (as SIGINT does) and checks
// the exit status and that no output, final or temporary, is left.
func TestInterruptedLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, stderr := runCLI(t, ctx, nil, false, "cat", "-i", corpus, "-o", filepath.Join(dir, "x.parquet"))
	if code != exitSignal || !strings.Contains(stderr, "interrupted") {
		t.Errorf("cancelled cat: exit %d, stderr %q", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}
