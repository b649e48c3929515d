package longtest

import "testing"

func TestSkip(t *testing.T) {
	t.Setenv(Env, "")
	ran := false
	t.Run("off", func(t *testing.T) {
		Skip(t, "test")
		ran = true
	})
	if ran {
		t.Error("a long test ran without " + Env + "=1")
	}
	t.Setenv(Env, "1")
	t.Run("on", func(t *testing.T) {
		Skip(t, "test")
		ran = true
	})
	if !ran {
		t.Error("a long test was skipped with " + Env + "=1")
	}
}
