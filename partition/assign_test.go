package partition

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/robustdata/robustdata/pipeline/schema"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// asgRow is one input row of the assign tests.
type asgRow struct {
	id, text, label string
	nullLabel       bool
	reason          string // "" : usable
	group           int
	pat, sem        []float32
}

// groupWords are the words of each planted group's texts.
var groupWords = [][]string{{"apple", "banana", "cherry"}, {"delta", "echo", "foxtrot"}, {"golf", "hotel", "india"}, {"juliet", "kilo", "lima"}}

// asgRows builds n rows of the planted groups; every 7th row (from 3) is
// rejected as too_short and every 11th (from 4) as language, with NaN
// features that must never be read.
func asgRows(n, groups int, seed uint64) []asgRow {
	pd := planted(n, groups, seed)
	rows := make([]asgRow, n)
	for i := range rows {
		g := pd.group[i]
		w := groupWords[g]
		r := asgRow{
			id:    fmt.Sprintf("doc%04d", i),
			text:  fmt.Sprintf("%s %s and %s, row %d", w[0], w[1], w[2], i),
			label: fmt.Sprintf("g%d", g),
			group: g,
			pat:   pd.pat[i],
			sem:   pd.sem[i],
		}
		if i%13 == 5 {
			r.nullLabel = true
		}
		switch {
		case i%7 == 3:
			r.reason = "too_short"
		case i%11 == 4:
			r.reason = "language"
		}
		if r.reason != "" {
			r.pat = slices.Clone(r.pat)
			r.sem = slices.Clone(r.sem)
			r.pat[0] = float32(math.NaN())
			r.sem[1] = float32(math.Inf(1))
		}
		rows[i] = r
	}
	return rows
}

// asgSpec shapes the input schema.
type asgSpec struct {
	pdim, sdim           int // 0: plantedP, plantedS
	noPattern, noSem     bool
	listPattern          bool // pattern as list<float32>
	noReject, noLabel    bool
	withTask             bool // earlier task and task_distance columns
	metaKey, metaValue   string
	patternFirst, noText bool
}

func (sp asgSpec) widths() (int, int) {
	p, s := sp.pdim, sp.sdim
	if p == 0 {
		p = plantedP
	}
	if s == 0 {
		s = plantedS
	}
	return p, s
}

func (sp asgSpec) schema() *arrow.Schema {
	p, s := sp.widths()
	var fields []arrow.Field
	pat := arrow.Field{Name: schema.PatternColumn, Type: arrow.FixedSizeListOf(int32(p), arrow.PrimitiveTypes.Float32)}
	if sp.listPattern {
		pat.Type = arrow.ListOf(arrow.PrimitiveTypes.Float32)
	}
	if sp.patternFirst && !sp.noPattern {
		fields = append(fields, pat)
	}
	fields = append(fields, arrow.Field{Name: "doc_id", Type: arrow.BinaryTypes.String})
	if !sp.noText {
		fields = append(fields, arrow.Field{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true})
	}
	if !sp.noLabel {
		fields = append(fields, arrow.Field{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true})
	}
	if sp.withTask {
		fields = append(fields,
			arrow.Field{Name: schema.TaskColumn, Type: arrow.PrimitiveTypes.Int32, Nullable: true,
				Metadata: arrow.NewMetadata([]string{MetaK}, []string{"99"})},
			arrow.Field{Name: schema.DistanceColumn, Type: arrow.PrimitiveTypes.Float32, Nullable: true})
	}
	if !sp.patternFirst && !sp.noPattern {
		fields = append(fields, pat)
	}
	if !sp.noSem {
		fields = append(fields, arrow.Field{Name: schema.SemanticColumn, Type: arrow.FixedSizeListOf(int32(s), arrow.PrimitiveTypes.Float32)})
	}
	if !sp.noReject {
		fields = append(fields, stream.RejectField)
	}
	var md *arrow.Metadata
	if sp.metaKey != "" {
		m := arrow.NewMetadata([]string{sp.metaKey}, []string{sp.metaValue})
		md = &m
	}
	return arrow.NewSchema(fields, md)
}

// fit resizes v to n values (cycling), for inputs of other widths.
func fitWidth(v []float32, n int) []float32 {
	out := make([]float32, n)
	for j := range out {
		out[j] = v[j%len(v)]
	}
	return out
}

func asgBatches(t testing.TB, mem memory.Allocator, sp asgSpec, rows []asgRow, per int) []arrow.RecordBatch {
	t.Helper()
	sc := sp.schema()
	p, s := sp.widths()
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	var out []arrow.RecordBatch
	for i, r := range rows {
		for f, field := range sc.Fields() {
			fb := b.Field(f)
			switch field.Name {
			case "doc_id":
				fb.(*array.StringBuilder).Append(r.id)
			case "text":
				fb.(*array.StringBuilder).Append(r.text)
			case "label":
				if r.nullLabel {
					fb.AppendNull()
				} else {
					fb.(*array.StringBuilder).Append(r.label)
				}
			case schema.TaskColumn:
				fb.(*array.Int32Builder).Append(int32(50 + i))
			case schema.DistanceColumn:
				fb.(*array.Float32Builder).Append(-1)
			case schema.RejectColumn:
				if r.reason == "" {
					fb.AppendNull()
				} else {
					fb.(*array.StringBuilder).Append(r.reason)
				}
			case schema.PatternColumn:
				if lb, ok := fb.(*array.ListBuilder); ok {
					lb.Append(true)
					lb.ValueBuilder().(*array.Float32Builder).AppendValues(fitWidth(r.pat, p), nil)
					continue
				}
				lb := fb.(*array.FixedSizeListBuilder)
				lb.Append(true)
				lb.ValueBuilder().(*array.Float32Builder).AppendValues(fitWidth(r.pat, p), nil)
			case schema.SemanticColumn:
				lb := fb.(*array.FixedSizeListBuilder)
				lb.Append(true)
				lb.ValueBuilder().(*array.Float32Builder).AppendValues(fitWidth(r.sem, s), nil)
			default:
				t.Fatalf("column %s", field.Name)
			}
		}
		if (i+1)%per == 0 || i == len(rows)-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	return out
}

// recsReader is a small in-memory stream.Reader that owns its batches.
type recsReader struct {
	schema *arrow.Schema
	recs   []arrow.RecordBatch
	next   int
}

var _ stream.Reader = (*recsReader)(nil)

func newRecsReader(t testing.TB, mem memory.Allocator, sp asgSpec, rows []asgRow, per int) *recsReader {
	return &recsReader{schema: sp.schema(), recs: asgBatches(t, mem, sp, rows, per)}
}

// newSlicedReader serves the rows as slices of one batch (non-zero
// offsets), cut at the given row counts.
func newSlicedReader(t testing.TB, mem memory.Allocator, sp asgSpec, rows []asgRow, cuts ...int) *recsReader {
	whole := asgBatches(t, mem, sp, rows, len(rows))[0]
	defer whole.Release()
	r := &recsReader{schema: sp.schema()}
	lo := 0
	for _, hi := range append(cuts, len(rows)) {
		r.recs = append(r.recs, whole.NewSlice(int64(lo), int64(hi)))
		lo = hi
	}
	return r
}

func (r *recsReader) Schema() *arrow.Schema { return r.schema }

func (r *recsReader) Read() (arrow.RecordBatch, error) {
	if r.next >= len(r.recs) {
		return nil, io.EOF
	}
	r.next++
	return r.recs[r.next-1], nil
}

func (r *recsReader) Close() error {
	for _, rec := range r.recs {
		rec.Release()
	}
	r.recs = nil
	return nil
}

// assigned is what an Assign output says of one row.
type assigned struct {
	id       string
	null     bool
	task     int32
	dist     float32
	distNull bool
	reason   string
}

// drain reads rd to its end, checking each batch against want.
func drain(t testing.TB, rd stream.Reader, want *arrow.Schema) []assigned {
	t.Helper()
	var out []assigned
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if want != nil && !rec.Schema().Equal(want) {
			t.Fatalf("batch schema %s, want %s", rec.Schema(), want)
		}
		sc := rec.Schema()
		ids := rec.Column(sc.FieldIndices("doc_id")[0]).(*array.String)
		tasks := rec.Column(sc.FieldIndices(schema.TaskColumn)[0]).(*array.Int32)
		dists := rec.Column(sc.FieldIndices(schema.DistanceColumn)[0]).(*array.Float32)
		rej := stream.Rejects(rec)
		for i := range int(rec.NumRows()) {
			a := assigned{id: ids.Value(i), null: tasks.IsNull(i), distNull: dists.IsNull(i)}
			if !a.null {
				a.task = tasks.Value(i)
			}
			if !a.distNull {
				a.dist = dists.Value(i)
			}
			if stream.IsRejected(rej, i) {
				a.reason = rej.Value(i)
			}
			out = append(out, a)
		}
	}
	return out
}

// fitOn draws a sample of rows and fits a model on it.
func fitOn(t testing.TB, mem memory.Allocator, rows []asgRow, dcfg Config, fcfg Config) (*Sample, *Model) {
	t.Helper()
	rd := newRecsReader(t, mem, asgSpec{}, rows, 64)
	defer rd.Close()
	dcfg.Mem = mem
	s, err := DrawSample(context.Background(), rd, 100000, 9, dcfg, "in.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if fcfg.PatternWeight == 0 && fcfg.SemanticWeight == 0 {
		fcfg.PatternWeight, fcfg.SemanticWeight = DefaultPatternWeight, DefaultSemanticWeight
	}
	m, err := Fit(context.Background(), s, fcfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, m
}

// expectedTasks computes, row by row, the nearest centroid of the
// documented transform of the row's features.
func expectedTasks(rows []asgRow, m *Model) (task []int, dist []float64, direct []float64) {
	n := len(rows)
	pat, sem := mat.NewDense(n, m.PatternDim, nil), mat.NewDense(n, m.SemanticDim, nil)
	for i, r := range rows {
		if r.reason != "" {
			sem.Set(i, 0, 1) // any finite row; not compared
			continue
		}
		for j, v := range r.pat {
			pat.Set(i, j, float64(v))
		}
		for j, v := range r.sem {
			sem.Set(i, j, float64(v))
		}
	}
	x := designByHand(pat, sem, m)
	cm := mat.NewDense(m.K, m.PatternDim+m.SemanticDim, nil)
	for j, c := range m.Centroids {
		cm.SetRow(j, c)
	}
	task, dist = make([]int, n), make([]float64, n)
	if err := Nearest(x, cm, task, dist); err != nil {
		panic(err) // the shapes are built above
	}
	direct = make([]float64, n)
	for i := range n {
		direct[i] = math.Sqrt(sqDist(x.RawRowView(i), cm.RawRowView(task[i])))
	}
	return task, dist, direct
}

func TestAssign(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := asgRows(300, 3, 1)
	_, m := fitOn(t, mem, rows, Config{LabelCol: "label", Mem: mem}, Config{K: 3, Seed: 1})
	hash, err := m.Hash()
	if err != nil {
		t.Fatal(err)
	}
	wantTask, wantDist, direct := expectedTasks(rows, m)
	var first []assigned
	for _, tc := range []struct {
		name    string
		sp      asgSpec
		workers int
		per     int
		sliced  []int
	}{
		{name: "workers 1", workers: 1, per: 64},
		{name: "workers 3", workers: 3, per: 64},
		{name: "workers 3 batches of 7", workers: 3, per: 7},
		{name: "one batch", workers: 2, per: 1000},
		{name: "sliced batches", workers: 2, sliced: []int{1, 100, 101, 250}},
		{name: "earlier task columns", workers: 2, per: 50, sp: asgSpec{withTask: true, metaKey: "origin", metaValue: "test"}},
		{name: "pattern first, no text", workers: 3, per: 64, sp: asgSpec{patternFirst: true, noText: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var src *recsReader
			if tc.sliced != nil {
				src = newSlicedReader(t, mem, tc.sp, rows, tc.sliced...)
			} else {
				src = newRecsReader(t, mem, tc.sp, rows, tc.per)
			}
			in := src.Schema()
			out := OutputSchemaFor(in, m, hash)
			// The schema: the input's columns without earlier task columns,
			// then task and task_distance; K and the hash on task.
			var names []string
			for _, f := range out.Fields() {
				names = append(names, f.Name)
			}
			var want []string
			for _, f := range in.Fields() {
				if f.Name != schema.TaskColumn && f.Name != schema.DistanceColumn {
					want = append(want, f.Name)
				}
			}
			want = append(want, schema.TaskColumn, schema.DistanceColumn)
			if !slices.Equal(names, want) {
				t.Errorf("output columns %v, want %v", names, want)
			}
			tf := out.Field(out.FieldIndices(schema.TaskColumn)[0])
			if tf.Type.ID() != arrow.INT32 || !tf.Nullable {
				t.Errorf("task field %v", tf)
			}
			if k, ok := tf.Metadata.GetValue(MetaK); !ok || k != "3" {
				t.Errorf("task metadata %s = %q, want 3", MetaK, k)
			}
			if h, ok := tf.Metadata.GetValue(MetaModelHash); !ok || h != hash {
				t.Errorf("task metadata %s = %q, want %s", MetaModelHash, h, hash)
			}
			if df := out.Field(out.FieldIndices(schema.DistanceColumn)[0]); df.Type.ID() != arrow.FLOAT32 || !df.Nullable {
				t.Errorf("task_distance field %v", df)
			}
			if !out.Metadata().Equal(in.Metadata()) {
				t.Errorf("schema metadata %v, input %v", out.Metadata(), in.Metadata())
			}
			plain := OutputSchema(in)
			if got := plain.Field(plain.FieldIndices(schema.TaskColumn)[0]).Metadata; got.Len() != 0 {
				t.Errorf("OutputSchema: task metadata %v, want none", got)
			}

			rd, err := Assign(context.Background(), src, m, Config{Workers: tc.workers, Mem: mem}, out, "in.parquet")
			if err != nil {
				src.Close()
				t.Fatal(err)
			}
			got := drain(t, rd, out)
			if err := rd.Close(); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(rows) {
				t.Fatalf("%d rows out, %d in", len(got), len(rows))
			}
			var labels []string
			var tasks []int
			for i, a := range got {
				r := rows[i]
				if a.id != r.id || a.reason != r.reason {
					t.Fatalf("row %d: id %q reason %q, want %q %q", i, a.id, a.reason, r.id, r.reason)
				}
				if r.reason != "" {
					if !a.null || !a.distNull {
						t.Errorf("rejected row %d: task %v (null %v), distance %v (null %v)", i, a.task, a.null, a.dist, a.distNull)
					}
					continue
				}
				if a.null || a.distNull {
					t.Fatalf("usable row %d has a null task or distance", i)
				}
				if int(a.task) != wantTask[i] {
					t.Errorf("row %d: task %d, nearest centroid of the transformed row %d", i, a.task, wantTask[i])
				}
				if a.dist != float32(wantDist[i]) {
					t.Errorf("row %d: task_distance %.9g, Nearest %.9g", i, a.dist, wantDist[i])
				}
				if !relClose(float64(a.dist), direct[i], 1e-6) {
					t.Errorf("row %d: task_distance %.9g, Euclidean distance %.9g", i, a.dist, direct[i])
				}
				labels = append(labels, r.label)
				tasks = append(tasks, int(a.task))
			}
			if nmi := mustContingency(t, labels, tasks).NMI(); !near(nmi, 1, 1e-12) {
				t.Errorf("planted groups: NMI %.6f", nmi)
			}
			if first == nil {
				first = got
			} else if !slices.Equal(first, got) {
				t.Errorf("output differs from the first case's")
			}
		})
	}
}

func TestAssignRefuses(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := asgRows(40, 3, 2)
	_, m := fitOn(t, mem, rows, Config{}, Config{K: 2, Seed: 1})
	for _, tc := range []struct {
		name   string
		sp     asgSpec
		column string   // DataError.Column
		want   []string // in the message
	}{
		{"narrower pattern", asgSpec{pdim: 20}, "", []string{"20 pattern and 16 semantic", "expects 24 and 16"}},
		{"wider semantic", asgSpec{sdim: 32}, "", []string{"24 pattern and 32 semantic", "expects 24 and 16"}},
		{"both other", asgSpec{pdim: 8, sdim: 8}, "", []string{"8 pattern and 8 semantic"}},
		{"no pattern", asgSpec{noPattern: true}, schema.PatternColumn, []string{`"pattern"`, "no such feature column"}},
		{"no semantic", asgSpec{noSem: true}, schema.SemanticColumn, []string{`"semantic"`, "no such feature column"}},
		{"no features", asgSpec{noPattern: true, noSem: true}, schema.PatternColumn, []string{`"pattern"`, "no such feature column"}},
		{"pattern a list", asgSpec{listPattern: true}, schema.PatternColumn, []string{"fixed_size_list<float32>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newRecsReader(t, mem, tc.sp, rows, 16)
			defer src.Close()
			rd, err := Assign(context.Background(), src, m, Config{Mem: mem}, OutputSchema(src.Schema()), "new.parquet")
			if err == nil {
				rd.Close()
				t.Fatal("accepted")
			}
			var de *stream.DataError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want a *stream.DataError", err, err)
			}
			if de.Source != "new.parquet" || de.Column != tc.column {
				t.Errorf("DataError source %q column %q, want new.parquet %q", de.Source, de.Column, tc.column)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	t.Run("NaN in a usable row", func(t *testing.T) {
		bad := slices.Clone(rows)
		bad[5].pat = slices.Clone(bad[5].pat)
		bad[5].pat[2] = float32(math.NaN())
		src := newRecsReader(t, mem, asgSpec{}, bad, 16)
		rd, err := Assign(context.Background(), src, m, Config{Mem: mem, Workers: 2}, OutputSchema(src.Schema()), "new.parquet")
		if err != nil {
			src.Close()
			t.Fatal(err)
		}
		defer rd.Close()
		for err == nil {
			_, err = rd.Read()
		}
		var de *stream.DataError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), bad[5].id) || de.Column != schema.PatternColumn {
			t.Errorf("err = %v, want a DataError naming %s and column pattern", err, bad[5].id)
		}
	})
}

func TestStatsObserve(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := asgRows(260, 3, 3)
	_, m := fitOn(t, mem, rows, Config{}, Config{K: 4, Seed: 2})
	hash, _ := m.Hash()
	for _, tc := range []struct {
		name, label string
		noLabelCol  bool
	}{
		{name: "with labels", label: "label"},
		{name: "no label column named", label: ""},
		{name: "label column absent", label: "label", noLabelCol: true},
		{name: "label column of another name", label: "text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := asgSpec{noLabel: tc.noLabelCol}
			src := newRecsReader(t, mem, sp, rows, 32)
			out := OutputSchemaFor(src.Schema(), m, hash)
			ar, err := Assign(context.Background(), src, m, Config{Mem: mem, Workers: 2}, out, "in")
			if err != nil {
				src.Close()
				t.Fatal(err)
			}
			st := &Stats{K: m.K}
			rd := st.Observe(ar, tc.label)
			got := drain(t, rd, out)
			if err := rd.Close(); err != nil {
				t.Fatal(err)
			}
			var (
				rejected int64
				reasons  = map[string]int64{}
				perTask  = make([]int64, m.K)
				labels   []string
				tasks    []int
			)
			for i, a := range got {
				if a.reason != "" {
					rejected++
					reasons[a.reason]++
					continue
				}
				perTask[a.task]++
				l := ""
				switch tc.label {
				case "label":
					if !rows[i].nullLabel {
						l = rows[i].label
					}
				case "text":
					l = rows[i].text
				}
				labels = append(labels, l)
				tasks = append(tasks, int(a.task))
			}
			if st.Rows != int64(len(rows)) || st.Rejected != rejected {
				t.Errorf("Rows, Rejected = %d, %d, want %d, %d", st.Rows, st.Rejected, len(rows), rejected)
			}
			if len(reasons) != 2 || !mapsEqual(st.Reasons, reasons) {
				t.Errorf("Reasons = %v, want %v", st.Reasons, reasons)
			}
			if !slices.Equal(st.TaskRows, perTask) {
				t.Errorf("TaskRows = %v, want %v", st.TaskRows, perTask)
			}
			c := st.Contingency()
			switch {
			case tc.label == "":
				if st.LabelTask != nil || c != nil {
					t.Errorf("no label column named: LabelTask %v, contingency %v", st.LabelTask, c)
				}
				return
			case tc.noLabelCol:
				if c == nil || c.N != 0 {
					t.Errorf("label column absent: contingency %+v, want an empty one", c)
				}
				return
			}
			want := mustContingency(t, labels, tasks)
			if c == nil {
				t.Fatal("no contingency")
			}
			// Stats lists every task, NewContingency the tasks met: all
			// K are met here.
			if len(want.Clusters) != m.K {
				t.Fatalf("only %d of %d tasks used", len(want.Clusters), m.K)
			}
			if !slices.Equal(c.Labels, want.Labels) || !slices.Equal(c.Clusters, want.Clusters) || c.N != want.N {
				t.Errorf("contingency labels %v clusters %v N %d, want %v %v %d", c.Labels, c.Clusters, c.N, want.Labels, want.Clusters, want.N)
			}
			for i := range want.Counts {
				if i < len(c.Counts) && !slices.Equal(c.Counts[i], want.Counts[i]) {
					t.Errorf("label %q: counts %v, want %v", want.Labels[i], c.Counts[i], want.Counts[i])
				}
			}
			for l, counts := range st.LabelTask {
				var sum int64
				for _, v := range counts {
					sum += v
				}
				if sum == 0 {
					t.Errorf("label %q counted with no row", l)
				}
			}
			if c.NMI() != want.NMI() || c.ARI() != want.ARI() || c.Purity() != want.Purity() {
				t.Errorf("NMI/ARI/purity %v/%v/%v, NewContingency %v/%v/%v", c.NMI(), c.ARI(), c.Purity(), want.NMI(), want.ARI(), want.Purity())
			}
		})
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestDrawSample(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := asgRows(200, 3, 4)
	var usable []asgRow
	for _, r := range rows {
		if r.reason == "" {
			usable = append(usable, r)
		}
	}
	rejectedID := map[string]bool{}
	for _, r := range rows {
		if r.reason != "" {
			rejectedID[r.id] = true
		}
	}
	draw := func(t *testing.T, rd stream.Reader, k int, seed uint64, cfg Config) (*Sample, error) {
		t.Helper()
		defer rd.Close()
		cfg.Mem = mem
		return DrawSample(context.Background(), rd, k, seed, cfg, "in.parquet")
	}
	t.Run("k above the rows keeps every usable row, in hash order", func(t *testing.T) {
		var firstIDs []string
		for _, src := range []*recsReader{
			newRecsReader(t, mem, asgSpec{}, rows, 30),
			newSlicedReader(t, mem, asgSpec{}, rows, 3, 77, 150),
		} {
			s, err := draw(t, src, 1000, 1, Config{LabelCol: "label"})
			if err != nil {
				t.Fatal(err)
			}
			if s.Usable != int64(len(usable)) || len(s.IDs) != len(usable) {
				t.Fatalf("Usable %d, %d rows kept; want %d", s.Usable, len(s.IDs), len(usable))
			}
			// Batches of another size and slicing: the same rows in the
			// same order.
			if firstIDs == nil {
				firstIDs = s.IDs
			} else if !slices.Equal(s.IDs, firstIDs) {
				t.Fatalf("another batching gives another sample order")
			}
			byID := map[string]int{}
			for i, r := range usable {
				byID[r.id] = i
			}
			kept := map[string]bool{}
			for i, id := range s.IDs {
				j, ok := byID[id]
				if !ok || kept[id] {
					t.Fatalf("sample row %d: doc_id %q not a usable row, or kept twice", i, id)
				}
				kept[id] = true
				r := usable[j]
				label := r.label
				if r.nullLabel {
					label = ""
				}
				if s.IDs[i] != r.id || s.Texts[i] != r.text || s.Labels[i] != label {
					t.Fatalf("sample row %d: %q %q %q, want %q %q %q", i, s.IDs[i], s.Texts[i], s.Labels[i], r.id, r.text, label)
				}
				for j, v := range r.pat {
					if s.Pattern.At(i, j) != float64(v) {
						t.Fatalf("sample row %d pattern %d = %v, want %v", i, j, s.Pattern.At(i, j), v)
					}
				}
				for j, v := range r.sem {
					if s.Semantic.At(i, j) != float64(v) {
						t.Fatalf("sample row %d semantic %d = %v, want %v", i, j, s.Semantic.At(i, j), v)
					}
				}
			}
			if s.Assign != nil || s.Dist != nil {
				t.Errorf("a fresh sample is assigned")
			}
		}
	})
	t.Run("no label column named", func(t *testing.T) {
		s, err := draw(t, newRecsReader(t, mem, asgSpec{}, rows, 30), 1000, 1, Config{})
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range s.Labels {
			if l != "" {
				t.Fatalf("label %d = %q without a label column", i, l)
			}
		}
	})
	t.Run("rejected rows are never sampled", func(t *testing.T) {
		for seed := range uint64(10) {
			s, err := draw(t, newRecsReader(t, mem, asgSpec{}, rows, 25), 20, seed, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if len(s.IDs) != 20 || s.Usable != int64(len(usable)) {
				t.Fatalf("seed %d: %d rows of %d usable", seed, len(s.IDs), s.Usable)
			}
			for _, id := range s.IDs {
				if rejectedID[id] {
					t.Fatalf("seed %d: sampled the rejected row %s", seed, id)
				}
			}
			if r, c := s.Pattern.Dims(); r != 20 || c != plantedP {
				t.Fatalf("pattern %d×%d", r, c)
			}
		}
	})
	t.Run("the same seed gives the same sample", func(t *testing.T) {
		a, err := draw(t, newRecsReader(t, mem, asgSpec{}, rows, 25), 30, 5, Config{})
		if err != nil {
			t.Fatal(err)
		}
		// Other batch boundaries: the same stream of rows.
		b, err := draw(t, newRecsReader(t, mem, asgSpec{}, rows, 9), 30, 5, Config{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := draw(t, newRecsReader(t, mem, asgSpec{}, rows, 25), 30, 6, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.IDs, b.IDs) || !mat.Equal(a.Pattern, b.Pattern) || !mat.Equal(a.Semantic, b.Semantic) {
			t.Errorf("seed 5 twice: samples differ")
		}
		if slices.Equal(a.IDs, c.IDs) {
			t.Errorf("seeds 5 and 6 give the same sample")
		}
	})
	t.Run("texts are cut at a rune boundary", func(t *testing.T) {
		long := slices.Clone(rows[:3])
		long[0].text = strings.Repeat("é", 300) // 600 bytes
		s, err := draw(t, newRecsReader(t, mem, asgSpec{}, long, 3), 10, 1, Config{})
		if err != nil {
			t.Fatal(err)
		}
		j := slices.Index(s.IDs, long[0].id)
		if j < 0 {
			t.Fatalf("the long row %q is not in the sample %q", long[0].id, s.IDs)
		}
		if len(s.Texts[j]) > snippetBytes || !utf8.ValidString(s.Texts[j]) || !strings.HasPrefix(long[0].text, s.Texts[j]) || len(s.Texts[j]) < snippetBytes-1 {
			t.Errorf("text of %d bytes kept as %d bytes (valid UTF-8 %v)", len(long[0].text), len(s.Texts[j]), utf8.ValidString(s.Texts[j]))
		}
	})
	for _, tc := range []struct {
		name   string
		sp     asgSpec
		rows   []asgRow
		cfg    Config
		column string
		want   string
	}{
		{"label column missing", asgSpec{noLabel: true}, rows, Config{LabelCol: "label"}, "label", "no such string label column"},
		{"label column misnamed", asgSpec{}, rows, Config{LabelCol: "category"}, "category", "no such string label column"},
		{"no pattern column", asgSpec{noPattern: true}, rows, Config{}, schema.PatternColumn, "no such feature column"},
		{"every row rejected", asgSpec{}, func() []asgRow {
			out := slices.Clone(rows[:10])
			for i := range out {
				out[i].reason = "empty"
			}
			return out
		}(), Config{}, "", "no usable row"},
		{"infinite semantic value in a usable row", asgSpec{}, func() []asgRow {
			out := slices.Clone(rows[:10])
			out[1].sem = slices.Clone(out[1].sem)
			out[1].sem[4] = float32(math.Inf(-1))
			return out
		}(), Config{}, schema.SemanticColumn, `doc_id "doc0001"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := draw(t, newRecsReader(t, mem, tc.sp, tc.rows, 7), 50, 1, tc.cfg)
			var de *stream.DataError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *stream.DataError", err)
			}
			if de.Source != "in.parquet" || de.Column != tc.column || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q (column %q), want column %q and %q", err, de.Column, tc.column, tc.want)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		src := newRecsReader(t, mem, asgSpec{}, rows, 30)
		defer src.Close()
		if _, err := DrawSample(ctx, src, 10, 1, Config{}, "in"); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestReportAndMeasure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels bool
		auto   bool
	}{
		{"labels, K given", true, false},
		{"no labels, K chosen", false, true},
		{"labels, K chosen", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rows := asgRows(240, 3, 5)
			labelCol := ""
			if tc.labels {
				labelCol = "label"
			}
			fcfg := Config{K: 3, Seed: 3}
			if tc.auto {
				fcfg = Config{KMin: 2, KMax: 5, Seed: 3}
			}
			s, m := fitOn(t, mem, rows, Config{LabelCol: labelCol}, fcfg)
			if m.K != 3 {
				t.Fatalf("K = %d, want 3", m.K)
			}
			hash, _ := m.Hash()
			src := newRecsReader(t, mem, asgSpec{}, rows, 40)
			out := OutputSchemaFor(src.Schema(), m, hash)
			ar, err := Assign(context.Background(), src, m, Config{Mem: mem}, out, "in")
			if err != nil {
				src.Close()
				t.Fatal(err)
			}
			st := &Stats{K: m.K}
			rd := st.Observe(ar, labelCol)
			got := drain(t, rd, out)
			rd.Close()

			names := make([]string, plantedP)
			for j := range names {
				names[j] = fmt.Sprintf("feat%02d", j)
			}
			ri := ReportInput{Model: m, Sample: s, Stats: st, PatternNames: names, Terms: strings.Fields, Source: "in.parquet"}
			q := Measure(ri)
			md := Report(ri, q)

			// Other reports read the same top terms back.
			if got, want := ReadTopTerms(md, m.K), topTerms(ri, 8); !reflect.DeepEqual(got, want) {
				t.Errorf("ReadTopTerms %q, the report's %q", got, want)
			}
			if strings.Contains(md, "**Warning:**") {
				t.Errorf("a warning with tasks of equal size:\n%s", md)
			}
			// A task holding 45%% of the rows or more is flagged.
			big := *st
			big.TaskRows = slices.Clone(st.TaskRows)
			big.TaskRows[1] = 2 * (big.TaskRows[0] + big.TaskRows[2])
			big.Rows = big.TaskRows[0] + big.TaskRows[1] + big.TaskRows[2] + big.Rejected
			bri := ri
			bri.Stats = &big
			if bmd := Report(bri, q); !strings.Contains(bmd, "**Warning:** task 1 holds 66.7% of the rows") || !strings.Contains(bmd, "--k") {
				t.Errorf("no warning for a task of 2/3 of the rows:\n%s", bmd)
			}

			if q.Inertia != m.Inertia {
				t.Errorf("Measure inertia %v, model %v", q.Inertia, m.Inertia)
			}
			sil, err := Silhouette(designByHand(s.Pattern, s.Semantic, m), s.Assign)
			if err != nil || !relClose(q.Silhouette, sil, 1e-9) {
				t.Errorf("Measure silhouette %v, Silhouette of the sample %v (%v)", q.Silhouette, sil, err)
			}
			if tc.labels {
				var labels []string
				var tasks []int
				for i, a := range got {
					if a.reason == "" {
						l := rows[i].label
						if rows[i].nullLabel {
							l = ""
						}
						labels = append(labels, l)
						tasks = append(tasks, int(a.task))
					}
				}
				c := mustContingency(t, labels, tasks)
				if q.NMI == nil || q.ARI == nil || q.Purity == nil {
					t.Fatalf("no NMI/ARI/purity with labels")
				}
				if sc := st.Contingency(); *q.NMI != sc.NMI() || *q.ARI != sc.ARI() || *q.Purity != sc.Purity() {
					t.Errorf("Measure NMI/ARI/purity %v/%v/%v, the stats' contingency %v/%v/%v", *q.NMI, *q.ARI, *q.Purity, sc.NMI(), sc.ARI(), sc.Purity())
				}
				if !near(*q.NMI, c.NMI(), 1e-12) || !near(*q.ARI, c.ARI(), 1e-12) {
					t.Errorf("Measure NMI %v ARI %v, NewContingency %v %v", *q.NMI, *q.ARI, c.NMI(), c.ARI())
				}
				for _, w := range []string{"NMI", "ARI", "purity", "## Labels × tasks"} {
					if !strings.Contains(md, w) {
						t.Errorf("report lacks %q", w)
					}
				}
			} else {
				if q.NMI != nil || strings.Contains(md, "NMI") || strings.Contains(md, "Labels × tasks") {
					t.Errorf("NMI without labels")
				}
			}
			if why := FeaturesWhy(m); !strings.Contains(md, "- features: "+why) || !strings.Contains(why, "semantic values") {
				t.Errorf("report does not say which features and weights were used: %q", why)
			}
			if strings.Contains(md, "K tried") != tc.auto {
				t.Errorf("report mentions K tried: %v, K chosen: %v", strings.Contains(md, "K tried"), tc.auto)
			}
			if tc.auto {
				if !strings.Contains(md, m.KChoice.Why) {
					t.Errorf("report lacks the choice of K: %q", m.KChoice.Why)
				}
				for _, tr := range m.KChoice.Tried {
					if !strings.Contains(md, fmt.Sprintf("| %d | %.4f |", tr.K, tr.Silhouette)) {
						t.Errorf("report lacks K tried %d", tr.K)
					}
				}
			}
			var rejected int
			for _, r := range rows {
				if r.reason != "" {
					rejected++
				}
			}
			if w := fmt.Sprintf("- rows: %d (%d usable, %d rejected)", len(rows), len(rows)-rejected, rejected); !strings.Contains(md, w) {
				t.Errorf("report lacks %q", w)
			}
			if w := fmt.Sprintf("too_short: %d;", st.Reasons["too_short"]); !strings.Contains(md, w) {
				t.Errorf("report lacks %q", w)
			}
			for task := range m.K {
				if w := fmt.Sprintf("\n| %d | %d | ", task, st.TaskRows[task]); !strings.Contains(md, w) {
					t.Errorf("report lacks the row of task %d (%q)", task, w)
				}
				if w := fmt.Sprintf("### Task %d\n", task); !strings.Contains(md, w) {
					t.Errorf("report lacks %q", w)
				}
				// The sample row nearest the centroid is quoted, and the
				// task's group words are its top terms.
				best := -1
				for i, a := range s.Assign {
					if a == task && (best < 0 || s.Dist[i] < s.Dist[best]) {
						best = i
					}
				}
				if w := "> " + s.Texts[best] + " (" + s.IDs[best] + ")"; !strings.Contains(md, w) {
					t.Errorf("task %d: report lacks the snippet %q", task, w)
				}
				var row int
				if _, err := fmt.Sscanf(s.IDs[best], "doc%d", &row); err != nil {
					t.Fatal(err)
				}
				if w := "Top terms: " + strings.Join(groupWords[rows[row].group], ", "); !strings.Contains(md, w) {
					t.Errorf("task %d: report lacks %q", task, w)
				}
				if !strings.Contains(md, "feat") {
					t.Errorf("report names no pattern feature")
				}
			}
		})
	}
}

// TestTopTermsNameable: single letters, numbers, contractions and
// function words never name a task.
func TestTopTermsNameable(t *testing.T) {
	for w, want := range map[string]bool{"perl": true, "nasa": true, "x": false, "1": false, "42": false, "i'm": false,
		"don’t": false, "would": false, "also": false, "c3po": true, "é": false, "ok": true} {
		if got := Nameable(w); got != want {
			t.Errorf("Nameable(%q) = %v, want %v", w, got, want)
		}
	}
	texts := []string{"perl c 1 would i'm perl c 1 would i'm", "perl c 1 would i'm", "nasa q 2 also", "nasa q 2 also"}
	got := TopTerms(texts, []int{0, 0, 1, 1}, 2, 5, strings.Fields)
	if !reflect.DeepEqual(got, [][]string{{"perl"}, {"nasa"}}) {
		t.Errorf("TopTerms %q, want [[perl] [nasa]]", got)
	}
}

// TestReadTopTerms reads the tasks table back, with escaped bars and
// tasks without terms.
func TestReadTopTerms(t *testing.T) {
	md := "# Partition report\n\n## Tasks\n\n| task | rows | share | top terms | stand-out pattern features |\n|---:|---:|---:|---|---|\n" +
		"| 0 | 5 | 50.0% | a\\|b, c | x +1σ |\n| 1 | 5 | 50.0% |  |  |\n\n### Task 0\n\n| 1 | 9 | 9% | wrong | |\n"
	got := ReadTopTerms(md, 2)
	if !reflect.DeepEqual(got, [][]string{{"a|b", "c"}, nil}) {
		t.Errorf("ReadTopTerms %q", got)
	}
	if ReadTopTerms("# no table\n", 2) != nil {
		t.Error("terms from a report without the table")
	}
}
