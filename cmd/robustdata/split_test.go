package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/robustdata/robustdata/internal/longtest"
)

// TestFeaturesSplit runs features --split I/N for every unit and checks
// that the parts, read as one folder, are the rows of the whole job (doc_ids
// and features included), that a complete unit is not run again, that a
// part without its marker is written again, and the usage errors.
func TestFeaturesSplit(t *testing.T) {
	dir := t.TempDir()
	corpus := smallCorpus(t)
	// Two inputs, one of several row groups.
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	cli := func(args ...string) (int, string) {
		t.Helper()
		code, _, stderr := runCLI(t, context.Background(), nil, false, args...)
		return code, stderr
	}
	if code, stderr := cli("-q", "cat", "-i", corpus, "--limit", "900", "--row-group-rows", "150", "-o", a); code != 0 {
		t.Fatal(stderr)
	}
	if code, stderr := cli("-q", "cat", "-i", corpus, "--limit", "300", "-o", b); code != 0 {
		t.Fatal(stderr)
	}
	model := filepath.Join(dir, "f.model")
	whole := filepath.Join(dir, "whole.jsonl")
	feat := []string{"--dim", "8", "--vocab", "2000", "--sample", "500"}
	if code, stderr := cli(append([]string{"-q", "features", "-i", a, "-i", b, "--model-out", model, "-o", whole}, feat...)...); code != 0 {
		t.Fatal(stderr)
	}
	parts := filepath.Join(dir, "parts") + "/"
	unit := func(i string) (int, string) {
		return cli("features", "--model", model, "-i", b, "-i", a, "--split", i+"/4", "-o", parts)
	}
	for _, i := range []string{"0", "1", "2"} {
		if code, stderr := unit(i); code != 0 {
			t.Fatal(stderr)
		}
	}
	// Unit 3 has not run: the folder is not read as if it were whole.
	if code, stderr := cli("-q", "cat", "-i", parts, "-o", filepath.Join(dir, "early.jsonl")); code != 3 || !strings.Contains(stderr, "work unit 3/4 is not complete") {
		t.Fatalf("reading an incomplete split: exit %d, %s", code, stderr)
	}
	if code, stderr := unit("3"); code != 0 {
		t.Fatal(stderr)
	}
	joined := func() []byte {
		out := filepath.Join(dir, "joined.jsonl")
		if code, stderr := cli("-q", "cat", "-i", parts, "-o", out); code != 0 {
			t.Fatal(stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	want, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	if got := joined(); !bytes.Equal(got, want) {
		t.Fatalf("the parts hold %d bytes of JSONL, the whole job %d: they differ", len(got), len(want))
	}
	part := filepath.Join(parts, "part-00001-of-00004.parquet")
	marker := filepath.Join(parts, "_unit-00001-of-00004.json")
	st, err := os.Stat(part)
	if err != nil {
		t.Fatal(err)
	}
	// Complete: not run again.
	old := st.ModTime().Add(-time.Hour)
	os.Chtimes(part, old, old)
	if code, stderr := unit("1"); code != 0 || !strings.Contains(stderr, "complete already") {
		t.Fatalf("rerun of a complete unit: %d %s", code, stderr)
	}
	if st, _ := os.Stat(part); !st.ModTime().Equal(old) {
		t.Error("a complete unit's part was written again")
	}
	// A part without its marker (a worker killed) is written again, the
	// same.
	os.Remove(marker)
	if code, stderr := unit("1"); code != 0 || strings.Contains(stderr, "complete already") {
		t.Fatalf("a unit without its marker: %d %s", code, stderr)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("no marker after the unit ran again")
	}
	if got := joined(); !bytes.Equal(got, want) {
		t.Fatal("the unit written again differs")
	}
	// partition --model --split over the features parts, then shard.
	pmodel, full := filepath.Join(dir, "p.json"), filepath.Join(dir, "full.jsonl")
	if code, stderr := cli("-q", "partition", "-i", parts, "--k", "3", "--sample", "800", "--model-out", pmodel, "-o", full); code != 0 {
		t.Fatal(stderr)
	}
	tparts := filepath.Join(dir, "tparts") + "/"
	for _, i := range []string{"1", "0", "2"} {
		if code, stderr := cli("-q", "partition", "-i", parts, "--model", pmodel, "--split", i+"/3", "-o", tparts); code != 0 {
			t.Fatal(stderr)
		}
	}
	if code, stderr := cli("-q", "cat", "-i", tparts, "-o", filepath.Join(dir, "tjoined.jsonl")); code != 0 {
		t.Fatal(stderr)
	}
	tj, _ := os.ReadFile(filepath.Join(dir, "tjoined.jsonl"))
	if fj, _ := os.ReadFile(full); len(fj) == 0 || !bytes.Equal(tj, fj) {
		t.Fatalf("partition's units hold other rows than the whole (%d and %d bytes)", len(tj), len(fj))
	}
	ds := filepath.Join(dir, "ds") + "/"
	if code, stderr := cli("-q", "shard", "-i", tparts, "-o", ds); code != 0 {
		t.Fatal(stderr)
	}
	if code, stderr := cli("verify", ds); code != 0 {
		t.Fatal(stderr)
	}
	if code, stderr := cli("partition", "-i", parts, "--k", "3", "--split", "0/2", "-o", tparts); code != 2 || !strings.Contains(stderr, "needs --model") {
		t.Errorf("partition --split without --model: exit %d, %s", code, stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"features", "-i", a, "--split", "0/2", "-o", parts}, "--split 0/2 needs --model"},
		{[]string{"features", "-i", a, "--model", model, "--split", "2/2", "-o", parts}, "--split must be I/N with 0 <= I < N"},
		{[]string{"features", "-i", a, "--model", model, "--split", "0/2", "-o", filepath.Join(dir, "x.parquet")}, "give -o DIR/"},
	} {
		if code, stderr := cli(c.args...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// TestSplitExample runs examples/split/run-local.sh with 1, 3 and 8 units
// side by side (OS processes) on the shipped corpus and checks that every
// row lands in the same task with the same task_distance.
func TestSplitExample(t *testing.T) {
	longtest.Skip(t, "the fortunes corpus through the split chain three times")
	bin := binary(t)
	dir := t.TempDir()
	// The corpus in 16 row groups, so that units cut it.
	corpus := filepath.Join(dir, "fortunes.parquet")
	cmd := exec.Command(bin, "-q", "cat", "-i", "examples/data/fortunes.parquet", "--row-group-rows", "1000", "-o", corpus)
	cmd.Dir = "../.."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	var first []byte
	for _, n := range []string{"1", "3", "8"} {
		out := filepath.Join(dir, "n"+n)
		shell(t, bin, "examples/split/run-local.sh", corpus, out, n)
		parts, _ := filepath.Glob(filepath.Join(out, "tasks", "part-*.parquet"))
		if want, _ := strconv.Atoi(n); len(parts) != want {
			t.Errorf("%s units wrote %d parts", n, len(parts))
		}
		rows := filepath.Join(dir, "rows"+n+".jsonl")
		cmd := exec.Command(bin, "-q", "cat", "-i", filepath.Join(out, "tasks")+"/", "--columns", "doc_id,task,task_distance", "-o", rows)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		data, err := os.ReadFile(rows)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = data
			continue
		}
		if !bytes.Equal(data, first) {
			t.Fatalf("%s units give other tasks or distances than 1", n)
		}
	}
	if n := bytes.Count(first, []byte("\n")); n != 15217 {
		t.Errorf("%d rows, want the corpus's 15217", n)
	}
	// examples/split/unit.sh as a Slurm array of 5 tasks and as the pods
	// of examples/split/k8s-indexed-job.yaml (one after the other here),
	// with the models fitted above: features and tasks in one pass.
	manifest := struct {
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int    `yaml:"completions"`
			Template       struct {
				Spec struct {
					Containers []struct {
						Command []string `yaml:"command"`
						Env     []struct{ Name, Value string }
					}
				}
			}
		}
	}{}
	data, err := os.ReadFile("../../examples/split/k8s-indexed-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	pod := manifest.Spec.Template.Spec.Containers[0]
	units := ""
	for _, e := range pod.Env {
		if e.Name == "UNITS" {
			units = e.Value
		}
	}
	if manifest.Spec.CompletionMode != "Indexed" || units != strconv.Itoa(manifest.Spec.Completions) || len(pod.Command) != 4 || pod.Command[1] != "examples/split/unit.sh" {
		t.Fatalf("the Indexed Job: mode %q, %d completions, UNITS %q, command %q", manifest.Spec.CompletionMode, manifest.Spec.Completions, units, pod.Command)
	}
	for _, sched := range []struct {
		name  string
		count int
		env   func(i int) []string
	}{
		{"slurm", 5, func(i int) []string {
			return []string{"SLURM_ARRAY_TASK_ID=" + strconv.Itoa(i), "SLURM_ARRAY_TASK_COUNT=5"}
		}},
		{"k8s", manifest.Spec.Completions, func(i int) []string { return []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(i), "UNITS=" + units} }},
	} {
		out := filepath.Join(dir, sched.name)
		os.MkdirAll(out, 0o755)
		for _, f := range []string{"features.model", "partition.json"} {
			data, err := os.ReadFile(filepath.Join(dir, "n1", f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(out, f), data, 0o644)
		}
		for i := range sched.count {
			cmd := exec.Command("bash", "examples/split/unit.sh", corpus, out)
			cmd.Dir = "../.."
			cmd.Env = append(append(os.Environ(), "ROBUSTDATA="+bin), sched.env(i)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s unit %d: %v\n%s", sched.name, i, err, b)
			}
		}
		if got := shell(t, bin, "examples/split/unit.sh", corpus, out, "shard"); !strings.Contains(got, ": OK") {
			t.Fatalf("%s: the shard step: %s", sched.name, got)
		}
		rows := filepath.Join(dir, sched.name+".jsonl")
		cmd := exec.Command(bin, "-q", "cat", "-i", filepath.Join(out, "tasks")+"/", "--columns", "doc_id,task,task_distance", "-o", rows)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if data, _ := os.ReadFile(rows); !bytes.Equal(data, first) {
			t.Fatalf("%s: the units (features computed in partition) give other tasks or distances", sched.name)
		}
	}
}

// TestSampleSplit checks that the features model fitted on the folder of
// every unit's share of the sample (features --split I/N --sample-only) is
// the model fitted on the whole corpus, byte for byte.
func TestSampleSplit(t *testing.T) {
	dir := t.TempDir()
	corpus := smallCorpus(t)
	a := filepath.Join(dir, "a.parquet")
	cli := func(args ...string) (int, string) {
		t.Helper()
		code, _, stderr := runCLI(t, context.Background(), nil, false, args...)
		return code, stderr
	}
	if code, stderr := cli("-q", "cat", "-i", corpus, "--limit", "1200", "--row-group-rows", "100", "-o", a); code != 0 {
		t.Fatal(stderr)
	}
	feat := []string{"--dim", "8", "--vocab", "2000", "--sample", "300"}
	whole := filepath.Join(dir, "whole.model")
	if code, stderr := cli(append([]string{"-q", "features", "-i", a, "--model-out", whole, "-o", filepath.Join(dir, "w.parquet")}, feat...)...); code != 0 {
		t.Fatal(stderr)
	}
	samples := filepath.Join(dir, "samples") + "/"
	for _, i := range []string{"2", "0", "3", "1"} {
		if code, stderr := cli(append([]string{"-q", "features", "-i", a, "--split", i + "/4", "--sample-only", "-o", samples}, feat...)...); code != 0 {
			t.Fatal(stderr)
		}
	}
	merged := filepath.Join(dir, "merged.model")
	if code, stderr := cli(append([]string{"-q", "features", "-i", samples, "--model-out", merged, "-o", filepath.Join(dir, "s.parquet")}, feat...)...); code != 0 {
		t.Fatal(stderr)
	}
	w, _ := os.ReadFile(whole)
	m, _ := os.ReadFile(merged)
	if len(w) == 0 || !bytes.Equal(w, m) {
		t.Fatalf("the model fitted on the units' samples (%d bytes) is not the whole corpus's (%d bytes)", len(m), len(w))
	}
	if code, stderr := cli("features", "-i", a, "--sample-only", "--model", whole, "--split", "0/2", "-o", samples); code != 2 || !strings.Contains(stderr, "drop --model") {
		t.Errorf("--sample-only with --model: exit %d, %s", code, stderr)
	}
	if code, stderr := cli("features", "-i", a, "--sample-only", "-o", samples); code != 2 || !strings.Contains(stderr, "--split must be I/N") {
		t.Errorf("--sample-only without --split: exit %d, %s", code, stderr)
	}
}
