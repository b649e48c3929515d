package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// Files of a run's output root (see `robustdata run`).
const (
	// StageRecordName is a stage's completion record, in the stage's
	// folder, written last.
	StageRecordName = ".robustdata-stage.json"
	// StageStartName marks a stage that started (train: what to resume).
	StageStartName = ".robustdata-stage.started.json"
	// RunLockName is the lock of an output root.
	RunLockName = ".robustdata.lock"
	// RunRootName marks a folder as a run's output root, so that a later
	// run accepts it (and refuses any other non-empty folder).
	RunRootName = ".robustdata-run.json"
	// StageRecordFormat is the format version of completion records.
	StageRecordFormat = 1
)

// FileSum is a file's size and sha256, named by a path relative to the
// output root (outputs, upstream stages' outputs) or as the config names
// it (input files).
type FileSum struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// StageFingerprint identifies what a stage's outputs were made from: its
// input files (corpus files, upstream stages' outputs) and its settings.
type StageFingerprint struct {
	Inputs       []FileSum      `json:"inputs"`
	InputsSHA256 string         `json:"inputs_sha256"`
	Config       map[string]any `json:"config"`
	ConfigSHA256 string         `json:"config_sha256"`
}

// NewStageFingerprint fingerprints a stage: the sha256 of the canonical
// JSON of its inputs (in the order given) and of its settings (keys
// sorted). config must marshal to a JSON object; it is kept in its JSON
// form so that a fingerprint read back from a record compares equal.
func NewStageFingerprint(inputs []FileSum, config map[string]any) (StageFingerprint, error) {
	if inputs == nil {
		inputs = []FileSum{}
	}
	cj, err := json.Marshal(config)
	if err != nil {
		return StageFingerprint{}, fmt.Errorf("robustdata/pipeline: stage settings: %w", err)
	}
	var canon map[string]any
	if err := json.Unmarshal(cj, &canon); err != nil || canon == nil {
		return StageFingerprint{}, fmt.Errorf("robustdata/pipeline: stage settings are not a JSON object")
	}
	cj, _ = json.Marshal(canon) // keys sorted, numbers in one form
	ij, err := json.Marshal(inputs)
	if err != nil {
		return StageFingerprint{}, err
	}
	return StageFingerprint{
		Inputs: slices.Clone(inputs), InputsSHA256: sha256Hex(ij),
		Config: canon, ConfigSHA256: sha256Hex(cj),
	}, nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Matches tells whether two fingerprints are of the same inputs and
// settings.
func (f StageFingerprint) Matches(g StageFingerprint) bool {
	return f.InputsSHA256 == g.InputsSHA256 && f.ConfigSHA256 == g.ConfigSHA256
}

// Changes explains how f differs from old, for a person: the settings and
// the input files that changed.
func (f StageFingerprint) Changes(old StageFingerprint) []string {
	var out []string
	if f.ConfigSHA256 != old.ConfigSHA256 {
		keys := map[string]bool{}
		for k := range f.Config {
			keys[k] = true
		}
		for k := range old.Config {
			keys[k] = true
		}
		var diffs []string
		for _, k := range sortedKeys(keys) {
			a, inA := old.Config[k]
			b, inB := f.Config[k]
			switch {
			case !inA:
				diffs = append(diffs, fmt.Sprintf("%s set to %s", k, jsonText(b)))
			case !inB:
				diffs = append(diffs, fmt.Sprintf("%s unset (was %s)", k, jsonText(a)))
			case !reflect.DeepEqual(a, b):
				diffs = append(diffs, fmt.Sprintf("%s %s → %s", k, jsonText(a), jsonText(b)))
			}
		}
		if len(diffs) == 0 {
			diffs = []string{"(record written by another version)"}
		}
		out = append(out, "settings changed: "+strings.Join(diffs, ", "))
	}
	if f.InputsSHA256 != old.InputsSHA256 {
		was := map[string]FileSum{}
		for _, in := range old.Inputs {
			was[in.Path] = in
		}
		now := map[string]bool{}
		var diffs []string
		for _, in := range f.Inputs {
			now[in.Path] = true
			o, ok := was[in.Path]
			switch {
			case !ok:
				diffs = append(diffs, in.Path+" added")
			case o.SHA256 != in.SHA256 || o.Bytes != in.Bytes:
				diffs = append(diffs, in.Path+" changed")
			}
		}
		for _, in := range old.Inputs {
			if !now[in.Path] {
				diffs = append(diffs, in.Path+" removed")
			}
		}
		if len(diffs) == 0 {
			diffs = []string{"reordered"}
		}
		out = append(out, "inputs changed: "+strings.Join(diffs, ", "))
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// StageCompletion is a completion record: a stage finished, from these
// inputs and settings, with these outputs. It holds no time, so that an
// interrupted and resumed run writes the same records as one that was not
// interrupted.
type StageCompletion struct {
	Format      int              `json:"format"`
	Stage       string           `json:"stage"`
	Fingerprint StageFingerprint `json:"fingerprint"`
	Outputs     []FileSum        `json:"outputs"`
}

// WriteStageRecord writes a completion record atomically.
func WriteStageRecord(path string, r *StageCompletion) error {
	r.Format = StageRecordFormat
	return writeJSONAtomic(path, r)
}

// ReadStageRecord reads a completion record; (nil, nil) when there is
// none. An unreadable record is an error (the caller reruns the stage).
func ReadStageRecord(path string) (*StageCompletion, error) {
	var r StageCompletion
	ok, err := readJSONFile(path, &r)
	if !ok || err != nil {
		return nil, err
	}
	if r.Format != StageRecordFormat {
		return nil, fmt.Errorf("%s: record format %d, this version reads %d", path, r.Format, StageRecordFormat)
	}
	return &r, nil
}

// StageStart records that a stage started from a fingerprint with these
// arguments, so that a run killed in the middle of a resumable stage
// (train) continues it when restarted with the same settings.
type StageStart struct {
	Stage       string           `json:"stage"`
	Fingerprint StageFingerprint `json:"fingerprint"`
	Args        []string         `json:"args"`
}

// WriteStageStart writes a start marker atomically.
func WriteStageStart(path string, s *StageStart) error { return writeJSONAtomic(path, s) }

// ReadStageStart reads a start marker; nil when there is none or it
// cannot be read.
func ReadStageStart(path string) *StageStart {
	var s StageStart
	if ok, err := readJSONFile(path, &s); !ok || err != nil {
		return nil
	}
	return &s
}

// Resumes tells whether a stage started as s can be continued by a run
// with fingerprint f and args.
func (s *StageStart) Resumes(stage string, f StageFingerprint, args []string) bool {
	return s != nil && s.Stage == stage && s.Fingerprint.Matches(f) && slices.Equal(s.Args, args)
}

func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	return stream.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func readJSONFile(path string, v any) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("%s: not a valid record: %v", path, err)
	}
	return true, nil
}

// FileHasher sums files for fingerprints and output checks, each file
// once per run while it is unchanged (size and modification time; the
// cache lives only in memory).
type FileHasher struct {
	// Root is the folder output paths are relative to.
	Root  string
	cache map[string]hashed
}

type hashed struct {
	size  int64
	mtime time.Time
	sum   FileSum
}

// NewFileHasher returns a hasher of files under root.
func NewFileHasher(root string) *FileHasher {
	return &FileHasher{Root: root, cache: map[string]hashed{}}
}

// Output sums the file at rel (slash-separated, relative to Root).
func (h *FileHasher) Output(ctx context.Context, rel string) (FileSum, error) {
	return h.File(ctx, rel, filepath.Join(h.Root, filepath.FromSlash(rel)))
}

// File sums the file at path and names it name (see HashInputs).
func (h *FileHasher) File(ctx context.Context, name, path string) (FileSum, error) {
	st, err := os.Stat(path)
	if err != nil {
		return FileSum{}, stream.FileError(name, err)
	}
	key := path
	if abs, err := filepath.Abs(path); err == nil {
		key = abs
	}
	if c, ok := h.cache[key]; ok && c.size == st.Size() && c.mtime.Equal(st.ModTime()) {
		c.sum.Path = name
		return c.sum, nil
	}
	sums, err := stream.HashInputs(ctx, []stream.Input{{Name: name, Path: path}})
	if err != nil {
		return FileSum{}, err
	}
	s := FileSum{Path: name, Bytes: sums[0].Bytes, SHA256: sums[0].SHA256}
	h.cache[key] = hashed{size: st.Size(), mtime: st.ModTime(), sum: s}
	return s, nil
}

// Outputs sums several outputs.
func (h *FileHasher) Outputs(ctx context.Context, rels []string) ([]FileSum, error) {
	out := make([]FileSum, 0, len(rels))
	for _, r := range rels {
		s, err := h.Output(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Forget empties the cache (after a stage rewrote files).
func (h *FileHasher) Forget() { clear(h.cache) }

// CheckOutputs tells whether every output of a record still has its
// recorded size and sha256: "" when they do, otherwise which does not.
func (r *StageCompletion) CheckOutputs(ctx context.Context, h *FileHasher) (string, error) {
	if len(r.Outputs) == 0 {
		return "the record lists no outputs", nil
	}
	for _, o := range r.Outputs {
		s, err := h.Output(ctx, o.Path)
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			if _, serr := os.Stat(filepath.Join(h.Root, filepath.FromSlash(o.Path))); errors.Is(serr, fs.ErrNotExist) {
				return "output " + o.Path + " is missing", nil
			}
			return "", err
		}
		if s.SHA256 != o.SHA256 || s.Bytes != o.Bytes {
			return "output " + o.Path + " changed since the stage ran", nil
		}
	}
	return "", nil
}

// ListFiles returns the files under dir (relative to root, slash-
// separated, sorted), skipping the stage's own records.
func ListFiles(root, dir string) ([]string, error) {
	var out []string
	base := filepath.Join(root, filepath.FromSlash(dir))
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if n := d.Name(); n == StageRecordName || n == StageStartName {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(out)
	return out, err
}

// RemoveStaleTemps sweeps what an interrupted run left in an output root
// and the given stage folders: staging files and folders whose writer is
// gone (see SweepStaging; a dataset moved aside comes back if its
// replacement never arrived). Nothing the tool did not create is touched,
// whatever its name. It returns what it removed, relative to root.
func RemoveStaleTemps(root string, folders []string) ([]string, error) {
	var removed []string
	var errs []error
	for _, f := range append([]string{"."}, folders...) {
		done, err := stream.SweepStaging(filepath.Join(root, f), "")
		if err != nil {
			errs = append(errs, err)
		}
		for _, d := range done {
			if rel, err := filepath.Rel(root, d); err == nil {
				d = rel
			}
			removed = append(removed, filepath.ToSlash(d))
		}
	}
	return removed, errors.Join(errs...)
}

// ErrForeignRoot is returned by ClaimRunRoot for a non-empty folder that
// is not a run's output root.
var ErrForeignRoot = errors.New("not a robustdata run's output folder")

// ClaimRunRoot makes sure root may be a run's output root and marks it as
// one: root must be missing, empty, or already marked (RunRootName, or a
// stage record in one of its folders, as left by earlier versions). Any
// other folder is refused with an error wrapping ErrForeignRoot, so that
// a run never writes into, nor sweeps, a folder it does not own.
func ClaimRunRoot(root string) error {
	marker := filepath.Join(root, RunRootName)
	if _, err := os.Lstat(marker); err == nil {
		return nil
	}
	entries, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("robustdata/pipeline: reading %s: %w", root, err)
	}
	owned := len(entries) == 0
	for _, e := range entries {
		if e.Name() == RunLockName {
			owned = true
		}
		if e.IsDir() {
			if _, err := os.Lstat(filepath.Join(root, e.Name(), StageRecordName)); err == nil {
				owned = true
			}
		}
	}
	if !owned {
		return fmt.Errorf("robustdata/pipeline: %s is not empty and holds no %s: refusing to write into it (choose a new or empty folder): %w", root, RunRootName, ErrForeignRoot)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("robustdata/pipeline: creating %s: %w", root, err)
	}
	return writeJSONAtomic(marker, map[string]any{"format": "robustdata-run", "version": 1})
}

// LockInfo is the content of an output root's lock file.
type LockInfo struct {
	PID     int    `json:"pid"`
	Host    string `json:"host"`
	Since   string `json:"since"`
	Command string `json:"command"`
	// Token tells this lock from a later one of the same process.
	Token string `json:"token"`
}

// LockedError is returned when another live process holds the lock.
type LockedError struct {
	Root string
	Path string
	Info LockInfo
	// Unreadable is set when the lock file holds no valid lock.
	Unreadable bool
}

// Error names the locked output root, the lock file and the process that
// holds it.
func (e *LockedError) Error() string {
	if e.Unreadable {
		return fmt.Sprintf("%s is locked (the lock file cannot be read); remove %s if no run is going", e.Root, e.Path)
	}
	host := ""
	if h, _ := os.Hostname(); e.Info.Host != "" && e.Info.Host != h {
		host = " on " + e.Info.Host
	}
	cmd := e.Info.Command
	if cmd == "" {
		cmd = "another process"
	}
	return fmt.Sprintf("%s is locked by %s (pid %d%s, since %s); remove %s if that process is gone",
		e.Root, cmd, e.Info.PID, host, e.Info.Since, e.Path)
}

// RunLock is a held lock of an output root.
type RunLock struct {
	path string
	info LockInfo
}

// AcquireRunLock takes the lock of an output root (root/.robustdata.lock,
// created with O_EXCL, holding the pid, host and start time). A lock held
// by a live process, or by a process on another host, is a *LockedError.
// A lock whose process is gone is taken over: stale then describes it.
func AcquireRunLock(root, command string) (lock *RunLock, stale *LockInfo, err error) {
	path := filepath.Join(root, RunLockName)
	host, _ := os.Hostname()
	var tok [8]byte
	rand.Read(tok[:])
	info := LockInfo{PID: os.Getpid(), Host: host, Since: time.Now().Format(time.RFC3339), Command: command, Token: hex.EncodeToString(tok[:])}
	data, err := json.Marshal(info)
	if err != nil {
		return nil, nil, err
	}
	data = append(data, '\n')
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := f.Write(data)
			if serr := f.Sync(); werr == nil {
				werr = serr
			}
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(path)
				return nil, nil, fmt.Errorf("robustdata/pipeline: writing the lock %s: %w", path, werr)
			}
			return &RunLock{path: path, info: info}, stale, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, nil, fmt.Errorf("robustdata/pipeline: creating the lock %s: %w", path, err)
		}
		held, rerr := ReadRunLock(root)
		if rerr != nil || held == nil {
			if rerr == nil && attempt < 3 {
				continue // removed meanwhile: try again
			}
			return nil, nil, &LockedError{Root: root, Path: path, Unreadable: true}
		}
		if attempt >= 3 || (held.Host != "" && held.Host != host) || ProcessAlive(held.PID) {
			return nil, nil, &LockedError{Root: root, Path: path, Info: *held}
		}
		// The process is gone: take the lock over.
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("robustdata/pipeline: removing the stale lock %s: %w", path, err)
		}
		stale = held
	}
}

// ReadRunLock reads the lock of an output root; nil when there is none.
func ReadRunLock(root string) (*LockInfo, error) {
	var info LockInfo
	ok, err := readJSONFile(filepath.Join(root, RunLockName), &info)
	if !ok || err != nil {
		return nil, err
	}
	if info.PID <= 0 {
		return nil, fmt.Errorf("%s: no pid", filepath.Join(root, RunLockName))
	}
	return &info, nil
}

// Info returns what the lock file holds.
func (l *RunLock) Info() LockInfo { return l.info }

// Release removes the lock, if it is still this one.
func (l *RunLock) Release() error {
	if l == nil {
		return nil
	}
	var now LockInfo
	if ok, err := readJSONFile(l.path, &now); err == nil && ok && now.Token != l.info.Token {
		return nil // taken over meanwhile: not ours to remove
	}
	if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// ProcessAlive tells whether a process with this pid exists on this host
// (one of another user counts as alive).
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
