package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Every chart is drawn with gonum/plot on a vgsvg canvas and embedded in
// the page as inline SVG. The charts use the Liberation Sans metrics that
// gonum/plot ships; the SVG names the font with metric-compatible
// fallbacks, so no font is fetched or embedded.

// taskColors are the colours of tasks 0..19; task t uses taskColors[t%20]
// and, from task 20 on, another glyph shape (scatter) or dash (lines).
var taskColors = [...]string{
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
	"#1b3a5c", "#a34d00", "#8c1c2a", "#2f6f6a", "#2d5e27",
	"#9a7d0a", "#6b3f66", "#c2185b", "#5b4030", "#5f5f5f",
}

// runColors are the colours of the training runs, in folder order.
var runColors = [...]string{"#444444", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"}

// taskShapes are the scatter glyphs of tasks 0..19, 20..39, ...
var taskShapes = [...]draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}}

// pointRadius is the radius of a scatter point; legend glyphs are larger,
// so that the points can be told apart in the SVG.
const (
	pointRadius  = 2
	legendRadius = 3.5
)

func taskColorHex(t int) string { return taskColors[t%len(taskColors)] }

func taskColor(t int) color.Color { return hexColor(taskColorHex(t)) }

func runColorHex(i int) string { return runColors[i%len(runColors)] }

func hexColor(s string) color.Color {
	v, _ := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}

func withAlpha(c color.Color, a uint8) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = a
	return n
}

// sans sets a text style's font to Liberation Sans of the given size.
func sans(st *text.Style, size vg.Length) {
	st.Font = font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, size)
}

// newPlot returns a plot with a transparent background and sans-serif
// text.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil
	p.Title.Text = title
	sans(&p.Title.TextStyle, 11)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		sans(&ax.Label.TextStyle, 10)
		sans(&ax.Tick.Label, 8)
	}
	sans(&p.Legend.TextStyle, 9)
	return p
}

// textStyle is the style of text drawn directly on a canvas.
func textStyle(size vg.Length) text.Style {
	st := text.Style{Color: color.Black, XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
	sans(&st, size)
	return st
}

// renderSVG draws on a w×h point canvas and returns the SVG markup, made
// fit for inline HTML: no XML prolog, no namespace declarations (the HTML
// parser puts <svg> in the SVG namespace) and fonts with fallbacks.
func renderSVG(w, h vg.Length, label string, drawFn func(dc draw.Canvas)) (string, error) {
	c := vgsvg.New(w, h)
	drawFn(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("robustdata/report: rendering a chart: %w", err)
	}
	s := buf.String()
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	s = strings.Replace(s, "\n\txmlns=\"http://www.w3.org/2000/svg\"\n\txmlns:xlink=\"http://www.w3.org/1999/xlink\">",
		` role="img" aria-label="`+htmlAttr(label)+`">`, 1)
	s = strings.ReplaceAll(s, "font-family:Liberation Sans;", "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")
	return s, nil
}

func htmlAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", `"`, "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// intTicks marks integer positions 0..n-1 (every step-th one), labelled
// by name(i).
type intTicks struct {
	n    int
	name func(int) string
}

func (t intTicks) Ticks(min, max float64) []plot.Tick {
	step := max1((t.n + 24) / 25)
	var out []plot.Tick
	for i := 0; i < t.n; i++ {
		if i%step == 0 {
			out = append(out, plot.Tick{Value: float64(i), Label: t.name(i)})
		} else {
			out = append(out, plot.Tick{Value: float64(i)})
		}
	}
	return out
}

func max1(n int) int { return max(n, 1) }

// stepTicks marks whole steps only: gonum's default ticks, without those
// that fall between two steps, labelled as integers.
type stepTicks struct{}

func (stepTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(min, max) {
		if t.Value != math.Trunc(t.Value) {
			continue
		}
		if t.Label != "" {
			t.Label = strconv.FormatInt(int64(t.Value), 10)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		for v := math.Ceil(min); v <= max; v++ {
			out = append(out, plot.Tick{Value: v, Label: strconv.FormatInt(int64(v), 10)})
		}
	}
	return out
}

func taskName(i int) string { return strconv.Itoa(i) }

// taskBarsSVG draws one bar per task, coloured as the task.
func taskBarsSVG(rows []int64) (string, error) {
	k := len(rows)
	p := newPlot("", "task", "rows")
	p.Add(plotter.NewGrid())
	width := vg.Points(math.Max(1.5, math.Min(24, 560/float64(k)*0.8)))
	for t, n := range rows {
		bc, err := plotter.NewBarChart(plotter.Values{float64(n)}, width)
		if err != nil {
			return "", fmt.Errorf("robustdata/report: task bars: %w", err)
		}
		bc.XMin = float64(t)
		bc.Color = taskColor(t)
		bc.LineStyle.Width = 0
		p.Add(bc)
	}
	p.X.Min, p.X.Max = -0.6, float64(k)-0.4
	p.Y.Min = 0
	p.Y.Max *= 1.05
	p.X.Tick.Marker = intTicks{n: k, name: taskName}
	return renderSVG(720, 240, fmt.Sprintf("bar chart of the rows of each of %d tasks", k), func(dc draw.Canvas) { p.Draw(dc) })
}

// legendEntry is one line of a legend drawn beside a chart.
type legendEntry struct {
	label string
	glyph draw.GlyphStyle
}

// legendSize returns the columns and the width a legend of n entries
// needs in height h.
func legendSize(n int, h vg.Length) (perCol, cols int, width vg.Length) {
	perCol = max1(int((h - 24) / 13))
	cols = (n + perCol - 1) / perCol
	return perCol, cols, vg.Length(cols) * 78
}

// drawLegend draws entries in columns into dc.
func drawLegend(dc draw.Canvas, title string, entries []legendEntry) {
	h := dc.Max.Y - dc.Min.Y
	perCol, _, _ := legendSize(len(entries), h)
	ts := textStyle(9)
	ts.YAlign = draw.YTop
	dc.FillText(ts, vg.Point{X: dc.Min.X + 4, Y: dc.Max.Y - 2}, title)
	ts = textStyle(8)
	for i, e := range entries {
		col, row := i/perCol, i%perCol
		x := dc.Min.X + 8 + vg.Length(col)*78
		y := dc.Max.Y - 24 - vg.Length(row)*13
		dc.DrawGlyphNoClip(e.glyph, vg.Point{X: x, Y: y})
		dc.FillText(ts, vg.Point{X: x + 8, Y: y}, e.label)
	}
}

// scatterSVG draws the 2-D projection, one point per sampled row coloured
// by its task, with a legend of the tasks on the right.
func scatterSVG(xs, ys []float64, tasks []int, k int, xlabel, ylabel string) (string, error) {
	const w, h = 720, 480
	xys := make(plotter.XYs, len(xs))
	for i := range xs {
		xys[i] = plotter.XY{X: xs[i], Y: ys[i]}
	}
	p := newPlot("", xlabel, ylabel)
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return "", fmt.Errorf("robustdata/report: projection: %w", err)
	}
	sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		t := tasks[i]
		return draw.GlyphStyle{Color: withAlpha(taskColor(t), 200), Radius: pointRadius, Shape: taskShapes[(t/len(taskColors))%len(taskShapes)]}
	}
	p.Add(plotter.NewGrid(), sc)
	entries := make([]legendEntry, k)
	for t := range k {
		entries[t] = legendEntry{label: "task " + strconv.Itoa(t),
			glyph: draw.GlyphStyle{Color: taskColor(t), Radius: legendRadius, Shape: taskShapes[(t/len(taskColors))%len(taskShapes)]}}
	}
	_, _, lw := legendSize(k, h)
	return renderSVG(w+lw, h, fmt.Sprintf("scatter plot of %d sampled rows coloured by task", len(xs)), func(dc draw.Canvas) {
		p.Draw(draw.Crop(dc, 0, -lw, 0, 0))
		drawLegend(draw.Crop(dc, w, 0, 0, 0), "tasks", entries)
	})
}

// grid is a labels × tasks table of shares for a heat map: column c is
// task c, row r is label r counted from the bottom.
type grid struct {
	z    [][]float64 // z[r][c]
	cols int
}

func (g grid) Dims() (c, r int)   { return g.cols, len(g.z) }
func (g grid) Z(c, r int) float64 { return g.z[r][c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// heatMapSVG draws the labels × tasks shares, labels top to bottom in
// the order given, and a colour bar below.
func heatMapSVG(labels []string, shares [][]float64, k int) (string, error) {
	// From white (0) to dark blue (1): moreland wants the luminance to
	// rise, so build it the other way round and reverse it.
	dark, err := moreland.NewLuminance([]color.Color{hexColor("#08306b"), hexColor("#4a98c9"), color.White})
	if err != nil {
		return "", fmt.Errorf("robustdata/report: colour map: %w", err)
	}
	dark.SetMin(0)
	dark.SetMax(1)
	cm := palette.Reverse(dark)
	n := len(labels)
	g := grid{cols: k, z: make([][]float64, n)}
	for i := range n {
		g.z[n-1-i] = shares[i]
	}
	hm := plotter.NewHeatMap(g, cm.Palette(100))
	hm.Min, hm.Max = 0, 1
	p := newPlot("", "task", "")
	p.Add(hm)
	p.X.Tick.Marker = intTicks{n: k, name: taskName}
	p.Y.Tick.Length = 0
	yt := make([]plot.Tick, n)
	for r := range n {
		yt[r] = plot.Tick{Value: float64(r), Label: shorten(labels[n-1-r], 28)}
	}
	p.Y.Tick.Marker = plot.ConstantTicks(yt)

	// The colour bar: a one-row heat map of 0..1 (plotter.ColorBar would
	// embed a raster image).
	const steps = 50
	strip := grid{cols: steps, z: [][]float64{make([]float64, steps)}}
	for c := range steps {
		strip.z[0][c] = (float64(c) + 0.5) / steps
	}
	sh := plotter.NewHeatMap(stripGrid{strip}, cm.Palette(100))
	sh.Min, sh.Max = 0, 1
	bar := newPlot("", "share of the label's rows in the task", "")
	bar.Add(sh)
	bar.X.Min, bar.X.Max = 0, 1
	bar.HideY()

	h := vg.Length(50 + 13*n)
	const barH = 56
	return renderSVG(720, h+barH, fmt.Sprintf("heat map of %d labels by %d tasks", n, k), func(dc draw.Canvas) {
		p.Draw(draw.Crop(dc, 0, 0, barH, 0))
		bar.Draw(draw.Crop(dc, 180, -180, 0, -(h + 4)))
	})
}

// stripGrid places the colour bar's cells on [0, 1].
type stripGrid struct{ grid }

func (g stripGrid) X(c int) float64 { return (float64(c) + 0.5) / float64(g.cols) }

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// series is one line of a line chart.
type series struct {
	xs, ys []float64
	color  color.Color
	dashes []vg.Length
	width  vg.Length // default 1.2
}

// lineChartSVG draws the series with the y range [ymin, ymax], on a log
// scale when logY.
func lineChartSVG(title, xlabel, ylabel string, ss []series, ymin, ymax float64, logY bool, w, h vg.Length) (string, error) {
	p := newPlot(title, xlabel, ylabel)
	p.Add(plotter.NewGrid())
	for _, s := range ss {
		if len(s.xs) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s.xs))
		for i := range s.xs {
			xys[i] = plotter.XY{X: s.xs[i], Y: s.ys[i]}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return "", fmt.Errorf("robustdata/report: %s: %w", title, err)
		}
		l.Color = s.color
		l.Width = 1.2
		if s.width > 0 {
			l.Width = s.width
		}
		l.Dashes = s.dashes
		p.Add(l)
	}
	if ymax > ymin {
		p.Y.Min, p.Y.Max = ymin, ymax
	}
	if xlabel == "step" {
		p.X.Tick.Marker = stepTicks{}
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	return renderSVG(w, h, title, func(dc draw.Canvas) { p.Draw(dc) })
}

// groupedBarsSVG draws, per task, one bar per run (values[r][t]), with a
// dashed line at the uniform weight 1/K.
func groupedBarsSVG(names []string, values [][]float64, k int, ylabel string) (string, error) {
	p := newPlot("", "task", ylabel)
	p.Add(plotter.NewGrid())
	nr := len(values)
	groupW := math.Min(40, 560/float64(k)*0.8)
	barW := groupW / float64(max1(nr))
	for r, vals := range values {
		v := make(plotter.Values, k)
		copy(v, vals)
		bc, err := plotter.NewBarChart(v, vg.Points(math.Max(barW, 0.8)))
		if err != nil {
			return "", fmt.Errorf("robustdata/report: weights: %w", err)
		}
		bc.Color = hexColor(runColorHex(r))
		bc.LineStyle.Width = 0
		bc.Offset = vg.Points((float64(r) - float64(nr-1)/2) * barW)
		p.Add(bc)
		p.Legend.Add(names[r], bc)
	}
	uni, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 1 / float64(k)}, {X: float64(k) - 0.5, Y: 1 / float64(k)}})
	if err != nil {
		return "", err
	}
	uni.Color = color.Gray{Y: 80}
	uni.Dashes = []vg.Length{4, 3}
	p.Add(uni)
	p.Legend.Add("uniform 1/K", uni)
	p.Legend.Top = true
	p.Legend.Padding = 2
	p.Legend.ThumbnailWidth = 14
	p.X.Min, p.X.Max = -0.6, float64(k)-0.4
	p.Y.Min = 0
	p.Y.Max *= 1.15 // room for the legend
	p.X.Tick.Marker = intTicks{n: k, name: taskName}
	return renderSVG(720, 260, fmt.Sprintf("grouped bar chart of the final task weights of %d runs", nr), func(dc draw.Canvas) { p.Draw(dc) })
}
