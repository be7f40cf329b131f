package specs_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/specs"
)

// TestEmbeddedRecipesParse checks every file the binary ships: each is a
// valid recipe named after its file. (pkg/recipe tests loading through a
// Store, keyrings included.)
func TestEmbeddedRecipesParse(t *testing.T) {
	entries, err := fs.ReadDir(specs.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() { // keys/
			continue
		}
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok {
			t.Errorf("%s is embedded but is not a recipe", e.Name())
			continue
		}
		data, err := fs.ReadFile(specs.FS, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := recipe.Parse("specs/"+e.Name(), data); err != nil {
			t.Error(err)
		}
		names[name] = true
	}
	for _, want := range []string{"hello", "jq", "httpd"} {
		if !names[want] {
			t.Errorf("%s.yaml is not embedded", want)
		}
	}
}
