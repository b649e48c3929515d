package dataset

import "github.com/robustdata/robustdata/pipeline/spec"

// Settings are the shard settings (the run config's shard section; the
// shard and partition commands' flags of the same names).
var Settings = spec.Stage{
	Name: "shard",
	Help: "shard files of the dataset",
	Settings: []spec.Setting{
		{Key: "max_rows", Default: int64(DefaultMaxRows), Min: 1, Output: true,
			Help: "start a new shard file after this many rows of a task"},
		{Key: "max_bytes", Default: int64(DefaultMaxBytes), Min: 1, Output: true,
			Help: "start a new shard file after about this many bytes of a task (uncompressed)"},
		{Key: "keep_features", Default: false, Output: true,
			Help: "keep the pattern and semantic feature columns in the shards (default: input columns, task and task_distance only)"},
	},
}
