package layers

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/robustdata/robustdata/"

// rank orders the module's packages by layer: a package may import only
// packages of a lower rank (or its own sub-packages' lower layers).
func rank(pkg string) int {
	p := strings.TrimPrefix(pkg, module)
	switch {
	case strings.HasPrefix(p, "internal/"):
		return 0
	case p == "pipeline/schema" || p == "pipeline/spec":
		return 1
	case p == "pipeline/stream" || p == "pipeline/safetensors" || p == "pipeline/synth":
		return 2
	case p == "pipeline/dataset" || p == "pipeline/record" || p == "pipeline/progress" || p == "pipeline/inspect":
		return 3
	case p == "features" || strings.HasPrefix(p, "features/"):
		return 4
	case p == "partition" || strings.HasPrefix(p, "partition/"):
		return 5
	case p == "train" || strings.HasPrefix(p, "train/"):
		return 6
	case p == "report" || strings.HasPrefix(p, "report/"):
		return 7
	case p == "pipeline":
		return 8 // the orchestrator: on top of every stage
	case p == "pipeline/configdoc" || p == "pipeline/split":
		return 9 // built on the orchestrator, for the CLI
	}
	return 10 // cmd, scripts, examples: on top
}

// TestLayering checks the module's import graph: nothing imports cmd,
// only commands import cobra, and every package imports only lower
// layers (rank) — the substrate never imports a stage, a stage never a
// later one.
func TestLayering(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	// Stat every Go file, so that go test's cache knows the result depends
	// on them (the go list below is invisible to it).
	filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
			os.Stat(p)
		}
		return nil
	})
	out, err := exec.Command(goTool, "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		pkgs++
		for _, imp := range imports {
			switch {
			case strings.HasPrefix(imp, "github.com/spf13/cobra") && !strings.HasPrefix(pkg, module+"cmd/"):
				t.Errorf("%s imports cobra: only cmd/ parses flags", pkg)
			case !strings.HasPrefix(imp, module):
			case strings.HasPrefix(imp, module+"cmd/"):
				t.Errorf("%s imports %s: nothing imports a command", pkg, imp)
			case rank(imp) > rank(pkg) || (rank(imp) == rank(pkg) && rank(pkg) >= 4 && !strings.HasPrefix(imp, pkg+"/")):
				t.Errorf("%s imports %s, a later layer", pkg, imp)
			}
		}
	}
	if pkgs < 10 {
		t.Fatalf("go list gave %d packages: the test does not test", pkgs)
	}
}
