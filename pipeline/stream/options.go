package stream

import (
	"io"
	"log/slog"
	"runtime"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Compression names a Parquet compression codec.
type Compression string

// The Parquet codecs a sink can write.
const (
	Zstd         Compression = "zstd"
	Snappy       Compression = "snappy"
	Uncompressed Compression = "none"
)

// Defaults of the options below.
const (
	DefaultBatchRows     = 8192
	DefaultBatchBytes    = 32 << 20
	DefaultInferRows     = 1000
	DefaultRowGroupRows  = 1 << 20
	DefaultRowGroupBytes = 32 << 20
	DefaultDocIDColumn   = "doc_id"
)

// Option configures sources and sinks. Options that do not apply to a
// given source or sink are ignored by it.
type Option func(*config)

type config struct {
	mem              memory.Allocator
	batchRows        int
	batchBytes       int64
	schema           *arrow.Schema
	inferRows        int
	columns          []string
	docID            string
	limit            int64
	stdin            io.Reader
	stdout           io.Writer
	tempDir          string
	compression      Compression
	compressionLevel int
	rowGroupRows     int64
	rowGroupBytes    int64
	logger           *slog.Logger
	progress         func(bytes int64)
	decoders         int
}

func newConfig(opts ...Option) *config {
	c := &config{
		mem:              memory.DefaultAllocator,
		batchRows:        DefaultBatchRows,
		batchBytes:       DefaultBatchBytes,
		inferRows:        DefaultInferRows,
		limit:            -1,
		compression:      Zstd,
		compressionLevel: 1,
		rowGroupRows:     DefaultRowGroupRows,
		rowGroupBytes:    DefaultRowGroupBytes,
		logger:           slog.New(slog.DiscardHandler),
		decoders:         min(runtime.GOMAXPROCS(0), MaxDecoders),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithAllocator sets the allocator for every buffer a source or sink makes.
// Default: memory.DefaultAllocator.
func WithAllocator(mem memory.Allocator) Option { return func(c *config) { c.mem = mem } }

// WithBatchRows bounds the rows in one batch a source returns.
// Default: DefaultBatchRows (8192).
func WithBatchRows(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.batchRows = n
		}
	}
}

// WithBatchBytes bounds the text bytes in one batch a line-oriented source
// (JSONL) returns; a batch ends at whichever of rows or bytes comes first.
// Default: DefaultBatchBytes (32 MiB).
func WithBatchBytes(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.batchBytes = n
		}
	}
}

// WithSchema gives the schema of JSONL input instead of inferring it.
// Default: inferred from the first WithInferRows lines.
func WithSchema(s *arrow.Schema) Option { return func(c *config) { c.schema = s } }

// WithInferRows sets how many lines of JSONL input the schema is inferred
// from. Default: DefaultInferRows (1000).
func WithInferRows(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.inferRows = n
		}
	}
}

// WithColumns keeps only the named columns, in that order (Parquet reads
// only their column chunks). Default: all columns.
func WithColumns(names ...string) Option {
	return func(c *config) { c.columns = append([]string(nil), names...) }
}

// WithDocID adds a string column of that name holding a stable document id
// when the input has no column of that name. The id is the input's name
// (the path as given or as found under a folder or glob, "stdin" for "-")
// and the row's 0-based position in that input, joined by ':', for example
// "corpus/part-0.parquet:1234". It is unique within a run even when two rows
// hold the same text, and the same on every run over the same paths.
// Default: no id column is added. Use DefaultDocIDColumn as the name.
func WithDocID(name string) Option { return func(c *config) { c.docID = name } }

// WithLimit stops a source after n rows. Default: no limit.
func WithLimit(n int64) Option { return func(c *config) { c.limit = n } }

// WithStdin sets what "-" reads. Default: none ("-" is an error).
func WithStdin(r io.Reader) Option { return func(c *config) { c.stdin = r } }

// WithStdout sets where "-" writes. Default: none ("-" is an error).
func WithStdout(w io.Writer) Option { return func(c *config) { c.stdout = w } }

// MaxDecoders is the most row groups a Parquet source decodes at once by
// default.
const MaxDecoders = 4

// WithDecoders sets how many row groups of a Parquet file are decoded at
// once, each in a goroutine of its own, ahead of the reader (at most two
// batches each). Batches never span row groups, so the batches and rows a
// source returns do not depend on it. Default: GOMAXPROCS, at most
// MaxDecoders.
func WithDecoders(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.decoders = n
		}
	}
}

// WithTempDir sets where Parquet read from stdin is spooled.
// Default: os.TempDir().
func WithTempDir(dir string) Option { return func(c *config) { c.tempDir = dir } }

// WithCompression sets the Parquet codec of a sink. Default: Zstd.
func WithCompression(codec Compression) Option { return func(c *config) { c.compression = codec } }

// WithCompressionLevel sets the codec's level (zstd: 1 fastest to 22
// smallest). Default: 1, which writes text about twice as fast as zstd's
// default level 3 for files a few percent larger.
func WithCompressionLevel(level int) Option { return func(c *config) { c.compressionLevel = level } }

// WithRowGroupRows bounds the rows of one Parquet row group.
// Default: DefaultRowGroupRows (1,048,576).
func WithRowGroupRows(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.rowGroupRows = n
		}
	}
}

// WithRowGroupBytes bounds the memory (Arrow buffers, uncompressed) that
// one Parquet row group holds; the sink holds at most two row groups (one
// filling, one being written), so this bounds its memory.
// Default: DefaultRowGroupBytes (32 MiB).
func WithRowGroupBytes(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.rowGroupBytes = n
		}
	}
}

// WithLogger sets the logger for debug messages. Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithProgress registers a function called with the number of input bytes
// consumed since its last call, for progress display. Default: none.
func WithProgress(f func(bytes int64)) Option { return func(c *config) { c.progress = f } }

// ToolVersion is the version of robustdata recorded in manifests.
const ToolVersion = "0.1.0-dev"
