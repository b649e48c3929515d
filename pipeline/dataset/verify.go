package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/robustdata/robustdata/pipeline/schema"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// VerifyReport is what Verify found in a dataset.
type VerifyReport struct {
	// Files is the number of shard files the manifest lists (tasks and
	// rejected).
	Files int
	// Rows is the number of rows counted in the task shards.
	Rows int64
	// Rejected is the number of rows counted in the rejected shards.
	Rejected int64
	// Tasks is the number of tasks the manifest lists.
	Tasks int
	// Problems lists what is wrong, one line each, naming the file; at
	// most maxProblems lines, the last one then telling how many more
	// there were.
	Problems []string
}

// maxProblems bounds the lines of VerifyReport.Problems.
const maxProblems = 1000

// Verify checks the dataset in dir against its manifest.json (read with
// ReadManifest, which checks paths and arithmetic): every listed
// shard exists with the listed size and sha256 and holds the listed number
// of rows; every row of a task shard has that task and no reject reason;
// every row of a rejected shard has a reason, and the reasons add up to
// the manifest's counts; every doc_id (when the shards have that column)
// appears once across the dataset; no file under dir is left unlisted
// (but manifest.json); and the rows counted in the files add up to the
// manifest's input rows. Only the doc_id, task and reject_reason columns
// are read. The task column is Config["task_column"] when that is a
// string, else "task".
//
// Checking doc_ids keeps every id in memory, so memory grows with the
// dataset's rows (about 100 bytes per row plus the id): fine for millions
// of rows, a lot for billions.
//
// Problems are collected, not returned at the first. When there is any,
// Verify returns the report and a *stream.DataError "N problems, first:
// ..."; a manifest that cannot be read is such an error too. Other errors
// (cancellation) come with a nil report.
func Verify(ctx context.Context, dir string) (*VerifyReport, error) {
	return verifyDataset(ctx, dir, memory.DefaultAllocator)
}

// shardLoc names a row for duplicate doc_id reports.
type shardLoc struct {
	file int32
	row  int64
}

type verifier struct {
	ctx      context.Context
	dir      string
	mem      memory.Allocator
	m        *Manifest
	rep      *VerifyReport
	nProblem int
	taskCol  string
	files    []string // listed shard paths, by index
	ids      map[string]shardLoc
	reasons  map[string]int64
	schema   *arrow.Schema // of the first shard read
	schemaOf string
}

func verifyDataset(ctx context.Context, dir string, mem memory.Allocator) (*VerifyReport, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		if stream.IsDataError(err) {
			return &VerifyReport{Problems: []string{err.Error()}}, err
		}
		return nil, err
	}
	v := &verifier{ctx: ctx, dir: dir, mem: mem, m: m, rep: &VerifyReport{Tasks: len(m.Tasks)},
		taskCol: schema.TaskColumn, ids: map[string]shardLoc{}, reasons: map[string]int64{}}
	if name, ok := m.Config[ConfigTaskColumn].(string); ok && name != "" {
		v.taskCol = name
	}
	listed := map[string]bool{}
	check := func(s ManifestShard, task int) (int64, error) {
		if listed[s.Path] {
			v.problem("%s: listed twice in the manifest", s.Path)
			return 0, nil
		}
		listed[s.Path] = true
		v.rep.Files++
		return v.shard(s, task)
	}
	for _, t := range m.Tasks {
		var rows int64
		for _, s := range t.Shards {
			n, err := check(s, t.Task)
			if err != nil {
				return nil, err
			}
			rows += n
		}
		v.rep.Rows += rows
	}
	for _, s := range m.Rejected.Shards {
		n, err := check(s, -1)
		if err != nil {
			return nil, err
		}
		v.rep.Rejected += n
	}
	// The partition model and the report may sit beside the data: the
	// model must be the one the manifest names; the reports are free text.
	listed[ReportFile], listed[HTMLReportFile] = true, true
	if _, err := os.Stat(filepath.Join(dir, FeaturesModelFile)); err == nil {
		listed[FeaturesModelFile] = true
	}
	if m.PartitionModel != "" {
		p := filepath.Join(dir, ModelFile)
		if _, err := os.Stat(p); err == nil {
			listed[ModelFile] = true
			h, err := stream.HashInputs(ctx, []stream.Input{{Name: ModelFile, Path: p}})
			switch {
			case err != nil:
				v.problem("%s: %v", ModelFile, err)
			case h[0].SHA256 != m.PartitionModel:
				v.problem("%s: sha256 %s, the manifest's partition model is %s", ModelFile, h[0].SHA256, m.PartitionModel)
			}
		}
	}
	if v.rep.Rejected != m.Rejected.Rows {
		v.problem("%s: rejected rows %d, the rejected files hold %d", RejectedDir, m.Rejected.Rows, v.rep.Rejected)
	}
	if !maps.Equal(v.reasons, m.Rejected.Reasons) && (len(v.reasons) > 0 || len(m.Rejected.Reasons) > 0) {
		for _, r := range slices.Sorted(maps.Keys(reasonKeys(v.reasons, m.Rejected.Reasons))) {
			if got, want := v.reasons[r], m.Rejected.Reasons[r]; got != want {
				v.problem("%s: reason %q: the manifest counts %d rows, the files hold %d", RejectedDir, r, want, got)
			}
		}
	}
	if v.rep.Rows != m.TotalRows {
		v.problem("%s: total_rows %d, the task files hold %d", ManifestName, m.TotalRows, v.rep.Rows)
	}
	if in := v.rep.Rows + v.rep.Rejected; in != m.InputRows {
		v.problem("%s: input_rows %d, the files hold %d (%d in tasks + %d rejected)", ManifestName, m.InputRows, in, v.rep.Rows, v.rep.Rejected)
	}
	if err := v.unlisted(listed); err != nil {
		return nil, err
	}
	if v.nProblem == 0 {
		return v.rep, nil
	}
	if v.nProblem > len(v.rep.Problems) {
		v.rep.Problems = append(v.rep.Problems, fmt.Sprintf("... and %d more problems", v.nProblem-len(v.rep.Problems)))
	}
	what := "problems"
	if v.nProblem == 1 {
		what = "problem"
	}
	return v.rep, &stream.DataError{Source: dir, Row: -1,
		Err: fmt.Errorf("%d %s, first: %s", v.nProblem, what, v.rep.Problems[0])}
}

func reasonKeys(a, b map[string]int64) map[string]int64 {
	u := maps.Clone(a)
	if u == nil {
		u = map[string]int64{}
	}
	maps.Copy(u, b)
	return u
}

func (v *verifier) problem(format string, args ...any) {
	v.nProblem++
	if len(v.rep.Problems) < maxProblems {
		v.rep.Problems = append(v.rep.Problems, fmt.Sprintf(format, args...))
	}
}

// readProblem records an error reading a shard, naming the file once.
func (v *verifier) readProblem(rel string, err error) {
	var de *stream.DataError
	if errors.As(err, &de) && de.Source == rel {
		v.problem("%s", de.Error())
		return
	}
	v.problem("%s: cannot read: %v", rel, err)
}

// shard checks one listed file (task -1: rejected) and returns the rows
// it holds. Only cancellation is returned as an error.
func (v *verifier) shard(s ManifestShard, task int) (int64, error) {
	if err := v.ctx.Err(); err != nil {
		return 0, err
	}
	full := filepath.Join(v.dir, filepath.FromSlash(s.Path))
	st, err := os.Stat(full)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.problem("%s: listed in the manifest but missing", s.Path)
		return 0, nil
	case err != nil:
		v.problem("%s: %v", s.Path, err)
		return 0, nil
	case !st.Mode().IsRegular():
		v.problem("%s: not a regular file", s.Path)
		return 0, nil
	}
	if st.Size() != s.Bytes {
		v.problem("%s: %d bytes, the manifest lists %d", s.Path, st.Size(), s.Bytes)
	}
	sum, err := shardFileSHA256(full)
	if err != nil {
		v.problem("%s: %v", s.Path, err)
		return 0, nil
	}
	if sum != s.SHA256 {
		v.problem("%s: sha256 %s, the manifest lists %s", s.Path, sum, s.SHA256)
	}
	rows, err := v.rows(s.Path, full, st.Size(), task)
	if err != nil {
		if cerr := v.ctx.Err(); cerr != nil {
			return 0, cerr
		}
		v.readProblem(s.Path, err)
	}
	if rows != s.Rows && err == nil {
		v.problem("%s: %d rows, the manifest lists %d", s.Path, rows, s.Rows)
	}
	return rows, nil
}

func shardFileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verifyRowCheck counts the rows of a shard that break a rule, remembering the
// first.
type verifyRowCheck struct {
	n     int64
	first string
}

func (c *verifyRowCheck) add(format string, args ...any) {
	if c.n == 0 {
		c.first = fmt.Sprintf(format, args...)
	}
	c.n++
}

// rows reads a shard's doc_id, task and reject columns, checks its rows
// and returns how many it holds.
func (v *verifier) rows(rel, full string, size int64, task int) (int64, error) {
	in := []stream.Input{{Name: rel, Path: full, Size: size, Format: stream.FormatParquet}}
	rd, err := stream.OpenInputs(v.ctx, in, stream.WithAllocator(v.mem))
	if err != nil {
		return 0, err
	}
	sc := rd.Schema()
	if err := rd.Close(); err != nil {
		return 0, err
	}
	if v.schema == nil {
		v.schema, v.schemaOf = sc, rel
	} else if !v.schema.Equal(sc) {
		v.problem("%s: schema differs from %s's", rel, v.schemaOf)
	}
	var cols []string
	has := func(name string) bool { return len(sc.FieldIndices(name)) > 0 }
	for _, c := range []string{schema.DocIDColumn, v.taskCol, schema.RejectColumn} {
		if has(c) && !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	switch {
	case task >= 0 && !has(v.taskCol):
		v.problem("%s: no task column %q", rel, v.taskCol)
	case task < 0 && !has(schema.RejectColumn):
		v.problem("%s: rejected shard without a %s column", rel, schema.RejectColumn)
	}
	opts := []stream.Option{stream.WithAllocator(v.mem)}
	if len(cols) > 0 {
		opts = append(opts, stream.WithColumns(cols...))
	}
	// With no column to read, the rows are still counted (reading all).
	rd, err = stream.OpenInputs(v.ctx, in, opts...)
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	fileIdx := int32(len(v.files))
	v.files = append(v.files, rel)
	var rows int64
	var badTask, badReject, dups verifyRowCheck
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rows, err
		}
		v.batch(rec, rows, fileIdx, task, &badTask, &badReject, &dups)
		rows += rec.NumRows()
	}
	if badTask.n > 0 {
		v.problem("%s: %d rows not of task %d, first: %s", rel, badTask.n, task, badTask.first)
	}
	if badReject.n > 0 {
		if task >= 0 {
			v.problem("%s: %d rejected rows in a task shard, first: %s", rel, badReject.n, badReject.first)
		} else {
			v.problem("%s: %d rows without a reject reason, first: %s", rel, badReject.n, badReject.first)
		}
	}
	if dups.n > 0 {
		v.problem("%s: %d duplicated doc_ids, first: %s", rel, dups.n, dups.first)
	}
	return rows, nil
}

func (v *verifier) batch(rec arrow.RecordBatch, first int64, file int32, task int, badTask, badReject, dups *verifyRowCheck) {
	sc := rec.Schema()
	col := func(name string) arrow.Array {
		if idx := sc.FieldIndices(name); len(idx) > 0 {
			return rec.Column(idx[0])
		}
		return nil
	}
	ids, tasks, rejects := col(schema.DocIDColumn), col(v.taskCol), col(schema.RejectColumn)
	var t32 *array.Int32
	var t64 *array.Int64
	if tasks != nil && task >= 0 {
		t32, _ = tasks.(*array.Int32)
		t64, _ = tasks.(*array.Int64)
		if t32 == nil && t64 == nil && rec.NumRows() > 0 {
			badTask.add("row %d: task column is %s", first, tasks.DataType())
		}
	}
	var reasons *array.String
	if rejects != nil {
		reasons, _ = rejects.(*array.String)
		if reasons == nil && rec.NumRows() > 0 {
			badReject.add("row %d: %s column is %s", first, schema.RejectColumn, rejects.DataType())
		}
	}
	for i := range int(rec.NumRows()) {
		row := first + int64(i)
		if task >= 0 {
			switch {
			case t32 == nil && t64 == nil:
			case tasks.IsNull(i):
				badTask.add("row %d: task is null", row)
			case t32 != nil && int64(t32.Value(i)) != int64(task):
				badTask.add("row %d: task %d", row, t32.Value(i))
			case t64 != nil && t64.Value(i) != int64(task):
				badTask.add("row %d: task %d", row, t64.Value(i))
			}
			if reasons != nil && reasons.IsValid(i) {
				badReject.add("row %d: reason %q", row, reasons.Value(i))
			}
		} else if reasons != nil {
			if reasons.IsNull(i) {
				badReject.add("row %d", row)
			} else {
				r := reasons.Value(i)
				if c, ok := v.reasons[r]; ok {
					v.reasons[r] = c + 1
				} else {
					// Value shares the batch's memory: keep a copy.
					v.reasons[strings.Clone(r)] = 1
				}
			}
		}
		if ids != nil && ids.IsValid(i) {
			id := docIDKey(ids, i)
			if prev, ok := v.ids[id]; ok {
				dups.add("row %d: doc_id %s also at %s row %d", row, strconv.Quote(id), v.files[prev.file], prev.row)
			} else {
				v.ids[strings.Clone(id)] = shardLoc{file: file, row: row}
			}
		}
	}
}

// docIDKey is the map key of a doc_id value (which may share the batch's
// memory: copy it to keep it).
func docIDKey(ids arrow.Array, i int) string {
	switch a := ids.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	}
	return ids.ValueStr(i)
}

// unlisted reports the files under dir the manifest does not list.
func (v *verifier) unlisted(listed map[string]bool) error {
	return filepath.WalkDir(v.dir, func(path string, d fs.DirEntry, err error) error {
		if cerr := v.ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			v.problem("%s: %v", path, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(v.dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != ManifestName && !listed[rel] {
			v.problem("%s: not listed in the manifest", rel)
		}
		return nil
	})
}

// WriteText writes the report as robustdata verify prints it, dir named
// as given.
func (r *VerifyReport) WriteText(w io.Writer, dir string) {
	fmt.Fprintf(w, "%s: %d files, %d tasks, %d rows in shards, %d rejected\n", dir, r.Files, r.Tasks, r.Rows, r.Rejected)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
}
