package partition

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gonum.org/v1/gonum/mat"
)

// ReportInput is what a partition report is made of.
type ReportInput struct {
	Model  *Model
	Sample *Sample
	Stats  *Stats
	// PatternNames names the pattern features (from the column's metadata).
	PatternNames []string
	// Terms splits a text into its content words (stop words removed); nil
	// leaves top terms out.
	Terms func(text string) []string
	// Source names the input.
	Source string
}

// Quality holds the overall figures of a partition.
type Quality struct {
	Inertia    float64  `json:"inertia"`
	Silhouette float64  `json:"silhouette"`
	NMI        *float64 `json:"nmi,omitempty"`
	ARI        *float64 `json:"ari,omitempty"`
	Purity     *float64 `json:"purity,omitempty"`
}

// Contingency returns the label × task table of the stats, or nil when
// no label column was named.
func (s *Stats) Contingency() *Contingency {
	if s.LabelTask == nil {
		return nil
	}
	c := &Contingency{}
	for l := range s.LabelTask {
		c.Labels = append(c.Labels, l)
	}
	sort.Strings(c.Labels)
	for t := range s.K {
		c.Clusters = append(c.Clusters, t)
	}
	for _, l := range c.Labels {
		row := append([]int64(nil), s.LabelTask[l]...)
		c.Counts = append(c.Counts, row)
		for _, v := range row {
			c.N += v
		}
	}
	return c
}

// Measure computes the partition's quality: inertia of the sample,
// silhouette of (at most) its first 5,000 rows, and against the labels,
// when there are some, NMI, ARI and purity over all rows.
func Measure(in ReportInput) Quality {
	q := Quality{Inertia: in.Model.Inertia, Silhouette: math.NaN()}
	n, p := in.Sample.Pattern.Dims()
	_, sd := in.Sample.Semantic.Dims()
	m := min(n, silhouetteSample)
	x := design(in.Sample.Pattern.Slice(0, m, 0, p).(*mat.Dense), in.Sample.Semantic.Slice(0, m, 0, sd).(*mat.Dense), in.Model.transform())
	if s, err := Silhouette(x, in.Sample.Assign[:m]); err == nil {
		q.Silhouette = s
	}
	if c := in.Stats.Contingency(); c != nil && c.N > 0 {
		nmi, ari, pur := c.NMI(), c.ARI(), c.Purity()
		q.NMI, q.ARI, q.Purity = &nmi, &ari, &pur
	}
	return q
}

// Report renders the partition report as Markdown: per task its size,
// share, top terms, the sample texts nearest its centroid and the pattern
// features that stand out; overall inertia, silhouette and, with labels,
// NMI, ARI, purity and the contingency table.
func Report(in ReportInput, q Quality) string {
	var b strings.Builder
	m, s, st := in.Model, in.Sample, in.Stats
	fmt.Fprintf(&b, "# Partition report\n\n")
	fmt.Fprintf(&b, "- input: %s\n", in.Source)
	fmt.Fprintf(&b, "- rows: %d (%d usable, %d rejected)\n", st.Rows, st.Rows-st.Rejected, st.Rejected)
	fmt.Fprintf(&b, "- tasks: K = %d", m.K)
	if m.KChoice != nil {
		fmt.Fprintf(&b, " — %s", m.KChoice.Why)
	}
	fmt.Fprintf(&b, "\n- model: fitted on %d sampled rows, seed %d, pattern weight %g, semantic weight %g\n",
		m.SampleRows, m.Seed, m.PatternWeight, m.SemanticWeight)
	fmt.Fprintf(&b, "- features: %s\n", FeaturesWhy(m))
	fmt.Fprintf(&b, "- inertia (sample): %.4f\n", q.Inertia)
	if !math.IsNaN(q.Silhouette) {
		fmt.Fprintf(&b, "- silhouette (first %d sample rows): %.4f\n", min(len(s.Assign), silhouetteSample), q.Silhouette)
	}
	if q.NMI != nil {
		fmt.Fprintf(&b, "- against the labels (all rows): NMI %.4f, ARI %.4f, purity %.4f\n", *q.NMI, *q.ARI, *q.Purity)
	}
	if len(st.Reasons) > 0 {
		reasons := make([]string, 0, len(st.Reasons))
		for r := range st.Reasons {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		fmt.Fprintf(&b, "- rejected rows by reason:")
		for _, r := range reasons {
			fmt.Fprintf(&b, " %s: %d;", r, st.Reasons[r])
		}
		b.WriteString("\n")
	}
	if m.KChoice != nil {
		b.WriteString("\n| K tried | silhouette |\n|---:|---:|\n")
		for _, t := range m.KChoice.Tried {
			fmt.Fprintf(&b, "| %d | %.4f |\n", t.K, t.Silhouette)
		}
	}

	terms := topTerms(in, 8)
	standout := standOut(in, 3)
	b.WriteString("\n## Tasks\n\n| task | rows | share | top terms | stand-out pattern features |\n|---:|---:|---:|---|---|\n")
	usable := st.Rows - st.Rejected
	for t := range m.K {
		share := 0.0
		if usable > 0 {
			share = 100 * float64(st.TaskRows[t]) / float64(usable)
		}
		fmt.Fprintf(&b, "| %d | %d | %.1f%% | %s | %s |\n", t, st.TaskRows[t], share,
			escapeCell(strings.Join(terms[t], ", ")), escapeCell(strings.Join(standout[t], ", ")))
	}
	for t := range m.K {
		if Dominant(st.TaskRows[t], usable, m.K) {
			fmt.Fprintf(&b, "\n**Warning:** %s.\n", DominantHint(t, float64(st.TaskRows[t])/float64(usable)))
		}
	}
	for t := range m.K {
		fmt.Fprintf(&b, "\n### Task %d\n\n", t)
		if len(terms[t]) > 0 {
			fmt.Fprintf(&b, "Top terms: %s\n\n", strings.Join(terms[t], ", "))
		}
		for _, i := range nearestRows(s, t, 3) {
			id := ""
			if s.IDs[i] != "" {
				id = " (" + s.IDs[i] + ")"
			}
			fmt.Fprintf(&b, "> %s%s\n\n", snippet(s.Texts[i], 240), id)
		}
	}
	if c := st.Contingency(); c != nil {
		b.WriteString("\n## Labels × tasks\n\n")
		b.WriteString(c.Markdown(40))
	}
	return b.String()
}

// topTerms ranks, per task, the words of the report's sample texts (see
// TopTerms). The first rows of the sample are a uniform sample too:
// 20,000 of them name the terms well enough.
func topTerms(in ReportInput, n int) [][]string {
	if in.Terms == nil {
		return make([][]string, in.Model.K)
	}
	m := min(len(in.Sample.Texts), 20000)
	return TopTerms(in.Sample.Texts[:m], in.Sample.Assign[:m], in.Model.K, n, in.Terms)
}

// TopTerms ranks, per task of k, the n words (as terms splits them) of the
// texts assigned to it (task[i] is texts[i]'s) by how much more often they
// occur in the task than in the texts overall (c-TF-IDF: frequency in the
// task × log(1 + texts / texts containing the word)); words met once in a
// task and words that name nothing (see Nameable) are left out, ties go
// to the word first in byte order.
func TopTerms(texts []string, task []int, k, n int, terms func(string) []string) [][]string {
	out := make([][]string, k)
	taskCounts := make([]map[string]int, k)
	for t := range taskCounts {
		taskCounts[t] = map[string]int{}
	}
	docFreq := map[string]int{}
	for i, text := range texts {
		seen := map[string]bool{}
		for _, w := range terms(text) {
			if !Nameable(w) {
				continue
			}
			taskCounts[task[i]][w]++
			if !seen[w] {
				seen[w] = true
				docFreq[w]++
			}
		}
	}
	rows := float64(len(texts))
	type scored struct {
		w string
		s float64
	}
	for t := range k {
		var ws []scored
		for w, c := range taskCounts[t] {
			if c >= 2 {
				ws = append(ws, scored{w, float64(c) * math.Log(1+rows/float64(docFreq[w]))})
			}
		}
		slices.SortFunc(ws, func(a, b scored) int {
			if c := cmp.Compare(b.s, a.s); c != 0 {
				return c
			}
			return cmp.Compare(a.w, b.w)
		})
		for _, x := range ws[:min(n, len(ws))] {
			out[t] = append(out[t], x.w)
		}
	}
	return out
}

// Nameable tells whether a word can name a task in a report: it has two
// letters or more, is not a number, not a contraction (i'm, don't), and
// not one of the function words that stop-word lists leave in (modal
// verbs, "also").
func Nameable(w string) bool {
	letters := 0
	for _, r := range w {
		switch {
		case unicode.IsLetter(r):
			letters++
		case r == '\'' || r == '’':
			return false
		}
	}
	return letters >= 2 && !functionWords[w]
}

// functionWords are words without content that the tokenizer's stop-word
// list keeps.
var functionWords = map[string]bool{
	"would": true, "could": true, "should": true, "might": true, "must": true, "shall": true,
	"may": true, "can": true, "will": true, "also": true, "yet": true, "upon": true,
}

// DominantShare is the share of the rows from which a task is flagged as
// dominant in the reports: K is probably too small, or the weights hide
// the differences inside it.
const DominantShare = 0.45

// Dominant tells whether a task of rows out of total, one of k tasks, is
// flagged: it holds DominantShare of the rows or more, with k ≥ 3 (of two
// tasks one always holds half the rows).
func Dominant(rows, total int64, k int) bool {
	return k >= 3 && total > 0 && float64(rows) >= DominantShare*float64(total)
}

// DominantHint says what to do about a task holding share of the rows.
func DominantHint(task int, share float64) string {
	return fmt.Sprintf("task %d holds %.1f%% of the rows: it probably mixes several kinds of documents; "+
		"try a larger --k, or weigh the blocks otherwise (--weights pattern=…,semantic=…)", task, 100*share)
}

// ReadTopTerms reads the top terms of each task back from a report that
// Report wrote (its tasks table), so that other reports name the tasks by
// the same words. A task without terms has none; a report without the
// table gives nil.
func ReadTopTerms(md string, k int) [][]string {
	_, rest, ok := strings.Cut(md, "\n## Tasks\n")
	if !ok {
		return nil
	}
	out := make([][]string, k)
	found := false
	for _, line := range strings.Split(rest, "\n") {
		if strings.HasPrefix(line, "### ") || strings.HasPrefix(line, "## ") {
			break
		}
		cells := splitRow(line)
		if len(cells) < 4 {
			continue
		}
		t, err := strconv.Atoi(cells[0])
		if err != nil || t < 0 || t >= k {
			continue
		}
		found = true
		if cells[3] != "" {
			out[t] = strings.Split(cells[3], ", ")
		}
	}
	if !found {
		return nil
	}
	return out
}

// splitRow splits a Markdown table row into its cells, unescaping "\|".
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") {
		return nil
	}
	line = line[1 : len(line)-1]
	var cells []string
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			b.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(b.String()))
}

// standOut names, per task, the pattern features of the report's sample
// that stand out most (see StandOut), in the model's standardisation.
func standOut(in ReportInput, n int) [][]string {
	m, s := in.Model, in.Sample
	rows, _ := s.Pattern.Dims()
	return StandOut(rows, s.Pattern.RawRowView, s.Assign, m.K, m.PatternMean, m.PatternStd, in.PatternNames, n)
}

// StandOut names, per task of k, the n pattern features whose mean over
// the task's rows (row(i) is row i's pattern vector, task[i] its task) is
// furthest from mean, in standard deviations std (features with std 0 are
// left out), as "name +1.5σ"; names[j] names feature j ("pattern[j]"
// past its end). Ties go to the lower feature index.
func StandOut(rows int, row func(i int) []float64, task []int, k int, mean, std []float64, names []string, n int) [][]string {
	out := make([][]string, k)
	p := len(mean)
	sum := make([][]float64, k)
	cnt := make([]int, k)
	for t := range sum {
		sum[t] = make([]float64, p)
	}
	for i := range rows {
		t := task[i]
		cnt[t]++
		for j, v := range row(i) {
			sum[t][j] += v
		}
	}
	type z struct {
		j int
		z float64
	}
	for t := range k {
		if cnt[t] == 0 {
			continue
		}
		var zs []z
		for j := range p {
			if std[j] > 0 {
				zs = append(zs, z{j, (sum[t][j]/float64(cnt[t]) - mean[j]) / std[j]})
			}
		}
		slices.SortFunc(zs, func(a, b z) int {
			if c := cmp.Compare(math.Abs(b.z), math.Abs(a.z)); c != 0 {
				return c
			}
			return cmp.Compare(a.j, b.j)
		})
		for _, x := range zs[:min(n, len(zs))] {
			name := fmt.Sprintf("pattern[%d]", x.j)
			if x.j < len(names) {
				name = names[x.j]
			}
			out[t] = append(out[t], fmt.Sprintf("%s %+.1fσ", name, x.z))
		}
	}
	return out
}

// nearestRows returns up to n sample rows of task t nearest its centroid.
func nearestRows(s *Sample, t, n int) []int {
	var idx []int
	for i, a := range s.Assign {
		if a == t && s.Texts[i] != "" {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(s.Dist[a], s.Dist[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return idx[:min(n, len(idx))]
}

// snippet flattens white space and cuts text to about n bytes.
func snippet(text string, n int) string {
	t := strings.Join(strings.Fields(text), " ")
	if len(t) > n {
		cut := n
		for cut > 0 && (t[cut]&0xC0) == 0x80 {
			cut--
		}
		t = t[:cut] + "…"
	}
	return t
}

func escapeCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// FeaturesWhy says, in one sentence for the report, which feature blocks
// the partition used, with what weights, and why those weights.
func FeaturesWhy(m *Model) string {
	blocks := fmt.Sprintf("%d semantic values (centred on the sample mean, unit length) at weight %g", m.SemanticDim, m.SemanticWeight)
	switch {
	case m.PatternWeight == 0 || m.PatternDim == 0:
		blocks += "; pattern features not used (weight 0)"
	default:
		blocks += fmt.Sprintf(" beside %d pattern features (standardised, scaled by 1/√%d) at weight %g", m.PatternDim, m.PatternDim, m.PatternWeight)
		if m.PatternScale != nil {
			blocks += fmt.Sprintf(", each times %d·η², η² the share of its variance between the clusters of a semantic-only k-means (label-free: pattern features that vary apart from the topics are damped)", patternScaleGain)
		}
	}
	why := "weights given by --weights"
	if m.PatternWeight == DefaultPatternWeight && m.SemanticWeight == DefaultSemanticWeight {
		why = fmt.Sprintf("the default weights (pattern=%g,semantic=%g), chosen by the mean agreement with the labels over seeds 1-3 on the labelled corpora of scripts/bench-quality.sh (README, Partition quality)",
			DefaultPatternWeight, DefaultSemanticWeight)
	}
	return blocks + " — " + why
}
