package remedy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/recipe"
)

func TestMissingFilesDeb(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "missing-files-deb.log", recipe.FamilyDeb, ClassMissingFiles)
	dir := copyTree(t, "deb-frob")
	ch := applyFor(t, Packaging{Family: recipe.FamilyDeb, Dir: dir}, c, ClassMissingFiles)
	checkGolden(t, "missing-files-deb", "deb-frob", dir, ch)
}

// The real log names /usr/share/frob/gone.conf (a macro-form line under
// %config) and a relative %doc file that rpm looked for under the doc
// directory; both go, and the rest of the %doc line stays.
func TestMissingFilesRPM(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "missing-files-rpm.log", recipe.FamilyRPM, ClassMissingFiles)
	dir := copyTree(t, "rpm-frob")
	p := Packaging{Family: recipe.FamilyRPM, Dir: dir, Spec: filepath.Join(dir, "frob.spec")}
	ch := applyFor(t, p, c, ClassMissingFiles)
	checkGolden(t, "missing-files-rpm", "rpm-frob", dir, ch)
	files := parsedSection(rpmspecParse(t, p.Spec), "%files")
	want := []string{"/usr/bin/frob", "/usr/lib64/libfrob.so.1", "%dir /usr/share/frob", "%config(noreplace) /usr/share/frob/frob.conf", "%doc README"}
	if !slices.Equal(files, want) {
		t.Fatalf("rpmspec -P %%files:\n%s\nwant:\n%s", strings.Join(files, "\n"), strings.Join(want, "\n"))
	}
}

func TestDropFromSpecFiles(t *testing.T) {
	t.Parallel()
	spec := "%global sub frob\nName: frob\nVersion: 2\n\n%files\n" +
		"%{_datadir}/%{sub}/a %{_datadir}/%{sub}/b\n" + // two words, one goes
		"%{python3_sitelib}/frob/\n" + // unknown macro: matched as a wildcard
		"%attr(0755, root, root) %{_bindir}/tool\n" +
		"%files -n other\n%{_datadir}/%{sub}/a\n" // the same path in another package goes too
	for _, tc := range []struct {
		missing []string
		want    string
		changed bool
	}{
		{[]string{"/usr/share/frob/a"}, "%{_datadir}/%{sub}/b\n%{python3_sitelib}/frob/\n%attr(0755, root, root) %{_bindir}/tool\n%files -n other\n", true},
		{[]string{"/usr/lib/python3.11/site-packages/frob/"}, "%{_datadir}/%{sub}/a %{_datadir}/%{sub}/b\n%attr(0755, root, root) %{_bindir}/tool\n%files -n other\n%{_datadir}/%{sub}/a\n", true},
		{[]string{"/usr/bin/tool", "/usr/share/frob/b"}, "%{_datadir}/%{sub}/a\n%{python3_sitelib}/frob/\n%files -n other\n%{_datadir}/%{sub}/a\n", true},
		{[]string{"/usr/share/nothing"}, "", false},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "f.spec"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		ch, err := dropFromSpecFiles(Packaging{Family: recipe.FamilyRPM, Dir: dir, Spec: "f.spec"}, tc.missing)
		if err != nil || ch.Changed != tc.changed {
			t.Fatalf("%v: changed %v, err %v (%s)", tc.missing, ch.Changed, err, ch.Summary)
		}
		if !tc.changed {
			continue
		}
		got, _ := os.ReadFile(filepath.Join(dir, "f.spec"))
		_, body, _ := strings.Cut(string(got), "%files\n")
		if body != tc.want {
			t.Errorf("%v:\n%s\nwant:\n%s", tc.missing, body, tc.want)
		}
	}
}

func TestBuildrootRelative(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/root/rpmbuild/BUILDROOT/frob-1.1-1.el9.x86_64/usr/share/x":  "/usr/share/x",
		"/builddir/build/BUILD/frob-1.1-build/BUILDROOT/usr/share/x":  "/usr/share/x",
		"/backport/build/BUILD/frob-1.1/NEWS":                         "NEWS",
		"/usr/share/x":                                                "/usr/share/x",
		"/backport/build/BUILDROOT/frob-1.1-1.x86_64/etc/frob/x.conf": "/etc/frob/x.conf",
	} {
		if got := buildrootRelative(in); got != want {
			t.Errorf("buildrootRelative(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDropInstallWords(t *testing.T) {
	t.Parallel()
	want := map[string]bool{"usr/share/a": true}
	for in, out := range map[string]string{
		"usr/share/a":                     "",
		"usr/share/a usr/share/dest":      "", // a source and its destination
		"usr/share/a usr/share/b dest":    "usr/share/b dest",
		"debian/tmp/usr/share/a":          "",
		"  usr/share/b usr/share/a dest/": "  usr/share/b dest/",
		"# usr/share/a":                   "# usr/share/a",
		"usr/share/ab":                    "usr/share/ab",
	} {
		got, n := dropInstallWords(in, want, map[string]bool{})
		if n == 0 {
			got = in
		}
		if got != out {
			t.Errorf("dropInstallWords(%q) = %q, want %q", in, got, out)
		}
	}
}

func FuzzDropFromSpecFiles(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "trees", "rpm-frob", "frob.spec"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data), "/usr/share/frob/gone.conf")
	f.Add("%files\n%doc \"a b\" %{!?x:y} %(echo) %[1+1]\n%{_bindir}/x %{", "/usr/bin/x")
	f.Fuzz(func(t *testing.T, spec, path string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "x.spec"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		ch, err := dropFromSpecFiles(Packaging{Family: recipe.FamilyRPM, Dir: dir, Spec: "x.spec"}, []string{path})
		if err != nil || !ch.Changed {
			return
		}
		got, _ := os.ReadFile(filepath.Join(dir, "x.spec"))
		if len(got) >= len(spec) {
			t.Fatalf("a drop made the spec longer:\n%q\n->\n%q", spec, got)
		}
	})
}

func FuzzDropFromInstallFiles(f *testing.F) {
	f.Add("usr/bin/frob\nusr/share/frob/gone.txt\n", "usr/share/frob/gone.txt")
	f.Add("a b c\r\n# x\n\n=> y", "b")
	f.Fuzz(func(t *testing.T, install, path string) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "debian"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "debian", "x.install"), []byte(install), 0o644); err != nil {
			t.Fatal(err)
		}
		ch, err := dropFromInstallFiles(Packaging{Dir: dir}, []string{path})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(filepath.Join(dir, "debian", "x.install"))
		if ch.Changed == (string(got) == install) {
			t.Fatalf("Changed %v but file %q -> %q", ch.Changed, install, got)
		}
	})
}

func TestWildcardMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pieces []string
		s      string
		want   bool
	}{
		{[]string{"/usr/lib"}, "/usr/lib", true},
		{[]string{"/usr/lib"}, "/usr/lib64", false},
		{[]string{"", "/frob/"}, "/usr/lib/python3/frob/", true},
		{[]string{"/a/", "/b/", "/c"}, "/a/x/b/y/c", true},
		{[]string{"/a/", "/b/", "/c"}, "/a/x/c", false},
		{[]string{"ab", "ba"}, "aba", false}, // prefix and suffix may not overlap
		{[]string{"", ""}, "", true},
	} {
		if got := wildcardMatch(tc.pieces, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tc.pieces, tc.s, got)
		}
	}
}
