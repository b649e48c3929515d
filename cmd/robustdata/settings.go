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
		name := s.FlagName()
		if r, ok := rename[s.Key]; ok {
			name = r
		}
		v := settingValue{pipeline.SettingField(sec, s.Key)}
		fl := cmd.Flags().VarPF(v, name, "", s.Help)
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
		name := s.FlagName()
		if r, ok := rename[s.Key]; ok {
			name = r
		}
		f := pipeline.SettingField(sec, s.Key)
		if msg := s.Validate(f.Interface()); msg != "" {
			shown := settingValue{f}.String()
			if f.Kind() == reflect.String {
				shown = strconv.Quote(shown)
			}
			return usagef("--%s must be %s, not %s", name, msg, shown)
		}
	}
	return nil
}

// settingValue is a pflag.Value bound to a settings field.
type settingValue struct{ v reflect.Value }

func (f settingValue) String() string {
	switch f.v.Kind() {
	case reflect.Float64:
		return strconv.FormatFloat(f.v.Float(), 'g', -1, 64)
	case reflect.String:
		return f.v.String()
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
	default:
		f.v.SetString(s)
	}
	return nil
}

// Type is the flag's type in help: int, int64, float64, bool or string.
func (f settingValue) Type() string { return f.v.Kind().String() }

// isBool tells whether the setting is a bool.
func (f settingValue) isBool() bool { return f.v.Kind() == reflect.Bool }
