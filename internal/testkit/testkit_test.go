package testkit

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileMakesFolders(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a", "b", "c.txt")
	WriteFile(t, p, "hello")
	got, err := os.ReadFile(p)
	if err != nil || string(got) != "hello" {
		t.Fatalf("read back %q, %v", got, err)
	}
}

func TestOneLineFlagsMultiLine(t *testing.T) {
	inner := &testing.T{}
	OneLine(inner, "x", errors.New("two\nlines"))
	if !inner.Failed() {
		t.Error("a two-line message passed")
	}
	ok := &testing.T{}
	OneLine(ok, "x", errors.New("one line"))
	if ok.Failed() {
		t.Error("a one-line message failed")
	}
}
