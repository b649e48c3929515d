package record

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/robustdata/robustdata/internal/testkit"
)

func TestStageRecordRoundTrip(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	testkit.WriteFile(t, filepath.Join(root, "features/features.arrow"), "arrow bytes")
	testkit.WriteFile(t, filepath.Join(root, "corpus.parquet"), "corpus")
	h := NewFileHasher(root)
	in, err := h.File(ctx, "../corpus.parquet", filepath.Join(root, "corpus.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if in.Path != "../corpus.parquet" || in.Bytes != 6 || len(in.SHA256) != 64 {
		t.Errorf("input sum %+v", in)
	}
	fp, err := NewStageFingerprint([]FileSum{in}, map[string]any{"stage": "features", "dim": 128, "seed": uint64(1), "lr": 0.001, "cols": []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := h.Outputs(ctx, []string{"features/features.arrow"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "features", StageRecordName)
	if r, err := ReadStageRecord(path); r != nil || err != nil {
		t.Fatalf("no record yet: %v, %v", r, err)
	}
	rec := &StageCompletion{Stage: "features", Fingerprint: fp, Outputs: outs}
	if err := WriteStageRecord(path, rec); err != nil {
		t.Fatal(err)
	}
	got, err := ReadStageRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) || !got.Fingerprint.Matches(fp) {
		t.Errorf("read back %+v, want %+v", got, rec)
	}
	// Numbers read back as float64 still fingerprint the same.
	again, _ := NewStageFingerprint(got.Fingerprint.Inputs, got.Fingerprint.Config)
	if !again.Matches(fp) {
		t.Errorf("fingerprint of the read-back settings differs")
	}
	// The record holds no time: writing it twice gives the same bytes.
	a, _ := os.ReadFile(path)
	WriteStageRecord(path, got)
	b, _ := os.ReadFile(path)
	if string(a) != string(b) {
		t.Errorf("records differ:\n%s\n%s", a, b)
	}
	if strings.Contains(string(a), time.Now().Format("2006-01-02")) {
		t.Errorf("record holds a date: %s", a)
	}
	if why, err := got.CheckOutputs(ctx, h); why != "" || err != nil {
		t.Errorf("outputs unchanged: %q %v", why, err)
	}
	// A changed output, then a missing one.
	time.Sleep(10 * time.Millisecond)
	testkit.WriteFile(t, filepath.Join(root, "features/features.arrow"), "other bytes")
	if why, err := got.CheckOutputs(ctx, h); !strings.Contains(why, "features/features.arrow changed") || err != nil {
		t.Errorf("changed output: %q %v", why, err)
	}
	os.Remove(filepath.Join(root, "features/features.arrow"))
	if why, err := got.CheckOutputs(ctx, h); !strings.Contains(why, "features/features.arrow is missing") || err != nil {
		t.Errorf("missing output: %q %v", why, err)
	}
	// Corrupt and foreign records are errors.
	testkit.WriteFile(t, path, "{not json")
	if _, err := ReadStageRecord(path); err == nil {
		t.Errorf("corrupt record accepted")
	}
	testkit.WriteFile(t, path, `{"format": 99, "stage": "x"}`)
	if _, err := ReadStageRecord(path); err == nil || !strings.Contains(err.Error(), "format 99") {
		t.Errorf("future record: %v", err)
	}
}

func TestStageRecordFingerprintChanges(t *testing.T) {
	in := []FileSum{{Path: "a.parquet", Bytes: 3, SHA256: "aa"}, {Path: "b.parquet", Bytes: 4, SHA256: "bb"}}
	conf := map[string]any{"steps": 30, "lr": 0.001, "strategy": "erm"}
	base, err := NewStageFingerprint(in, conf)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := NewStageFingerprint(slices.Clone(in), map[string]any{"strategy": "erm", "lr": 0.001, "steps": 30.0})
	if !same.Matches(base) || len(same.Changes(base)) != 0 {
		t.Errorf("same inputs and settings: changes %v", same.Changes(base))
	}
	for _, tc := range []struct {
		name   string
		inputs []FileSum
		conf   map[string]any
		want   string
	}{
		{"setting", in, map[string]any{"steps": 40, "lr": 0.001, "strategy": "erm"}, "settings changed: steps 30 → 40"},
		{"new setting", in, map[string]any{"steps": 30, "lr": 0.001, "strategy": "erm", "eta": 1}, "eta set to 1"},
		{"dropped setting", in, map[string]any{"steps": 30, "strategy": "erm"}, "lr unset (was 0.001)"},
		{"input content", []FileSum{in[0], {Path: "b.parquet", Bytes: 4, SHA256: "cc"}}, conf, "inputs changed: b.parquet changed"},
		{"input added", append(slices.Clone(in), FileSum{Path: "c", SHA256: "dd"}), conf, "c added"},
		{"input removed", in[:1], conf, "b.parquet removed"},
		{"inputs reordered", []FileSum{in[1], in[0]}, conf, "reordered"},
	} {
		fp, err := NewStageFingerprint(tc.inputs, tc.conf)
		if err != nil {
			t.Fatal(err)
		}
		ch := strings.Join(fp.Changes(base), "; ")
		if fp.Matches(base) || !strings.Contains(ch, tc.want) {
			t.Errorf("%s: matches %v, changes %q, want %q", tc.name, fp.Matches(base), ch, tc.want)
		}
	}
	if _, err := NewStageFingerprint(nil, map[string]any{"bad": func() {}}); err == nil {
		t.Errorf("unmarshalable settings accepted")
	}
}

func TestStageRecordStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, StageStartName)
	if ReadStageStart(path) != nil {
		t.Fatal("start marker before writing one")
	}
	fp, _ := NewStageFingerprint(nil, map[string]any{"steps": 30})
	args := []string{"train", "--steps", "30"}
	if err := WriteStageStart(path, &StageStart{Stage: "train:erm", Fingerprint: fp, Args: args}); err != nil {
		t.Fatal(err)
	}
	s := ReadStageStart(path)
	other, _ := NewStageFingerprint(nil, map[string]any{"steps": 40})
	switch {
	case !s.Resumes("train:erm", fp, slices.Clone(args)):
		t.Errorf("same stage, fingerprint and args do not resume")
	case s.Resumes("train:minimax", fp, args):
		t.Errorf("another stage resumes")
	case s.Resumes("train:erm", other, args):
		t.Errorf("another fingerprint resumes")
	case s.Resumes("train:erm", fp, []string{"train", "--steps", "31"}):
		t.Errorf("other args resume")
	}
	var none *StageStart
	if none.Resumes("train:erm", fp, args) {
		t.Errorf("no marker resumes")
	}
}

func TestStageRecordFilesAndTemps(t *testing.T) {
	root := t.TempDir()
	const tok = "0123456789abcdef"
	dead := ".robustdata-tmp-999999-" + tok // a writer that is gone holds no lock
	for _, f := range []string{
		"dataset/manifest.json", "dataset/task=000/part-00000.parquet", "dataset/report.md",
		"features/features.arrow", "features/.features.arrow" + dead, "features/" + StageRecordName,
		"runs/erm/checkpoint.safetensors", "runs/erm/.checkpoint.safetensors" + dead, "runs/erm/" + StageStartName,
		".dataset" + dead + "/manifest.json", ".dataset" + dead + ".lock", ".report.html" + dead,
		// Look-alikes of every earlier naming scheme and of this one: kept.
		"dataset.tmp-abc/manifest.json", "dataset.old-def/manifest.json", ".report.html.tmp-1",
		"photos.old-2020/precious.jpg", "notes.tmp-keep.txt", "keep.old-file", "other/.x.tmp-1", RunLockName,
		".nolock" + dead + "/precious.jpg", // a staging-shaped folder without its lock file
		"other/.x" + dead,                  // a folder not swept
	} {
		testkit.WriteFile(t, filepath.Join(root, f), "x")
	}
	files, err := ListFiles(root, "dataset")
	if err != nil || !slices.Equal(files, []string{"dataset/manifest.json", "dataset/report.md", "dataset/task=000/part-00000.parquet"}) {
		t.Errorf("ListFiles: %v %v", files, err)
	}
	removed, err := RemoveStaleTemps(root, []string{"features", "runs/erm", "eval"})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	want := []string{".dataset" + dead, ".report.html" + dead, "features/.features.arrow" + dead, "runs/erm/.checkpoint.safetensors" + dead}
	if !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, kept := range []string{"dataset.tmp-abc/manifest.json", "dataset.old-def/manifest.json", ".report.html.tmp-1",
		"photos.old-2020/precious.jpg", "notes.tmp-keep.txt", "keep.old-file", "other/.x.tmp-1", RunLockName,
		".nolock" + dead + "/precious.jpg", "other/.x" + dead, "features/features.arrow", "runs/erm/" + StageStartName} {
		if _, err := os.Stat(filepath.Join(root, kept)); err != nil {
			t.Errorf("%s removed: %v", kept, err)
		}
	}
	for _, gone := range []string{".dataset" + dead, ".dataset" + dead + ".lock"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
			t.Errorf("%s still there", gone)
		}
	}
}

func TestClaimRunRoot(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh")
	if err := ClaimRunRoot(fresh); err != nil {
		t.Fatalf("missing root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(fresh, RunRootName)); err != nil {
		t.Errorf("no marker: %v", err)
	}
	if err := ClaimRunRoot(fresh); err != nil {
		t.Errorf("marked root: %v", err)
	}
	legacy := filepath.Join(dir, "legacy")
	testkit.WriteFile(t, filepath.Join(legacy, "features", StageRecordName), "{}")
	if err := ClaimRunRoot(legacy); err != nil {
		t.Errorf("root of an earlier version: %v", err)
	}
	foreign := filepath.Join(dir, "foreign")
	testkit.WriteFile(t, filepath.Join(foreign, "photos.old-2020", "precious.jpg"), "x")
	err := ClaimRunRoot(foreign)
	if !errors.Is(err, ErrForeignRoot) || !strings.Contains(err.Error(), foreign) {
		t.Errorf("foreign folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(foreign, RunRootName)); err == nil {
		t.Errorf("foreign folder marked")
	}
}

func TestRunLock(t *testing.T) {
	root := t.TempDir()
	lock, stale, err := AcquireRunLock(root, "robustdata run")
	if err != nil || stale != nil {
		t.Fatalf("first lock: %v %v", stale, err)
	}
	info, err := ReadRunLock(root)
	if err != nil || info.PID != os.Getpid() || info.Command != "robustdata run" || info.Since == "" {
		t.Errorf("lock file holds %+v, %v", info, err)
	}
	// A second run (this process is alive) is refused, naming the pid.
	_, _, err = AcquireRunLock(root, "robustdata run")
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second lock: %v", err)
	}
	msg := err.Error()
	for _, w := range []string{root + " is locked by robustdata run (pid " + strconv.Itoa(os.Getpid()), "since " + info.Since, "remove " + filepath.Join(root, RunLockName) + " if that process is gone"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q does not say %q", msg, w)
		}
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, RunLockName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock left after Release: %v", err)
	}

	// A lock whose process is gone is taken over.
	host, _ := os.Hostname()
	dead := LockInfo{PID: 2147483646, Host: host, Since: "2001-01-01T00:00:00Z", Command: "robustdata run", Token: "old"}
	data, _ := json.Marshal(dead)
	testkit.WriteFile(t, filepath.Join(root, RunLockName), string(data))
	lock, stale, err = AcquireRunLock(root, "robustdata run")
	if err != nil || stale == nil || stale.PID != dead.PID {
		t.Fatalf("stale lock: %+v %v", stale, err)
	}
	if info, _ := ReadRunLock(root); info.PID != os.Getpid() {
		t.Errorf("taken-over lock holds %+v", info)
	}
	// Release leaves a lock that is no longer this one's.
	now := lock.Info()
	now.Token = "someone else"
	data, _ = json.Marshal(now)
	testkit.WriteFile(t, filepath.Join(root, RunLockName), string(data))
	lock.Release()
	if _, err := os.Stat(filepath.Join(root, RunLockName)); err != nil {
		t.Errorf("another run's lock removed: %v", err)
	}

	// A lock of another host cannot be checked: it holds.
	other := LockInfo{PID: 2147483646, Host: host + "-elsewhere", Since: "2001-01-01T00:00:00Z", Command: "robustdata run"}
	data, _ = json.Marshal(other)
	testkit.WriteFile(t, filepath.Join(root, RunLockName), string(data))
	if _, _, err := AcquireRunLock(root, "robustdata run"); !errors.As(err, &le) || !strings.Contains(err.Error(), "on "+other.Host) {
		t.Errorf("lock of another host: %v", err)
	}
	// An unreadable lock holds too.
	testkit.WriteFile(t, filepath.Join(root, RunLockName), "")
	if _, _, err := AcquireRunLock(root, "robustdata run"); !errors.As(err, &le) || !le.Unreadable {
		t.Errorf("unreadable lock: %v", err)
	}
	if !ProcessAlive(os.Getpid()) || ProcessAlive(2147483646) || ProcessAlive(0) {
		t.Errorf("ProcessAlive")
	}
}
