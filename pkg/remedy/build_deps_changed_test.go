package remedy

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/recipe"
	"pault.ag/go/debian/dependency"
)

// bookwormIndex is a few real bookworm Contents entries.
var bookwormIndex = map[string]string{
	"usr/bin/gperf": "gperf",
	"usr/bin/bison": "bison",
	"usr/lib/x86_64-linux-gnu/pkgconfig/oniguruma.pc": "libonig-dev",
	"usr/include/onig.h":                              "libonig-dev",
	"usr/lib/x86_64-linux-gnu/libonig.so":             "libonig-dev",
	"usr/bin/makeinfo":                                "texinfo",
}

// Every build-deps-changed fixture log, fixed against a Debian control:
// the real messages lead to the package that ships what was missing.
func TestBuildDepsChangedDebFixtures(t *testing.T) {
	t.Parallel()
	for log, want := range map[string]string{
		"build-deps-changed-configure-program.log": "gperf",
		"build-deps-changed-configure-header.log":  "libonig-dev",
		"build-deps-changed-configure-library.log": "libonig-dev",
		"build-deps-changed-pkgconf.log":           "libonig-dev",
		"build-deps-changed-make-exec.log":         "gperf",
		"build-deps-changed-make-dash.log":         "gperf",
		"build-deps-changed-make-bash.log":         "bison",
		"build-deps-changed-gcc-colour.log":        "libonig-dev",
		"build-deps-changed-ld.log":                "libonig-dev",
	} {
		c := causeOf(t, log, recipe.FamilyDeb, ClassBuildDepsChanged)
		dir := copyTree(t, "deb-frob")
		p := Packaging{Family: recipe.FamilyDeb, Dir: dir, Providers: indexProviders(bookwormIndex)}
		ch := applyFor(t, p, c, ClassBuildDepsChanged)
		if !ch.Changed || !slices.Equal(ch.Files, []string{"debian/control"}) {
			t.Fatalf("%s: %+v", log, ch)
		}
		if got := parsedBuildDepends(t, filepath.Join(dir, "debian", "control")); !slices.Equal(got, []string{"debhelper-compat", want}) {
			t.Errorf("%s: Build-Depends %v, want debhelper-compat and %s", log, got, want)
		}
	}
}

// The wrapped, commented Build-Depends of deb-hello keeps its layout.
func TestBuildDepsChangedDebGolden(t *testing.T) {
	t.Parallel()
	c := Cause{Class: ClassBuildDepsChanged, Items: []string{
		needPatterns(recipe.FamilyDeb, need{"program", "bison"}),
		needPatterns(recipe.FamilyDeb, need{"pkg-config", "oniguruma"}),
		needPatterns(recipe.FamilyDeb, need{"program", "makeinfo"}), // texinfo: declared already
		needPatterns(recipe.FamilyDeb, need{"program", "nosuchtool"}),
	}}
	dir := copyTree(t, "deb-hello")
	p := Packaging{Family: recipe.FamilyDeb, Dir: dir, Providers: indexProviders(bookwormIndex)}
	ch := applyFor(t, p, c, ClassBuildDepsChanged)
	checkGolden(t, "build-deps-changed-deb", "deb-hello", dir, ch)
	if !strings.Contains(ch.Summary, "no provider for usr/bin/nosuchtool") {
		t.Errorf("summary does not name what had no provider: %s", ch.Summary)
	}
	got := parsedBuildDepends(t, filepath.Join(dir, "debian", "control"))
	if want := []string{"debhelper-compat", "help2man", "texinfo", "bison", "libonig-dev"}; !slices.Equal(got, want) {
		t.Fatalf("Build-Depends %v, want %v", got, want)
	}
	testtool.Require(t, "dpkg-checkbuilddeps")
	// dpkg itself reads the edited control (run in the tree, as
	// dpkg-buildpackage does): it parses, and the package this host lacks
	// is among what it reports unmet.
	cmd := exec.Command("dpkg-checkbuilddeps")
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	if bytes.Contains(out, []byte("parse")) {
		t.Fatalf("dpkg-checkbuilddeps: %s", out)
	}
	if exec.Command("dpkg-query", "-W", "libonig-dev").Run() != nil && !bytes.Contains(out, []byte("libonig-dev")) {
		t.Fatalf("dpkg-checkbuilddeps does not see libonig-dev: %s", out)
	}
}

func TestBuildDepsChangedNoProvider(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "build-deps-changed-make-bash.log", recipe.FamilyDeb, ClassBuildDepsChanged)
	for name, providers := range map[string]func(context.Context, []string) (map[string]string, error){
		"no index":   nil,
		"no package": indexProviders(map[string]string{"usr/bin/yacc": "byacc"}),
	} {
		dir := copyTree(t, "deb-frob")
		ch := applyFor(t, Packaging{Family: recipe.FamilyDeb, Dir: dir, Providers: providers}, c, ClassBuildDepsChanged)
		if ch.Changed || !strings.Contains(ch.Summary, "usr/bin/bison") {
			t.Errorf("%s: %+v", name, ch)
		}
	}
	failing := func(context.Context, []string) (map[string]string, error) { return nil, errors.New("index unreadable") }
	r, _ := For(c, Options{})
	if _, err := r.Apply(context.Background(), Packaging{Family: recipe.FamilyDeb, Dir: copyTree(t, "deb-frob"), Providers: failing}, c); err == nil {
		t.Error("a failing lookup must be an error")
	}
}

// rpm: a provider when the index has one, a capability otherwise; the new
// lines go after the last unconditional BuildRequires.
func TestBuildDepsChangedRPM(t *testing.T) {
	t.Parallel()
	c := Cause{Class: ClassBuildDepsChanged, Items: []string{
		needPatterns(recipe.FamilyRPM, need{"program", "bison"}),
		needPatterns(recipe.FamilyRPM, need{"pkg-config", "oniguruma"}),
		needPatterns(recipe.FamilyRPM, need{"library", "onig"}),
		needPatterns(recipe.FamilyRPM, need{"program", "make"}), // declared already
	}}
	dir := copyTree(t, "rpm-frob")
	p := Packaging{Family: recipe.FamilyRPM, Dir: dir, Spec: "frob.spec",
		Providers: indexProviders(map[string]string{"usr/bin/bison": "bison", "usr/bin/make": "make"})}
	ch := applyFor(t, p, c, ClassBuildDepsChanged)
	checkGolden(t, "build-deps-changed-rpm", "rpm-frob", dir, ch)
	testtool.Require(t, "rpmspec")
	out, err := exec.Command("rpmspec", "-q", "--buildrequires", filepath.Join(dir, "frob.spec")).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmspec: %v\n%s", err, out)
	}
	got, want := strings.Fields(string(out)), []string{"gcc", "make", "bison", "pkgconfig(oniguruma)", "/usr/lib64/libonig.so"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("BuildRequires %v, want %v", got, want)
	}
}

func TestAddBuildDepends(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ in, want string }{
		"one line": {"Source: x\nBuild-Depends: a, b (>= 1)\n\nPackage: x\n",
			"Source: x\nBuild-Depends: a, b (>= 1), new\n\nPackage: x\n"},
		"trailing comma one line": {"Source: x\nBuild-Depends: a,\n",
			"Source: x\nBuild-Depends: a, new,\n"},
		"wrapped, trailing commas": {"Source: x\nBuild-Depends:\n a,\n b,\nStandards-Version: 4\n",
			"Source: x\nBuild-Depends:\n a,\n b,\n new,\nStandards-Version: 4\n"},
		"wrapped, no trailing comma, CRLF": {"Source: x\r\nBuild-Depends: a,\r\n    b\r\n",
			"Source: x\r\nBuild-Depends: a,\r\n    b,\r\n    new\r\n"},
		"empty value": {"Source: x\nBuild-Depends:\nPriority: optional\n",
			"Source: x\nBuild-Depends: new\nPriority: optional\n"},
		"no field": {"Source: x\nPriority: optional\n\nPackage: x\n",
			"Source: x\nPriority: optional\nBuild-Depends: new\n\nPackage: x\n"},
		"present in Build-Depends-Indep": {"Source: x\nBuild-Depends: a\nBuild-Depends-Indep: new:native\n",
			"Source: x\nBuild-Depends: a\nBuild-Depends-Indep: new:native\n"},
		"no final newline": {"Source: x\nBuild-Depends: a", "Source: x\nBuild-Depends: a, new"},
	} {
		f := parseText([]byte(tc.in))
		if _, err := addBuildDepends(f, []string{"new"}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := string(f.bytes()); got != tc.want {
			t.Errorf("%s:\n%q\nwant\n%q", name, got, tc.want)
		}
	}
}

// parsedBuildDepends reads Build-Depends with pault.ag/go/debian's
// relation parser (the field found with our own paragraph reader; the
// library's control parser would need a module this one does not use).
func parsedBuildDepends(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := parseText(data)
	for _, c := range controlFields(f) {
		if c.paragraph != 0 || c.name != "Build-Depends" {
			continue
		}
		dep, err := dependency.Parse(fieldValue(f, c))
		if err != nil {
			t.Fatalf("%s: Build-Depends: %v", path, err)
		}
		var names []string
		for _, p := range dep.GetAllPossibilities() {
			names = append(names, p.Name)
		}
		return names
	}
	t.Fatalf("%s: no Build-Depends", path)
	return nil
}

func FuzzAddBuildDepends(f *testing.F) {
	for _, tree := range []string{"deb-frob", "deb-hello"} {
		data, err := os.ReadFile(filepath.Join("testdata", "trees", tree, "debian", "control"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data), "libonig-dev")
	}
	f.Add("Build-Depends:\n#c\n x,\n\n\nPackage: y", "z")
	f.Fuzz(func(t *testing.T, ctl, pkg string) {
		if !debianPackageName.MatchString(pkg) {
			return // what a package index returns
		}
		file := parseText([]byte(ctl))
		added, err := addBuildDepends(file, []string{pkg})
		if err != nil || len(added) == 0 {
			return
		}
		if !isSubsequenceTrimmed(parseText([]byte(ctl)).lines, file.lines) {
			t.Fatalf("existing lines lost:\n%q\n->\n%q", ctl, file.bytes())
		}
		// The package is now declared: a second add finds it.
		if again, err := addBuildDepends(file, []string{pkg}); err != nil || len(again) != 0 {
			t.Fatalf("second add: %v %v in\n%q", again, err, file.bytes())
		}
	})
}

var debianPackageName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)

// isSubsequenceTrimmed is isSubsequence where an edited line may have
// gained text at its end (", pkg" or a comma).
func isSubsequenceTrimmed(a, b []textLine) bool {
	j := 0
	for _, l := range b {
		if j < len(a) && strings.HasPrefix(l.text, strings.TrimRight(a[j].text, " \t")) {
			j++
		}
	}
	return j == len(a)
}
