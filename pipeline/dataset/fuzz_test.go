package dataset

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/internal/testkit"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// FuzzManifest feeds arbitrary bytes to ParseManifest: no panic, errors
// are one-line DataErrors naming the file, and an accepted manifest holds
// what ParseManifest promises (counts that add up, paths inside the
// folder) and survives encoding and parsing again.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(goodManifest))
	for _, edit := range []struct{ from, to string }{
		{"task=001/part-00000.parquet", "../../etc/passwd"},
		{"task=001/part-00000.parquet", "/etc/passwd"},
		{"task=001/part-00000.parquet", `task=001\\x`},
		{"task=001/part-00000.parquet", "task=001/./x"},
		{`"input_rows": 5`, `"input_rows": 6`},
		{`"input_rows": 5`, `"input_rows": 9223372036854775807`},
		{`"rows": 1, "reasons"`, `"rows": -9223372036854775808, "reasons"`},
		{`"task": 1,`, `"task": 5,`},
		{`"version": 1`, `"version": 2`},
		{`"seed": 7`, `"seed": -7`},
		{`"config": {"k": 2}`, `"config": null`},
		{`"rejected": {"rows": 1, "reasons": {"empty text": 1}}`, `"rejected": {"rows": 1, "shards": [{"path": "rejected/part-00000.parquet", "rows": 1}]}`},
	} {
		f.Add([]byte(strings.Replace(goodManifest, edit.from, edit.to, 1)))
	}
	f.Add([]byte(goodManifest + "\n{}"))
	f.Add([]byte(`{"version":1,"tasks":[],"rejected":{"rows":0}}`))
	f.Add([]byte(`{"version":1,"partition_model_sha256":"00","tasks":[{"task":0,"rows":0,"shards":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest("m.json", data)
		if err != nil {
			if m != nil {
				t.Errorf("ParseManifest returned a manifest and an error: %v", err)
			}
			if !stream.IsDataError(err) || !strings.HasPrefix(err.Error(), "m.json: ") {
				t.Errorf("error %q (%T) is not a stream.DataError naming m.json", err, err)
			}
			testkit.OneLine(t, "m.json", err)
			return
		}
		if m.Version != ManifestVersion {
			t.Errorf("accepted version %d", m.Version)
		}
		var total int64
		for i, task := range m.Tasks {
			if task.Task != i {
				t.Errorf("tasks[%d] is task %d", i, task.Task)
			}
			var rows int64
			for _, s := range task.Shards {
				if err := CheckRelPath(s.Path); err != nil {
					t.Errorf("accepted shard path %q: %v", s.Path, err)
				}
				if filepath.IsAbs(s.Path) || s.Path == ".." || strings.HasPrefix(s.Path, "../") || strings.Contains(s.Path, "/../") {
					t.Errorf("accepted shard path %q leaves the folder", s.Path)
				}
				rows += s.Rows
			}
			if rows != task.Rows {
				t.Errorf("task %d: rows %d, shards %d", i, task.Rows, rows)
			}
			total += rows
		}
		for _, s := range m.Rejected.Shards {
			if err := CheckRelPath(s.Path); err != nil {
				t.Errorf("accepted rejected shard path %q: %v", s.Path, err)
			}
		}
		if total != m.TotalRows || m.InputRows != m.TotalRows+m.Rejected.Rows {
			t.Errorf("counts do not add up: %+v", m)
		}
		// What was accepted encodes and parses back to the same.
		enc, err := jsonMarshalManifest(m)
		if err != nil {
			t.Fatalf("encoding an accepted manifest: %v", err)
		}
		back, err := ParseManifest("m.json", enc)
		if err != nil {
			t.Fatalf("re-parsing an accepted manifest: %v\n%s", err, enc)
		}
		enc2, err := jsonMarshalManifest(back)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("manifest does not round-trip (%v):\n%s\n%s", err, enc, enc2)
		}
	})
}

// jsonMarshalManifest encodes a manifest as the dataset writers do.
func jsonMarshalManifest(m *Manifest) ([]byte, error) {
	return json.MarshalIndent(m, "", "  ")
}
