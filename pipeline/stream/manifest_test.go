package stream

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const goodManifest = `{
  "version": 1, "tool_version": "0.1.0-dev",
  "inputs": [{"path": "corpus.parquet", "bytes": 10, "sha256": "ab"}],
  "config": {"k": 2}, "seed": 7,
  "tasks": [
    {"task": 0, "rows": 3, "bytes": 100, "shards": [{"path": "task=000/part-00000.parquet", "rows": 3, "bytes": 100, "sha256": "cd"}]},
    {"task": 1, "rows": 1, "bytes": 50, "shards": [{"path": "task=001/part-00000.parquet", "rows": 1, "bytes": 50, "sha256": "ef"}]}
  ],
  "rejected": {"rows": 1, "reasons": {"empty text": 1}},
  "input_rows": 5, "total_rows": 4
}`

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest("m.json", []byte(goodManifest))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tasks) != 2 || m.TotalRows != 4 || m.Rejected.Reasons["empty text"] != 1 || m.Seed != 7 {
		t.Fatalf("parsed %+v", m)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"escaping path", "task=001/part-00000.parquet", "../../etc/passwd", "leaves the dataset folder"},
		{"absolute path", "task=001/part-00000.parquet", "/etc/passwd", "must be relative"},
		{"unclean path", "task=001/part-00000.parquet", "task=001/../../x", "leaves the dataset folder"},
		{"backslash", "task=001/part-00000.parquet", `task=001\\x`, "must be relative"},
		{"rows do not add up", `"input_rows": 5`, `"input_rows": 6`, "input_rows 6 != total_rows 4 + rejected 1"},
		{"task rows", `"task": 1, "rows": 1`, `"task": 1, "rows": 2`, "task 1: rows 2, but its shards hold 1"},
		{"unknown key", `"seed": 7`, `"seed": 7, "sneaky": true`, "unknown field"},
		{"version", `"version": 1`, `"version": 9`, "manifest version 9"},
		{"task order", `"task": 1,`, `"task": 5,`, "tasks[1] is task 5"},
		{"not json", goodManifest, "{not json", "not a valid manifest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(goodManifest, tc.from, tc.to, 1)
			_, err := ParseManifest("m.json", []byte(data))
			if err == nil || !IsDataError(err) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "m.json: ") {
				t.Fatalf("error %v, want a DataError on m.json containing %q", err, tc.want)
			}
		})
	}
}

func TestReadManifest(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing manifest: %v", err)
	}
	os.WriteFile(filepath.Join(dir, ManifestName), []byte(goodManifest), 0o644)
	m, err := ReadManifest(dir)
	if err != nil || m.InputRows != 5 {
		t.Fatalf("ReadManifest: %v %+v", err, m)
	}
}

func TestOpenDatasetRefusesHostileShards(t *testing.T) {
	newDataset := func(t *testing.T) string {
		dir := t.TempDir()
		writeTestFile(t, filepath.Join(dir, "task=000", "part-00000.parquet"), "PAR1data")
		m := Manifest{Version: ManifestVersion, InputRows: 3, TotalRows: 3, Tasks: []ManifestTask{{
			Task: 0, Rows: 3, Bytes: 8, Shards: []ManifestShard{{Path: "task=000/part-00000.parquet", Rows: 3, Bytes: 8, SHA256: strings.Repeat("0", 64)}},
		}}}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, ManifestName), string(b))
		return dir
	}
	shard := func(dir string) string { return filepath.Join(dir, "task=000", "part-00000.parquet") }
	if _, err := OpenDataset(newDataset(t)); err != nil {
		t.Fatalf("good dataset: %v", err)
	}
	for _, tc := range []struct {
		name   string
		plant  func(t *testing.T, dir string)
		expect string
	}{
		{"symlink to /dev/zero", func(t *testing.T, dir string) {
			os.Remove(shard(dir))
			if err := os.Symlink("/dev/zero", shard(dir)); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
		{"fifo", func(t *testing.T, dir string) {
			os.Remove(shard(dir))
			if err := syscall.Mkfifo(shard(dir), 0o644); err != nil {
				t.Skip("no FIFOs here:", err)
			}
		}, "not a regular file"},
		{"grown", func(t *testing.T, dir string) {
			writeTestFile(t, shard(dir), "PAR1data and more")
		}, "the manifest says 8"},
		{"manifest is a fifo", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, ManifestName))
			if err := syscall.Mkfifo(filepath.Join(dir, ManifestName), 0o644); err != nil {
				t.Skip("no FIFOs here:", err)
			}
		}, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newDataset(t)
			tc.plant(t, dir)
			done := make(chan error, 1)
			go func() { _, err := OpenDataset(dir); done <- err }()
			select {
			case err := <-done:
				if err == nil || !IsDataError(err) || !strings.Contains(err.Error(), tc.expect) {
					t.Errorf("got %v, want a data error saying %q", err, tc.expect)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("OpenDataset blocked")
			}
		})
	}
}
