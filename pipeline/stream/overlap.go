package stream

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrOutputIsInput is wrapped by the error CheckOutput returns: the output
// named would replace, or be written inside, something the command reads.
// It is bad usage (the command line names the same place twice), not bad
// data.
var ErrOutputIsInput = errors.New("the output would overwrite an input")

// CheckOutput refuses an output that overlaps what a command reads, before
// anything is written: a file output that is one of the inputs (by file
// identity, so a symlink or another spelling of the same path counts), a
// file or folder output inside an input folder (a second run would read
// its own output as input, or the output would change a dataset it
// reads), and a folder output (a dataset or run folder) that holds an
// input. output "-" and "" (standard output, nothing) never overlap;
// inputs "-" and "" (standard input) are skipped. Inputs that do not
// exist are left to the readers to report.
func CheckOutput(output string, folder bool, inputs ...string) error {
	if output == "" || output == "-" {
		return nil
	}
	out, err := resolvePath(output)
	if err != nil {
		return nil // the writer reports an unusable output path
	}
	outInfo, outErr := os.Stat(output)
	for _, in := range inputs {
		if in == "" || in == "-" {
			continue
		}
		inInfo, err := os.Stat(in)
		if err != nil {
			continue
		}
		at, err := resolvePath(in)
		if err != nil {
			continue
		}
		same := at == out || (outErr == nil && os.SameFile(outInfo, inInfo))
		switch {
		case same && folder:
			return &overlapError{fmt.Sprintf("%s is also the input %s: write the output to another folder", output, in)}
		case same:
			return &overlapError{fmt.Sprintf("%s is also the input %s: write the output to another name", output, in)}
		case inInfo.IsDir() && within(out, at):
			return &overlapError{fmt.Sprintf("%s is inside the input folder %s (a later run would read it, or it changes what is read): write the output outside %s", output, in, in)}
		case folder && within(at, out):
			return &overlapError{fmt.Sprintf("%s holds the input %s: write the output to another folder", output, in)}
		}
	}
	return nil
}

// overlapError is CheckOutput's error; it matches ErrOutputIsInput.
type overlapError struct{ msg string }

func (e *overlapError) Error() string { return "robustdata/pipeline: " + e.msg }

// Is makes errors.Is(err, ErrOutputIsInput) true.
func (e *overlapError) Is(target error) bool { return target == ErrOutputIsInput }

// within reports whether path is strictly inside folder (both absolute
// and clean).
func within(path, folder string) bool {
	rel, err := filepath.Rel(folder, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// resolvePath returns the absolute, clean form of path with every symlink
// of its existing part resolved; the missing tail (an output not written
// yet) is kept as given.
func resolvePath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var tail []string
	for p := abs; ; {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			for i := len(tail) - 1; i >= 0; i-- {
				r = filepath.Join(r, tail[i])
			}
			return r, nil
		}
		parent := filepath.Dir(p)
		if parent == p {
			return abs, nil
		}
		tail = append(tail, filepath.Base(p))
		p = parent
	}
}
