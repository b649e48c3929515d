// Package configdoc documents the run config from the stages' setting
// specs: Example writes a complete config (every key, its default and what
// it does) that runs as it is (robustdata run --example-config), and
// Reference the Markdown reference docs/config.md, kept in sync by a test.
// It imports pipeline (the config and the specs) and is imported only by
// the CLI.
package configdoc
