package main

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/robustdata/robustdata/partition"
)

var (
	reportRootOnce sync.Once
	reportRootDir  string
)

// reportRoot builds, through the CLI, once for the tests that share it,
// the output root of a run: a small synthetic dataset (root/dataset/),
// two short training runs (root/runs/erm, root/runs/minimax) and their
// evaluation with a downstream probe (root/eval/eval.json). The tests
// must not change it.
func reportRoot(t *testing.T) string {
	t.Helper()
	reportRootOnce.Do(func() { reportRootDir = buildReportRoot(t, sharedDir(t, "report")) })
	if reportRootDir == "" {
		t.Fatal("building the report's run root failed (see the first test that asked for it)")
	}
	return reportRootDir
}

func buildReportRoot(t *testing.T, tmp string) string {
	t.Helper()
	ctx := context.Background()
	root := filepath.Join(tmp, "root")
	corpus := filepath.Join(tmp, "corpus.parquet")
	ds := filepath.Join(root, "dataset")
	steps := []struct {
		what string
		args []string
	}{
		{"synth", []string{"synth", "-q", "--docs", "800", "--tasks", "4", "--seed", "3", "-o", corpus}},
		{"partition", []string{"partition", "-q", "-i", corpus, "--k", "4", "--dim", "32", "--label-col", "label", "--keep-features", "-o", ds + "/"}},
		{"train erm", []string{"train", "-q", "-i", ds, "-o", filepath.Join(root, "runs", "erm"), "--strategy", "erm", "--steps", "40", "--per-task-batch", "8", "--hidden", "16"}},
		{"train minimax", []string{"train", "-q", "-i", ds, "-o", filepath.Join(root, "runs", "minimax"), "--strategy", "minimax", "--steps", "40", "--per-task-batch", "8", "--hidden", "16"}},
	}
	for _, s := range steps {
		if code, _, stderr := runCLI(t, ctx, nil, false, s.args...); code != 0 {
			t.Errorf("%s: exit %d: %s", s.what, code, stderr)
			return ""
		}
	}
	code, out, stderr := runCLI(t, ctx, nil, false, "eval", "-q", "--json", "--shards", ds,
		"--downstream", "synth="+filepath.Join(ds, "task=*", "*.parquet"),
		filepath.Join(root, "runs", "erm"), filepath.Join(root, "runs", "minimax"))
	if code != 0 {
		t.Errorf("eval: exit %d: %s", code, stderr)
		return ""
	}
	if err := os.MkdirAll(filepath.Join(root, "eval"), 0o755); err != nil {
		t.Error(err)
		return ""
	}
	if err := os.WriteFile(filepath.Join(root, "eval", "eval.json"), out, 0o644); err != nil {
		t.Error(err)
		return ""
	}
	return root
}

// htmlTerms reads the top terms of each task from a report.html (or its
// DOM as Chromium dumps it).
func htmlTerms(page string, k int) [][]string {
	out := make([][]string, k)
	for _, m := range regexp.MustCompile(`<span class="terms" id="terms-(\d+)">([^<]*)</span>`).FindAllStringSubmatch(page, -1) {
		t, _ := strconv.Atoi(m[1])
		if t < k {
			out[t] = strings.Split(html.UnescapeString(m[2]), ", ")
		}
	}
	return out
}

// checkReportPage checks what report.html and report.md must agree on
// and what the page must not repeat: the same top terms, none of them a
// single letter or a function word; the scatter plot's legend and the
// loss chart's key; no table row twice; every checksum once.
func checkReportPage(t *testing.T, page, root string) {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(root, "dataset", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	const k = 4
	want := partition.ReadTopTerms(string(md), k)
	if want == nil {
		t.Fatalf("report.md has no tasks table:\n%s", md)
	}
	got := htmlTerms(page, k)
	for task := range k {
		if strings.Join(got[task], ", ") != strings.Join(want[task], ", ") {
			t.Errorf("task %d: report.html's top terms %q, report.md's %q", task, got[task], want[task])
		}
		if len(want[task]) == 0 {
			t.Errorf("task %d has no top terms", task)
		}
		for _, w := range got[task] {
			if !partition.Nameable(w) {
				t.Errorf("task %d: top term %q names nothing", task, w)
			}
		}
	}
	for task := range k {
		if !strings.Contains(page, fmt.Sprintf(">task %d</text>", task)) {
			t.Errorf("the scatter plot's legend lacks task %d", task)
		}
	}
	if i := strings.Index(page, `id="loss-key"`); i < 0 {
		t.Error("no key to the loss chart")
	} else if key := page[i:]; !strings.Contains(key[:strings.Index(key, "</p>")], "minimax") {
		t.Error("the loss chart's key does not name the runs")
	}
	for _, tb := range regexp.MustCompile(`(?s)<table.*?</table>`).FindAllString(page, -1) {
		seen := map[string]bool{}
		for _, row := range regexp.MustCompile(`(?s)<tr>.*?</tr>`).FindAllString(tb, -1) {
			if seen[row] {
				t.Errorf("a table repeats the row %s", row)
			}
			seen[row] = true
		}
	}
	counts := map[string]int{}
	for _, h := range regexp.MustCompile(`\b[0-9a-f]{64}\b`).FindAllString(page, -1) {
		counts[h]++
	}
	for h, n := range counts {
		if n > 1 {
			t.Errorf("checksum %s printed %d times", h, n)
		}
	}
	if !strings.Contains(page, "No seed spread") {
		t.Error("the page does not say the runs have no seed spread")
	}
}

// TestReportAgreesWithMarkdown checks report.html against the dataset's
// report.md (see checkReportPage) without a browser.
func TestReportAgreesWithMarkdown(t *testing.T) {
	root := reportRoot(t)
	code, page, stderr := runCLI(t, context.Background(), nil, false, "report", root, "-o", "-")
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	checkReportPage(t, string(page), root)
}

func TestReportCommand(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	corpus := filepath.Join(tmp, "corpus.parquet")
	ds := filepath.Join(tmp, "ds")
	for _, args := range [][]string{
		{"synth", "-q", "--docs", "300", "--tasks", "3", "-o", corpus},
		{"partition", "-q", "-i", corpus, "--k", "3", "--dim", "16", "--label-col", "label", "-o", ds + "/"},
	} {
		if code, _, stderr := runCLI(t, ctx, nil, false, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}

	t.Run("default output", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, ctx, nil, false, "report", ds)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if len(stdout) != 0 {
			t.Errorf("report wrote to stdout: %q", stdout)
		}
		data, err := os.ReadFile(filepath.Join(ds, "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("<!DOCTYPE html>")) || !bytes.Contains(data, []byte(`<section id="labels">`)) {
			t.Error("report.html is not the report")
		}
		// -o - prints the same page.
		code, stdout, stderr = runCLI(t, ctx, nil, false, "report", ds, "-o", "-")
		if code != 0 {
			t.Fatalf("-o -: exit %d: %s", code, stderr)
		}
		if !bytes.Equal(stdout, data) {
			t.Error("-o - differs from the file written")
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no DIR", []string{"report"}, exitUsage, "report takes one DIR"},
		{"two DIRs", []string{"report", ds, ds}, exitUsage, "report takes one DIR"},
		{"bad sample", []string{"report", ds, "--sample", "0"}, exitUsage, "--sample"},
		{"missing DIR", []string{"report", filepath.Join(tmp, "nope")}, exitBadInput, "no such folder"},
		{"not a dataset", []string{"report", tmp}, exitBadInput, "neither a dataset folder"},
		{"unknown label column", []string{"report", ds, "--label-col", "nope", "-o", filepath.Join(tmp, "x.html")}, exitBadInput, "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, ctx, nil, false, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.msg)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(tmp, "x.html")); !os.IsNotExist(err) {
		t.Error("a failed report left its output file")
	}
}

// chromium finds a Chromium binary: /usr/bin/chromium or chromium (or
// chromium-browser) on PATH.
func chromium() string {
	if st, err := os.Stat("/usr/bin/chromium"); err == nil && !st.IsDir() {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// runChromium runs headless Chromium on url with extra flags and returns
// its standard output.
func runChromium(t *testing.T, bin, dir, url string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1200,2400"}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(extra, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// TestReportChromium renders the report of a run root with headless
// Chromium: the DOM holds the SVG charts, the legends, the top terms of
// report.md and no repeated row (checkReportPage), and the screenshot is
// a real picture, not a blank page.
func TestReportChromium(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("Chromium not found (/usr/bin/chromium or chromium on PATH): install it (Debian: apt-get install chromium) to render the report")
	}
	root := reportRoot(t)
	out := filepath.Join(t.TempDir(), "report.html")
	if code, _, stderr := runCLI(t, context.Background(), nil, false, "report", root, "-o", out); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	url := "file://" + filepath.ToSlash(out)
	dir := t.TempDir()
	// One start of the browser gives the DOM and the screenshot.
	shot := filepath.Join(dir, "out.png")
	dom := string(runChromium(t, bin, dir, url, "--dump-dom", "--screenshot="+shot))

	t.Run("DOM", func(t *testing.T) {
		if n := strings.Count(dom, "<svg"); n != 5 { // sizes, projection, labels, loss curves, weights
			t.Errorf("the DOM has %d <svg> elements, want 5", n)
		}
		checkReportPage(t, dom, root)
		if n := strings.Count(dom, "<path"); n < 800 {
			t.Errorf("the DOM has %d <path> elements, want the charts' hundreds", n)
		}
		for _, id := range []string{"dataset", "task-sizes", "projection", "tasks", "labels", "training"} {
			if !strings.Contains(dom, `<section id="`+id+`">`) {
				t.Errorf("the DOM lacks section %q", id)
			}
		}
		if !regexp.MustCompile(`<b id="nmi">[01]\.\d{4}</b>`).MatchString(dom) {
			t.Error("the DOM lacks the NMI")
		}
		if strings.Contains(dom, "<parsererror") {
			t.Error("Chromium could not parse the page")
		}
	})
	t.Run("screenshot", func(t *testing.T) {
		st, err := os.Stat(shot)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		if st.Size() <= 10<<10 {
			t.Errorf("screenshot of %d bytes, want more than 10 KB", st.Size())
		}
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 2400 {
			t.Errorf("screenshot is %dx%d, want 1200x2400", b.Dx(), b.Dy())
		}
		colors, ink := pixelVariety(img)
		if colors < 50 {
			t.Errorf("the screenshot has %d distinct colours: a blank or single-colour page", colors)
		}
		if ink < 0.01 {
			t.Errorf("only %.2f%% of the screenshot is not white", 100*ink)
		}
		t.Logf("screenshot %s: %d bytes, %d colours, %.1f%% not white", shot, st.Size(), colors, 100*ink)
	})
}

// pixelVariety counts the distinct colours of img and the share of its
// pixels that are not (nearly) white.
func pixelVariety(img image.Image) (int, float64) {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	var ink, all int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
			seen[c] = true
			all++
			if c.R < 240 || c.G < 240 || c.B < 240 {
				ink++
			}
		}
	}
	return len(seen), float64(ink) / float64(all)
}
