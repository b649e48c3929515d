package stream

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/robustdata/robustdata/pipeline/schema"
)

// TestSplitUnits checks that the units of a split, read one after the
// other, are the inputs read whole in name order (rows, doc_ids), for
// every number of units, and that the order the inputs are named in does
// not change the units.
func TestSplitUnits(t *testing.T) {
	mem := checkedMem(t)
	sc := testSchema()
	recs := makeBatches(t, mem, 250, 100)
	defer releaseAll(recs)
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.jsonl"), filepath.Join(dir, "c.parquet")
	writeFile(t, a, sc, recs, WithAllocator(mem), WithRowGroupRows(60)) // 5 row groups
	writeFile(t, b, sc, recs, WithAllocator(mem))
	writeFile(t, c, sc, recs, WithAllocator(mem), WithRowGroupRows(30)) // 9 row groups
	inputs, err := ExpandInputs([]string{c, a, b})
	if err != nil {
		t.Fatal(err)
	}
	read := func(ins []Input) (ids, texts []string) {
		rd, err := OpenInputs(context.Background(), ins, WithAllocator(mem), WithDocID(schema.DocIDColumn), WithBatchRows(41))
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		cols, _ := readAll(t, rd, mem)
		defer releaseArrays(cols)
		ti := rd.Schema().FieldIndices("text")[0]
		id := cols[len(cols)-1].(*array.String)
		tx := cols[ti].(*array.String)
		for i := range id.Len() {
			ids, texts = append(ids, id.Value(i)), append(texts, tx.Value(i))
		}
		return ids, texts
	}
	sorted := []Input{inputs[1], inputs[2], inputs[0]} // a, b, c
	wantIDs, wantTexts := read(sorted)
	if len(wantIDs) != 750 {
		t.Fatalf("%d rows, want 750", len(wantIDs))
	}
	for n := 1; n <= 20; n += 3 {
		units, err := SplitUnits(inputs, n)
		if err != nil {
			t.Fatal(err)
		}
		reversed, err := SplitUnits([]Input{inputs[2], inputs[1], inputs[0]}, n)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(units, reversed, func(x, y []Input) bool { return slices.Equal(x, y) }) {
			t.Fatalf("n = %d: the order the inputs are named in changes the units", n)
		}
		var ids, texts []string
		nonEmpty := 0
		for _, u := range units {
			if len(u) == 0 {
				continue
			}
			nonEmpty++
			i, tx := read(u)
			ids, texts = append(ids, i...), append(texts, tx...)
		}
		if !slices.Equal(ids, wantIDs) || !slices.Equal(texts, wantTexts) {
			t.Fatalf("n = %d: the units' rows differ from the whole's", n)
		}
		if nonEmpty == 0 {
			t.Fatalf("n = %d: no unit has work", n)
		}
	}
	if _, err := SplitUnits([]Input{{Name: StdinName}}, 2); err == nil {
		t.Error("standard input split")
	}
	// A range the file does not have (it changed since the split).
	bad := inputs[1]
	bad.Groups = RowGroups{First: 3, End: 9}
	if _, err := OpenInputs(context.Background(), []Input{bad}, WithAllocator(mem)); err == nil {
		rd, _ := OpenInputs(context.Background(), []Input{bad}, WithAllocator(mem))
		_, err = rd.Read()
		rd.Close()
		if err == nil {
			t.Error("row groups 3..8 of a 5-group file read")
		}
	}
}

// TestSplitUnitsBalanced checks that row groups of equal size are shared
// equally: 10 row groups in 5 units of 2.
func TestSplitUnitsBalanced(t *testing.T) {
	mem := checkedMem(t)
	recs := makeBatches(t, mem, 1000, 1000)
	defer releaseAll(recs)
	p := filepath.Join(t.TempDir(), "a.parquet")
	writeFile(t, p, testSchema(), recs, WithAllocator(mem), WithRowGroupRows(100))
	inputs, err := ExpandInputs([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	units, err := SplitUnits(inputs, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range units {
		if len(u) != 1 || u[0].Groups.End-u[0].Groups.First != 2 || u[0].Groups.FirstRow != int64(200*i) {
			t.Errorf("unit %d: %+v", i, u)
		}
	}
}

func TestParseSplit(t *testing.T) {
	if s, err := ParseSplit("2/5"); err != nil || s != (Split{2, 5}) || s.String() != "2/5" {
		t.Errorf("2/5: %v %v", s, err)
	}
	for _, bad := range []string{"5/5", "-1/3", "1", "a/b", "0/0"} {
		if _, err := ParseSplit(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestExpandRefusesIncompleteUnits checks that a folder of work units is
// read only once every unit has its completion marker.
func TestExpandRefusesIncompleteUnits(t *testing.T) {
	mem := checkedMem(t)
	recs := makeBatches(t, mem, 20, 20)
	defer releaseAll(recs)
	dir := t.TempDir()
	for _, name := range []string{"part-00000-of-00003.parquet", "part-00002-of-00003.parquet"} {
		writeFile(t, filepath.Join(dir, name), testSchema(), recs, WithAllocator(mem))
	}
	mark := func(name string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mark("_unit-00000-of-00003.json")
	mark("_unit-00002-of-00003.json")
	if _, err := ExpandInputs([]string{dir}); err == nil || !strings.Contains(err.Error(), "work unit 1/3 is not complete") {
		t.Fatalf("a folder without unit 1's marker: %v", err)
	}
	mark("_unit-00001-of-00003.json") // unit 1 had no rows: no part
	ins, err := ExpandInputs([]string{dir})
	if err != nil || len(ins) != 2 {
		t.Fatalf("a complete split: %v %v", ins, err)
	}
	mark("_unit-00000-of-00002.json")
	if _, err := ExpandInputs([]string{dir}); err == nil || !strings.Contains(err.Error(), "two splits") {
		t.Fatalf("two splits in one folder: %v", err)
	}
}
