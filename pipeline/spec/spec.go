// Package spec declares a stage's settings once, as data: name, type,
// default, allowed range, help, and whether the setting changes the
// stage's output (and so belongs in its fingerprint). The run config's
// YAML keys, their validation, their defaults, the fingerprints and the
// generated reference (docs/config.md) come from these declarations; the
// CLI builds its flags from them. It imports nothing of the module.
package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Setting is one setting of a stage.
type Setting struct {
	// Key is the YAML key inside the stage's section ("max_iter";
	// "weights.pattern" for a nested one).
	Key string
	// Flag is the CLI flag's name when it is not Key with "_" as "-".
	Flag string
	// Default is the value when nothing sets it: an int, int64, float64,
	// string, bool or []string (a list, empty by default, that a flag
	// takes one item at a time), which is also the setting's type.
	Default any
	// Min and Max bound a number (Max 0: no upper bound).
	Min, Max float64
	// Choices are a string's allowed values (none: any string).
	Choices []string
	// Help says what the setting does, in one line.
	Help string
	// Output tells that the setting changes the stage's output: it is in
	// the stage's fingerprint, so changing it reruns the stage.
	Output bool
	// Check, when set, tells whether a value is allowed, and Allow then
	// says which are ("positive", "in [0, 1)"), as "must be …" completes
	// it; Min, Max and Choices are not used.
	Check func(v any) bool
	Allow string
}

// IsList tells whether the setting is a list of strings.
func (s Setting) IsList() bool {
	_, ok := s.Default.([]string)
	return ok
}

// FlagName is the setting's CLI flag name.
func (s Setting) FlagName() string {
	if s.Flag != "" {
		return s.Flag
	}
	return strings.ReplaceAll(s.Key, "_", "-")
}

// Allowed describes the allowed values ("1..4096", "at least 2",
// "lsa, vectors=FILE or column=NAME"), "" when any value of the type is.
func (s Setting) Allowed() string {
	switch {
	case s.Check != nil:
		return s.Allow
	case len(s.Choices) > 0:
		return OrList(s.Choices)
	case !IsNumber(s.Default):
		return ""
	case s.Max != 0 && IsWhole(s.Default):
		return fmt.Sprintf("%s..%s", num(s.Min), num(s.Max))
	case s.Max != 0:
		return fmt.Sprintf("%s to %s", num(s.Min), num(s.Max))
	case s.Min == 0 && !IsWhole(s.Default):
		return "at least 0"
	}
	return "at least " + num(s.Min)
}

// Validate tells what is wrong with v ("" when it is allowed), as
// "<key>: must be <what>, got <v>" completes it.
func (s Setting) Validate(v any) string {
	if s.Check != nil {
		if f, ok := toFloat(v); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return "finite"
		}
		if !s.Check(v) {
			return s.Allow
		}
		return ""
	}
	if len(s.Choices) > 0 {
		str, _ := v.(string)
		for _, c := range s.Choices {
			if c == str {
				return ""
			}
		}
		return OrList(s.Choices)
	}
	if f, ok := toFloat(v); ok && IsNumber(s.Default) {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < s.Min || (s.Max != 0 && f > s.Max) {
			return s.Allowed()
		}
	}
	return ""
}

// Stage is the settings of one stage, as its run config section.
type Stage struct {
	// Name is the section's key ("features").
	Name string
	// Help says what the stage does.
	Help string
	// Settings are the stage's settings, in the order the reference
	// lists them.
	Settings []Setting
}

// Lookup returns the setting of key, or nil.
func (st Stage) Lookup(key string) *Setting {
	for i := range st.Settings {
		if st.Settings[i].Key == key {
			return &st.Settings[i]
		}
	}
	return nil
}

// OrList joins choices as "a, b or c".
func OrList(choices []string) string {
	if len(choices) == 1 {
		return choices[0]
	}
	return strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
}

// IsNumber tells whether v is an int, int64 or float64.
func IsNumber(v any) bool {
	_, ok := toFloat(v)
	return ok
}

// IsWhole tells whether v is an int or int64.
func IsWhole(v any) bool {
	switch v.(type) {
	case int, int64:
		return true
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// num writes a bound as a number is written in YAML.
func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Show writes a value s refuses as an error message quotes it: a string
// quoted, a list by its first item that is wrong on its own (else the
// whole list), a number as it is.
func (s Setting) Show(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []string:
		for _, item := range x {
			if s.Validate([]string{item}) != "" {
				return strconv.Quote(item)
			}
		}
	}
	return Format(v)
}

// Format writes a value as the reference and the example config show it.
func Format(v any) string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return `""`
		}
		return x
	case float64:
		return num(x)
	case []string:
		quoted := make([]string, len(x))
		for i, item := range x {
			quoted[i] = strconv.Quote(item)
		}
		return "[" + strings.Join(quoted, ", ") + "]"
	}
	return fmt.Sprint(v)
}
