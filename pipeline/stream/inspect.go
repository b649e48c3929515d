package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// FileInfo describes one data file, as `robustdata inspect` reports it.
type FileInfo struct {
	Path    string       `json:"path"`
	Format  string       `json:"format"`
	Bytes   int64        `json:"bytes"`
	Rows    int64        `json:"rows"`
	Columns []ColumnInfo `json:"columns"`
	// Parquet only.
	RowGroups         []RowGroupInfo `json:"row_groups,omitempty"`
	CompressedBytes   int64          `json:"compressed_bytes,omitempty"`
	UncompressedBytes int64          `json:"uncompressed_bytes,omitempty"`
	CreatedBy         string         `json:"created_by,omitempty"`
	// Arrow IPC and JSONL: record batches read.
	Batches int `json:"batches,omitempty"`
}

// ColumnInfo is one column of a FileInfo.
type ColumnInfo struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
	// Codec is the Parquet compression of the column's first chunk.
	Codec string `json:"codec,omitempty"`
}

// RowGroupInfo is one Parquet row group.
type RowGroupInfo struct {
	Rows              int64 `json:"rows"`
	CompressedBytes   int64 `json:"compressed_bytes"`
	UncompressedBytes int64 `json:"uncompressed_bytes"`
}

// InspectFile describes one input. Parquet is described from its footer
// alone; other formats are read through to count their rows.
func InspectFile(ctx context.Context, in Input, opts ...Option) (*FileInfo, error) {
	info := &FileInfo{Path: in.Name, Bytes: in.Size}
	if in.Path != "" && in.Codec == CodecNone && (in.Format == FormatParquet || in.Format == FormatUnknown) {
		f, err := os.Open(in.Path)
		if err != nil {
			return nil, FileError(in.Path, err)
		}
		defer f.Close()
		head := make([]byte, 8)
		n, _ := io.ReadFull(f, head)
		if format, _, _ := sniff(head[:n]); format == FormatParquet || in.Format == FormatParquet {
			if n == 0 {
				return nil, dataErr(in.Name, "empty file: expected parquet")
			}
			return info, inspectParquet(f, in.Name, info)
		}
	}
	rd, err := OpenInputs(ctx, []Input{in}, opts...)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	if mr, ok := rd.(*multiReader); ok {
		if raw, ok := mr.opened[0]; ok {
			info.Format = formatOfReader(raw).String()
		}
	}
	info.Columns = columnInfos(rd.Schema())
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		info.Rows += rec.NumRows()
		info.Batches++
	}
	return info, nil
}

func formatOfReader(r Reader) Format {
	switch r := r.(type) {
	case *parquetReader:
		return FormatParquet
	case *ipcFileReader:
		return FormatIPCFile
	case *ipcStreamReader:
		return FormatIPCStream
	case *projectReader:
		return formatOfReader(r.in)
	case *closingReader:
		return formatOfReader(r.Reader)
	}
	return FormatJSONL
}

func inspectParquet(f *os.File, name string, info *FileInfo) error {
	props := parquet.NewReaderProperties(nil)
	props.BufferedStreamEnabled = true
	pf, err := file.NewParquetReader(f, file.WithReadProps(props))
	if err != nil {
		return &DataError{Source: name, Row: -1, Err: fmt.Errorf("not a valid Parquet file: %w", err)}
	}
	defer pf.Close()
	md := pf.MetaData()
	sc, err := pqarrow.FromParquet(md.Schema, nil, md.KeyValueMetadata())
	if err != nil {
		return &DataError{Source: name, Row: -1, Err: fmt.Errorf("unsupported Parquet schema: %w", err)}
	}
	info.Format = FormatParquet.String()
	info.Rows = md.NumRows
	info.CreatedBy = md.GetCreatedBy()
	info.Columns = columnInfos(sc)
	for rg := 0; rg < md.NumRowGroups(); rg++ {
		rgm := md.RowGroup(rg)
		ri := RowGroupInfo{Rows: rgm.NumRows()}
		for i := 0; i < rgm.NumColumns(); i++ {
			cc, err := rgm.ColumnChunk(i)
			if err != nil {
				return &DataError{Source: name, Row: -1, Err: fmt.Errorf("bad Parquet metadata: %w", err)}
			}
			ri.CompressedBytes += cc.TotalCompressedSize()
			ri.UncompressedBytes += cc.TotalUncompressedSize()
			if rg == 0 && i < len(info.Columns) && md.Schema.NumColumns() == len(info.Columns) {
				info.Columns[i].Codec = cc.Compression().String()
			}
		}
		info.CompressedBytes += ri.CompressedBytes
		info.UncompressedBytes += ri.UncompressedBytes
		info.RowGroups = append(info.RowGroups, ri)
	}
	return nil
}

func columnInfos(sc *arrow.Schema) []ColumnInfo {
	out := make([]ColumnInfo, sc.NumFields())
	for i, f := range sc.Fields() {
		out[i] = ColumnInfo{Name: f.Name, Type: f.Type.String(), Nullable: f.Nullable}
	}
	return out
}
