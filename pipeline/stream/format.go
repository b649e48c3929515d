package stream

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
)

// Format is a file format a source reads or a sink writes.
type Format int

// The formats robustdata reads and writes.
const (
	// FormatUnknown is a name without a known extension; sources sniff its
	// content.
	FormatUnknown Format = iota
	// FormatParquet is Apache Parquet (.parquet, .pq).
	FormatParquet
	// FormatIPCFile is the Arrow IPC file format (.arrow, .feather, .ipc).
	FormatIPCFile
	// FormatIPCStream is the Arrow IPC stream format (.arrows, and stdin/stdout).
	FormatIPCStream
	// FormatJSONL is one JSON object per line (.jsonl, .ndjson).
	FormatJSONL
)

// String returns the format's name as the CLI prints it.
func (f Format) String() string {
	switch f {
	case FormatParquet:
		return "parquet"
	case FormatIPCFile:
		return "arrow-file"
	case FormatIPCStream:
		return "arrow-stream"
	case FormatJSONL:
		return "jsonl"
	}
	return "unknown"
}

// Codec is a whole-file compression wrapped around a line-oriented format
// (gzip or zstd around JSONL, as corpora are often shipped).
type Codec int

// The whole-file codecs.
const (
	CodecNone Codec = iota
	CodecGzip
	CodecZstd
)

// FormatOf tells the format and whole-file codec from a path's extension,
// for example "corpus.jsonl.zst" → (FormatJSONL, CodecZstd). It returns
// FormatUnknown for names it does not know.
func FormatOf(path string) (Format, Codec) {
	name := strings.ToLower(filepath.Base(path))
	codec := CodecNone
	switch {
	case strings.HasSuffix(name, ".gz"):
		codec, name = CodecGzip, strings.TrimSuffix(name, ".gz")
	case strings.HasSuffix(name, ".zst"):
		codec, name = CodecZstd, strings.TrimSuffix(name, ".zst")
	}
	switch filepath.Ext(name) {
	case ".parquet", ".pq":
		return FormatParquet, codec
	case ".arrow", ".feather", ".ipc":
		return FormatIPCFile, codec
	case ".arrows":
		return FormatIPCStream, codec
	case ".jsonl", ".ndjson":
		return FormatJSONL, codec
	}
	return FormatUnknown, codec
}

var (
	magicParquet = []byte("PAR1")
	magicIPCFile = []byte("ARROW1")
	magicIPCCont = []byte{0xff, 0xff, 0xff, 0xff}
	magicGzip    = []byte{0x1f, 0x8b}
	magicZstd    = []byte{0x28, 0xb5, 0x2f, 0xfd}
	bomUTF8      = []byte{0xef, 0xbb, 0xbf}
)

// sniff tells a format, or a whole-file codec, from the first bytes of a
// stream. head holds up to 8 bytes.
func sniff(head []byte) (Format, Codec, error) {
	switch {
	case len(head) == 0:
		return FormatUnknown, CodecNone, fmt.Errorf("empty input: expected Parquet, Arrow IPC or JSONL")
	case bytes.HasPrefix(head, magicGzip):
		return FormatUnknown, CodecGzip, nil
	case bytes.HasPrefix(head, magicZstd):
		return FormatUnknown, CodecZstd, nil
	case bytes.HasPrefix(head, magicParquet):
		return FormatParquet, CodecNone, nil
	case bytes.HasPrefix(head, magicIPCFile):
		return FormatIPCFile, CodecNone, nil
	case bytes.HasPrefix(head, magicIPCCont):
		return FormatIPCStream, CodecNone, nil
	}
	t := bytes.TrimPrefix(head, bomUTF8)
	t = bytes.TrimLeft(t, " \t\r\n")
	if len(t) > 0 && t[0] == '{' {
		return FormatJSONL, CodecNone, nil
	}
	if len(t) == 0 && len(head) < 8 {
		return FormatUnknown, CodecNone, fmt.Errorf("empty input: expected Parquet, Arrow IPC or JSONL")
	}
	if len(t) == 0 {
		// Leading white space longer than the sniffed head: JSONL is the
		// only format that allows it.
		return FormatJSONL, CodecNone, nil
	}
	return FormatUnknown, CodecNone, fmt.Errorf("not Parquet, Arrow IPC or JSONL (starts with %q)", head)
}
