package dataset

// CheckTarget tells, before any work, whether dir can receive a dataset:
// the error wraps ErrExists when it holds another dataset (and overwrite
// is false) or other files.
func CheckTarget(dir string, overwrite bool) error {
	_, err := checkShardTarget(dir, overwrite)
	return err
}

// Files a partition writes beside its shards with -o DIR/.
const (
	ModelFile  = "partition.json"
	ReportFile = "report.md"
	// FeaturesModelFile is the features model a partition of a corpus
	// without feature columns computed them with: the shards do not carry
	// them (unless kept), and a consumer that needs them — the report's
	// projection — recomputes them with it.
	FeaturesModelFile = "features.model"
	// HTMLReportFile is where robustdata report writes by default.
	HTMLReportFile = "report.html"
)
