//go:build pins

// Package pins keeps in go.mod, at the versions ../shared/DESIGN.md gives,
// the modules that later stages use but no package imports yet, so that
// `go mod tidy` does not drop their pins. It builds only with the "pins"
// tag; delete an import here once a real package uses the module.
package pins

import (
	_ "github.com/jdkato/prose/v2"
	_ "github.com/parquet-go/parquet-go"
	_ "go.yaml.in/yaml/v3"
	_ "gonum.org/v1/plot"
)
