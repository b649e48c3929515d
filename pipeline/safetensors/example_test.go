package safetensors_test

import (
	"bytes"
	"fmt"

	"github.com/robustdata/robustdata/pipeline/safetensors"
)

func Example() {
	var buf bytes.Buffer
	err := safetensors.Write(&buf, &safetensors.File{
		Metadata: map[string]string{"model": "tfidf"},
		Tensors: []safetensors.Tensor{
			safetensors.F32("idf", []int64{3}, []float32{0.5, 1.25, 2}),
			safetensors.I64("vocab_ids", []int64{3}, []int64{7, 8, 9}),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	f, err := safetensors.Read(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	t, _ := f.Tensor("idf")
	idf, err := t.Float32s()
	fmt.Println(f.Metadata["model"], t.DType, t.Shape, idf, err)

	_, err = t.Int64s()
	fmt.Println(err)
	// Output:
	// tfidf F32 [3] [0.5 1.25 2] <nil>
	// safetensors: tensor "idf": Int64s needs dtype I64, tensor is "F32"
}
