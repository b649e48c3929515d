// Package longtest marks the slow end-to-end, quality and soak tests that
// `make test` leaves out and `make test-long` runs.
//
// A long test calls Skip first:
//
//	func TestNearestNeighbourQuality(t *testing.T) {
//		longtest.Skip(t, "fits LSA on the whole fortunes corpus three times")
//		...
//	}
//
// It runs only when the environment variable ROBUSTDATA_LONG is 1 (what
// `make test-long` sets). An environment variable rather than a test flag,
// because `go test ./... -long` fails in every package that does not
// define the flag.
package longtest

import (
	"os"
	"testing"
)

// Env is the environment variable that turns the long tests on.
const Env = "ROBUSTDATA_LONG"

// Enabled reports whether the long tests run (ROBUSTDATA_LONG=1).
func Enabled() bool { return os.Getenv(Env) == "1" }

// Skip skips t unless the long tests run; why says what makes it long.
func Skip(t testing.TB, why string) {
	t.Helper()
	if !Enabled() {
		t.Skipf("long test (%s): run with make test-long or %s=1", why, Env)
	}
}
