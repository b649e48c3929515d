package train

import "github.com/robustdata/robustdata/pipeline/spec"

// EvalSettings are the eval stage's settings (the run config's eval
// section; the eval command's flags of the same names).
var EvalSettings = spec.Stage{
	Name: "eval",
	Help: "evaluation of the runs (robustdata eval): per-task loss on the held-out rows, and linear probes",
	Settings: []spec.Setting{
		{Key: "downstream", Default: []string(nil), Output: true,
			Check: func(v any) bool {
				list, _ := v.([]string)
				_, err := ParseDownstreams(list)
				return err == nil
			},
			Allow: "NAME=PATH[:LABELCOL] items with distinct names",
			Help:  "labelled downstream sets NAME=PATH[:LABELCOL] (label column \"label\" when not given) that a linear probe is fitted on with each run's model (repeatable flag)"},
	},
}
