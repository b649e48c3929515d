package stream

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Input is one file a source reads, or standard input.
type Input struct {
	// Name is the file's path as given on the command line or as found
	// under a folder or glob ("stdin" for "-"). Error messages and doc_id
	// values use it.
	Name string
	// Path is the path to open, or "" for standard input.
	Path string
	// Size is the file's size in bytes, or -1 for standard input.
	Size int64
	// Format is the format told by the file's extension (FormatUnknown:
	// sniffed from its content when opened).
	Format Format
	// Codec is the whole-file compression told by the extension.
	Codec Codec
	// Groups, when set (End > 0), is the range of a Parquet file's row
	// groups read: a work unit's share of the file (see SplitUnits).
	Groups RowGroups
}

// RowGroups is the row groups [First, End) of a Parquet file, and the
// file's row number of the range's first row, which doc_id values count
// from. The zero value is the whole file.
type RowGroups struct {
	First, End int
	FirstRow   int64
}

// Streamed tells whether the input can be read only once: standard
// input, a FIFO, a process substitution (/dev/fd/N) or a device. Readers
// that need a second pass spool such an input during the first.
func (in Input) Streamed() bool {
	if in.Path == "" {
		return true
	}
	st, err := os.Stat(in.Path)
	return err == nil && !st.Mode().IsRegular()
}

// StdinName is the Input.Name of standard input.
const StdinName = "stdin"

// ExpandInputs resolves the inputs a user named — files, folders, globs
// and "-" for standard input — into the files read, in order. A folder
// stands for the files under it (recursively, sorted by path) whose
// extension is a known format, skipping names that start with "." or "_"
// (temporary files and markers such as _SUCCESS). A glob stands for its
// matches, sorted. A file named directly is read whatever its extension.
// Missing files, globs without a match, folders without data files and a
// file named twice are a *DataError.
func ExpandInputs(args []string) ([]Input, error) {
	if len(args) == 0 {
		return nil, errors.New("robustdata/pipeline: no input given")
	}
	var out []Input
	seen := map[string]string{}
	add := func(in Input, arg string) error {
		if in.Path != "" {
			key := filepath.Clean(in.Path)
			if abs, err := filepath.Abs(key); err == nil {
				key = abs
			}
			if prev, ok := seen[key]; ok {
				return dataErr(in.Name, "read twice: named by %q and by %q", prev, arg)
			}
			seen[key] = arg
		}
		out = append(out, in)
		return nil
	}
	stdin := false
	for _, arg := range args {
		switch {
		case arg == "-":
			if stdin {
				return nil, dataErr(StdinName, `standard input ("-") named twice`)
			}
			stdin = true
			if err := add(Input{Name: StdinName, Size: -1}, arg); err != nil {
				return nil, err
			}
		case strings.ContainsAny(arg, "*?["):
			matches, err := filepath.Glob(arg)
			if err != nil {
				return nil, dataErr(arg, "bad glob pattern: %v", err)
			}
			if len(matches) == 0 {
				return nil, dataErr(arg, "no file matches")
			}
			sort.Strings(matches)
			for _, m := range matches {
				ins, err := expandPath(m, true)
				if err != nil {
					return nil, err
				}
				for _, in := range ins {
					if err := add(in, arg); err != nil {
						return nil, err
					}
				}
			}
		default:
			ins, err := expandPath(arg, false)
			if err != nil {
				return nil, err
			}
			for _, in := range ins {
				if err := add(in, arg); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// expandPath returns the file at path, or the data files under it when it
// is a folder. fromGlob skips files of unknown format (a glob such as
// "data/*" should not pick up a README).
func expandPath(path string, fromGlob bool) ([]Input, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, FileError(path, err)
	}
	if !st.IsDir() {
		f, c := FormatOf(path)
		if fromGlob && f == FormatUnknown {
			return nil, nil
		}
		if !st.Mode().IsRegular() && st.Mode()&fs.ModeNamedPipe == 0 && st.Mode()&fs.ModeCharDevice == 0 {
			return nil, dataErr(path, "not a regular file")
		}
		size := st.Size()
		if !st.Mode().IsRegular() {
			size = -1
		}
		return []Input{{Name: path, Path: path, Size: size, Format: f, Codec: c}}, nil
	}
	var out []Input
	units := map[string][]string{} // folder: its work units' markers and parts
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if unitFile.MatchString(name) && !d.IsDir() {
			units[filepath.Dir(p)] = append(units[filepath.Dir(p)], name)
		}
		if p != path && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		f, c := FormatOf(p)
		if f == FormatUnknown {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, Input{Name: p, Path: p, Size: info.Size(), Format: f, Codec: c})
		return nil
	})
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, FileError(pe.Path, pe.Err)
		}
		return nil, FileError(path, err)
	}
	for dir, names := range units {
		if err := checkUnits(dir, names); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, dataErr(path, "folder holds no Parquet, Arrow or JSONL file")
	}
	// WalkDir visits in lexical order already; sort by the full path so
	// that "a/b" and "a.b" order the same way on every system.
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// FileError turns an os error on path into a one-line *DataError.
func FileError(path string, err error) *DataError {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return dataErr(path, "no such file or folder")
	case errors.Is(err, fs.ErrPermission):
		return dataErr(path, "permission denied")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return dataErr(path, "%v", err)
}

// describe is a short name for error messages: the input's name.
func (in Input) String() string { return fmt.Sprintf("%s (%s)", in.Name, in.Format) }

// unitFile matches the files of a split's work units: a part
// (part-00002-of-00008.parquet) or a completion marker
// (_unit-00002-of-00008.json).
var unitFile = regexp.MustCompile(`^(part|_unit)-(\d+)-of-(\d+)\.(parquet|json)$`)

// checkUnits refuses a folder of work units that is not complete: a split
// read before every unit finished would look like the whole input. Every
// unit 0..N-1 must have its marker, all of the same N, and every part its
// marker.
func checkUnits(dir string, names []string) error {
	markers := map[int]bool{}
	count := -1
	for _, name := range names {
		m := unitFile.FindStringSubmatch(name)
		i, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		if count >= 0 && n != count {
			return dataErr(dir, "work units of two splits (of %d and of %d) in one folder: read one split's folder", count, n)
		}
		count = n
		if m[1] == "_unit" && m[4] == "json" {
			markers[i] = true
		}
	}
	for i := range count {
		if !markers[i] {
			return dataErr(dir, "work unit %d/%d is not complete (no _unit-%05d-of-%05d.json): run it (--split %d/%d) before reading the folder", i, count, i, count, i, count)
		}
	}
	return nil
}
