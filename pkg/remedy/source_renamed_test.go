package remedy

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/recipe"
)

// The spec wants frob-1.1.tar.xz (the real rpmbuild log); upstream ships
// frob-1.1.tar.gz. Source0 keeps its URL and macros.
func TestSourceRenamedRPM(t *testing.T) {
	t.Parallel()
	for _, log := range []string{"source-renamed-prep-rpm.log", "source-renamed-srpm-rpm.log"} {
		c := causeOf(t, log, recipe.FamilyRPM, ClassSourceRenamed)
		dir := copyTree(t, "rpm-frob")
		p := Packaging{Family: recipe.FamilyRPM, Dir: dir, Spec: "frob.spec", UpstreamTarball: "frob-1.1.tar.gz"}
		ch := applyFor(t, p, c, ClassSourceRenamed)
		checkGolden(t, "source-renamed-rpm", "rpm-frob", dir, ch)
		parsed := rpmspecParse(t, filepath.Join(dir, "frob.spec"))
		if !strings.Contains(parsed, "Source0:        https://example.org/releases/frob-1.1.tar.gz\n") {
			t.Fatalf("%s: rpmspec -P does not show the new Source0", log)
		}
	}
}

func TestRenameSource(t *testing.T) {
	t.Parallel()
	spec := "%global upver 2.0b\nName: foo\nVersion: 2.0\n"
	for _, tc := range []struct{ line, wanted, have, want string }{
		{"Source0: https://x/%{name}-%{version}.tar.gz", "foo-2.0.tar.gz", "foo-2.0.tar.xz", "Source0: https://x/%{name}-%{version}.tar.xz"},
		{"Source:  %{name}-%{upver}.tgz", "foo-2.0b.tgz", "foo-2.0b.tar.bz2", "Source:  %{name}-%{upver}.tar.bz2"},
		{"Source1: https://x/v%{version}.tar.gz#/%{name}-%{version}.tar.gz", "foo-2.0.tar.gz", "foo-2.0.zip", "Source1: https://x/v%{version}.tar.gz#/%{name}-%{version}.zip"},
		{"Source0: foo-latest.tar.gz", "foo-latest.tar.gz", "foo_2.0%.tar.gz", "Source0: foo_2.0%%.tar.gz"},
		{"Source0: %{name}-%{version}.tar.gz", "foo-2.0.tar.gz", "Foo-2.0.tar.gz", "Source0: Foo-2.0.tar.gz"},
		{"Source0: %{name}-%{version}.tar.gz", "bar-2.0.tar.gz", "x", ""}, // another source
		{"Source0: %{gitcommit}.tar.gz", "abc.tar.gz", "foo-2.0.tar.gz", "Source0: foo-2.0.tar.gz"},
	} {
		s := parseSpecFile([]byte(spec + tc.line + "\n"))
		got, ok := renameSource(s, tc.line, tc.wanted, tc.have)
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.line, got, tc.want)
		}
	}
}

// deb: dpkg-source wants hello_2.10.orig.tar.*; the loop renames the
// upstream tarball it placed.
func TestSourceRenamedDeb(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "source-renamed-deb.log", recipe.FamilyDeb, ClassSourceRenamed)
	dir := copyTree(t, "deb-hello")
	ch := applyFor(t, Packaging{Family: recipe.FamilyDeb, Dir: dir, UpstreamTarball: "hello-2.10.tar.gz"}, c, ClassSourceRenamed)
	if !ch.Changed || len(ch.Files) != 0 || !reflect.DeepEqual(ch.Renames, []Rename{{From: "hello-2.10.tar.gz", To: "hello_2.10.orig.tar.gz"}}) {
		t.Fatalf("%+v", ch)
	}
	for have, changed := range map[string]bool{"hello_2.10.orig.tar.gz": false, "hello-2.10.zip": false, "": false} {
		ch := applyFor(t, Packaging{Family: recipe.FamilyDeb, Dir: dir, UpstreamTarball: have}, c, ClassSourceRenamed)
		if ch.Changed != changed {
			t.Errorf("%q: %+v", have, ch)
		}
	}
	checkGolden(t, "", "deb-hello", dir, Change{Changed: true})
	if _, err := os.Stat(filepath.Join(dir, "debian", "control")); err != nil {
		t.Fatal(err)
	}
}
