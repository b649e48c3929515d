package partition

import (
	"math"
	"strings"
	"testing"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// checkFinite refuses exactly NaN and ±Inf, naming the column and the
// value's position; every finite float32 (extremes and subnormals) passes.
func TestCheckFinite(t *testing.T) {
	finite := []float32{0, float32(math.Copysign(0, -1)), 1, -1, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-40}
	if err := checkFinite(nil, -1, 0, finite, finite, "in.arrows"); err != nil {
		t.Fatalf("finite values refused: %v", err)
	}
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0x7fc00001), math.Float32frombits(0xff800001)} {
		for k, col := range []string{PatternColumn, SemanticColumn} {
			vals := [2][]float32{append([]float32(nil), finite...), append([]float32(nil), finite...)}
			vals[k][3] = bad
			err := checkFinite(nil, -1, 0, vals[0], vals[1], "in.arrows")
			if !stream.IsDataError(err) {
				t.Fatalf("%v in %s: error %v, want a DataError", bad, col, err)
			}
			if msg := err.Error(); !strings.Contains(msg, col) || !strings.Contains(msg, "value 3 is") || !strings.Contains(msg, "in.arrows") {
				t.Errorf("%v in %s: message %q does not name the file, column and position", bad, col, msg)
			}
		}
	}
}
