package stream

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// Split is work unit Index of Count (0 <= Index < Count), as --split I/N
// names it: the share of the inputs one worker reads.
type Split struct{ Index, Count int }

// ParseSplit reads I/N (0 <= I < N).
func ParseSplit(s string) (Split, error) {
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(i)
	b, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 0 || a >= b {
		return Split{}, fmt.Errorf("--split must be I/N with 0 <= I < N, not %q", s)
	}
	return Split{a, b}, nil
}

// String writes the split as I/N.
func (s Split) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// piece is a part of the inputs no unit splits: a Parquet row group, or a
// whole file of another format.
type piece struct {
	in       int // index in the sorted inputs
	group    int // row group (-1: the whole file)
	firstRow int64
	bytes    int64
}

// SplitUnits splits inputs into n work units of about equal size,
// deterministically: the inputs in name order, each uncompressed Parquet
// file cut at its row groups (read from its footer), every other input
// whole, and piece j, of bytes b_j after C_j bytes of pieces before it,
// going to unit ⌊n·(C_j + b_j/2)/total⌋. Unit i lists its inputs, a
// Parquet file's consecutive row groups as one Input with Groups set. The
// same files give the same units whatever order they are named in; a unit
// may be empty when there are fewer pieces than units. Standard input
// cannot be split.
func SplitUnits(inputs []Input, n int) ([][]Input, error) {
	if n < 1 {
		return nil, fmt.Errorf("robustdata/pipeline: %d work units", n)
	}
	sorted := slices.Clone(inputs)
	slices.SortStableFunc(sorted, func(a, b Input) int { return strings.Compare(a.Name, b.Name) })
	var pieces []piece
	var total int64
	for i, in := range sorted {
		if in.Path == "" {
			return nil, dataErr(in.Name, "standard input cannot be split into work units: give files")
		}
		if in.Format != FormatParquet || in.Codec != CodecNone {
			pieces = append(pieces, piece{in: i, group: -1, bytes: max(in.Size, 1)})
			total += max(in.Size, 1)
			continue
		}
		groups, err := rowGroupSizes(in)
		if err != nil {
			return nil, err
		}
		var row int64
		for g, rg := range groups {
			b := max(rg.bytes, 1)
			pieces = append(pieces, piece{in: i, group: g, firstRow: row, bytes: b})
			row += rg.rows
			total += b
		}
	}
	units := make([][]Input, n)
	var before int64
	for _, p := range pieces {
		u := int(min(int64(n-1), (int64(n)*(2*before+p.bytes))/(2*total)))
		before += p.bytes
		in := sorted[p.in]
		if p.group < 0 {
			units[u] = append(units[u], in)
			continue
		}
		if last := len(units[u]) - 1; last >= 0 && units[u][last].Path == in.Path && units[u][last].Groups.End == p.group {
			units[u][last].Groups.End++
			units[u][last].Size += p.bytes
			continue
		}
		in.Groups = RowGroups{First: p.group, End: p.group + 1, FirstRow: p.firstRow}
		in.Size = p.bytes
		units[u] = append(units[u], in)
	}
	return units, nil
}

// groupSize is a row group's rows and compressed bytes.
type groupSize struct{ rows, bytes int64 }

// rowGroupSizes reads a Parquet file's footer: its row groups' sizes.
func rowGroupSizes(in Input) ([]groupSize, error) {
	pf, err := file.OpenParquetFile(in.Path, false)
	if err != nil {
		return nil, dataErr(in.Name, "not a valid Parquet file: %v", err)
	}
	defer pf.Close()
	md := pf.MetaData()
	out := make([]groupSize, md.NumRowGroups())
	for g := range out {
		rg := md.RowGroup(g)
		out[g].rows = rg.NumRows()
		for c := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				return nil, dataErr(in.Name, "bad Parquet metadata: %v", err)
			}
			out[g].bytes += cc.TotalCompressedSize()
		}
	}
	return out, nil
}
