package stream

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// TestWritersSumWhatTheyWrite checks Summer against the file on disk.
func TestWritersSumWhatTheyWrite(t *testing.T) {
	mem := checkedMem(t)
	recs := makeBatches(t, mem, 300, 64)
	defer releaseAll(recs)
	for _, format := range roundTripFormats {
		p := filepath.Join(t.TempDir(), "x."+format)
		w, err := Create(p, testSchema(), WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			w.Write(r)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		n, sum := w.(Summer).Sum()
		data, _ := os.ReadFile(p)
		h := sha256.Sum256(data)
		if n != int64(len(data)) || sum != hex.EncodeToString(h[:]) {
			t.Errorf("%s: Sum() = %d %s, file has %d bytes, sha256 %x", format, n, sum, len(data), h)
		}
	}
}
