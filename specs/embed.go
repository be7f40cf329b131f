// Package specs holds the recipes that ship inside the backport binary.
// Files in ./specs or the user config dir override them by name; see
// README.md beside this file for the schema and pkg/recipe for the loader.
package specs

import "embed"

// The pattern names only what exists: go:embed refuses a pattern that
// matches nothing. A recipe that ships a keyring (keys/NAME.asc) adds
// "keys" here; the shipped-recipe test fails until it does.
//
//go:embed *.yaml
var files embed.FS

// FS is the embedded recipes, NAME.yaml at the root.
var FS = files
