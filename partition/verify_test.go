package partition

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// verifyRows are 30 rows in 3 tasks of 10, 10 and 8 rows, 2 rejected.
func verifyRows() []shardRow {
	return taskRows(30, func(i int) int64 { return int64(i % 3) }, func(i int) string {
		if i == 5 || i == 20 {
			return "too short"
		}
		return ""
	})
}

// writeVerifyDataset writes rows as a dataset of 3 tasks with shards of at
// most 6 rows.
func writeVerifyDataset(t *testing.T, mem memory.Allocator, rows []shardRow) (string, *stream.Manifest) {
	t.Helper()
	src := newMemReader(t, mem, inputSpec{}, rows, 7)
	dir := filepath.Join(t.TempDir(), "ds")
	m, err := WriteShards(context.Background(), src, dir, ShardOptions{Tasks: 3, MaxRows: 6, Allocator: mem,
		Writer: []stream.Option{stream.WithAllocator(mem)}})
	if err != nil {
		t.Fatal(err)
	}
	return dir, m
}

// editManifest rewrites dir's manifest after edit.
func editManifest(t *testing.T, dir string, edit func(m *stream.Manifest)) {
	t.Helper()
	m, err := stream.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.ParseManifest("edited", data); err != nil {
		t.Fatalf("the edited manifest does not parse: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, stream.ManifestName), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyGood(t *testing.T) {
	mem := shardMem(t)
	dir, m := writeVerifyDataset(t, mem, verifyRows())
	rep, err := verifyDataset(context.Background(), dir, mem)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := VerifyReport{Files: 2 + 2 + 2 + 1, Rows: 28, Rejected: 2, Tasks: 3}
	if rep.Files != want.Files || rep.Rows != want.Rows || rep.Rejected != want.Rejected || rep.Tasks != want.Tasks || len(rep.Problems) != 0 {
		t.Errorf("report %+v, want %+v", rep, want)
	}
	if n := len(m.Tasks[0].Shards); n != 2 {
		t.Fatalf("task 0 has %d shards", n)
	}
	// The exported entry point, with the default allocator.
	if _, err := Verify(context.Background(), dir); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestVerifyFindsCorruption(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rows    func() []shardRow
		corrupt func(t *testing.T, dir string, m *stream.Manifest)
		want    []string // each must be in some problem line
	}{
		{name: "flipped byte", corrupt: func(t *testing.T, dir string, m *stream.Manifest) {
			p := filepath.Join(dir, "task=001", "part-00000.parquet")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0x40
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"task=001/part-00000.parquet: sha256"}},
		{name: "deleted shard", corrupt: func(t *testing.T, dir string, m *stream.Manifest) {
			if err := os.Remove(filepath.Join(dir, "task=002", "part-00001.parquet")); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"task=002/part-00001.parquet: listed in the manifest but missing", "total_rows 28, the task files hold"}},
		{name: "truncated shard", corrupt: func(t *testing.T, dir string, m *stream.Manifest) {
			p := filepath.Join(dir, "rejected", "part-00000.parquet")
			if err := os.Truncate(p, 100); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"rejected/part-00000.parquet: 100 bytes, the manifest lists", "rejected/part-00000.parquet: sha256", "rejected/part-00000.parquet: not a valid Parquet file"}},
		{name: "extra file", corrupt: func(t *testing.T, dir string, m *stream.Manifest) {
			for _, f := range []string{"task=000/part-00009.parquet", "notes.txt", "task=007/.part-00000.parquet.tmp-1"} {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
				if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}, want: []string{"task=000/part-00009.parquet: not listed", "notes.txt: not listed", "task=007/.part-00000.parquet.tmp-1: not listed"}},
		{name: "duplicated doc_id", rows: func() []shardRow {
			rows := verifyRows()
			rows[22].ID = rows[4].ID // task 1 both
			rows[26].ID = rows[3].ID // task 2 and task 0
			return rows
		}, want: []string{`task=001/part-00001.parquet: 1 duplicated doc_ids, first: row 1: doc_id "d00004" also at task=001/part-00000.parquet row 1`,
			`task=002/part-00001.parquet: 1 duplicated doc_ids, first: row 0: doc_id "d00003" also at task=000/part-00000.parquet row 1`}},
		{name: "counts moved between tasks", corrupt: func(t *testing.T, dir string, m *stream.Manifest) {
			editManifest(t, dir, func(m *stream.Manifest) {
				m.Tasks[0].Rows--
				m.Tasks[0].Shards[1].Rows--
				m.Tasks[1].Rows++
				m.Tasks[1].Shards[0].Rows++
			})
		}, want: []string{"task=000/part-00001.parquet: 4 rows, the manifest lists 3", "task=001/part-00000.parquet: 6 rows, the manifest lists 7"}},
		{name: "rejected counts edited", corrupt: func(t *testing.T, dir string, m *stream.Manifest) {
			editManifest(t, dir, func(m *stream.Manifest) {
				m.Rejected.Rows++
				m.Rejected.Reasons["too short"]--
				m.Rejected.Reasons["invented"] = 2
				m.InputRows++
			})
		}, want: []string{"rejected: rejected rows 3, the rejected files hold 2", `reason "invented": the manifest counts 2 rows, the files hold 0`,
			`reason "too short": the manifest counts 1 rows, the files hold 2`, "input_rows 31, the files hold 30"}},
		{name: "shards swapped between tasks", corrupt: func(t *testing.T, dir string, m *stream.Manifest) {
			// task=000/part-00000 and task=001/part-00000 both hold 6 rows.
			a := filepath.Join(dir, "task=000", "part-00000.parquet")
			b := filepath.Join(dir, "task=001", "part-00000.parquet")
			tmp := a + ".swap"
			for _, mv := range [][2]string{{a, tmp}, {b, a}, {tmp, b}} {
				if err := os.Rename(mv[0], mv[1]); err != nil {
					t.Fatal(err)
				}
			}
			editManifest(t, dir, func(m *stream.Manifest) {
				s0, s1 := &m.Tasks[0].Shards[0], &m.Tasks[1].Shards[0]
				s0.Bytes, s1.Bytes = s1.Bytes, s0.Bytes
				s0.SHA256, s1.SHA256 = s1.SHA256, s0.SHA256
			})
		}, want: []string{"task=000/part-00000.parquet: 6 rows not of task 0, first: row 0: task 1", "task=001/part-00000.parquet: 6 rows not of task 1, first: row 0: task 0"}},
		{name: "task shard listed as rejected", corrupt: func(t *testing.T, dir string, m *stream.Manifest) {
			editManifest(t, dir, func(m *stream.Manifest) {
				moved := m.Tasks[2].Shards[1]
				m.Tasks[2].Shards = m.Tasks[2].Shards[:1]
				m.Tasks[2].Rows -= moved.Rows
				m.TotalRows -= moved.Rows
				m.Rejected.Shards = append(m.Rejected.Shards, moved)
				m.Rejected.Rows += moved.Rows
				m.Rejected.Reasons["too short"] += moved.Rows
			})
		}, want: []string{"task=002/part-00001.parquet: 2 rows without a reject reason, first: row 0"}},
		{name: "missing manifest", corrupt: func(t *testing.T, dir string, m *stream.Manifest) {
			if err := os.Remove(filepath.Join(dir, stream.ManifestName)); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"manifest.json: no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := shardMem(t)
			rows := verifyRows()
			if tc.rows != nil {
				rows = tc.rows()
			}
			dir, m := writeVerifyDataset(t, mem, rows)
			if tc.corrupt != nil {
				tc.corrupt(t, dir, m)
			}
			rep, err := verifyDataset(context.Background(), dir, mem)
			var de *stream.DataError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a DataError", err)
			}
			if rep == nil || len(rep.Problems) == 0 {
				t.Fatalf("report %+v without problems", rep)
			}
			if !strings.Contains(err.Error(), "first: "+rep.Problems[0]) && !strings.Contains(err.Error(), rep.Problems[0]) {
				t.Errorf("error %q does not name the first problem %q", err, rep.Problems[0])
			}
			for _, w := range tc.want {
				found := false
				for _, p := range rep.Problems {
					if strings.Contains(p, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem contains %q; problems:\n%s", w, strings.Join(rep.Problems, "\n"))
				}
			}
			for _, p := range rep.Problems {
				if strings.ContainsAny(p, "\n\r") {
					t.Errorf("problem spans lines: %q", p)
				}
			}
		})
	}
}

func TestVerifyProblemCap(t *testing.T) {
	mem := shardMem(t)
	dir, _ := writeVerifyDataset(t, mem, verifyRows())
	for i := range maxProblems + 5 {
		name := filepath.Join(dir, "junk", strings.Repeat("x", 1+i%7)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)))
		os.MkdirAll(filepath.Dir(name), 0o755)
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := verifyDataset(context.Background(), dir, mem)
	if err == nil || !strings.Contains(err.Error(), "1005 problems, first: ") {
		t.Fatalf("error %v", err)
	}
	if len(rep.Problems) != maxProblems+1 || rep.Problems[maxProblems] != "... and 5 more problems" {
		t.Errorf("%d problems, last %q", len(rep.Problems), rep.Problems[len(rep.Problems)-1])
	}
}

func TestVerifyCancel(t *testing.T) {
	mem := shardMem(t)
	dir, _ := writeVerifyDataset(t, mem, verifyRows())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := verifyDataset(ctx, dir, mem)
	if !errors.Is(err, context.Canceled) || rep != nil {
		t.Fatalf("report %v, error %v", rep, err)
	}
}
