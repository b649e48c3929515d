package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ManifestName is the file name of a sharded dataset's manifest.
const ManifestName = "manifest.json"

// ManifestVersion is the format version this build writes and reads.
const ManifestVersion = 1

// Manifest describes a sharded dataset: where its rows came from, how
// they were split into tasks and which files hold them. Paths are relative
// to the dataset folder, use "/" and never leave it.
type Manifest struct {
	// Version is the manifest format version (ManifestVersion).
	Version int `json:"version"`
	// ToolVersion is the robustdata version that wrote the dataset.
	ToolVersion string `json:"tool_version"`
	// Inputs are the files the rows came from.
	Inputs []ManifestInput `json:"inputs"`
	// Config is the configuration the dataset was made with.
	Config map[string]any `json:"config"`
	// Seed is the random seed used.
	Seed uint64 `json:"seed"`
	// PartitionModel is the sha256 of the partition model used, if any.
	PartitionModel string `json:"partition_model_sha256,omitempty"`
	// Tasks lists each task's shards.
	Tasks []ManifestTask `json:"tasks"`
	// Rejected counts the rows that were not usable, and where they are.
	Rejected ManifestRejected `json:"rejected"`
	// InputRows is the number of rows read.
	InputRows int64 `json:"input_rows"`
	// TotalRows is the number of rows in task shards.
	TotalRows int64 `json:"total_rows"`
}

// ManifestInput is one input file of a dataset.
type ManifestInput struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// ManifestTask is one task's part of a dataset.
type ManifestTask struct {
	Task   int             `json:"task"`
	Rows   int64           `json:"rows"`
	Bytes  int64           `json:"bytes"`
	Shards []ManifestShard `json:"shards"`
}

// ManifestShard is one file of a task.
type ManifestShard struct {
	Path   string `json:"path"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// ManifestRejected counts rejected rows by reason and lists their files.
type ManifestRejected struct {
	Rows    int64            `json:"rows"`
	Reasons map[string]int64 `json:"reasons,omitempty"`
	Shards  []ManifestShard  `json:"shards,omitempty"`
}

// maxManifestBytes caps what ReadManifest accepts, so that a corrupt or
// hostile file cannot make it allocate without bound.
const maxManifestBytes = 256 << 20

// ReadManifest reads and checks dir/manifest.json: known version, known
// keys only, counts that add up, and shard paths that stay inside dir.
// Problems are a *DataError naming the manifest.
func ReadManifest(dir string) (*Manifest, error) {
	p := filepath.Join(dir, ManifestName)
	if err := checkRegular(p, -1); err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, FileError(p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	if err != nil {
		return nil, FileError(p, err)
	}
	if len(data) > maxManifestBytes {
		return nil, dataErr(p, "larger than %d bytes", maxManifestBytes)
	}
	return ParseManifest(p, data)
}

// OpenDataset reads dir's manifest (ReadManifest) and checks that every
// file it lists, task shards and rejected rows, is a regular file inside
// dir (not a symlink, a FIFO or a device) of the size the manifest gives:
// a reader of the dataset then never blocks on, nor reads without bound
// from, a file someone put in a shard's place. Problems are a *DataError
// naming the file.
func OpenDataset(dir string) (*Manifest, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	shards := slices.Clone(m.Rejected.Shards)
	for _, t := range m.Tasks {
		shards = append(shards, t.Shards...)
	}
	for _, s := range shards {
		if err := checkRegular(filepath.Join(dir, filepath.FromSlash(s.Path)), s.Bytes); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// checkRegular fails unless path is a regular file (not followed through
// a symlink) of size bytes (any size when size < 0).
func checkRegular(path string, size int64) error {
	st, err := os.Lstat(path)
	if err != nil {
		return FileError(path, err)
	}
	if !st.Mode().IsRegular() {
		return dataErr(path, "not a regular file (%s): a dataset holds only regular files", st.Mode().Type())
	}
	if size >= 0 && st.Size() != size {
		return dataErr(path, "corrupted shard: %d bytes, the manifest says %d (run robustdata verify)", st.Size(), size)
	}
	return nil
}

// ParseManifest parses and checks a manifest's bytes; name is used in
// error messages.
func ParseManifest(name string, data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, dataErr(name, "not a valid manifest: %v", err)
	}
	if dec.More() {
		return nil, dataErr(name, "not a valid manifest: data after the JSON object")
	}
	if err := m.check(); err != nil {
		return nil, &DataError{Source: name, Row: -1, Err: err}
	}
	return &m, nil
}

func (m *Manifest) check() error {
	if m.Version != ManifestVersion {
		return fmt.Errorf("manifest version %d, this build reads version %d", m.Version, ManifestVersion)
	}
	var rows int64
	for i, t := range m.Tasks {
		if t.Task != i {
			return fmt.Errorf("tasks[%d] is task %d, expected %d", i, t.Task, i)
		}
		var tr int64
		for _, s := range t.Shards {
			if err := CheckRelPath(s.Path); err != nil {
				return fmt.Errorf("task %d: %w", t.Task, err)
			}
			if s.Rows < 0 || s.Bytes < 0 {
				return fmt.Errorf("task %d: shard %s: negative count", t.Task, s.Path)
			}
			tr += s.Rows
		}
		if tr != t.Rows {
			return fmt.Errorf("task %d: rows %d, but its shards hold %d", t.Task, t.Rows, tr)
		}
		rows += tr
	}
	for _, s := range m.Rejected.Shards {
		if err := CheckRelPath(s.Path); err != nil {
			return fmt.Errorf("rejected: %w", err)
		}
	}
	if rows != m.TotalRows {
		return fmt.Errorf("total_rows %d, but the tasks hold %d", m.TotalRows, rows)
	}
	if m.InputRows != m.TotalRows+m.Rejected.Rows {
		return fmt.Errorf("input_rows %d != total_rows %d + rejected %d", m.InputRows, m.TotalRows, m.Rejected.Rows)
	}
	return nil
}

// CheckRelPath accepts a manifest path: relative, "/"-separated, clean,
// and not leaving its folder.
func CheckRelPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.Contains(p, `\`), path.IsAbs(p), filepath.IsAbs(p), filepath.VolumeName(p) != "":
		return fmt.Errorf("path %q must be relative and use /", p)
	case path.Clean(p) != p, p == "..", strings.HasPrefix(p, "../"), !fs.ValidPath(p):
		return fmt.Errorf("path %q leaves the dataset folder or is not clean", p)
	}
	return nil
}
