package train

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline/dataset"
)

func journalRows(steps, k int) []dataset.LogRow {
	var rows []dataset.LogRow
	for s := range steps {
		for t := range k {
			rows = append(rows, dataset.LogRow{Step: int64(s), Task: int32(t), Loss: float64(s) + float64(t)/10, Weight: 1 / float64(k)})
		}
	}
	return rows
}

func TestJournal(t *testing.T) {
	const k = 3
	path := filepath.Join(t.TempDir(), dataset.TrainJournalFile)
	rows := journalRows(10, k)
	j, err := createJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	// Two checkpoints: steps 0-3, then 4-9.
	if err := j.append(rows[:4*k]); err != nil {
		t.Fatal(err)
	}
	if err := j.append(rows[4*k:]); err != nil {
		t.Fatal(err)
	}
	j.close()
	if st, _ := os.Stat(path); st.Size() != int64(len(journalMagic)+len(rows)*journalRecord) {
		t.Errorf("journal of %d bytes, want %d: appends must add only the new rows", st.Size(), len(journalMagic)+len(rows)*journalRecord)
	}
	for _, step := range []int{0, 4, 10, 99} {
		got, err := readJournal(path, step, k)
		if err != nil {
			t.Fatal(err)
		}
		if want := rows[:min(step, 10)*k]; !slices.Equal(got, want) {
			t.Errorf("rows before step %d: %d rows, want %d", step, len(got), len(want))
		}
	}
	// A record cut short by a crash is not a row.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{1, 2, 3})
	f.Close()
	if got, err := readJournal(path, 99, k); err != nil || len(got) != len(rows) {
		t.Errorf("torn tail: %d rows, %v; want %d", len(got), err, len(rows))
	}
}

func TestJournalBad(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		return p
	}
	good := filepath.Join(dir, "good")
	j, _ := createJournal(good)
	j.append(journalRows(4, 2))
	j.close()
	data, _ := os.ReadFile(good)
	// Row 5 (step 2, task 1) gets task 7; row 6's step goes back to 0.
	badTask := slices.Clone(data)
	badTask[len(journalMagic)+5*journalRecord+8] = 7
	badStep := slices.Clone(data)
	badStep[len(journalMagic)+6*journalRecord] = 0
	for _, tc := range []struct {
		name, path, want string
	}{
		{"header", write("header", []byte("PAR1 not a journal")), "bad header"},
		{"task", write("task", badTask), "task 7 of 2"},
		{"step", write("step", badStep), "step 0 after step 2"},
	} {
		if _, err := readJournal(tc.path, 99, 2); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// BenchmarkCheckpointLog compares the log kept at every checkpoint of a
// long run (K=64 tasks, a checkpoint every 100 steps, 100 checkpoints) as
// a journal appended to against train_log.parquet rewritten whole.
func BenchmarkCheckpointLog(b *testing.B) {
	const k, every, checkpoints = 64, 100, 100
	rows := journalRows(every*checkpoints, k)
	per := every * k
	b.Run("journal", func(b *testing.B) {
		for b.Loop() {
			j, err := createJournal(filepath.Join(b.TempDir(), dataset.TrainJournalFile))
			if err != nil {
				b.Fatal(err)
			}
			for c := range checkpoints {
				if err := j.append(rows[c*per : (c+1)*per]); err != nil {
					b.Fatal(err)
				}
			}
			j.close()
		}
	})
	b.Run("rewrite", func(b *testing.B) {
		for b.Loop() {
			path := filepath.Join(b.TempDir(), dataset.TrainLogFile)
			for c := range checkpoints {
				if err := writeLog(path, rows[:(c+1)*per]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
