package report

import "github.com/robustdata/robustdata/pipeline/spec"

// Settings are the report stage's settings (the run config's report
// section; the report command's flags of the same names).
var Settings = spec.Stage{
	Name: "report",
	Help: "the HTML report of the dataset and its runs (robustdata report), OUTPUT/report.html",
	Settings: []spec.Setting{
		{Key: "sample", Default: DefaultSampleRows, Min: 1, Output: true,
			Help: "most rows drawn evenly from the shards for the projection, terms and examples"},
		{Key: "label_col", Default: "", Output: true,
			Help: "the label column to compare the tasks with (empty: the partition's, else \"label\" when the shards have it)"},
	},
}
