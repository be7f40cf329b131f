package remedy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/recipe"
)

// The log is the real failure of bookworm's jq 1.6 packaging on upstream
// 1.8.2 (its Rakefile is gone); make names debian/rules line 13, which the
// fixture (project-written, same shape) has at line 12.
func TestRulesStepObsolete(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "rules-step-obsolete-deb.log", recipe.FamilyDeb, ClassRulesStepObsolete)
	if c.Items[0] != "13" || c.Items[1] != "override_dh_auto_configure" || !strings.Contains(c.Evidence[0], "No Rakefile found") {
		t.Fatalf("cause = %+v", c)
	}
	dir := copyTree(t, "deb-docs")
	p := Packaging{Family: recipe.FamilyDeb, Dir: dir}
	c.Items[0] = "12" // the fixture's line
	before, err := os.ReadFile(filepath.Join(dir, "debian", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	ch := applyFor(t, p, c, ClassRulesStepObsolete)
	after, err := os.ReadFile(filepath.Join(dir, "debian", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(before), "\tcd docs && rake manpage > ../jq.1\n",
		"\t# backport: the new upstream has no input for the next command; dropped (review it)\n\t#cd docs && rake manpage > ../jq.1\n", 1)
	if string(after) != want || !ch.Changed || len(ch.Files) != 1 {
		t.Fatalf("change %+v; rules now:\n%s", ch, after)
	}
	if again := applyFor(t, p, c, ClassRulesStepObsolete); again.Changed {
		t.Error("a second run changed the rules again")
	}

	// Never a debhelper step, never a line outside the named override.
	for _, tc := range []struct{ line, target string }{{"13", "override_dh_auto_configure"}, {"12", "override_dh_auto_test"}, {"1", "override_dh_auto_configure"}} {
		dir := copyTree(t, "deb-docs")
		ch := applyFor(t, Packaging{Family: recipe.FamilyDeb, Dir: dir}, Cause{Class: ClassRulesStepObsolete, Items: []string{tc.line, tc.target}}, ClassRulesStepObsolete)
		if ch.Changed {
			t.Errorf("line %s of %s: changed (%s)", tc.line, tc.target, ch.Summary)
		}
	}
}

// The real dh_installdocs failure of jq 1.8.2 on bookworm's packaging: its
// jq.docs names a README that 1.8 renamed to README.md.
func TestMissingFilesInDocsList(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "missing-files-docs-deb.log", recipe.FamilyDeb, ClassMissingFiles)
	dir := copyTree(t, "deb-docs")
	ch := applyFor(t, Packaging{Family: recipe.FamilyDeb, Dir: dir}, c, ClassMissingFiles)
	docs, err := os.ReadFile(filepath.Join(dir, "debian", "frob.docs"))
	if err != nil || string(docs) != "usr/share/doc/jq/AUTHORS\n" || len(ch.Files) != 1 || ch.Files[0] != "debian/frob.docs" {
		t.Fatalf("change %+v (%v); frob.docs now %q", ch, err, docs)
	}
}
