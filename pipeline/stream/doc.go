// Package stream streams Arrow record batches between sources and sinks.
//
// Every robustdata stage reads and writes through this package (the substrate
// under the pipeline orchestrator), so that the
// stages chain in one process or across a Unix pipe with the same bytes:
//
//	Parquet file/folder/glob ─┐                                 ┌─▶ .parquet (zstd|snappy, row groups)
//	Arrow IPC stream / file ──┼─▶ Open ─▶ Reader ─▶ stage ─▶ Writer ┼─▶ .arrow (IPC file) / .arrows (IPC stream)
//	JSONL (inferred or given) ┤    │   (arrio.Reader)      (arrio.Writer)├─▶ .jsonl
//	stdin "-" (sniffed) ──────┘    │                                 └─▶ "-": Arrow IPC stream on stdout
//	                               └─ schema check across files, doc_id, --columns, --limit
//
// Readers follow arrow-go's arrio.Reader contract: Read returns the next
// batch, or (nil, io.EOF) at the end. A batch returned by Read is owned by
// the Reader and stays valid until the next call to Read or Close; call
// Retain on it to keep it longer (and Release when done). Writers follow
// arrio.Writer: Write does not take ownership of the batch. Writers commit
// their output on Close (written to a temporary name in the same folder,
// then renamed) and Abort removes it, so a half-written file is never
// visible under its final name.
//
// Problems with the data itself (a missing or truncated file, a broken JSON
// line, schemas that disagree between files) are reported as *DataError,
// which names the file and, where known, the line, row or column. The CLI
// maps them to exit status 3. So is a corrupt Parquet or Arrow IPC file,
// never a panic or an allocation the file does not back: Arrow IPC
// metadata is checked before arrow-go decodes it (every count and length
// bounded by the bytes behind it, compressed sizes checked), every batch
// read from Arrow IPC is checked against its row count and its offsets
// before it is returned, and arrow-go's panics on corrupt files are
// recovered (Parquet columns are read in the caller's goroutine for that),
// the buffers they strand freed at Close.
//
// Memory is bounded by the batch size (WithBatchRows, WithBatchBytes) and
// the Parquet row-group buffer (WithRowGroupBytes), never by the input size.
//
// JSONL is one of its formats beside Parquet and Arrow IPC, not a package
// of its own: a JSONL reader is a Source like the others and needs what
// they share (the options, the schema checks across files, --limit, the
// bad-row rejects, progress, *DataError with line and column); a separate
// package would import this one and this one's Open would import it back.
//
// It imports only pipeline/schema and internal packages: every stage and
// the orchestrator import it (internal/layers checks the direction).
package stream
