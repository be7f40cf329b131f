package remedy

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/recipe"
)

// hello 2.12.3 on bookworm's packaging: the real dh_autoreconf failure is
// fixed by an empty override, which make accepts and runs as nothing.
func TestAutoreconfRegressionDeb(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "autoreconf-regression-hello-deb.log", recipe.FamilyDeb, ClassAutoreconfRegression)
	dir := copyTree(t, "deb-hello")
	p := Packaging{Family: recipe.FamilyDeb, Dir: dir}
	ch := applyFor(t, p, c, ClassAutoreconfRegression)
	checkGolden(t, "autoreconf-regression-deb", "deb-hello", dir, ch)
	if again := applyFor(t, p, c, ClassAutoreconfRegression); again.Changed {
		t.Fatalf("second run changed %v", again.Files)
	}
	testtool.Require(t, "make")
	// the reader itself: an existing override with a recipe, and none
	if target, recipe := makeTarget(t, dir, "override_dh_auto_clean"); !target || len(recipe) != 1 {
		t.Fatalf("make database reader: override_dh_auto_clean %v %q", target, recipe)
	}
	if target, _ := makeTarget(t, copyTree(t, "deb-hello"), "override_dh_autoreconf"); target {
		t.Fatal("make database reader: the fixture has no override_dh_autoreconf")
	}
	if target, recipe := makeTarget(t, dir, "override_dh_autoreconf"); !target || len(recipe) > 0 {
		t.Fatalf("make sees override_dh_autoreconf as target %v with recipe %q", target, recipe)
	}
}

// makeTarget reads make's database for debian/rules, as dh does to find
// overrides (an override with no recipe makes dh skip the command), and
// reports whether name is a target and its recipe lines.
func makeTarget(t *testing.T, dir, name string) (bool, []string) {
	t.Helper()
	cmd := exec.Command("make", "-f", "debian/rules", "-qp", "__backport_no_such_target__")
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "LC_ALL=C")
	out, _ := cmd.Output() // -q with a missing target exits non-zero
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		if l != name+":" || (i > 0 && lines[i-1] == "# Not a target:") {
			continue
		}
		var recipe []string
		for _, r := range lines[i+1:] {
			if r == "" {
				break
			}
			if strings.HasPrefix(r, "\t") {
				recipe = append(recipe, r)
			}
		}
		return true, recipe
	}
	return false, nil
}

func TestSkipRulesAutoreconf(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ in, want string }{
		"existing override with a recipe": {
			"%:\n\tdh $@ --with autoreconf\n\noverride_dh_autoreconf:\n\tdh_autoreconf ./bootstrap\n\techo done\n\noverride_dh_auto_test:\n",
			"%:\n\tdh $@ --with autoreconf\n\n" + autoreconfComment + "\noverride_dh_autoreconf:\n\noverride_dh_auto_test:\n"},
		"explicit call in another recipe, continued": {
			"override_dh_auto_configure:\n\tNOCONFIGURE=1 \\\n\t  ./autogen.sh\n\tdh_auto_configure\n",
			"override_dh_auto_configure:\n\t#NOCONFIGURE=1 \\\n\t  #./autogen.sh\n\tdh_auto_configure\n\n" + autoreconfComment + "\noverride_dh_autoreconf:\n"},
		"no final newline": {
			"%:\n\tdh $@",
			"%:\n\tdh $@\n\n" + autoreconfComment + "\noverride_dh_autoreconf:"},
		"autoreconf_clean untouched": {
			"override_dh_clean:\n\tdh_autoreconf_clean\n\tdh_clean\n",
			"override_dh_clean:\n\tdh_autoreconf_clean\n\tdh_clean\n\n" + autoreconfComment + "\noverride_dh_autoreconf:\n"},
	} {
		f := parseText([]byte(tc.in))
		if !skipRulesAutoreconf(f) {
			t.Errorf("%s: no change", name)
		}
		if got := string(f.bytes()); got != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", name, got, tc.want)
		}
	}
}

// rpm: both the continued autogen.sh call and autoreconf -fi in %build are
// commented out; rpm still parses the spec and the %build it runs no
// longer calls them.
func TestAutoreconfRegressionRPM(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "autoreconf-regression-hello-rpm.log", recipe.FamilyRPM, ClassAutoreconfRegression)
	dir := copyTree(t, "rpm-hello")
	p := Packaging{Family: recipe.FamilyRPM, Dir: dir, Spec: "hello.spec"}
	ch := applyFor(t, p, c, ClassAutoreconfRegression)
	checkGolden(t, "autoreconf-regression-rpm", "rpm-hello", dir, ch)
	// rpm 4.18's rpmspec -P drops the %build header after %autosetup, so
	// the whole parsed spec is checked.
	parsed := strings.Split(rpmspecParse(t, filepath.Join(dir, "hello.spec")), "\n")
	for _, l := range parsed {
		if l := strings.TrimSpace(l); !strings.HasPrefix(l, "#") && (strings.Contains(l, "autoreconf") || strings.Contains(l, "autogen")) {
			t.Errorf("the parsed spec still runs %q", l)
		}
	}
	if !slices.Contains(parsed, "#autoreconf -fi") {
		t.Errorf("the parsed spec lost the commented line")
	}
	if again := applyFor(t, p, c, ClassAutoreconfRegression); again.Changed {
		t.Fatalf("second run changed %v", again.Files)
	}
}

func FuzzSkipRulesAutoreconf(f *testing.F) {
	f.Add("%:\n\tdh $@\n\noverride_dh_autoreconf:\n\tautoreconf -fi \\\n\t -v\n")
	f.Add("override_dh_autoreconf override_dh_x:\n\t\\\n")
	f.Fuzz(func(t *testing.T, rules string) {
		f := parseText([]byte(rules))
		skipRulesAutoreconf(f)
		// Idempotent: once applied, a second run changes nothing.
		first := string(f.bytes())
		if skipRulesAutoreconf(f) && string(f.bytes()) != first {
			t.Fatalf("second run changed\n%q\nto\n%q", first, f.bytes())
		}
	})
}
