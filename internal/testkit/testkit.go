// Package testkit holds the small helpers the tests of several packages
// share. It is imported by _test.go files only.
package testkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// WriteFile writes data to path, making its folder; it fails the test on
// error.
func WriteFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// OneLine fails the test unless err's message is one non-empty line.
func OneLine(t testing.TB, what string, err error) {
	t.Helper()
	msg := err.Error()
	if msg == "" || strings.ContainsAny(msg, "\n\r") {
		t.Errorf("%s: error is not one line: %q (%T)", what, msg, err)
	}
}
