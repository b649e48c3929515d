package dataset

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// TestShardKeepFeatures: shards carry the input columns, task and
// task_distance, and the pattern and semantic columns only with
// KeepFeatures (issue 16); the rows are the same either way.
func TestShardKeepFeatures(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: schema.DocIDColumn, Type: arrow.BinaryTypes.String},
		{Name: schema.TextColumn, Type: arrow.BinaryTypes.String},
		{Name: schema.PatternColumn, Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32)},
		{Name: schema.SemanticColumn, Type: arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32)},
		stream.RejectField,
		{Name: schema.TaskColumn, Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: schema.DistanceColumn, Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	}, nil)
	const n, k = 50, 3
	for _, keep := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "keep"}[keep], func(t *testing.T) {
			mem := shardMem(t)
			b := array.NewRecordBuilder(mem, sc)
			for i := range n {
				b.Field(0).(*array.StringBuilder).Append(string(rune('a'+i%26)) + string(rune('0'+i/26)))
				b.Field(1).(*array.StringBuilder).Append("text")
				for c, d := range []int{2, 3} {
					lb := b.Field(2 + c).(*array.FixedSizeListBuilder)
					lb.Append(true)
					for j := range d {
						lb.ValueBuilder().(*array.Float32Builder).Append(float32(i*10 + j))
					}
				}
				b.Field(4).AppendNull()
				b.Field(5).(*array.Int32Builder).Append(int32(i % k))
				b.Field(6).(*array.Float32Builder).Append(float32(i) / 2)
			}
			rec := b.NewRecordBatch()
			b.Release()
			src := &memReader{schema: sc, recs: []arrow.RecordBatch{rec}, errAt: -1}
			defer src.Close()
			dir := filepath.Join(t.TempDir(), "ds")
			m, err := WriteShards(context.Background(), src, dir, ShardOptions{Tasks: k, KeepFeatures: keep, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{schema.DocIDColumn, schema.TextColumn, schema.RejectColumn, schema.TaskColumn, schema.DistanceColumn}
			if keep {
				want = []string{schema.DocIDColumn, schema.TextColumn, schema.PatternColumn, schema.SemanticColumn, schema.RejectColumn, schema.TaskColumn, schema.DistanceColumn}
			}
			var rows int64
			for _, mt := range m.Tasks {
				for _, sh := range mt.Shards {
					rd, err := stream.Open(context.Background(), []string{filepath.Join(dir, sh.Path)}, stream.WithAllocator(mem))
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, f := range rd.Schema().Fields() {
						got = append(got, f.Name)
					}
					if !slices.Equal(got, want) {
						t.Errorf("%s: columns %v, want %v", sh.Path, got, want)
					}
					for {
						r, err := rd.Read()
						if errors.Is(err, io.EOF) {
							break
						}
						if err != nil {
							t.Fatal(err)
						}
						tasks := r.Column(r.Schema().FieldIndices(schema.TaskColumn)[0]).(*array.Int32)
						for i := 0; i < tasks.Len(); i++ {
							if int(tasks.Value(i)) != mt.Task {
								t.Errorf("%s: row of task %d", sh.Path, tasks.Value(i))
							}
						}
						rows += r.NumRows()
					}
					rd.Close()
				}
			}
			if rows != n || m.TotalRows != n {
				t.Errorf("%d rows in the shards, manifest %d, want %d", rows, m.TotalRows, n)
			}
			if _, err := Verify(context.Background(), dir); err != nil {
				t.Errorf("verify: %v", err)
			}
		})
	}
}
