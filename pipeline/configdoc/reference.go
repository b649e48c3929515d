package configdoc

import (
	"fmt"
	"strings"

	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/spec"
)

// Reference is the reference of the run config's keys in Markdown
// (docs/config.md): every stage's settings as its spec declares them —
// default, allowed values, whether changing it reruns the stage, what it
// does and its CLI flag — and the keys that are not stage settings.
func Reference() string {
	var b strings.Builder
	b.WriteString("# Run config reference\n\n")
	b.WriteString("Generated from the stages' setting specs (`go test ./pipeline/configdoc -run TestConfigReference -update` rewrites it).\n")
	b.WriteString("`robustdata run --example-config` prints a complete config with these defaults. A setting that\n")
	b.WriteString("changes the output is part of its stage's fingerprint: changing it reruns the stage and the\n")
	b.WriteString("stages after it.\n\n")
	b.WriteString("## Run\n\n| key | what it does |\n|---|---|\n")
	for _, k := range []string{"output", "seed", "inputs.paths", "inputs.text_col", "inputs.label_col", "report.enabled"} {
		fmt.Fprintf(&b, "| `%s` | %s |\n", k, cell(runConfigHelp[k]))
	}
	for _, st := range pipeline.StageSpecs {
		fmt.Fprintf(&b, "\n## %s\n\n%s.\n\n", st.Name, st.Help)
		b.WriteString("| key | default | allowed | changes output | CLI flag | what it does |\n|---|---|---|---|---|---|\n")
		for _, s := range st.Settings {
			flag := "--" + s.FlagName()
			if s.Flag == "-" {
				flag = "--weights"
			}
			fmt.Fprintf(&b, "| `%s.%s` | `%s` | %s | %s | `%s` | %s |\n", st.Name, s.Key, spec.Format(s.Default),
				cell(s.Allowed()), yesNo(s.Output), flag, cell(s.Help))
		}
		if st.Name == "train" {
			fmt.Fprintf(&b, "| `train.strategies` | `[minimax]` | %s | yes | `--strategy` (one per run) | %s |\n",
				cell(spec.OrList(pipeline.RunStrategies)), cell(runConfigHelp["train.strategies"]))
		}
	}
	return b.String()
}

// cell escapes a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
