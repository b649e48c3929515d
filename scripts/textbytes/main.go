// Command textbytes prints the megabytes (10^6 bytes) of text in the text
// column of data files, for the throughput figures of the bench scripts.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/robustdata/robustdata/pipeline/stream"
)

func main() {
	rd, err := stream.Open(context.Background(), os.Args[1:], stream.WithColumns("text"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "textbytes:", err)
		os.Exit(3)
	}
	defer rd.Close()
	var n int64
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "textbytes:", err)
			os.Exit(3)
		}
		col := rec.Column(0).(*array.String)
		o := col.ValueOffsets()
		n += int64(o[len(o)-1] - o[0])
	}
	fmt.Printf("%.1f\n", float64(n)/1e6)
}
