package synth

import (
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline/schema"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// doc is one row, copied out of the Arrow buffers.
type doc struct{ id, text, label string }

// readAll generates cfg with a checked allocator and returns the rows, the
// task ground truth and the number of batches.
func readAll(t testing.TB, cfg Config) ([]doc, []TaskInfo, int) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := NewReader(cfg, mem)
	if err != nil {
		t.Fatalf("NewReader(%+v): %v", cfg, err)
	}
	defer r.Close()
	var docs []doc
	batches := 0
	for {
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		batches++
		if !b.Schema().Equal(Schema()) {
			t.Fatalf("batch schema %v, want %v", b.Schema(), Schema())
		}
		ids := b.Column(0).(*array.String)
		txt := b.Column(1).(*array.String)
		lab := b.Column(2).(*array.String)
		for _, c := range b.Columns() {
			if c.NullN() != 0 {
				t.Fatalf("column has %d nulls", c.NullN())
			}
		}
		for i := 0; i < int(b.NumRows()); i++ {
			docs = append(docs, doc{
				id:    strings.Clone(ids.Value(i)),
				text:  strings.Clone(txt.Value(i)),
				label: strings.Clone(lab.Value(i)),
			})
		}
	}
	return docs, r.Tasks(), batches
}

func TestValidate(t *testing.T) {
	ok := Config{Docs: 10, Tasks: 3}
	tests := []struct {
		name string
		edit func(*Config)
		want string // substring of the error; "" = valid
	}{
		{"minimal", func(*Config) {}, ""},
		{"sizes", func(c *Config) { c.Sizes = []float64{70, 20, 10} }, ""},
		{"one zero size", func(c *Config) { c.Sizes = []float64{1, 0, 1} }, ""},
		{"overlap and stylemix bounds", func(c *Config) { c.Overlap, c.StyleMix = 1, 0 }, ""},
		{"max tasks", func(c *Config) { c.Tasks = MaxTasks }, ""},
		{"no docs", func(c *Config) { c.Docs = 0 }, "Docs"},
		{"negative docs", func(c *Config) { c.Docs = -5 }, "Docs"},
		{"no tasks", func(c *Config) { c.Tasks = 0 }, "Tasks"},
		{"too many tasks", func(c *Config) { c.Tasks = MaxTasks + 1 }, "Tasks"},
		{"sizes length", func(c *Config) { c.Sizes = []float64{1, 2} }, "Sizes has 2 entries"},
		{"negative size", func(c *Config) { c.Sizes = []float64{1, -1, 1} }, "Sizes[1]"},
		{"NaN size", func(c *Config) { c.Sizes = []float64{1, math.NaN(), 1} }, "Sizes[1]"},
		{"Inf size", func(c *Config) { c.Sizes = []float64{math.Inf(1), 1, 1} }, "Sizes[0]"},
		{"all-zero sizes", func(c *Config) { c.Sizes = []float64{0, 0, 0} }, "positive"},
		{"overflowing sizes", func(c *Config) { c.Sizes = []float64{math.MaxFloat64, math.MaxFloat64, 0} }, "finite sum"},
		{"overlap low", func(c *Config) { c.Overlap = -0.1 }, "Overlap"},
		{"overlap high", func(c *Config) { c.Overlap = 1.5 }, "Overlap"},
		{"overlap NaN", func(c *Config) { c.Overlap = math.NaN() }, "Overlap"},
		{"stylemix high", func(c *Config) { c.StyleMix = 2 }, "StyleMix"},
		{"negative batch rows", func(c *Config) { c.BatchRows = -1 }, "BatchRows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tc.want)
			}
			if _, nerr := NewReader(c, memory.NewGoAllocator()); nerr == nil {
				t.Fatalf("NewReader accepted an invalid config")
			}
		})
	}
}

func TestTaskNames(t *testing.T) {
	tests := []struct {
		k           int
		first, last string
	}{
		{1, "task-00", "task-00"},
		{8, "task-00", "task-07"},
		{100, "task-00", "task-99"},
		{101, "task-000", "task-100"},
		{1000, "task-000", "task-999"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.k), func(t *testing.T) {
			n := TaskNames(tc.k)
			if len(n) != tc.k || n[0] != tc.first || n[len(n)-1] != tc.last {
				t.Fatalf("TaskNames(%d) = %d names %q..%q, want %q..%q", tc.k, len(n), n[0], n[len(n)-1], tc.first, tc.last)
			}
			if !slices.IsSorted(n) {
				t.Fatalf("names not sorted")
			}
		})
	}
	if TaskNames(0) != nil {
		t.Fatalf("TaskNames(0) != nil")
	}
}

func TestSchema(t *testing.T) {
	s := Schema()
	want := []string{schema.DocIDColumn, schema.TextColumn, schema.LabelColumn}
	if s.NumFields() != len(want) {
		t.Fatalf("schema %v", s)
	}
	for i, f := range s.Fields() {
		if f.Name != want[i] || f.Type.ID() != arrow.STRING || f.Nullable {
			t.Fatalf("field %d = %v, want non-nullable string %q", i, f, want[i])
		}
	}
}

func TestDeterminism(t *testing.T) {
	base := Config{Docs: 500, Tasks: 8, Seed: 42, Overlap: 0.2, StyleMix: 0.1, Sizes: []float64{1, 2, 3, 4, 5, 6, 7, 8}}
	with := func(f func(*Config)) Config { c := base; f(&c); return c }
	tests := []struct {
		name string
		a, b Config
		same bool
	}{
		{"same config twice", base, base, true},
		{"batch rows 7 vs 8192", with(func(c *Config) { c.BatchRows = 7 }), with(func(c *Config) { c.BatchRows = 8192 }), true},
		{"batch rows 1 vs default", with(func(c *Config) { c.BatchRows = 1; c.Docs = 50 }), with(func(c *Config) { c.Docs = 50 }), true},
		{"different seed", base, with(func(c *Config) { c.Seed = 43 }), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _, _ := readAll(t, tc.a)
			b, _, _ := readAll(t, tc.b)
			if len(a) != len(b) {
				t.Fatalf("row counts %d vs %d", len(a), len(b))
			}
			sameText := 0
			for i := range a {
				if a[i].text == b[i].text {
					sameText++
				}
				if tc.same && a[i] != b[i] {
					t.Fatalf("row %d differs:\n%+v\n%+v", i, a[i], b[i])
				}
			}
			if !tc.same && sameText > 0 {
				t.Fatalf("%d of %d texts identical across seeds", sameText, len(a))
			}
		})
	}
	t.Run("row prefix independent of Docs", func(t *testing.T) {
		a, _, _ := readAll(t, with(func(c *Config) { c.Docs = 100 }))
		if b, _, _ := readAll(t, base); !slices.Equal(a, b[:100]) {
			t.Fatalf("first 100 rows depend on Docs")
		}
	})
}

func TestRowsIDsLabels(t *testing.T) {
	tests := []struct {
		cfg         Config
		wantBatches int
	}{
		{Config{Docs: 1, Tasks: 1}, 1},
		{Config{Docs: 10, Tasks: 3, Seed: 7, BatchRows: 3}, 4},
		{Config{Docs: 1000, Tasks: 8, Seed: 1, BatchRows: 64}, 16},
		{Config{Docs: 300, Tasks: 101, Seed: 9}, 1},
		{Config{Docs: 400, Tasks: 20, Seed: 18446744073709551615, Overlap: 1, StyleMix: 1}, 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("docs=%d,K=%d,batch=%d", tc.cfg.Docs, tc.cfg.Tasks, tc.cfg.BatchRows), func(t *testing.T) {
			docs, info, batches := readAll(t, tc.cfg)
			if int64(len(docs)) != tc.cfg.Docs || batches != tc.wantBatches {
				t.Fatalf("%d rows in %d batches, want %d in %d", len(docs), batches, tc.cfg.Docs, tc.wantBatches)
			}
			names := TaskNames(tc.cfg.Tasks)
			if len(info) != len(names) {
				t.Fatalf("%d TaskInfo, want %d", len(info), len(names))
			}
			seen := map[string]bool{}
			for i, d := range docs {
				if want := fmt.Sprintf("synth:%d:%d", tc.cfg.Seed, i); d.id != want {
					t.Fatalf("doc_id %q, want %q", d.id, want)
				}
				if seen[d.id] {
					t.Fatalf("duplicate doc_id %q", d.id)
				}
				seen[d.id] = true
				if !slices.Contains(names, d.label) {
					t.Fatalf("label %q not in TaskNames", d.label)
				}
				checkText(t, d.text)
			}
		})
	}
}

// checkText asserts the text is non-empty printable ASCII without stray spaces.
func checkText(t *testing.T, s string) {
	t.Helper()
	if s == "" {
		t.Fatalf("empty document")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' || c > '~') && c != '\n' {
			t.Fatalf("byte %#x in %q", c, s)
		}
	}
	if strings.Contains(s, "  ") || strings.Contains(s, " \n") || strings.Contains(s, "\n ") ||
		strings.Contains(s, "\n\n\n") || s[0] == ' ' || s[0] == '\n' || s[len(s)-1] == ' ' || s[len(s)-1] == '\n' {
		t.Fatalf("stray whitespace in %q", s)
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		share []float64
	}{
		{"70/20/10", Config{Docs: 20000, Tasks: 3, Seed: 5, Sizes: []float64{70, 20, 10}}, []float64{0.7, 0.2, 0.1}},
		{"equal", Config{Docs: 20000, Tasks: 4, Seed: 6}, []float64{0.25, 0.25, 0.25, 0.25}},
		{"zero size", Config{Docs: 5000, Tasks: 3, Seed: 7, Sizes: []float64{1, 0, 3}}, []float64{0.25, 0, 0.75}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, info, _ := readAll(t, tc.cfg)
			count := map[string]int{}
			for _, d := range docs {
				count[d.label]++
			}
			for i, name := range TaskNames(tc.cfg.Tasks) {
				got := float64(count[name]) / float64(len(docs))
				if math.Abs(got-tc.share[i]) > 0.02 || (tc.share[i] == 0 && got != 0) {
					t.Errorf("%s: share %.4f, want %.2f ± 0.02", name, got, tc.share[i])
				}
				if math.Abs(info[i].Share-tc.share[i]) > 1e-12 {
					t.Errorf("%s: TaskInfo.Share %v, want %v", name, info[i].Share, tc.share[i])
				}
			}
		})
	}
}

func TestReaderLifecycle(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := NewReader(Config{Docs: 5, Tasks: 2, BatchRows: 2}, mem)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Schema().Equal(Schema()) {
		t.Fatalf("Reader.Schema differs from Schema")
	}
	var kept arrow.RecordBatch
	rows := []int64{}
	for {
		b, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if kept == nil {
			b.Retain() // a retained batch outlives the next Read
			kept = b
		}
		rows = append(rows, b.NumRows())
	}
	if !slices.Equal(rows, []int64{2, 2, 1}) {
		t.Fatalf("batch rows %v, want [2 2 1]", rows)
	}
	if b, err := r.Read(); b != nil || err != io.EOF {
		t.Fatalf("Read after EOF = %v, %v", b, err)
	}
	if got := kept.Column(0).(*array.String).Value(1); got != "synth:0:1" {
		t.Fatalf("retained batch doc_id %q", got)
	}
	kept.Release()
	for i := 0; i < 2; i++ {
		if err := r.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	if _, err := r.Read(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close = %v, want ErrClosed", err)
	}

	// Closing mid-stream releases the current batch.
	r, err = NewReader(Config{Docs: 100, Tasks: 2, BatchRows: 10}, mem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	r.Close()
}

func TestTaskInfo(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, k := range []int{1, 8, 24} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			r, err := NewReader(Config{Docs: 1, Tasks: k, Seed: 11}, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			info := r.Tasks()
			reserved := map[string]bool{}
			for _, w := range functionWords {
				reserved[w] = true
			}
			owner := map[string]int{}
			arch := map[string]int{}
			for i, ti := range info {
				if ti.Name != TaskNames(k)[i] || !slices.Contains(ArchetypeNames(), ti.Archetype) {
					t.Fatalf("task %d: %+v", i, ti)
				}
				arch[ti.Archetype]++
				if len(ti.TopicWords) != TopicWords {
					t.Fatalf("task %d has %d topic words", i, len(ti.TopicWords))
				}
				for _, w := range ti.TopicWords {
					if j, dup := owner[w]; dup {
						t.Fatalf("topic word %q in tasks %d and %d", w, j, i)
					}
					if reserved[w] || len(w) < minWordLen || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
						t.Fatalf("bad topic word %q", w)
					}
					owner[w] = i
				}
			}
			// Every archetype is used once per full block of eight tasks.
			for _, a := range ArchetypeNames() {
				if k%8 == 0 && arch[a] != k/8 {
					t.Fatalf("archetype %s used %d times in %d tasks, want %d", a, arch[a], k, k/8)
				}
			}
			if k <= 8 && len(arch) != k {
				t.Fatalf("%d tasks use %d archetypes", k, len(arch))
			}
		})
	}
	// Task t's vocabulary and style do not depend on K.
	a, _ := NewReader(Config{Docs: 1, Tasks: 3, Seed: 4}, mem)
	b, _ := NewReader(Config{Docs: 1, Tasks: 12, Seed: 4}, mem)
	defer a.Close()
	defer b.Close()
	for i, ti := range a.Tasks() {
		tj := b.Tasks()[i]
		if ti.Archetype != tj.Archetype || !slices.Equal(ti.TopicWords, tj.TopicWords) {
			t.Fatalf("task %d differs between K=3 and K=12", i)
		}
	}
}

// styleStats are per-document surface statistics averaged over a task.
type styleStats struct {
	n                                                            float64
	bang, lineLen, dash, numbered, question, record, title, tech float64
}

var numberedLine = regexp.MustCompile(`^[0-9]+\. `)

func (s *styleStats) add(text string) {
	var lines, chars, dash, num, q, rec, title, tech float64
	for _, l := range strings.Split(text, "\n") {
		if l == "" {
			continue
		}
		lines++
		chars += float64(len(l))
		if strings.HasPrefix(l, "- ") {
			dash++
		}
		if numberedLine.MatchString(l) {
			num++
		}
		if strings.Contains(l, "?\"") {
			q++
		}
		if strings.Contains(l, ": ") && strings.Contains(l, "; ") {
			rec++
		}
		if isTitleLine(l) {
			title++
		}
		if strings.ContainsAny(l, "(/") {
			tech++
		}
	}
	s.n++
	s.bang += float64(strings.Count(text, "!")) / float64(len(text))
	s.lineLen += chars / lines
	s.dash += dash / lines
	s.numbered += num / lines
	s.question += q / lines
	s.record += rec / lines
	s.title += title / lines
	s.tech += tech / lines
}

func (s *styleStats) get(stat string) float64 {
	v := map[string]float64{"bang": s.bang, "lineLen": s.lineLen, "dash": s.dash, "numbered": s.numbered,
		"question": s.question, "record": s.record, "title": s.title, "tech": s.tech}[stat]
	return v / s.n
}

// isTitleLine: ≥ 2 words, each an upper-case letter followed by lower-case letters.
func isTitleLine(l string) bool {
	ws := strings.Fields(l)
	if len(ws) < 2 {
		return false
	}
	for _, w := range ws {
		if w[0] < 'A' || w[0] > 'Z' || strings.Trim(w[1:], "abcdefghijklmnopqrstuvwxyz") != "" {
			return false
		}
	}
	return true
}

// TestStyleSeparation checks that each archetype's signature statistic sets
// its task apart from all others by a margin, over several seeds.
func TestStyleSeparation(t *testing.T) {
	tests := []struct {
		archetype, stat string
		ownMin          float64 // the archetype's task mean is at least this
		otherMax        float64 // every other task's mean is at most this
		ratio           float64 // and own ≥ ratio × max(other), if > 0
	}{
		{"prose", "lineLen", 250, 1e9, 1.8},
		{"shout", "bang", 0.02, 0.001, 0},
		{"bullets", "dash", 0.8, 0.02, 0},
		{"numbered", "numbered", 0.95, 0.02, 0},
		{"dialogue", "question", 0.6, 0.02, 0},
		{"records", "record", 0.9, 0.02, 0},
		{"verse", "title", 0.9, 0.1, 0},
		{"technical", "tech", 0.5, 0.02, 0},
	}
	for _, seed := range []uint64{1, 2, 3} {
		docs, info, _ := readAll(t, Config{Docs: 2400, Tasks: 8, Seed: seed})
		stats := map[string]*styleStats{}
		for _, ti := range info {
			stats[ti.Name] = &styleStats{}
		}
		for _, d := range docs {
			stats[d.label].add(d.text)
		}
		for _, tc := range tests {
			t.Run(fmt.Sprintf("seed=%d/%s", seed, tc.archetype), func(t *testing.T) {
				own, other := math.NaN(), 0.0
				for _, ti := range info {
					v := stats[ti.Name].get(tc.stat)
					if ti.Archetype == tc.archetype {
						own = v
					} else {
						other = max(other, v)
					}
				}
				if !(own >= tc.ownMin) || other > tc.otherMax || (tc.ratio > 0 && own < tc.ratio*other) {
					t.Fatalf("%s: own %.4f (want ≥ %v), max other %.4f (want ≤ %v, ratio ≥ %v)",
						tc.stat, own, tc.ownMin, other, tc.otherMax, tc.ratio)
				}
			})
		}
	}
	// With StyleMix = 1 no document is written in its own task's style.
	t.Run("stylemix=1", func(t *testing.T) {
		docs, info, _ := readAll(t, Config{Docs: 800, Tasks: 8, Seed: 1, StyleMix: 1})
		var bulletTask string
		for _, ti := range info {
			if ti.Archetype == "bullets" {
				bulletTask = ti.Name
			}
		}
		others := 0
		for _, d := range docs {
			isBullets := strings.HasPrefix(d.text, "- ") || strings.Contains(d.text, ":\n- ")
			if d.label == bulletTask && isBullets {
				t.Fatalf("bullets task wrote a bullet list with StyleMix=1: %q", d.text)
			}
			if d.label != bulletTask && isBullets {
				others++
			}
		}
		if others == 0 {
			t.Fatalf("no other task borrowed the bullets style")
		}
	})
}

// tokens splits text into lower-cased letter runs.
func tokens(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return r < 'a' || r > 'z' })
}

// TestVocabularyOverlap: with Overlap = 0 no topic word of task i occurs in
// a document of task j ≠ i; with Overlap = p about a share p of a document's
// topic tokens come from other tasks.
func TestVocabularyOverlap(t *testing.T) {
	for _, overlap := range []float64{0, 0.3, 0.7} {
		t.Run(fmt.Sprint(overlap), func(t *testing.T) {
			docs, info, _ := readAll(t, Config{Docs: 1500, Tasks: 8, Seed: 3, Overlap: overlap})
			owner := map[string]string{}
			for _, ti := range info {
				for _, w := range ti.TopicWords {
					owner[w] = ti.Name
				}
			}
			var topic, foreign int
			for _, d := range docs {
				for _, w := range tokens(d.text) {
					o, ok := owner[w]
					if !ok {
						continue
					}
					topic++
					if o != d.label {
						foreign++
						if overlap == 0 {
							t.Fatalf("topic word %q of %s in a document of %s", w, o, d.label)
						}
					}
				}
			}
			got := float64(foreign) / float64(topic)
			if math.Abs(got-overlap) > 0.03 {
				t.Fatalf("foreign share of topic tokens %.4f, want %.2f ± 0.03", got, overlap)
			}
		})
	}
}

// TestNearestCentroid trains a nearest-centroid classifier over L2-normalised
// TF-IDF bags of words on 2000 documents and classifies 2000 others.
func TestNearestCentroid(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		minAcc float64
	}{
		{"default", Config{Docs: 4000, Tasks: 8, Seed: 1}, 0.95},
		{"overlap 0.3", Config{Docs: 4000, Tasks: 8, Seed: 2, Overlap: 0.3}, 0.95},
		{"K=16", Config{Docs: 4000, Tasks: 16, Seed: 3}, 0.95},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, _, _ := readAll(t, tc.cfg)
			train, test := docs[:2000], docs[2000:]
			df := map[string]float64{}
			bags := make([]map[string]float64, len(docs))
			for i, d := range docs {
				bags[i] = map[string]float64{}
				for _, w := range tokens(d.text) {
					bags[i][w]++
				}
				if i < len(train) {
					for w := range bags[i] {
						df[w]++
					}
				}
			}
			vec := func(bag map[string]float64) map[string]float64 {
				v := map[string]float64{}
				norm := 0.0
				for w, c := range bag {
					x := (1 + math.Log(c)) * math.Log((1+float64(len(train)))/(1+df[w]))
					v[w] = x
					norm += x * x
				}
				for w := range v {
					v[w] /= math.Sqrt(norm)
				}
				return v
			}
			centroids := map[string]map[string]float64{}
			for i, d := range train {
				c := centroids[d.label]
				if c == nil {
					c = map[string]float64{}
					centroids[d.label] = c
				}
				for w, x := range vec(bags[i]) {
					c[w] += x
				}
			}
			for _, c := range centroids {
				norm := 0.0
				for _, x := range c {
					norm += x * x
				}
				for w := range c {
					c[w] /= math.Sqrt(norm)
				}
			}
			correct := 0
			for i, d := range test {
				v := vec(bags[len(train)+i])
				best, bestScore := "", math.Inf(-1)
				for label, c := range centroids {
					s := 0.0
					for w, x := range v {
						s += x * c[w]
					}
					if s > bestScore || (s == bestScore && label < best) {
						best, bestScore = label, s
					}
				}
				if best == d.label {
					correct++
				}
			}
			acc := float64(correct) / float64(len(test))
			t.Logf("accuracy %.4f", acc)
			if acc < tc.minAcc {
				t.Fatalf("nearest-centroid accuracy %.4f, want ≥ %v", acc, tc.minAcc)
			}
		})
	}
}

// TestNoAllocPerDocument checks the generator's hot path does not allocate.
func TestNoAllocPerDocument(t *testing.T) {
	g, err := newGen(Config{Docs: 1, Tasks: 8, Seed: 1, Overlap: 0.2, StyleMix: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	d := docGen{g: g, buf: make([]byte, 0, 1<<20)}
	row := uint64(0)
	allocs := testing.AllocsPerRun(200, func() {
		d.doc(row)
		row++
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per document", allocs)
	}
}

func BenchmarkSynth(b *testing.B) {
	for _, k := range []int{8, 64} {
		cfg := Config{Docs: 16384, Tasks: k, Seed: 1}
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			var textBytes int64
			docs, _, _ := readAll(b, cfg)
			for _, d := range docs {
				textBytes += int64(len(d.text))
			}
			b.SetBytes(textBytes)
			b.ReportAllocs()
			for b.Loop() {
				r, err := NewReader(cfg, memory.DefaultAllocator)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := r.Read(); err != nil {
						break
					}
				}
				r.Close()
			}
		})
	}
}

// sparse is a sparse vector: sorted term ids and weights.
type sparse struct {
	idx []int32
	val []float64
}

// tfidf returns L2-normalised sparse TF-IDF vectors and the number of terms.
func tfidf(docs []doc) ([]sparse, int) {
	ids := map[string]int32{}
	df := []float64{}
	counts := make([]map[int32]float64, len(docs))
	for i, d := range docs {
		counts[i] = map[int32]float64{}
		for _, w := range tokens(d.text) {
			id, ok := ids[w]
			if !ok {
				id = int32(len(ids))
				ids[w] = id
				df = append(df, 0)
			}
			if counts[i][id] == 0 {
				df[id]++
			}
			counts[i][id]++
		}
	}
	n := float64(len(docs))
	out := make([]sparse, len(docs))
	for i, bag := range counts {
		var v sparse
		for id := range bag {
			v.idx = append(v.idx, id)
		}
		slices.Sort(v.idx)
		norm := 0.0
		for _, id := range v.idx {
			x := (1 + math.Log(bag[id])) * math.Log((1+n)/(1+df[id]))
			v.val = append(v.val, x)
			norm += x * x
		}
		for j := range v.val {
			v.val[j] /= math.Sqrt(norm)
		}
		out[i] = v
	}
	return out, len(ids)
}

func (v sparse) dot(c []float64) float64 {
	s := 0.0
	for j, id := range v.idx {
		s += v.val[j] * c[id]
	}
	return s
}

// kmeans clusters unit vectors by spherical k-means (cosine) with k-means++
// seeding on a fixed stream, and returns the best of several restarts.
func kmeans(vecs []sparse, dims, k, restarts int) []int {
	var r rng
	bestAssign, bestScore := []int(nil), math.Inf(-1)
	dense := func(v sparse) []float64 {
		c := make([]float64, dims)
		for j, id := range v.idx {
			c[id] = v.val[j]
		}
		return c
	}
	for rs := 0; rs < restarts; rs++ {
		r.reset(99, 7, uint64(rs))
		cents := [][]float64{dense(vecs[r.below(len(vecs))])}
		d2 := make([]float64, len(vecs))
		for i := range d2 {
			d2[i] = math.Inf(1)
		}
		for len(cents) < k {
			total := 0.0
			last := cents[len(cents)-1]
			for i, v := range vecs {
				d2[i] = max(min(d2[i], 2-2*v.dot(last)), 0)
				total += d2[i]
			}
			u := r.float() * total
			pick := len(vecs) - 1
			for i, x := range d2 {
				if u < x {
					pick = i
					break
				}
				u -= x
			}
			cents = append(cents, dense(vecs[pick]))
		}
		assign := make([]int, len(vecs))
		score := 0.0
		for it := 0; it < 50; it++ {
			score = 0
			changed := false
			for i, v := range vecs {
				best, bs := 0, math.Inf(-1)
				for j, c := range cents {
					if s := v.dot(c); s > bs {
						best, bs = j, s
					}
				}
				if assign[i] != best || it == 0 {
					changed = true
				}
				assign[i] = best
				score += bs
			}
			if !changed {
				break
			}
			for j := range cents {
				clear(cents[j])
			}
			for i, v := range vecs {
				c := cents[assign[i]]
				for j, id := range v.idx {
					c[id] += v.val[j]
				}
			}
			for _, c := range cents {
				norm := 0.0
				for _, x := range c {
					norm += x * x
				}
				if norm > 0 {
					for w := range c {
						c[w] /= math.Sqrt(norm)
					}
				}
			}
		}
		if score > bestScore {
			bestScore, bestAssign = score, append([]int(nil), assign...)
		}
	}
	return bestAssign
}

// nmi is the normalised mutual information (arithmetic mean normalisation).
func nmi(truth []string, pred []int) float64 {
	n := float64(len(truth))
	joint := map[[2]string]float64{}
	pt, pp := map[string]float64{}, map[string]float64{}
	for i := range truth {
		p := fmt.Sprint(pred[i])
		joint[[2]string{truth[i], p}]++
		pt[truth[i]]++
		pp[p]++
	}
	h := func(m map[string]float64) float64 {
		s := 0.0
		for _, c := range m {
			s -= c / n * math.Log(c/n)
		}
		return s
	}
	mi := 0.0
	for k, c := range joint {
		mi += c / n * math.Log(c*n/(pt[k[0]]*pp[k[1]]))
	}
	return 2 * mi / (h(pt) + h(pp))
}

// TestKMeansRecovery: unsupervised spherical k-means on TF-IDF recovers the
// tasks (NMI ≥ 0.9) with the defaults; the difficulty knobs lower the NMI.
func TestKMeansRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	tests := []struct {
		name     string
		cfg      Config
		min, max float64
	}{
		{"default", Config{Docs: 1600, Tasks: 8, Seed: 1}, 0.9, 1 + 1e-9},
		{"default seed 2", Config{Docs: 1600, Tasks: 8, Seed: 2}, 0.9, 1 + 1e-9},
		{"medium", Config{Docs: 1600, Tasks: 8, Seed: 1, Overlap: 0.5, StyleMix: 0.5}, 0, 0.9},
		{"hard", Config{Docs: 1600, Tasks: 8, Seed: 1, Overlap: 0.8, StyleMix: 0.8}, 0, 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, _, _ := readAll(t, tc.cfg)
			truth := make([]string, len(docs))
			for i, d := range docs {
				truth[i] = d.label
			}
			vecs, dims := tfidf(docs)
			pred := kmeans(vecs, dims, tc.cfg.Tasks, 10)
			got := nmi(truth, pred)
			t.Logf("NMI %.4f", got)
			if got < tc.min || got > tc.max {
				t.Fatalf("NMI %.4f, want in [%v, %v]", got, tc.min, tc.max)
			}
		})
	}
}
