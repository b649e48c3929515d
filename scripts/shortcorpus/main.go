// Command shortcorpus writes the deterministic short-document corpus of
// the per-row benchmarks (scripts/shortcorpus/rowbench): the shipped fortunes texts
// repeated, copy c's texts ending with " #c".
//
//	go run ./scripts/shortcorpus -docs 4000000 -o /tmp/short-4m.parquet
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/robustdata/robustdata/scripts/shortcorpus/rowbench"
)

func main() {
	docs := flag.Int("docs", rowbench.DefaultDocs, "documents to write")
	out := flag.String("o", "", "output file (.parquet, .arrows, .jsonl…)")
	src := flag.String("src", rowbench.Fortunes, "the Parquet corpus the texts are taken from")
	flag.Parse()
	if *out == "" || *docs < 1 {
		fmt.Fprintln(os.Stderr, "shortcorpus: give -o FILE and -docs N >= 1")
		os.Exit(2)
	}
	if err := rowbench.Write(context.Background(), *src, *docs, *out); err != nil {
		fmt.Fprintln(os.Stderr, "shortcorpus:", err)
		os.Exit(1)
	}
}
