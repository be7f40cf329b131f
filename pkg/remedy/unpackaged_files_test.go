package remedy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/recipe"
)

func TestUnpackagedFilesDeb(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "unpackaged-files-deb.log", recipe.FamilyDeb, ClassUnpackagedFiles)
	dir := copyTree(t, "deb-frob")
	ch := applyFor(t, Packaging{Family: recipe.FamilyDeb, Dir: dir}, c, ClassUnpackagedFiles)
	checkGolden(t, "unpackaged-files-deb", "deb-frob", dir, ch)
	// Running it again finds the file listed: nothing to change.
	again := applyFor(t, Packaging{Family: recipe.FamilyDeb, Dir: dir}, c, ClassUnpackagedFiles)
	if again.Changed {
		t.Fatalf("second run changed %v", again.Files)
	}
}

// The main package has no .install file: the remedy creates one.
func TestUnpackagedFilesDebCreatesInstall(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "unpackaged-files-deb.log", recipe.FamilyDeb, ClassUnpackagedFiles)
	dir := copyTree(t, "deb-frob")
	if err := os.Remove(filepath.Join(dir, "debian", "libfrob1.install")); err != nil {
		t.Fatal(err)
	}
	ch := applyFor(t, Packaging{Family: recipe.FamilyDeb, Dir: dir}, c, ClassUnpackagedFiles)
	got, err := os.ReadFile(filepath.Join(dir, "debian", "libfrob1.install"))
	if err != nil || string(got) != "usr/share/frob/extra/README\n" || !slices.Equal(ch.Files, []string{"debian/libfrob1.install"}) {
		t.Fatalf("got %q, %v, files %v", got, err, ch.Files)
	}
}

func TestUnpackagedFilesRPM(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "unpackaged-files-rpm.log", recipe.FamilyRPM, ClassUnpackagedFiles)
	c.Items = append(c.Items, "/usr/share/frob/50% off.txt", "/usr/bin/frob") // an odd name; one already listed
	dir := copyTree(t, "rpm-frob")
	p := Packaging{Family: recipe.FamilyRPM, Dir: dir, Spec: filepath.Join(dir, "frob.spec")}
	ch := applyFor(t, p, c, ClassUnpackagedFiles)
	checkGolden(t, "unpackaged-files-rpm", "rpm-frob", dir, ch)
	files := parsedSection(rpmspecParse(t, p.Spec), "%files")
	for _, want := range []string{"/usr/share/frob/extra/README", `"/usr/share/frob/50% off.txt"`} {
		if !slices.Contains(files, want) {
			t.Errorf("rpmspec -P: %%files lacks %s:\n%s", want, strings.Join(files, "\n"))
		}
	}
	if n := strings.Count(strings.Join(files, "\n"), "/usr/bin/frob"); n != 1 {
		t.Errorf("/usr/bin/frob listed %d times", n)
	}
}

func TestSpecFilesEntry(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/usr/bin/frob":         "/usr/bin/frob",
		"/usr/share/a%b":        "/usr/share/a%%b",
		"/usr/share/x y":        `"/usr/share/x y"`,
		"/usr/share/[x]*?":      `/usr/share/\[x\]\*\?`,
		"/usr/share/q\"uote d":  `"/usr/share/q\"uote d"`,
		"/usr/lib/{a,b}/back\\": `/usr/lib/\{a,b\}/back\\`,
	} {
		if got := specFilesEntry(in); got != want {
			t.Errorf("specFilesEntry(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInstallEntry(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"usr/bin/frob":     "usr/bin/frob",
		"usr/share/x y":    "usr/share/x?y",
		"usr/share/[a]*?b": `usr/share/\[a\]\*\?b`,
	} {
		if got := installEntry(in); got != want {
			t.Errorf("installEntry(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzAddToMainFiles(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "trees", "rpm-frob", "frob.spec"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data), "/usr/share/frob/x")
	f.Add("%files -f x.lang\n%files -n sub\n/a\r\n%files\n", "/b c")
	f.Fuzz(func(t *testing.T, spec, path string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "x.spec"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		p := Packaging{Family: recipe.FamilyRPM, Dir: dir, Spec: "x.spec"}
		ch, err := addToMainFiles(p, []string{path})
		if err != nil || !ch.Changed {
			return
		}
		got, _ := os.ReadFile(filepath.Join(dir, "x.spec"))
		// Only lines were added: the original lines stay, in order.
		if !isSubsequence(parseText([]byte(spec)).lines, parseText(got).lines) {
			t.Fatalf("edit changed existing lines:\n%q\n->\n%q", spec, got)
		}
	})
}

// isSubsequence says whether every line of a appears in b in order
// (ignoring line endings, as the last line may gain one).
func isSubsequence(a, b []textLine) bool {
	j := 0
	for _, l := range b {
		if j < len(a) && strings.TrimSuffix(l.text, "\r") == strings.TrimSuffix(a[j].text, "\r") {
			j++
		}
	}
	return j == len(a)
}
