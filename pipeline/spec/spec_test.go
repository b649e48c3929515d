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

func TestListSetting(t *testing.T) {
	noX := func(v any) bool {
		for _, s := range v.([]string) {
			if s == "x" {
				return false
			}
		}
		return true
	}
	list := Setting{Key: "sets", Default: []string(nil), Check: noX, Allow: "items but x"}
	if !list.IsList() || (Setting{Default: "a"}).IsList() {
		t.Error("IsList")
	}
	if got := list.Validate([]string{"a", "x"}); got != "items but x" {
		t.Errorf("Validate: %q", got)
	}
	if got := list.Validate([]string{"a", "b"}); got != "" {
		t.Errorf("Validate: %q", got)
	}
	for v, want := range map[*[]string]string{{"a", "x", "b"}: `"x"`, {"a"}: `["a"]`, {}: `[]`} {
		if got := list.Show(*v); got != want {
			t.Errorf("Show(%q) = %s, want %s", *v, got, want)
		}
	}
	if got := (Setting{Default: "a"}).Show("b c"); got != `"b c"` {
		t.Errorf("Show of a string: %s", got)
	}
	if got := Format(0.5); got != "0.5" {
		t.Errorf("Format: %s", got)
	}
}
