package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
