package train

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/robustdata/robustdata/pipeline/schema"

	"github.com/robustdata/robustdata/pipeline/dataset"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// Objectives.
const (
	ObjectiveRegression = "masked-regression"
	ObjectiveToken      = "masked-token"
)

// Loader defaults.
const (
	DefaultHoldoutPerMille = 50 // 5%
	DefaultShuffleBuffer   = 2048
	DefaultWindow          = 32
)

// LoaderConfig configures a Loader.
type LoaderConfig struct {
	// Dir is the dataset folder (with manifest.json).
	Dir string
	// Objective is ObjectiveRegression (examples are vectors of VectorCol)
	// or ObjectiveToken (examples are windows of Window hashed tokens of
	// TextCol, ids in [0, Vocab)).
	Objective string
	VectorCol string
	TextCol   string
	Vocab     int
	Window    int
	// PerTask is the number of examples drawn from every task per step.
	PerTask int
	// ShuffleBuffer is the per-task shuffle buffer (default 2048 rows).
	ShuffleBuffer int
	// Seed seeds the shuffles and windows.
	Seed uint64
	// Tokenize splits a text into hashed word ids (ObjectiveToken).
	Tokenize func(text string) []uint64
	// Tasks is TasksCluster (default: the dataset's tasks) or TasksPOS
	// (ObjectiveToken only: the part of speech of the masked word).
	Tasks string
}

// Held out reports whether a row belongs to the validation set: a fixed
// 5% of each task, chosen by the FNV-1a hash of its doc_id, whatever the
// seed, so that every run validates on the same rows.
func HeldOut(docID string) bool {
	return docHash(docID)%1000 < DefaultHoldoutPerMille
}

// docHash is the FNV-1a 64 hash of a doc_id, which decides its holdout.
func docHash(docID string) uint64 {
	h := fnv.New64a()
	io.WriteString(h, docID)
	return h.Sum64()
}

// example is one training example of a task.
type example struct {
	vec    []float32
	tokens []uint64    // hashed words of the document (token objective)
	text   string      // the text (part-of-speech tasks: tagged later)
	pos    *posExample // a tagged window (part-of-speech tasks)
}

// taskStream yields a task's training rows forever, cycling over its
// shards, through a seeded shuffle buffer.
type taskStream struct {
	ctx    context.Context
	cfg    *LoaderConfig
	task   int
	shards []string
	rng    *rand.Rand
	buf    []example
	rd     stream.Reader
	cur    arrow.RecordBatch
	row    int
	shard  int
	epoch  int
	// A task whose training rows fit the shuffle buffer is read once:
	// seen collects the first epoch's examples (nil once they overflow
	// the buffer), cache replays them, in the same order, for the next
	// epochs (cpos is the next one), so that a small task of long
	// documents is not re-read and re-tokenized at every epoch.
	seen     []example
	overflow bool
	cache    []example
	cpos     int
	// extraHeld is the doc_id held out besides those HeldOut picks, in a
	// task where HeldOut picks none ("" for none; see ensureHeldOut).
	extraHeld string
}

// Loader draws each step's batch: PerTask examples of every task.
type Loader struct {
	cfg     LoaderConfig
	K       int
	D       int
	streams []*taskStream
	// Rows counts each task's rows in the manifest (with part-of-speech
	// tasks: each class's words in the tagged held-out documents).
	Rows []int64
	m    *dataset.Manifest
	pos  *posState
	// val caches Validation's answer per max: the sets are read (and,
	// for part-of-speech tasks, tagged) once per run.
	val map[int][][]example
}

// posState draws part-of-speech examples: documents of every shard task
// in turn, tagged, cut into windows whose examples fill a buffer per
// class.
type posState struct {
	tag  *tagger
	rng  *rand.Rand
	buf  [numPOS][]*posExample
	next int // the shard task the next document comes from
}

// OpenLoader reads the dataset's manifest, checks every shard's size and
// sha256 (a corrupted dataset is refused before training), and prepares
// one stream per task. A task without rows is an error.
func OpenLoader(ctx context.Context, cfg LoaderConfig) (*Loader, error) {
	if cfg.ShuffleBuffer <= 0 {
		cfg.ShuffleBuffer = DefaultShuffleBuffer
	}
	if cfg.VectorCol == "" {
		cfg.VectorCol = schema.SemanticColumn
	}
	if cfg.TextCol == "" {
		cfg.TextCol = schema.TextColumn
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	m, err := dataset.OpenDataset(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if len(m.Tasks) == 0 {
		return nil, &stream.DataError{Source: filepath.Join(cfg.Dir, dataset.ManifestName), Row: -1, Err: errors.New("the dataset has no task")}
	}
	l := &Loader{cfg: cfg, K: len(m.Tasks), m: m}
	for _, t := range m.Tasks {
		if t.Rows == 0 {
			return nil, &stream.DataError{Source: filepath.Join(cfg.Dir, dataset.ManifestName), Row: -1,
				Err: fmt.Errorf("task %d has no rows: every task needs examples (partition with a smaller K)", t.Task)}
		}
		var paths []string
		for _, s := range t.Shards {
			p := filepath.Join(cfg.Dir, filepath.FromSlash(s.Path))
			h, err := stream.HashInputs(ctx, []stream.Input{{Name: s.Path, Path: p}})
			if err != nil {
				return nil, err
			}
			if h[0].Bytes != s.Bytes || h[0].SHA256 != s.SHA256 {
				return nil, &stream.DataError{Source: p, Row: -1,
					Err: fmt.Errorf("corrupted shard: %d bytes, sha256 %s; the manifest says %d bytes, sha256 %s (run robustdata verify)", h[0].Bytes, h[0].SHA256, s.Bytes, s.SHA256)}
			}
			paths = append(paths, p)
		}
		l.Rows = append(l.Rows, t.Rows)
		l.streams = append(l.streams, &taskStream{ctx: ctx, cfg: &l.cfg, task: t.Task, shards: paths,
			rng: rand.New(rand.NewPCG(cfg.Seed, 0x7472616e+uint64(t.Task)))})
	}
	if cfg.Tasks == TasksPOS {
		if cfg.Objective != ObjectiveToken {
			return nil, fmt.Errorf("robustdata/train: --tasks pos needs --objective masked-token")
		}
		tg, err := newTagger()
		if err != nil {
			return nil, err
		}
		l.pos = &posState{tag: tg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x706f73))}
		l.K = len(POSClasses)
		if l.Rows, err = l.posSizes(); err != nil {
			return nil, err
		}
	} else if cfg.Tasks != "" && cfg.Tasks != TasksCluster {
		return nil, fmt.Errorf("robustdata/train: --tasks must be cluster or pos, not %q", cfg.Tasks)
	}
	// The vector width, from the first shard's schema.
	if cfg.Objective == ObjectiveRegression {
		rd, err := stream.Open(ctx, []string{l.streams[0].shards[0]}, stream.WithLimit(0))
		if err != nil {
			return nil, err
		}
		d, err := vectorWidth(rd.Schema(), cfg.VectorCol, l.streams[0].shards[0])
		rd.Close()
		if err != nil {
			return nil, err
		}
		l.D = d
	}
	return l, nil
}

// Manifest returns the dataset's manifest.
func (l *Loader) Manifest() *dataset.Manifest { return l.m }

func vectorWidth(sc *arrow.Schema, col, source string) (int, error) {
	idx := sc.FieldIndices(col)
	if len(idx) == 0 {
		err := errors.New("no such vector column")
		if col == schema.SemanticColumn || col == schema.PatternColumn {
			// Shards carry the feature columns only when asked (issue 16).
			err = errors.New("no such vector column: shards carry the feature columns only when written with --keep-features (shard.keep_features: true in a run config); re-shard with it, or give --vector-col")
		}
		return 0, &stream.DataError{Source: source, Row: -1, Column: col, Err: err}
	}
	if fl, ok := sc.Field(idx[0]).Type.(*arrow.FixedSizeListType); ok {
		return int(fl.Len()), nil
	}
	return 0, &stream.DataError{Source: source, Row: -1, Column: col,
		Err: fmt.Errorf("vector column is %s, expected a fixed-size list of numbers", sc.Field(idx[0]).Type)}
}

// Next returns the next step's batch (seed from the step number).
func (l *Loader) Next(step int) (*Batch, error) {
	k, b := l.K, l.cfg.PerTask
	batch := &Batch{K: k, B: b, Seed: stepSeed(l.cfg.Seed, step)}
	switch l.cfg.Objective {
	case ObjectiveRegression:
		batch.D = l.D
		batch.X = make([]float32, 0, k*b*l.D)
	default:
		batch.W = l.cfg.Window
		batch.Tokens = make([]int32, 0, k*b*l.cfg.Window)
	}
	if l.pos != nil {
		return batch, l.posNext(batch)
	}
	for t, s := range l.streams {
		for range b {
			ex, err := s.draw()
			if err != nil {
				return nil, fmt.Errorf("robustdata/train: task %d: %w", t, err)
			}
			if err := l.add(batch, ex, s.rng); err != nil {
				return nil, err
			}
		}
	}
	return batch, nil
}

// posNext fills a batch with PerTask tagged examples of every class,
// tagging documents of the shard tasks in turn until every class has
// enough.
func (l *Loader) posNext(batch *Batch) error {
	p := l.pos
	for c := range POSClasses {
		for tries := 0; len(p.buf[c]) < batch.B; tries++ {
			if tries > 100000 {
				return fmt.Errorf("robustdata/train: no %s among 100,000 documents", POSClasses[c])
			}
			s := l.streams[p.next]
			p.next = (p.next + 1) % len(l.streams)
			ex, err := s.draw()
			if err != nil {
				return err
			}
			ids, classes, err := p.tag.words(ex.text)
			if err != nil {
				return err
			}
			for k, e := range windowExamples(ids, classes, l.cfg.Window, l.cfg.Vocab, p.rng) {
				if e != nil {
					p.buf[k] = append(p.buf[k], e)
				}
			}
		}
		for _, e := range p.buf[c][:batch.B] {
			if err := l.add(batch, example{pos: e}, nil); err != nil {
				return err
			}
		}
		p.buf[c] = p.buf[c][batch.B:]
	}
	return nil
}

// add appends an example to a batch: the vector, or a window of the
// document's tokens starting at a random position.
func (l *Loader) add(b *Batch, ex example, rng *rand.Rand) error {
	if ex.pos != nil {
		b.Tokens = append(b.Tokens, ex.pos.tokens...)
		b.Targets = append(b.Targets, ex.pos.target)
		return nil
	}
	if b.D > 0 {
		if len(ex.vec) != b.D {
			return fmt.Errorf("robustdata/train: a vector has %d values, expected %d", len(ex.vec), b.D)
		}
		b.X = append(b.X, ex.vec...)
		return nil
	}
	w := l.cfg.Window
	start := 0
	if n := len(ex.tokens); n > w {
		start = rng.IntN(n - w + 1)
	}
	for j := range w {
		id := int32(-1)
		if start+j < len(ex.tokens) {
			id = int32(ex.tokens[start+j] % uint64(l.cfg.Vocab))
		}
		b.Tokens = append(b.Tokens, id)
	}
	return nil
}

// stepSeed derives a step's mask seed.
func stepSeed(seed uint64, step int) uint64 {
	z := seed ^ (uint64(step)+1)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	return z ^ (z >> 27)
}

// Close closes the streams.
func (l *Loader) Close() error {
	for _, s := range l.streams {
		s.close()
	}
	return nil
}

// draw returns the next example of the task: a random one of the shuffle
// buffer, replaced by the next row of the stream.
func (s *taskStream) draw() (example, error) {
	for len(s.buf) < s.cfg.ShuffleBuffer {
		ex, ok, err := s.next()
		if err != nil {
			return example{}, err
		}
		if !ok {
			break // a small task: its whole epoch fits the buffer
		}
		s.buf = append(s.buf, ex)
	}
	if len(s.buf) == 0 {
		return example{}, errors.New("no training rows (every row is held out for validation)")
	}
	i := s.rng.IntN(len(s.buf))
	out := s.buf[i]
	ex, ok, err := s.next()
	if err != nil {
		return example{}, err
	}
	if ok {
		s.buf[i] = ex
	} else {
		s.buf[i] = s.buf[len(s.buf)-1]
		s.buf = s.buf[:len(s.buf)-1]
	}
	return out, nil
}

// next reads the task's next training row, starting a new epoch at the
// end of the last shard; ok is false once, at the end of each epoch.
func (s *taskStream) next() (example, bool, error) {
	if s.cache != nil {
		if s.cpos == len(s.cache) {
			s.cpos, s.epoch = 0, s.epoch+1
			return example{}, false, nil
		}
		s.cpos++
		return s.cache[s.cpos-1], true, nil
	}
	ex, ok, err := s.read()
	switch {
	case err != nil:
	case ok && !s.overflow:
		if len(s.seen) < s.cfg.ShuffleBuffer {
			s.seen = append(s.seen, ex)
		} else {
			s.seen, s.overflow = nil, true
		}
	case !ok && !s.overflow && len(s.seen) > 0:
		s.cache, s.seen = s.seen, nil
	}
	return ex, ok, err
}

// read reads the task's next training row from its shards; ok is false
// once, at the end of each epoch.
func (s *taskStream) read() (example, bool, error) {
	for {
		if s.cur == nil || s.row >= int(s.cur.NumRows()) {
			if s.rd == nil {
				if s.shard >= len(s.shards) {
					s.shard, s.epoch = 0, s.epoch+1
					return example{}, false, nil
				}
				cols := []string{schema.DocIDColumn}
				if s.cfg.Objective == ObjectiveRegression {
					cols = append(cols, s.cfg.VectorCol)
				} else {
					cols = append(cols, s.cfg.TextCol)
				}
				rd, err := stream.Open(s.ctx, []string{s.shards[s.shard]}, stream.WithColumns(cols...))
				if err != nil {
					return example{}, false, err
				}
				s.rd = rd
			}
			rec, err := s.rd.Read()
			if errors.Is(err, io.EOF) {
				s.rd.Close()
				s.rd, s.cur = nil, nil
				s.shard++
				continue
			}
			if err != nil {
				return example{}, false, err
			}
			s.cur, s.row = rec, 0
		}
		i := s.row
		s.row++
		ids := s.cur.Column(0).(*array.String)
		if ids.IsNull(i) || s.held(ids.Value(i)) {
			continue
		}
		ex, ok, err := rowExample(s.cur, i, s.cfg)
		if err != nil {
			return example{}, false, exampleError(s.shards[s.shard], s.cur, i, err)
		}
		return ex, ok, nil
	}
}

// exampleError is a bad example value as a *stream.DataError naming the
// shard, the row's doc_id and the column (rec's columns are doc_id and the
// example column).
func exampleError(source string, rec arrow.RecordBatch, i int, err error) error {
	id := ""
	if ids, ok := rec.Column(0).(*array.String); ok && !ids.IsNull(i) {
		id = ids.Value(i)
	}
	return &stream.DataError{Source: source, Row: -1, Column: rec.Schema().Field(1).Name,
		Err: fmt.Errorf("doc_id %q: %w", id, err)}
}

// rowExample reads row i of a batch whose columns are doc_id and the
// example column.
func rowExample(rec arrow.RecordBatch, i int, cfg *LoaderConfig) (example, bool, error) {
	if cfg.Objective == ObjectiveRegression {
		v, err := vectorAt(rec.Column(1), i)
		return example{vec: v}, err == nil, err
	}
	col, ok := rec.Column(1).(*array.String)
	if !ok {
		return example{}, false, fmt.Errorf("text column is %s, expected string", rec.Column(1).DataType())
	}
	if cfg.Tasks == TasksPOS {
		return example{text: col.Value(i)}, true, nil
	}
	return example{tokens: cfg.Tokenize(col.Value(i))}, true, nil
}

// vectorAt copies row i of a fixed-size list of numbers.
func vectorAt(a arrow.Array, i int) ([]float32, error) {
	fl, ok := a.(*array.FixedSizeList)
	if !ok {
		return nil, fmt.Errorf("vector column is %s, expected a fixed-size list", a.DataType())
	}
	d := int(fl.DataType().(*arrow.FixedSizeListType).Len())
	start := (fl.Data().Offset() + i) * d
	out := make([]float32, d)
	switch v := fl.ListValues().(type) {
	case *array.Float32:
		copy(out, v.Float32Values()[start:start+d])
	case *array.Float64:
		for j, x := range v.Float64Values()[start : start+d] {
			out[j] = float32(x)
		}
	case *array.Uint8:
		for j, x := range v.Uint8Values()[start : start+d] {
			out[j] = float32(x) / 255
		}
	default:
		return nil, fmt.Errorf("vector values are %s, expected float32, float64 or uint8", v.DataType())
	}
	for j, x := range out {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("value %d is %v, expected a finite number", j, x)
		}
	}
	return out, nil
}

func (s *taskStream) close() {
	if s.rd != nil {
		s.rd.Close()
		s.rd = nil
	}
	s.cur = nil
}

// Validation returns up to max held-out examples of every task, in shard
// order (the same rows for every run). With part-of-speech tasks, the
// held-out documents are tagged into examples of each class.
func (l *Loader) Validation(max int) ([][]example, error) {
	if sets, ok := l.val[max]; ok {
		return sets, nil
	}
	var (
		sets [][]example
		err  error
	)
	if l.pos != nil {
		sets, _, err = l.posValidation(max)
	} else {
		sets, err = l.taskValidation(max)
	}
	if err != nil {
		return nil, err
	}
	if l.val == nil {
		l.val = map[int][][]example{}
	}
	l.val[max] = sets
	return sets, nil
}

// checkValidation fails, before any training, when a task has no
// held-out row to be evaluated on.
func (l *Loader) checkValidation() error {
	sets, err := l.Validation(MaxEvalRows)
	if err != nil {
		return err
	}
	if l.pos == nil {
		// A task where HeldOut picks no row holds out its row of the
		// smallest doc_id hash instead, so that every task is evaluated.
		extra := false
		for t, set := range sets {
			if len(set) == 0 {
				if err := l.streams[t].ensureHeldOut(); err != nil {
					return err
				}
				extra = extra || l.streams[t].extraHeld != ""
			}
		}
		if extra {
			clear(l.val)
			if sets, err = l.Validation(MaxEvalRows); err != nil {
				return err
			}
		}
	}
	for t, s := range sets {
		if len(s) == 0 {
			return &stream.DataError{Source: l.cfg.Dir, Row: -1,
				Err: fmt.Errorf("task %d has no held-out rows to evaluate on (about 5%% of each task's documents, chosen by doc_id, are held out, and at least one when the task has two: the task needs more rows)", t)}
		}
	}
	return nil
}

// posValidation tags the held-out documents of every shard task into up
// to max examples per class, and counts each class's words.
func (l *Loader) posValidation(max int) ([][]example, []int64, error) {
	docs, err := l.taskValidation(max)
	if err != nil {
		return nil, nil, err
	}
	out := make([][]example, len(POSClasses))
	counts := make([]int64, len(POSClasses))
	rng := rand.New(rand.NewPCG(l.cfg.Seed, 0x76616c))
	for i := 0; ; i++ {
		more := false
		for _, task := range docs {
			if i >= len(task) {
				continue
			}
			more = true
			ids, classes, err := l.pos.tag.words(task[i].text)
			if err != nil {
				return nil, nil, err
			}
			for _, c := range classes {
				counts[c]++
			}
			for c, e := range windowExamples(ids, classes, l.cfg.Window, l.cfg.Vocab, rng) {
				if e != nil && len(out[c]) < max {
					out[c] = append(out[c], example{pos: e})
				}
			}
		}
		if !more {
			return out, counts, nil
		}
	}
}

// posSizes are the class sizes for erm: each class's words in the tagged
// held-out documents.
func (l *Loader) posSizes() ([]int64, error) {
	_, counts, err := l.posValidation(MaxEvalRows)
	return counts, err
}

// held tells whether the row of docID is held out of training.
func (s *taskStream) held(docID string) bool {
	return HeldOut(docID) || (s.extraHeld != "" && docID == s.extraHeld)
}

// ensureHeldOut picks the task's row of the smallest doc_id hash as its
// held-out row (for a task where HeldOut picks none): the same row
// whatever the order of the shards' rows. A task of one row keeps it for
// training (and has nothing to be evaluated on).
func (s *taskStream) ensureHeldOut() error {
	best, bestH, n := "", uint64(0), 0
	for _, p := range s.shards {
		rd, err := stream.Open(s.ctx, []string{p}, stream.WithColumns(schema.DocIDColumn))
		if err != nil {
			return err
		}
		for {
			rec, err := rd.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rd.Close()
				return err
			}
			ids := rec.Column(0).(*array.String)
			for i := range int(rec.NumRows()) {
				if ids.IsNull(i) {
					continue
				}
				n++
				if v := docHash(ids.Value(i)); best == "" || v < bestH || (v == bestH && ids.Value(i) < best) {
					best, bestH = ids.Value(i), v
				}
			}
		}
		rd.Close()
	}
	if n >= 2 {
		s.extraHeld = best
	}
	return nil
}

// taskValidation is Validation over the dataset's shard tasks.
func (l *Loader) taskValidation(max int) ([][]example, error) {
	out := make([][]example, len(l.streams))
	for t, s := range l.streams {
		for _, p := range s.shards {
			if len(out[t]) >= max {
				break
			}
			cols := []string{schema.DocIDColumn, s.cfg.TextCol}
			if s.cfg.Objective == ObjectiveRegression {
				cols[1] = s.cfg.VectorCol
			}
			rd, err := stream.Open(s.ctx, []string{p}, stream.WithColumns(cols...))
			if err != nil {
				return nil, err
			}
			for len(out[t]) < max {
				rec, err := rd.Read()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					rd.Close()
					return nil, err
				}
				ids := rec.Column(0).(*array.String)
				for i := 0; i < int(rec.NumRows()) && len(out[t]) < max; i++ {
					if ids.IsNull(i) || !s.held(ids.Value(i)) {
						continue
					}
					ex, _, err := rowExample(rec, i, s.cfg)
					if err != nil {
						err = exampleError(p, rec, i, err)
						rd.Close()
						return nil, err
					}
					out[t] = append(out[t], ex)
				}
			}
			rd.Close()
		}
	}
	return out, nil
}

// batches groups per-task examples into full batches of PerTask examples
// per task, for evaluation: round r holds examples r·B .. (r+1)·B−1 of
// every task, cycling over a task's examples when it has fewer; count
// tells, per round and task, how many of its examples are new (so that
// means count each example once).
func (l *Loader) batches(sets [][]example, seed uint64) ([]*Batch, [][]int, error) {
	b := l.cfg.PerTask
	rounds := 0
	for _, s := range sets {
		rounds = max(rounds, (len(s)+b-1)/b)
	}
	var out []*Batch
	var counts [][]int
	rng := rand.New(rand.NewPCG(seed, 0x6576616c))
	for r := range rounds {
		batch := &Batch{K: l.K, B: b, Seed: stepSeed(seed, -1-r)}
		if l.cfg.Objective == ObjectiveRegression {
			batch.D = l.D
		} else {
			batch.W = l.cfg.Window
		}
		cnt := make([]int, l.K)
		for t, s := range sets {
			if len(s) == 0 {
				return nil, nil, fmt.Errorf("robustdata/train: task %d has no held-out rows to evaluate on", t)
			}
			for j := range b {
				idx := r*b + j
				if idx < len(s) {
					cnt[t]++
				}
				if err := l.add(batch, s[idx%len(s)], rng); err != nil {
					return nil, nil, err
				}
			}
		}
		out = append(out, batch)
		counts = append(counts, cnt)
	}
	return out, counts, nil
}
