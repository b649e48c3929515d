package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// screen replays what a terminal shows for a stream written to it:
// "\r" goes back to the start of the line, "\x1b[K" erases to its end,
// "\n" starts a new line. It returns the lines left on the screen.
func screen(stream string) []string {
	lines := []string{""}
	col := 0
	for i := 0; i < len(stream); i++ {
		cur := &lines[len(lines)-1]
		switch {
		case stream[i] == '\r':
			col = 0
		case stream[i] == '\n':
			lines = append(lines, "")
			col = 0
		case strings.HasPrefix(stream[i:], "\x1b[K"): // ESC [ K
			*cur = (*cur)[:col]
			i += len("\x1b[K") - 1
		default:
			if col < len(*cur) {
				*cur = (*cur)[:col] + stream[i:i+1] + (*cur)[col+1:]
			} else {
				*cur += stream[i : i+1]
			}
			col++
		}
	}
	return lines
}

// frames splits a stream into what was drawn after each carriage
// return.
func frames(stream string) []string {
	var out []string
	for _, f := range strings.Split(stream, "\r") {
		if s := strings.TrimSpace(strings.ReplaceAll(f, "\x1b[K", "")); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// barLine matches a progress bar as schollz/progressbar draws it.
var barLine = regexp.MustCompile(`\d+%\s*\|`)

// TestProgressOnTerminal runs partition (features, then the fit, then the
// assignment) and train with stderr a terminal: every step is drawn, the
// fits as steps of their own; every bar ends at 100% and is erased; every
// log line is on a line of its own; nothing of a bar is left on screen.
func TestProgressOnTerminal(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	corpus := filepath.Join(tmp, "corpus.parquet")
	ds := filepath.Join(tmp, "ds")
	if code, _, stderr := runCLI(t, ctx, nil, false, "-q", "synth", "--docs", "400", "--tasks", "3", "-o", corpus); code != 0 {
		t.Fatal(stderr)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		steps []string // in order
	}{
		{"partition", []string{"partition", "-i", corpus, "--k", "3", "--dim", "16", "--vocab", "2000", "--keep-features", "-o", ds + "/"},
			[]string{"features: sample", "features: fit the lsa model", "partition: features of the k-means sample", "partition: fit k-means", "partition: assign"}},
		{"train", []string{"train", "-i", ds, "-o", filepath.Join(tmp, "run"), "--steps", "30", "--per-task-batch", "8", "--hidden", "8"},
			[]string{"train"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, ctx, nil, true, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %q", code, stderr)
			}
			fs := frames(stderr)
			// The steps appear in order, each bar's last frame at 100%.
			at := 0
			for _, step := range tc.steps {
				first := -1
				for i := at; i < len(fs); i++ {
					if strings.HasPrefix(fs[i], step+" ") || strings.HasPrefix(fs[i], step+":") {
						first = i
						break
					}
				}
				if first < 0 {
					t.Errorf("step %q not drawn after frame %d; frames:\n%s", step, at, strings.Join(fs, "\n"))
					continue
				}
				last := first
				for last+1 < len(fs) && strings.HasPrefix(fs[last+1], step) && !strings.HasPrefix(fs[last+1], step+":") {
					last++
				}
				if barLine.MatchString(fs[last]) && !strings.Contains(fs[last], "100%") {
					t.Errorf("step %q ends at %q, not 100%%", step, fs[last])
				}
				at = first + 1
			}
			for _, line := range screen(stderr) {
				if barLine.MatchString(line) || strings.Contains(line, " … ") {
					t.Errorf("a bar is left on screen: %q", line)
				}
				if i := strings.Index(line, "level="); i >= 0 && !strings.HasPrefix(line, "time=") {
					t.Errorf("a log line shares its line with a bar: %q", line)
				}
			}
			if !strings.Contains(stderr, "level=INFO") {
				t.Error("no log line")
			}
		})
	}
}
