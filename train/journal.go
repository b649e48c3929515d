package train

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"github.com/robustdata/robustdata/pipeline/dataset"
)

// journalMagic starts a journal; then come records of journalRecord bytes:
// step (int64), task (int32), loss and weight (float64), little-endian.
const (
	journalMagic  = "RDTLOG1\n"
	journalRecord = 8 + 4 + 8 + 8
)

// journal appends log rows to a run's journal file.
type journal struct {
	f    *os.File
	path string
	buf  []byte
}

// createJournal starts an empty journal at path, replacing any.
func createJournal(path string) (*journal, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("robustdata/train: creating the training log: %w", err)
	}
	j := &journal{f: f, path: path}
	if _, err := f.WriteString(journalMagic); err != nil {
		f.Close()
		return nil, fmt.Errorf("robustdata/train: writing %s: %w", path, err)
	}
	return j, nil
}

// append writes rows and syncs them to disk (before the checkpoint that
// they lead up to is written).
func (j *journal) append(rows []dataset.LogRow) error {
	j.buf = j.buf[:0]
	for _, r := range rows {
		j.buf = binary.LittleEndian.AppendUint64(j.buf, uint64(r.Step))
		j.buf = binary.LittleEndian.AppendUint32(j.buf, uint32(r.Task))
		j.buf = binary.LittleEndian.AppendUint64(j.buf, math.Float64bits(r.Loss))
		j.buf = binary.LittleEndian.AppendUint64(j.buf, math.Float64bits(r.Weight))
	}
	if _, err := j.f.Write(j.buf); err != nil {
		return fmt.Errorf("robustdata/train: writing %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("robustdata/train: writing %s: %w", j.path, err)
	}
	return nil
}

// close closes the journal file.
func (j *journal) close() error { return j.f.Close() }

// readJournal reads the rows of the journal at path whose step is below
// step, for k tasks. A record cut short at the end (a crash while
// appending) is ignored; anything else that is not a well-formed log (bad
// header, steps going back, a task out of range) is an error.
func readJournal(path string, step, k int) ([]dataset.LogRow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bad := func(what string) error {
		return fmt.Errorf("robustdata/train: %s: not a training log: %s", path, what)
	}
	if !bytes.HasPrefix(data, []byte(journalMagic)) {
		return nil, bad("bad header")
	}
	data = data[len(journalMagic):]
	var rows []dataset.LogRow
	for len(data) >= journalRecord {
		r := dataset.LogRow{
			Step:   int64(binary.LittleEndian.Uint64(data)),
			Task:   int32(binary.LittleEndian.Uint32(data[8:])),
			Loss:   math.Float64frombits(binary.LittleEndian.Uint64(data[12:])),
			Weight: math.Float64frombits(binary.LittleEndian.Uint64(data[20:])),
		}
		data = data[journalRecord:]
		if r.Task < 0 || int(r.Task) >= k {
			return nil, bad(fmt.Sprintf("task %d of %d", r.Task, k))
		}
		if n := len(rows); n > 0 && r.Step < rows[n-1].Step {
			return nil, bad(fmt.Sprintf("step %d after step %d", r.Step, rows[n-1].Step))
		}
		if r.Step >= int64(step) {
			break
		}
		rows = append(rows, r)
	}
	return rows, nil
}
