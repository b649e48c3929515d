package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline/stream"
)

var update = flag.Bool("update", false, "rewrite the expected outputs of golden CLI cases and the README reference")

// TestCases runs the golden CLI cases under testdata/cases: each folder
// holds `cmd` (the arguments, one line; $REPO is the repository root),
// optionally `stdin` and input files, and the expected `expout` (stdout,
// then a dump of every file the command wrote), `experr` and `expcode`.
// Arrow IPC on stdout and every written data file are dumped as their
// schema and JSONL rows. Run `go test ./cmd/robustdata -run TestCases
// -update` to rewrite the expectations after a deliberate change.
func TestCases(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cases, err := filepath.Glob("testdata/cases/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no golden cases found")
	}
	for _, dir := range cases {
		dir, _ := filepath.Abs(dir)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			runCase(t, repo, dir)
		})
	}
}

func runCase(t *testing.T, repo, dir string) {
	cmdLine, err := os.ReadFile(filepath.Join(dir, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	args, err := splitArgs(strings.ReplaceAll(strings.TrimSpace(string(cmdLine)), "$REPO", repo))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	inputs := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		switch e.Name() {
		case "cmd", "expout", "experr", "expcode":
			continue
		}
		if err := os.CopyFS(filepath.Join(work, e.Name()), os.DirFS(filepath.Join(dir, e.Name()))); err != nil {
			// Not a folder: copy the file.
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(work, e.Name()), data, 0o644)
		}
		inputs[e.Name()] = true
	}
	var stdin io.Reader = strings.NewReader("")
	if data, err := os.ReadFile(filepath.Join(dir, "stdin")); err == nil {
		stdin = bytes.NewReader(data)
	}
	t.Chdir(work)
	var stdout, stderr bytes.Buffer
	e := &env{stdin: stdin, stdout: &stdout, stderr: &stderr, isTerminal: func(any) bool { return false }}
	code := e.run(context.Background(), args)

	var out bytes.Buffer
	out.WriteString(dumpStream(t, stdout.Bytes()))
	written, _ := os.ReadDir(work)
	var names []string
	for _, w := range written {
		if !inputs[w.Name()] {
			names = append(names, w.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if stream.IsStagingName(name) {
			t.Errorf("temporary file left behind: %s", name)
		}
		fmt.Fprintf(&out, "--- file %s ---\n%s", name, dumpFile(t, name))
	}
	gotErr := strings.ReplaceAll(stderr.String(), repo, "$REPO")
	gotOut := strings.ReplaceAll(out.String(), repo, "$REPO")
	gotCode := strconv.Itoa(code) + "\n"
	if *update {
		os.WriteFile(filepath.Join(dir, "expout"), []byte(gotOut), 0o644)
		os.WriteFile(filepath.Join(dir, "experr"), []byte(gotErr), 0o644)
		os.WriteFile(filepath.Join(dir, "expcode"), []byte(gotCode), 0o644)
		return
	}
	for _, c := range []struct{ file, got string }{{"expcode", gotCode}, {"experr", gotErr}, {"expout", gotOut}} {
		want, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if string(want) != c.got {
			t.Errorf("%s differs:\n--- got ---\n%s\n--- want ---\n%s", c.file, c.got, want)
		}
	}
}

// dumpStream renders an Arrow IPC stream as text; other bytes verbatim.
func dumpStream(t *testing.T, data []byte) string {
	if !bytes.HasPrefix(data, []byte{0xff, 0xff, 0xff, 0xff}) {
		return string(data)
	}
	return dumpReader(t, []string{"-"}, stream.WithStdin(bytes.NewReader(data)))
}

// dumpFile renders a data file as its schema and rows as JSONL, and a
// folder as each of its files in path order.
func dumpFile(t *testing.T, name string) string {
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		var b strings.Builder
		filepath.WalkDir(name, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				fmt.Fprintf(&b, "--- file %s ---\n%s", filepath.ToSlash(p), dumpFile(t, p))
			}
			return nil
		})
		return b.String()
	}
	if f, _ := stream.FormatOf(name); f == stream.FormatUnknown {
		data, _ := os.ReadFile(name)
		return string(data)
	}
	return dumpReader(t, []string{name})
}

func dumpReader(t *testing.T, args []string, opts ...stream.Option) string {
	t.Helper()
	rd, err := stream.Open(context.Background(), args, opts...)
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)\n", err)
	}
	defer rd.Close()
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "schema: %s\n", stream.FormatSchema(rd.Schema()))
	jw := stream.NewJSONLEncoder(&buf, rd.Schema())
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintf(&buf, "(read error: %v)\n", err)
			break
		}
		if err := jw.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := jw.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// splitArgs splits a command line on spaces, keeping single- or
// double-quoted parts together.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inArg := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inArg = r, true
		case r == ' ' || r == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote in %q", s)
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, nil
}
