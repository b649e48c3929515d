package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/internal/longtest"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/train"
)

// The bad-input matrix: every command that reads data × every class of bad
// input. Each cell checks the exit status, that the error is one line on
// stderr naming the culprit, and that nothing partial is left in the
// output folder or in TMPDIR; cells that are not errors check what the
// command does instead (rows in = rows out + rejected rows).

// badRows is the number of rows of every fixture corpus.
const badRows = 400

// badClasses are the classes of bad input, in the order of the README
// table.
var badClasses = []string{
	"missing", "unreadable", "empty", "truncated", "wrong-format",
	"wrong-type", "null-text", "nan-vector", "non-utf8", "big-doc",
	"escaping-path", "full-disk",
}

// badFixtures are the files and datasets the cells read.
type badFixtures struct {
	dir  string
	bin  string
	tmp  string // TMPDIR of every cell: must stay empty
	root bool   // running as root: permissions do not apply
}

// file is the input file of class cls for a stream command; withTasks
// picks the variant with a task column (for shard).
func (f *badFixtures) file(cls string, withTasks bool) string {
	name := cls
	if cls == "full-disk" {
		name = "good"
	}
	switch name {
	case "good", "wrong-type", "null-text", "nan-vector", "non-utf8", "big-doc":
		if withTasks {
			name += "-tasks"
		}
	}
	return filepath.Join(f.dir, name+".parquet")
}

// dataset is the dataset folder of class cls for the commands that read
// datasets.
func (f *badFixtures) dataset(cls string) string {
	if cls == "full-disk" {
		return filepath.Join(f.dir, "ds-good")
	}
	return filepath.Join(f.dir, "ds-"+cls)
}

// badWriteParquet writes one record batch built by fill to path.
func badWriteParquet(t *testing.T, path string, sc *arrow.Schema, fill func(b *array.RecordBuilder)) {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	fill(b)
	rec := b.NewRecordBatch()
	defer rec.Release()
	w, err := stream.Create(path, sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		w.Abort()
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// badNaNHeldOut is the first row of task 0 (rows i with i mod 3 = 0) of the
// nan-vector corpus that train holds out for validation.
func badNaNHeldOut() int {
	for i := 0; ; i += 3 {
		if train.HeldOut(fmt.Sprintf("nv:%d", i)) {
			return i
		}
	}
}

// badPNG is the start of a PNG image: a file of the wrong format.
var badPNG = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00\x90\x91h6"), make([]byte, 200)...)

// makeUnreadable makes path unreadable: mode 000, or, as root (whom
// permissions do not stop), a symbolic link to itself, which no one can
// open (ELOOP).
func (f *badFixtures) makeUnreadable(t *testing.T, path string) {
	t.Helper()
	if f.root {
		os.Remove(path)
		if err := os.Symlink(filepath.Base(path), path); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
}

// badCLI runs the CLI in-process with -q and fails the test on a non-zero
// exit: for building fixtures.
func badCLI(t *testing.T, args ...string) {
	t.Helper()
	if code, _, stderr := runCLI(t, context.Background(), nil, false, append([]string{"-q"}, args...)...); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
}

// badCopyTree copies a folder.
func badCopyTree(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// badFirstShard is the path of the first task shard of a dataset.
func badFirstShard(dir string) string {
	return filepath.Join(dir, "task=000", "part-00000.parquet")
}

var (
	badOnce     sync.Once
	badShared   *badFixtures
	badBuildErr bool
)

// sharedBadFixtures builds the fixtures of the bad-input matrix once for
// the tests that share them.
func sharedBadFixtures(t *testing.T) *badFixtures {
	t.Helper()
	bin := binary(t)
	badOnce.Do(func() {
		badBuildErr = true
		badShared = newBadFixtures(t, sharedDir(t, "bad"))
		badShared.bin = bin
		badBuildErr = false
	})
	if badBuildErr {
		t.Fatal("building the bad-input fixtures failed (see the first test that asked for them)")
	}
	return badShared
}

func newBadFixtures(t *testing.T, dir string) *badFixtures {
	t.Helper()
	f := &badFixtures{dir: dir, root: os.Geteuid() == 0}
	f.tmp = filepath.Join(f.dir, "tmp")
	os.Mkdir(f.tmp, 0o755)
	texts, labels := readTexts(t, corpus)
	texts, labels = texts[:badRows], labels[:badRows]

	str := arrow.BinaryTypes.String
	vec := func(n int32) arrow.DataType { return arrow.FixedSizeListOf(n, arrow.PrimitiveTypes.Float32) }
	var big strings.Builder // one document of 50 MB
	for i := 0; longtest.Enabled() && big.Len() < 50<<20; i++ {
		big.WriteString(texts[i%badRows])
		big.WriteString("\n\n")
	}
	heldOut := badNaNHeldOut()
	// Every corpus is written twice: as it is, and with a task column
	// (row i in task i mod 3) for shard.
	for _, tasks := range []bool{false, true} {
		suffix := ""
		if tasks {
			suffix = "-tasks"
		}
		fields := func(fs ...arrow.Field) *arrow.Schema {
			if tasks {
				fs = append(fs, arrow.Field{Name: "task", Type: arrow.PrimitiveTypes.Int32})
			}
			return arrow.NewSchema(fs, nil)
		}
		appendTask := func(b *array.RecordBuilder) {
			if tasks {
				tb := b.Field(b.Schema().NumFields() - 1).(*array.Int32Builder)
				for i := range badRows {
					tb.Append(int32(i % 3))
				}
			}
		}
		textLabel := func(text func(i int) (string, bool)) func(b *array.RecordBuilder) {
			return func(b *array.RecordBuilder) {
				tb, lb := b.Field(0).(*array.StringBuilder), b.Field(1).(*array.StringBuilder)
				for i := range badRows {
					if s, ok := text(i); ok {
						tb.Append(s)
					} else {
						tb.AppendNull()
					}
					lb.Append(labels[i])
				}
				appendTask(b)
			}
		}
		plain := fields(arrow.Field{Name: "text", Type: str, Nullable: true}, arrow.Field{Name: "label", Type: str})
		badWriteParquet(t, filepath.Join(f.dir, "good"+suffix+".parquet"), plain, textLabel(func(i int) (string, bool) { return texts[i], true }))
		// null-text: every tenth text is null.
		badWriteParquet(t, filepath.Join(f.dir, "null-text"+suffix+".parquet"), plain, textLabel(func(i int) (string, bool) { return texts[i], i%10 != 3 }))
		// non-utf8: every tenth text starts with Latin-1 bytes.
		badWriteParquet(t, filepath.Join(f.dir, "non-utf8"+suffix+".parquet"), plain, textLabel(func(i int) (string, bool) {
			if i%10 == 4 {
				return "caf\xe9 na\xefve \xff\xfe " + texts[i], true
			}
			return texts[i], true
		}))
		// big-doc: row 200 is one document of 50 MB (long tests only:
		// its cells take minutes under -race).
		if longtest.Enabled() {
			badWriteParquet(t, filepath.Join(f.dir, "big-doc"+suffix+".parquet"), plain, textLabel(func(i int) (string, bool) {
				if i == 200 {
					return big.String(), true
				}
				return texts[i], true
			}))
		}
		// wrong-type: the text column is int64.
		badWriteParquet(t, filepath.Join(f.dir, "wrong-type"+suffix+".parquet"),
			fields(arrow.Field{Name: "text", Type: arrow.PrimitiveTypes.Int64}, arrow.Field{Name: "label", Type: str}),
			func(b *array.RecordBuilder) {
				for i := range badRows {
					b.Field(0).(*array.Int64Builder).Append(int64(i))
					b.Field(1).(*array.StringBuilder).Append(labels[i])
				}
				appendTask(b)
			})
		// nan-vector: pattern and semantic features and a doc_id; the
		// semantic vector of row 5 holds a NaN, that of row 9 a +Inf and
		// that of badNaNHeldOut (a row train holds out for validation) a NaN.
		badWriteParquet(t, filepath.Join(f.dir, "nan-vector"+suffix+".parquet"),
			fields(arrow.Field{Name: "doc_id", Type: str}, arrow.Field{Name: "text", Type: str}, arrow.Field{Name: "label", Type: str},
				arrow.Field{Name: "pattern", Type: vec(24)}, arrow.Field{Name: "semantic", Type: vec(8)}),
			func(b *array.RecordBuilder) {
				pb, sb := b.Field(3).(*array.FixedSizeListBuilder), b.Field(4).(*array.FixedSizeListBuilder)
				pv, sv := pb.ValueBuilder().(*array.Float32Builder), sb.ValueBuilder().(*array.Float32Builder)
				for i := range badRows {
					b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("nv:%d", i))
					b.Field(1).(*array.StringBuilder).Append(texts[i])
					b.Field(2).(*array.StringBuilder).Append(labels[i])
					pb.Append(true)
					for j := range 24 {
						pv.Append(float32(math.Sin(float64(i*24 + j))))
					}
					sb.Append(true)
					for j := range 8 {
						v := float32(math.Cos(float64(i*8 + j)))
						switch {
						case (i == 5 || i == heldOut) && j == 2:
							v = float32(math.NaN())
						case i == 9 && j == 0:
							v = float32(math.Inf(1))
						}
						sv.Append(v)
					}
				}
				appendTask(b)
			})
	}
	good, err := os.ReadFile(filepath.Join(f.dir, "good.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(f.dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("empty.parquet", nil)
	write("truncated.parquet", good[:len(good)/2])
	write("wrong-format.parquet", badPNG)
	write("unreadable.parquet", good)
	f.makeUnreadable(t, filepath.Join(f.dir, "unreadable.parquet"))

	// Datasets: a good one made by partition, one per file class made by
	// spoiling a copy, one per data class made by shard from the corpus
	// of that class (the manifest agrees with the shards: only the data
	// is bad).
	dsGood := f.dataset("full-disk")
	badCLI(t, "partition", "-i", filepath.Join(f.dir, "good.parquet"), "--k", "3", "--sample", "400",
		"--features-sample", "400", "--dim", "8", "--vocab", "2000", "--restarts", "1", "--label-col", "label", "--keep-features", "-o", dsGood+"/")
	for _, cls := range []string{"unreadable", "empty", "truncated", "wrong-format", "escaping-path"} {
		badCopyTree(t, dsGood, f.dataset(cls))
	}
	shard := badFirstShard(f.dataset("empty"))
	os.WriteFile(shard, nil, 0o644)
	shard = badFirstShard(f.dataset("truncated"))
	data, _ := os.ReadFile(shard)
	os.WriteFile(shard, data[:len(data)/2], 0o644)
	os.WriteFile(badFirstShard(f.dataset("wrong-format")), badPNG, 0o644)
	f.makeUnreadable(t, filepath.Join(f.dataset("unreadable"), dataset.ManifestName))
	// escaping-path: the first shard is listed as "../escape.parquet", a
	// copy of it outside the dataset (same bytes, same sha256), so that
	// only the path check can catch it.
	esc := f.dataset("escaping-path")
	data, _ = os.ReadFile(badFirstShard(esc))
	write("escape.parquet", data)
	mpath := filepath.Join(esc, dataset.ManifestName)
	man, _ := os.ReadFile(mpath)
	man2 := strings.Replace(string(man), `"task=000/part-00000.parquet"`, `"../escape.parquet"`, 1)
	if man2 == string(man) {
		t.Fatalf("no first shard in %s", man)
	}
	os.WriteFile(mpath, []byte(man2), 0o644)
	for _, cls := range []string{"wrong-type", "null-text", "nan-vector", "non-utf8", "big-doc"} {
		if cls == "big-doc" && !longtest.Enabled() {
			continue
		}
		badCLI(t, "shard", "-i", f.file(cls, true), "--tasks", "3", "--keep-features", "-o", f.dataset(cls))
	}
	// Two small runs on the good dataset, one per objective, for eval.
	badCLI(t, append([]string{"train", "-i", dsGood, "-o", filepath.Join(f.dir, "run-token")}, badTrainFlags("masked-token")...)...)
	badCLI(t, append([]string{"train", "-i", dsGood, "-o", filepath.Join(f.dir, "run-reg")}, badTrainFlags("masked-regression")...)...)
	return f
}

// badTrainFlags are the flags of a small, quick training run.
func badTrainFlags(objective string) []string {
	return []string{"--objective", objective, "--steps", "2", "--per-task-batch", "4", "--hidden", "8",
		"--vocab", "1024", "--embed", "8", "--checkpoint-every", "2", "--strategy", "minimax"}
}

// badObjective picks the training objective a class is about: the text
// classes need masked-token, the others read the semantic vectors.
func badObjective(cls string) string {
	switch cls {
	case "wrong-type", "null-text", "non-utf8", "big-doc":
		return "masked-token"
	}
	return "masked-regression"
}

// badCommand is one command of the matrix.
type badCommand struct {
	name string
	// args are the command's arguments (after -q) for class cls, reading
	// the fixtures and writing under out, a folder empty before.
	args func(f *badFixtures, cls, out string) []string
}

var badCommands = []badCommand{
	{"cat", func(f *badFixtures, cls, out string) []string {
		return []string{"cat", "-i", f.file(cls, false), "-o", filepath.Join(out, "out.jsonl")}
	}},
	{"inspect", func(f *badFixtures, cls, out string) []string {
		if cls == "escaping-path" {
			return []string{"inspect", f.dataset(cls)}
		}
		return []string{"inspect", f.file(cls, false)}
	}},
	{"features", func(f *badFixtures, cls, out string) []string {
		a := []string{"features", "-i", f.file(cls, false), "-o", filepath.Join(out, "out.parquet"),
			"--sample", "300", "--dim", "8", "--vocab", "2000"}
		if cls == "nan-vector" {
			a = append(a, "--semantic", "column=semantic")
		}
		return a
	}},
	{"partition", func(f *badFixtures, cls, out string) []string {
		return []string{"partition", "-i", f.file(cls, false), "-o", filepath.Join(out, "ds") + "/", "--k", "3",
			"--sample", "400", "--features-sample", "300", "--dim", "8", "--vocab", "2000", "--restarts", "1"}
	}},
	{"shard", func(f *badFixtures, cls, out string) []string {
		a := []string{"shard", "-i", f.file(cls, true), "--tasks", "3", "-o", filepath.Join(out, "ds")}
		if cls == "full-disk" {
			a = append(a, "--compression", "none") // shards larger than the limit
		}
		return a
	}},
	{"verify", func(f *badFixtures, cls, out string) []string {
		return []string{"verify", f.dataset(cls)}
	}},
	{"train", func(f *badFixtures, cls, out string) []string {
		a := []string{"train", "-i", f.dataset(cls), "-o", filepath.Join(out, "run")}
		switch cls {
		case "full-disk":
			// The default vocabulary makes a checkpoint of megabytes.
			return append(a, "--objective", "masked-token", "--steps", "2")
		case "nan-vector":
			// Enough draws to meet rows 5 and 9.
			return append(a, append(badTrainFlags("masked-regression"), "--steps", "20", "--per-task-batch", "32")...)
		}
		return append(a, badTrainFlags(badObjective(cls))...)
	}},
	{"eval", func(f *badFixtures, cls, out string) []string {
		run := "run-reg"
		if badObjective(cls) == "masked-token" {
			run = "run-token"
		}
		return []string{"eval", "--shards", f.dataset(cls), filepath.Join(f.dir, run)}
	}},
	{"report", func(f *badFixtures, cls, out string) []string {
		return []string{"report", f.dataset(cls), "-o", filepath.Join(out, "report.html"), "--sample", "200"}
	}},
	{"run", func(f *badFixtures, cls, out string) []string {
		cfg := out + ".yaml"
		body := fmt.Sprintf(`output: %s
inputs: {paths: [%s]}
features: {dim: 8, vocab: 2000, sample: 300}
partition: {k: 3, sample: 400, restarts: 1}
train: {strategies: [minimax], steps: 2, per_task_batch: 4, hidden: 8, checkpoint_every: 2}
report: false
`, filepath.Join(out, "root"), f.file(cls, false))
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			panic(err)
		}
		return []string{"run", cfg}
	}},
}

// badReadsDataset tells whether a command's input is a dataset folder.
func badReadsDataset(cmd string) bool {
	switch cmd {
	case "verify", "train", "eval", "report":
		return true
	}
	return false
}

// badResult is what a cell's command did.
type badResult struct {
	code   int
	stdout string
	stderr string
	out    string // the cell's output folder
}

// badWant is what a cell expects.
type badWant struct {
	code int
	// msg are what the one error line must hold: the culprit file and,
	// for data, the row and column.
	msg []string
	// check, for exit status 0, checks what the command wrote.
	check func(t *testing.T, r badResult)
	// na: the class does not apply to the command (why).
	na string
	// known: a failure in code outside this change (what is wrong); the
	// cell is skipped until it is fixed.
	known string
	// keep lists what may stay in the output folder after the failure:
	// whole files a later command continues from (train's run folder).
	keep []string
}

// want is the expected outcome of command cmd on class cls.
func (f *badFixtures) want(cmd, cls string) badWant {
	unreadable, unreadableManifest := "permission denied", "permission denied"
	if f.root {
		// A symlink loop: a dataset's reader opens only regular files.
		unreadable, unreadableManifest = "too many levels of symbolic links", "not a regular file"
	}
	fileMsg := map[string][]string{
		"missing":      {"missing.parquet", "no such file"},
		"unreadable":   {"unreadable.parquet", unreadable},
		"empty":        {"empty.parquet", "empty file"},
		"truncated":    {"truncated.parquet", "not a valid Parquet file"},
		"wrong-format": {"wrong-format.parquet", "not a valid Parquet file"},
	}
	shard := "task=000/part-00000.parquet"
	if cmd == "report" && f.root {
		// report tells a dataset from a run folder by stat-ing the
		// manifest first, which meets the loop.
		unreadableManifest = unreadable
	}
	dsMsg := map[string][]string{
		"missing":       {"ds-missing"},
		"unreadable":    {"ds-unreadable/manifest.json", unreadableManifest},
		"empty":         {"ds-empty", shard},
		"truncated":     {"ds-truncated", shard},
		"wrong-format":  {"ds-wrong-format", shard},
		"escaping-path": {"ds-escaping-path/manifest.json", `"../escape.parquet"`},
	}
	if m, ok := fileMsg[cls]; ok && !badReadsDataset(cmd) {
		return badWant{code: exitBadInput, msg: m}
	}
	if m, ok := dsMsg[cls]; ok {
		switch {
		case badReadsDataset(cmd):
			return badWant{code: exitBadInput, msg: m}
		case cmd == "inspect":
			return badWant{code: exitBadInput, msg: m}
		default:
			return badWant{na: "takes no path from its input data"}
		}
	}
	nanMsg := []string{"nan-vector.parquet", `column "semantic"`, `"nv:5"`, "NaN"}
	rows := func(n int64) func(t *testing.T, r badResult) {
		return func(t *testing.T, r badResult) { badCheckRows(t, r, n) }
	}
	switch cls {
	case "wrong-type":
		switch cmd {
		case "features", "partition":
			return badWant{code: exitBadInput, msg: []string{"wrong-type.parquet", `column "text"`, "int64"}}
		case "run":
			return badWant{code: exitBadInput, msg: []string{"wrong-type.parquet", `column "text"`, "int64"}}
		case "train", "eval":
			return badWant{code: exitBadInput, msg: []string{"ds-wrong-type", "part-00000.parquet", `column "text"`, "int64"}}
		case "report":
			// The report shows what it can; the texts are numbers.
			return badWant{check: badCheckReport}
		}
		// cat, inspect, shard, verify do not look at the text.
		return badWant{check: rows(0)}
	case "null-text":
		switch cmd {
		case "features", "partition", "run":
			// Rows with a null text are rejected with a reason.
			return badWant{check: rows(40)}
		case "report":
			return badWant{check: badCheckReport}
		}
		// cat writes null; shard, verify do not look at the text; train
		// and eval take a null text for an empty document.
		return badWant{check: rows(0)}
	case "nan-vector":
		switch cmd {
		case "cat":
			return badWant{code: exitBadInput, msg: []string{"out.jsonl", "row 5", `column "semantic"`, "NaN", "JSON"}}
		case "features", "partition":
			return badWant{code: exitBadInput, msg: nanMsg}
		case "train", "eval":
			return badWant{code: exitBadInput, msg: []string{"part-00000.parquet", `column "semantic"`, "doc_id", "expected a finite number"}}
		case "report":
			return badWant{check: badCheckReport}
		}
		// inspect, shard and verify do not read values; run recomputes
		// the semantic column (lsa), replacing the one with NaN.
		return badWant{check: rows(0)}
	case "non-utf8":
		if cmd == "report" {
			return badWant{check: badCheckReport}
		}
		// Accepted: tokenizers read invalid bytes as U+FFFD; the JSONL
		// writer replaces them with \ufffd.
		return badWant{check: rows(0)}
	case "big-doc":
		switch cmd {
		case "report":
			return badWant{check: badCheckReport}
		}
		return badWant{check: rows(0)}
	case "full-disk":
		switch cmd {
		case "inspect", "verify", "eval":
			return badWant{check: rows(0)} // they write no file
		case "train":
			// A failed run keeps its folder for --resume: model.json and
			// whatever checkpoint and log were written whole.
			return badWant{code: exitFailure, msg: []string{"run", "file too large"}, keep: []string{"run/model.json", "run/train_log.parquet", "run/" + dataset.TrainJournalFile, "run/checkpoint.safetensors", "run"}}
		case "run":
			return badWant{code: exitFailure, msg: []string{"file too large"}}
		}
		// The message names the file that could not be written: the
		// output (partition writes no features spool since issue 16: its
		// first file is a shard).
		file := map[string]string{"cat": "out.jsonl", "features": "out.parquet", "partition": "part-00000.parquet",
			"shard": "part-00000.parquet", "report": "report.html"}[cmd]
		return badWant{code: exitFailure, msg: []string{file, "file too large"}}
	}
	panic("no expectation for " + cmd + " × " + cls)
}

// badCheckRows checks what a command that succeeded wrote, and that rows
// in = rows out + rejected rows, rejected rows being null texts.
func badCheckRows(t *testing.T, r badResult, rejected int64) {
	t.Helper()
	if r.stderr != "" {
		t.Errorf("stderr %q, want nothing (-q)", r.stderr)
	}
	cmd := strings.SplitN(filepath.Base(r.out), "-", 2)[0]
	switch cmd {
	case "cat":
		data, err := os.ReadFile(filepath.Join(r.out, "out.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(data, []byte("\n")); n != badRows {
			t.Errorf("out.jsonl has %d lines, want %d", n, badRows)
		}
		if !utf8.Valid(data) {
			t.Error("out.jsonl is not valid UTF-8")
		}
		if strings.HasSuffix(r.out, "non-utf8") && bytes.Count(data, []byte(`"caf\ufffd na\ufffdve \ufffd\ufffd `)) != badRows/10 {
			t.Error("invalid UTF-8 is not replaced by U+FFFD")
		}
		if strings.HasSuffix(r.out, "null-text") && bytes.Count(data, []byte(`"text":null`)) != badRows/10 {
			t.Error("null texts are not written as null")
		}
	case "inspect":
		if !strings.Contains(r.stdout, fmt.Sprintf("%d rows", badRows)) {
			t.Errorf("inspect does not report %d rows:\n%s", badRows, r.stdout)
		}
	case "features":
		n, rej := badCountRows(t, filepath.Join(r.out, "out.parquet"))
		if n != badRows || rej != rejected {
			t.Errorf("%d rows out, %d rejected; want %d, %d", n, rej, badRows, rejected)
		}
	case "partition", "shard", "run":
		dir := filepath.Join(r.out, "ds")
		if cmd == "run" {
			dir = filepath.Join(r.out, "root", "dataset")
		}
		badCheckDataset(t, dir, rejected)
	case "verify":
		if !strings.HasSuffix(strings.TrimSpace(r.stdout), ": OK") {
			t.Errorf("verify does not say OK:\n%s", r.stdout)
		}
	case "train":
		if _, err := os.Stat(filepath.Join(r.out, "run", "eval.json")); err != nil {
			t.Errorf("the run has no eval.json: %v", err)
		}
	case "eval":
		if !strings.Contains(r.stdout, "worst") {
			t.Errorf("eval printed no table:\n%s", r.stdout)
		}
	}
}

// badCheckReport checks that report wrote one HTML page.
func badCheckReport(t *testing.T, r badResult) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.out, "report.html"))
	if err != nil || !bytes.Contains(data, []byte("</html>")) {
		t.Errorf("no complete report.html (%d bytes): %v", len(data), err)
	}
}

// badCountRows counts the rows of a data file and those with a reject
// reason.
func badCountRows(t *testing.T, path string) (rows, rejected int64) {
	t.Helper()
	rd, err := stream.Open(context.Background(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return rows, rejected
		}
		if err != nil {
			t.Fatal(err)
		}
		rows += rec.NumRows()
		reasons := stream.Rejects(rec)
		for i := range int(rec.NumRows()) {
			if stream.IsRejected(reasons, i) {
				rejected++
			}
		}
	}
}

// badCheckDataset checks a dataset with verify and its manifest's
// conservation of rows: input rows = rows in tasks + rejected rows.
func badCheckDataset(t *testing.T, dir string, rejected int64) {
	t.Helper()
	if code, stdout, stderr := runCLI(t, context.Background(), nil, false, "-q", "verify", dir); code != 0 {
		t.Errorf("verify %s: exit %d\n%s%s", dir, code, stdout, stderr)
	}
	m, err := dataset.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.InputRows != badRows || m.TotalRows+m.Rejected.Rows != m.InputRows || m.Rejected.Rows != rejected {
		t.Errorf("manifest: %d rows in, %d in tasks, %d rejected (%v); want %d in, %d rejected",
			m.InputRows, m.TotalRows, m.Rejected.Rows, m.Rejected.Reasons, badRows, rejected)
	}
}

// runReal runs the real binary with -q and args under a file-size limit
// of 16 KiB (a full disk: writes fail with EFBIG; Go ignores SIGXFSZ, so
// the process is not killed), TMPDIR set to f.tmp.
func (f *badFixtures) runReal(t *testing.T, args []string) badResult {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"-c", `ulimit -f 16 && exec "$@"`, "bash", f.bin, "-q"}, args...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+f.tmp)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("killed by %v: %s", ws.Signal(), stderr.String())
	}
	return badResult{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// badLeftovers lists what is under dir, relative to it.
func badLeftovers(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if p != dir && err == nil {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// badTempNames are the badLeftovers that look temporary: staging files and
// folders of atomic writes, datasets and spools (stream.IsStagingName),
// and any other name of the tool's ("robustdata-", ".tmp-", ".old-").
func badTempNames(paths []string) []string {
	var out []string
	for _, p := range paths {
		b := filepath.Base(p)
		if stream.IsStagingName(b) || strings.Contains(b, ".tmp-") || strings.Contains(b, ".old-") || strings.HasPrefix(b, "robustdata-") {
			out = append(out, p)
		}
	}
	return out
}

// TestBadInputMatrix runs every command that reads data on every class of
// bad input (see badClasses and the README's "Errors and exit codes").
// Cells whose command writes run in-process, except full-disk, which runs
// the real binary under a file-size limit.
// The matrix is cut in four tests (TestBadInputMatrixFeatures,
// TestBadInputMatrixShardTrain and TestBadInputMatrixRun beside this one)
// that share their fixtures.
func TestBadInputMatrix(t *testing.T) {
	for _, c := range badCommands {
		if !slices.Contains(badMatrixTools, c.name) && !slices.Contains(badMatrixFeatures, c.name) && !slices.Contains(badMatrixShardTrain, c.name) && c.name != "run" {
			t.Errorf("command %s is in none of the bad-input matrix tests", c.name)
		}
	}
	badMatrix(t, badMatrixTools...)
}

var (
	badMatrixTools      = []string{"cat", "inspect", "verify", "report", "eval"}
	badMatrixFeatures   = []string{"features", "partition"}
	badMatrixShardTrain = []string{"shard", "train"}
)

// TestBadInputMatrixFeatures is the matrix of TestBadInputMatrix for the
// stages features and partition.
func TestBadInputMatrixFeatures(t *testing.T) {
	badMatrix(t, badMatrixFeatures...)
}

// TestBadInputMatrixShardTrain is the matrix of TestBadInputMatrix for
// the stages shard and train.
func TestBadInputMatrixShardTrain(t *testing.T) {
	badMatrix(t, badMatrixShardTrain...)
}

// TestBadInputMatrixRun is the matrix of TestBadInputMatrix for run.
func TestBadInputMatrixRun(t *testing.T) {
	badMatrix(t, "run")
}

// badMatrix runs the cells of the bad-input matrix of the named commands.
func badMatrix(t *testing.T, names ...string) {
	f := sharedBadFixtures(t)
	t.Setenv("TMPDIR", f.tmp)
	for _, c := range badCommands {
		if !slices.Contains(names, c.name) {
			continue
		}
		for _, cls := range badClasses {
			t.Run(c.name+"/"+cls, func(t *testing.T) {
				if cls == "big-doc" {
					longtest.Skip(t, "a 50 MB document through every command")
				}
				w := f.want(c.name, cls)
				switch {
				case w.na != "":
					t.Skipf("n/a: %s %s", c.name, w.na)
				case w.known != "":
					t.Skipf("known: %s", w.known)
				}
				out := filepath.Join(f.dir, "out", c.name+"-"+cls)
				if err := os.MkdirAll(out, 0o755); err != nil {
					t.Fatal(err)
				}
				args := c.args(f, cls, out)
				var r badResult
				if cls == "full-disk" {
					r = f.runReal(t, args)
				} else {
					code, stdout, stderr := runCLI(t, context.Background(), nil, false, append([]string{"-q"}, args...)...)
					r = badResult{code: code, stdout: string(stdout), stderr: stderr}
				}
				r.out = out
				defer func() {
					// Whatever happened, nothing temporary is left.
					if left := badTempNames(badLeftovers(out)); len(left) > 0 {
						t.Errorf("temporary files left: %v", left)
					}
					if left := badLeftovers(f.tmp); len(left) > 0 {
						t.Errorf("left in TMPDIR: %v", left)
						for _, p := range left {
							os.RemoveAll(filepath.Join(f.tmp, p))
						}
					}
				}()
				if r.code != w.code {
					t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, w.code, r.stderr)
				}
				if w.code == exitOK {
					w.check(t, r)
					return
				}
				line := strings.TrimSuffix(r.stderr, "\n")
				t.Logf("exit %d: %s", r.code, line)
				if strings.Contains(line, "\n") || !strings.HasPrefix(line, "robustdata: ") {
					t.Errorf("stderr is not one error line: %q", r.stderr)
				}
				for _, m := range w.msg {
					if !strings.Contains(line, m) {
						t.Errorf("error %q does not say %q", line, m)
					}
				}
				var left []string
				for _, p := range badLeftovers(out) {
					if !slices.Contains(w.keep, p) {
						left = append(left, p)
					}
				}
				if len(left) > 0 {
					t.Errorf("output left after a failure: %v", left)
				}
			})
		}
	}
}

// badSIGINTCase is one command TestSIGINT interrupts.
type badSIGINTCase struct {
	name string
	args []string // after -q; OUT stands for the output folder
	// pipe: the command writes a stream to standard output (a pipe).
	pipe bool
	// started tells from the output folder's entries, TMPDIR's and the
	// bytes written to stdout that the command has started writing.
	started func(out, tmp []string, streamed int64) bool
}

// TestSIGINT interrupts long-running commands of the real binary once they
// have started writing and checks that they exit with status 130 within a
// second, leaving no output and no temporary file behind.
func TestSIGINT(t *testing.T) {
	longtest.Skip(t, "interrupts the real binary at several points")
	bin := binary(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big.parquet")
	badCLI(t, "synth", "--docs", "100000", "--tasks", "8", "-o", big)
	tmp := filepath.Join(dir, "tmp")
	os.Mkdir(tmp, 0o755)
	feat := []string{"--dim", "16", "--vocab", "4096"}
	hasTemp := func(names []string) bool { return len(badTempNames(names)) > 0 }
	for _, tc := range []badSIGINTCase{
		{name: "features", args: append([]string{"features", "-i", big, "-o", "OUT/f.parquet", "--sample", "2000"}, feat...),
			started: func(out, _ []string, _ int64) bool { return hasTemp(out) }},
		// Interrupted in the first pass or the k-means fit (no spool since
		// issue 16: nothing on disk tells the fit started; a long fit
		// interrupted after 1.5 s).
		{name: "partition-fit", args: append([]string{"partition", "-i", big, "-o", "OUT/ds/", "--k", "64", "--restarts", "8", "--sample", "100000", "--features-sample", "2000"}, feat...),
			started: func() func(_, _ []string, _ int64) bool {
				var first time.Time
				return func(_, _ []string, _ int64) bool {
					if first.IsZero() {
						first = time.Now()
					}
					return time.Since(first) > 1500*time.Millisecond
				}
			}()},
		{name: "partition-shards", args: append([]string{"partition", "-i", big, "-o", "OUT/ds/", "--k", "4", "--sample", "5000", "--features-sample", "2000"}, feat...),
			started: func(out, _ []string, _ int64) bool { return hasTemp(out) }},
		{name: "features-stdout", args: append([]string{"features", "-i", big, "-o", "-", "--sample", "2000"}, feat...), pipe: true,
			started: func(_, _ []string, n int64) bool { return n > 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+tc.name)
			os.Mkdir(out, 0o755)
			args := []string{"-q"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "OUT", out))
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			stream := filepath.Join(dir, tc.name+".arrows")
			var streamed badCounter
			copied := make(chan error, 1)
			if tc.pipe {
				pr, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				sf, err := os.Create(stream)
				if err != nil {
					t.Fatal(err)
				}
				defer sf.Close()
				go func() {
					_, err := io.Copy(badCountingWriter{sf, &streamed}, pr)
					copied <- err
				}()
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			deadline := time.Now().Add(60 * time.Second)
			for !tc.started(badLeftovers(out), badLeftovers(tmp), streamed.load()) {
				select {
				case <-done:
					t.Fatalf("finished before it was interrupted: %s", stderr.String())
				case <-time.After(10 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("did not start writing within 60 s")
				}
			}
			time.Sleep(300 * time.Millisecond)
			sent := time.Now()
			cmd.Process.Signal(os.Interrupt)
			select {
			case <-done:
			case <-time.After(time.Second):
				// Too slow: the goroutine dump shows which loop ignores
				// the cancellation.
				cmd.Process.Signal(syscall.SIGQUIT)
				<-done
				t.Fatalf("still running 1 s after SIGINT; goroutines:\n%s", stderr.String())
			}
			took := time.Since(sent)
			if tc.pipe {
				<-copied
			}
			code := cmd.ProcessState.ExitCode()
			t.Logf("%s: exit %d %v after SIGINT", tc.name, code, took.Round(time.Millisecond))
			if code != exitSignal || stderr.String() != "robustdata: interrupted\n" {
				t.Errorf("exit %d, stderr %q; want %d and one line", code, stderr.String(), exitSignal)
			}
			if left := badLeftovers(out); len(left) != 0 {
				t.Errorf("left in the output folder: %v", left)
			}
			if left := badLeftovers(tmp); len(left) != 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
			if tc.pipe {
				// The cut stream must not pass for a complete one.
				code, _, errOut := runCLI(t, context.Background(), nil, false, "-q", "cat", "-i", stream, "-o", filepath.Join(dir, "copy.parquet"))
				if code != exitBadInput || !strings.Contains(errOut, tc.name+".arrows") {
					t.Errorf("reading the interrupted stream (%d bytes): exit %d, %q; want 3", streamed.load(), code, errOut)
				}
			}
		})
	}
}

// badCounter is a counter shared with a copying goroutine.
type badCounter struct{ v atomic.Int64 }

func (a *badCounter) load() int64 { return a.v.Load() }

// badCountingWriter counts the bytes written through it.
type badCountingWriter struct {
	w io.Writer
	n *badCounter
}

func (c badCountingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.v.Add(int64(n))
	return n, err
}

// TestNoUsableText runs features and partition on inputs without two
// usable texts: each is bad input (exit 3) on one line naming the file,
// never a run-time failure that names nothing.
func TestNoUsableText(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, data string }{
		{"blank.jsonl", "{\"text\":\"\"}\n{\"text\":\"   \"}\n{\"text\":null}\n"},
		{"one.jsonl", "{\"text\":\"one lonely document\"}\n"},
		{"punct.jsonl", "{\"text\":\"!!! ...\"}\n{\"text\":\"?? ,,\"}\n"},
	} {
		in := filepath.Join(dir, tc.name)
		if err := os.WriteFile(in, []byte(tc.data), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"-q", "features", "-i", in, "-o", filepath.Join(dir, "f-"+tc.name+".parquet")},
			{"-q", "partition", "-i", in, "-o", filepath.Join(dir, "p-"+tc.name) + "/", "--k", "2"},
		} {
			code, _, stderr := runCLI(t, context.Background(), nil, false, args...)
			if code != exitBadInput || !strings.Contains(stderr, tc.name) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%s on %s: exit %d, stderr %q; want %d and one line naming the file", args[1], tc.name, code, stderr, exitBadInput)
			}
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 3 {
		t.Errorf("outputs left behind: %v", left)
	}
}

// TestBadFlagValues checks flag values that used to be accepted and then
// fail late or be ignored: each is bad usage (exit 2) before any input is
// read (the input named here does not exist).
func TestBadFlagValues(t *testing.T) {
	dir := t.TempDir()
	ds := filepath.Join(dir, "nope")
	run := filepath.Join(dir, "run")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"NaN temperature", []string{"train", "-i", ds, "-o", run, "--temperature", "NaN"}, "--temperature"},
		{"infinite lr", []string{"train", "-i", ds, "-o", run, "--lr", "+Inf"}, "--lr"},
		{"NaN smoothing", []string{"train", "-i", ds, "-o", run, "--smoothing", "NaN"}, "--smoothing"},
		{"negative eta", []string{"train", "-i", ds, "-o", run, "--eta", "-1"}, "--eta"},
		{"10^18 steps", []string{"train", "-i", ds, "-o", run, "--steps", "1000000000000000000"}, "--steps"},
		{"duplicate columns", []string{"cat", "-i", ds, "--columns", "text,text"}, `"text" twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, context.Background(), nil, false, append([]string{"-q"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d naming %s", code, stderr, exitUsage, tc.want)
			}
		})
	}
	if _, err := os.Stat(run); err == nil {
		t.Errorf("a run folder was created")
	}
}

// TestPartitionModelOtherK checks that partition --model refuses, before
// writing anything, a --k or --dim other than the model's (they used to be
// ignored or fail late) and raw inputs without the features model the
// partition model was fitted with (a refitted features space would make
// the assignment meaningless); with that features model it assigns.
func TestPartitionModelOtherK(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "c.parquet")
	model := filepath.Join(dir, "m.json")
	feats := filepath.Join(dir, "f.model")
	small := []string{"--dim", "8", "--vocab", "1024"}
	if code, _, stderr := runCLI(t, context.Background(), nil, false, "-q", "synth", "--docs", "300", "--tasks", "3", "-o", corpus); code != 0 {
		t.Fatalf("synth: %s", stderr)
	}
	args := append([]string{"-q", "partition", "-i", corpus, "--k", "3", "--model-out", model, "--features-model-out", feats, "-o", filepath.Join(dir, "a") + "/"}, small...)
	if code, _, stderr := runCLI(t, context.Background(), nil, false, args...); code != 0 {
		t.Fatalf("partition: %s", stderr)
	}
	for i, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--k", "4", "--features-model", feats}, "has K = 3"},
		{[]string{"--k", "auto", "--features-model", feats}, "has K = 3"},
		{[]string{"--dim", "16", "--features-model", feats}, "fitted on 8 semantic dimensions"},
		{[]string{"--k", "3"}, "give --features-model FILE"},
	} {
		out := filepath.Join(dir, fmt.Sprintf("b%d", i))
		args := append([]string{"-q", "partition", "-i", corpus, "--model", model, "-o", out + "/"}, tc.args...)
		code, _, stderr := runCLI(t, context.Background(), nil, false, args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%q: output written", tc.args)
		}
	}
	args = []string{"-q", "partition", "-i", corpus, "--k", "3", "--dim", "8", "--model", model, "--features-model", feats, "-o", filepath.Join(dir, "c") + "/"}
	if code, _, stderr := runCLI(t, context.Background(), nil, false, args...); code != 0 {
		t.Fatalf("the model's own K and dim: exit %d %s", code, stderr)
	}
	// Assigning with the saved models puts every row in the same task as
	// the fit did (the files differ in metadata: they record the models).
	for k := 0; k < 3; k++ {
		task := fmt.Sprintf("task=%03d", k)
		if a, c := dumpFile(t, filepath.Join(dir, "a", task)), dumpFile(t, filepath.Join(dir, "c", task)); strings.ReplaceAll(a, "/a/", "/c/") != c {
			t.Errorf("%s: the rows assigned with --model differ from the fit's", task)
		}
	}
}
