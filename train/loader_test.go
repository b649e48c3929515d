package train

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// TestHeldOut: about 5% of ids are held out, by a hash of the id alone.
func TestHeldOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	held := 0
	for range n {
		id := fmt.Sprintf("doc-%016x", rng.Uint64())
		h := HeldOut(id)
		if h != HeldOut(id) {
			t.Fatalf("HeldOut(%q) changed between calls", id)
		}
		// The documented rule: FNV-1a 64 of the id, mod 1000, below 50.
		f := fnv.New64a()
		f.Write([]byte(id))
		if want := f.Sum64()%1000 < 50; h != want {
			t.Fatalf("HeldOut(%q) = %v, FNV-1a says %v", id, h, want)
		}
		if h {
			held++
		}
	}
	if share := float64(held) / n; share < 0.04 || share > 0.06 {
		t.Errorf("%d of %d ids held out (%.2f%%), want about 5%%", held, n, 100*share)
	}
	// Pinned: which of d0..d199 are held out (a change moves every run's
	// validation set).
	var got []int
	for i := range 200 {
		if HeldOut(fmt.Sprintf("d%d", i)) {
			got = append(got, i)
		}
	}
	want := ldPinnedHeld
	if !slices.Equal(got, want) {
		t.Errorf("held-out ids among d0..d199: %v, want %v", got, want)
	}
}

// ldPinnedHeld are the held-out ids among d0..d199.
var ldPinnedHeld = []int{16, 24, 40, 96, 126, 146, 155, 174, 190}

// ldVec encodes a row in its vector: value 0 is the row's global index g
// (as in its doc_id "d<g>"), value 1 its task, the rest 0.5.
func ldVec(d int) func(t, i, g int) []float32 {
	return func(t, i, g int) []float32 {
		v := make([]float32, d)
		for j := range v {
			v[j] = 0.5
		}
		v[0], v[1] = float32(g), float32(t)
		return v
	}
}

// ldDataset writes 3 tasks of 150, 90 and 60 rows, each in shards of at
// most 40 rows, with vectors ldVec(d).
func ldDataset(t testing.TB, d int) (string, []int) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ds")
	rows := []int{150, 90, 60}
	rtDataset(t, dir, rtSpec{Rows: rows, D: d, Vec: ldVec(d), MaxRows: 40})
	return dir, rows
}

func ldOpen(t testing.TB, cfg LoaderConfig) *Loader {
	t.Helper()
	l, err := OpenLoader(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestLoaderNext: K·B examples, task-major, of the right width, never a
// held-out row, and every training row of a task in turn, with shards
// smaller than the shuffle buffer and larger.
func TestLoaderNext(t *testing.T) {
	const d, b = 6, 8
	ds, rows := ldDataset(t, d)
	m, err := stream.ReadManifest(ds)
	if err != nil {
		t.Fatal(err)
	}
	for ti, task := range m.Tasks {
		if len(task.Shards) < 2 {
			t.Fatalf("task %d has %d shards, want several", ti, len(task.Shards))
		}
	}
	// The rows of each task, by global index.
	taskOf := map[int]int{}
	g := 0
	for done := make([]int, 3); g < 300; {
		for ti := range rows {
			if done[ti] < rows[ti] {
				taskOf[g] = ti
				done[ti]++
				g++
			}
		}
	}
	for _, buffer := range []int{0, 16} {
		t.Run(fmt.Sprintf("buffer=%d", buffer), func(t *testing.T) {
			l := ldOpen(t, LoaderConfig{Dir: ds, Objective: ObjectiveRegression, PerTask: b, Seed: 5, ShuffleBuffer: buffer})
			if l.K != 3 || l.D != d || !slices.Equal(l.Rows, []int64{150, 90, 60}) {
				t.Fatalf("loader K %d D %d rows %v", l.K, l.D, l.Rows)
			}
			seen := make([]map[int]int, 3)
			for ti := range seen {
				seen[ti] = map[int]int{}
			}
			for step := range 120 {
				batch, err := l.Next(step)
				if err != nil {
					t.Fatal(err)
				}
				if batch.K != 3 || batch.B != b || batch.D != d || len(batch.X) != 3*b*d || batch.Tokens != nil {
					t.Fatalf("step %d: batch K %d B %d D %d with %d values", step, batch.K, batch.B, batch.D, len(batch.X))
				}
				if batch.Seed != stepSeed(5, step) {
					t.Errorf("step %d: batch seed %d", step, batch.Seed)
				}
				for r := range 3 * b {
					row := batch.X[r*d : (r+1)*d]
					g, ti := int(row[0]), int(row[1])
					if ti != r/b || taskOf[g] != ti {
						t.Fatalf("step %d: row %d of the batch is row d%d of task %d (encoded %d), want task %d", step, r, g, taskOf[g], ti, r/b)
					}
					if HeldOut(fmt.Sprintf("d%d", g)) {
						t.Fatalf("step %d: training batch holds held-out row d%d", step, g)
					}
					seen[ti][g]++
				}
			}
			// 120 steps draw 960 examples per task: several epochs of
			// every task, so every training row comes up.
			for g, ti := range taskOf {
				if !HeldOut(fmt.Sprintf("d%d", g)) && seen[ti][g] == 0 {
					t.Errorf("training row d%d of task %d never drawn", g, ti)
				}
			}
		})
	}
}

// TestLoaderSeed: the same seed draws the same batches, another seed
// others.
func TestLoaderSeed(t *testing.T) {
	ds := rtSmall(t)
	for _, obj := range []string{ObjectiveRegression, ObjectiveToken} {
		t.Run(obj, func(t *testing.T) {
			cfg := LoaderConfig{Dir: ds, Objective: obj, PerTask: 5, Seed: 11, Vocab: 300, Window: 6, Tokenize: rtTokenize, ShuffleBuffer: 64}
			a, b := ldOpen(t, cfg), ldOpen(t, cfg)
			cfg.Seed++
			c := ldOpen(t, cfg)
			differ := false
			for step := range 60 {
				ba, err := a.Next(step)
				if err != nil {
					t.Fatal(err)
				}
				bb, _ := b.Next(step)
				bc, _ := c.Next(step)
				if !slices.Equal(ba.X, bb.X) || !slices.Equal(ba.Tokens, bb.Tokens) || ba.Seed != bb.Seed {
					t.Fatalf("step %d: the same seed drew other batches", step)
				}
				if !slices.Equal(ba.X, bc.X) || !slices.Equal(ba.Tokens, bc.Tokens) {
					differ = true
				}
			}
			if !differ {
				t.Error("another seed drew the same batches")
			}
		})
	}
}

// TestLoaderTokens: windows of W token ids in [0, Vocab), −1 padding only
// after a short document's words.
func TestLoaderTokens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ds")
	// Task 0: 3 words a document; task 1: 40 words.
	rtDataset(t, dir, rtSpec{Rows: []int{200, 200}, D: 4, Text: func(ti, i, g int) string {
		n := 3
		if ti == 1 {
			n = 40
		}
		s := ""
		for w := range n {
			s += fmt.Sprintf("word%dx%d ", ti, (i+w)%97)
		}
		return s
	}})
	const w, b, vocab = 8, 4, 50
	l := ldOpen(t, LoaderConfig{Dir: dir, Objective: ObjectiveToken, PerTask: b, Seed: 1, Vocab: vocab, Window: w, Tokenize: rtTokenize})
	for step := range 20 {
		batch, err := l.Next(step)
		if err != nil {
			t.Fatal(err)
		}
		if batch.W != w || batch.D != 0 || batch.X != nil || len(batch.Tokens) != 2*b*w {
			t.Fatalf("batch W %d D %d with %d tokens", batch.W, batch.D, len(batch.Tokens))
		}
		for r := range 2 * b {
			win := batch.Tokens[r*w : (r+1)*w]
			words := 3
			if r >= b {
				words = w
			}
			for j, id := range win {
				if j < words && (id < 0 || id >= vocab) || j >= words && id != -1 {
					t.Fatalf("step %d: window %d (task %d) is %v: want %d ids in [0, %d) then padding", step, r, r/b, win, words, vocab)
				}
			}
		}
	}
}

// TestLoaderValidation: Validation returns exactly each task's held-out
// rows, in shard order, capped at max.
func TestLoaderValidation(t *testing.T) {
	const d = 5
	ds, _ := ldDataset(t, d)
	l := ldOpen(t, LoaderConfig{Dir: ds, Objective: ObjectiveRegression, PerTask: 4, Seed: 1})
	m, err := stream.ReadManifest(ds)
	if err != nil {
		t.Fatal(err)
	}
	sets, err := l.Validation(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	for ti, task := range m.Tasks {
		var want []int
		for _, s := range task.Shards {
			for _, id := range rtColumn(t, filepath.Join(ds, s.Path), "doc_id") {
				if HeldOut(id) {
					var g int
					fmt.Sscanf(id, "d%d", &g)
					want = append(want, g)
				}
			}
		}
		var got []int
		for _, ex := range sets[ti] {
			if int(ex.vec[1]) != ti {
				t.Errorf("task %d validation holds a row of task %v", ti, ex.vec[1])
			}
			got = append(got, int(ex.vec[0]))
		}
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("task %d validation rows %v, want its held-out rows %v", ti, got, want)
		}
		capped, err := l.Validation(1)
		if err != nil || len(capped[ti]) != 1 || int(capped[ti][0].vec[0]) != want[0] {
			t.Errorf("Validation(1) task %d: %v %v", ti, capped[ti], err)
		}
	}
}

// TestOpenLoaderBadColumn: a missing or mistyped vector column is a
// DataError naming it.
func TestOpenLoaderBadColumn(t *testing.T) {
	ds := rtSmall(t)
	for _, col := range []string{"nothing", "text"} {
		_, err := OpenLoader(context.Background(), LoaderConfig{Dir: ds, Objective: ObjectiveRegression, VectorCol: col, PerTask: 4})
		rtDataError(t, err, col)
	}
}
