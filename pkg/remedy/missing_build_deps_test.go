package remedy

import (
	"reflect"
	"testing"

	"github.com/backport/backport/pkg/recipe"
)

// missing-build-deps edits nothing: it asks the loop for a fresh
// build-dependency layer.
func TestMissingBuildDeps(t *testing.T) {
	t.Parallel()
	for log, family := range map[string]recipe.Family{
		"missing-build-deps-deb.log": recipe.FamilyDeb,
		"missing-build-deps-rpm.log": recipe.FamilyRPM,
	} {
		c := causeOf(t, log, family, ClassMissingBuildDeps)
		tree := "deb-frob"
		if family == recipe.FamilyRPM {
			tree = "rpm-frob"
		}
		dir := copyTree(t, tree)
		ch := applyFor(t, Packaging{Family: family, Dir: dir, Spec: "frob.spec"}, c, ClassMissingBuildDeps)
		if !ch.Changed || !ch.Reinstall || len(ch.Files) != 0 || ch.Summary != "reinstall build deps: "+quoteList(c.Items) {
			t.Fatalf("%s: %+v", log, ch)
		}
		checkGolden(t, "", tree, dir, Change{Changed: true}) // every file untouched
	}
}

func TestSplitRelations(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]string{
		"libonig-dev (>= 6.9) gperf:native": {"libonig-dev (>= 6.9)", "gperf:native"},
		"bison | byacc flex":                {"bison | byacc", "flex"},
		"a [amd64] <!nocheck> b (<< 2) | c": {"a [amd64] <!nocheck>", "b (<< 2) | c"},
		"a (>= 1":                           {"a (>= 1"},
		"":                                  nil,
	} {
		if got := splitRelations(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitRelations(%q) = %q, want %q", in, got, want)
		}
	}
}
