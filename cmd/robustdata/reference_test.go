package main

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeReference fails when the README's command reference is not
// what the flag definitions generate; -update rewrites it.
func TestReadmeReference(t *testing.T) {
	const path = "../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i := strings.Index(readme, referenceBegin)
	j := strings.Index(readme, referenceEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the reference markers %q ... %q", referenceBegin, referenceEnd)
	}
	want := referenceBegin + "\n\n" + reference() + "\n" + referenceEnd
	got := readme[i : j+len(referenceEnd)]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme[:i]+want+readme[j+len(referenceEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's command reference is stale: run go test ./cmd/robustdata -run TestReadmeReference -update")
}
