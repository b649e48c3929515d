package spec

import "testing"

func TestValidate(t *testing.T) {
	dim := Setting{Key: "dim", Default: 96, Min: 1, Max: 4096}
	sample := Setting{Key: "sample", Default: 100, Min: 2}
	lr := Setting{Key: "lr", Default: 0.001, Check: func(v any) bool { return v.(float64) > 0 }, Allow: "positive"}
	eta := Setting{Key: "eta", Default: 0.0}
	obj := Setting{Key: "objective", Default: "a", Choices: []string{"a", "b"}}
	for _, c := range []struct {
		s    Setting
		v    any
		want string
	}{
		{dim, 96, ""}, {dim, 0, "1..4096"}, {dim, 4097, "1..4096"}, {dim, 4096, ""},
		{sample, 2, ""}, {sample, 1, "at least 2"},
		{lr, 0.5, ""}, {lr, 0.0, "positive"},
		{eta, 0.0, ""}, {eta, -1.0, "at least 0"},
		{obj, "b", ""}, {obj, "c", "a or b"},
	} {
		if got := c.s.Validate(c.v); got != c.want {
			t.Errorf("%s = %v: %q, want %q", c.s.Key, c.v, got, c.want)
		}
	}
	if f := (Setting{Key: "max_iter"}).FlagName(); f != "max-iter" {
		t.Errorf("flag %q", f)
	}
	if f := (Setting{Key: "sample", Flag: "features-sample"}).FlagName(); f != "features-sample" {
		t.Errorf("flag %q", f)
	}
	st := Stage{Name: "s", Settings: []Setting{dim, sample}}
	if st.Lookup("sample") == nil || st.Lookup("nope") != nil {
		t.Error("Lookup")
	}
}
