package main

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/spec"
)

// bindSettings registers a flag for each of st's settings named in keys
// (all of them when keys is empty, those with no flag left out), bound to
// the setting's field of sec: a run config section holding the defaults
// (pipeline.DefaultRunConfig's). rename gives a flag another name.
func bindSettings(cmd *cobra.Command, st spec.Stage, sec any, rename map[string]string, keys ...string) {
	for _, s := range st.Settings {
		if s.Flag == "-" || (len(keys) > 0 && !slices.Contains(keys, s.Key)) {
			continue
		}
		v := settingValue{pipeline.SettingField(sec, s.Key)}
		fl := cmd.Flags().VarPF(v, flagName(s, rename), "", s.Help)
		if v.isBool() {
			fl.NoOptDefVal = "true" // --x means --x=true, as for pflag's own bool flags
		}
	}
}

// checkSettings checks the values of st's settings in sec (those named in
// keys, or all), as a run config's are checked: a usage error naming the
// flag.
func checkSettings(st spec.Stage, sec any, rename map[string]string, keys ...string) error {
	for _, s := range st.Settings {
		if s.Flag == "-" || (len(keys) > 0 && !slices.Contains(keys, s.Key)) {
			continue
		}
		v := pipeline.SettingField(sec, s.Key).Interface()
		if msg := s.Validate(v); msg != "" {
			return usagef("--%s must be %s, not %s", flagName(s, rename), msg, s.Show(v))
		}
	}
	return nil
}

// flagName is s's flag name, or rename's for it.
func flagName(s spec.Setting, rename map[string]string) string {
	if r, ok := rename[s.Key]; ok {
		return r
	}
	return s.FlagName()
}

// settingValue is a pflag.Value bound to a settings field.
type settingValue struct{ v reflect.Value }

func (f settingValue) String() string {
	switch f.v.Kind() {
	case reflect.Float64:
		return strconv.FormatFloat(f.v.Float(), 'g', -1, 64)
	case reflect.String:
		return f.v.String()
	case reflect.Slice:
		return spec.Format(f.v.Interface())
	}
	return fmt.Sprint(f.v.Interface())
}

func (f settingValue) Set(s string) error {
	switch f.v.Kind() {
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return err // as pflag's own int flags say it
		}
		f.v.SetInt(i)
	case reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		f.v.SetFloat(x)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		f.v.SetBool(b)
	case reflect.Slice: // a list flag takes one item a time
		f.v.Set(reflect.Append(f.v, reflect.ValueOf(s)))
	default:
		f.v.SetString(s)
	}
	return nil
}

// Type is the flag's type in help: int, int64, float64, bool, string or
// stringArray (a list, one item a flag).
func (f settingValue) Type() string {
	if f.v.Kind() == reflect.Slice {
		return "stringArray"
	}
	return f.v.Kind().String()
}

// isBool tells whether the setting is a bool.
func (f settingValue) isBool() bool { return f.v.Kind() == reflect.Bool }
