package stream

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckOutput covers every way an output can overlap an input, and
// the look-alikes that do not.
func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, f := range []string{"in.parquet", "corpus/a.parquet", "ds/manifest.json", "ds/task=000/part-00000.parquet"} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("in.parquet", "link.parquet"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ds", "dslink"); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("in.parquet")
	for _, tc := range []struct {
		out    string
		folder bool
		ins    []string
		bad    bool
	}{
		{"in.parquet", false, []string{"in.parquet"}, true},
		{"./x/../in.parquet", false, []string{"in.parquet"}, true},
		{abs, false, []string{"in.parquet"}, true},
		{"link.parquet", false, []string{"in.parquet"}, true},
		{"in.parquet", false, []string{"link.parquet"}, true},
		{"corpus/all.parquet", false, []string{"corpus"}, true},
		{"corpus/sub/all.parquet", false, []string{"corpus/"}, true},
		{"ds", true, []string{"ds"}, true},
		{"dslink/", true, []string{"ds"}, true},
		{"ds/run", true, []string{"ds"}, true},
		{"ds/manifest.json", false, []string{"ds/manifest.json"}, true},
		{".", true, []string{"in.parquet"}, true},
		{"out", true, []string{"out/../in.parquet"}, false},
		// Not overlapping: siblings, prefixes of names, standard streams,
		// missing inputs, a file output beside a file input.
		{"corpus2/all.parquet", false, []string{"corpus"}, false},
		{"in.parquet.bak", false, []string{"in.parquet"}, false},
		{"-", false, []string{"in.parquet"}, false},
		{"", false, []string{"in.parquet"}, false},
		{"out.parquet", false, []string{"-", "", "missing.parquet", "in.parquet"}, false},
		{"ds2/", true, []string{"ds"}, false},
		{"ds/report.html", false, []string{"ds/manifest.json", "ds/task=000"}, false},
		// A file output inside a folder output's input is fine when the
		// input is a file next to it.
		{"in2.parquet", false, []string{"corpus/a.parquet"}, false},
	} {
		err := CheckOutput(tc.out, tc.folder, tc.ins...)
		if got := errors.Is(err, ErrOutputIsInput); got != tc.bad {
			t.Errorf("CheckOutput(%q, %v, %q) = %v, want overlap %v", tc.out, tc.folder, tc.ins, err, tc.bad)
		}
	}
}
