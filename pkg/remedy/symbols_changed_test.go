package remedy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/recipe"
)

// The real dpkg-gensymbols diff adds frob_new@Base at the end of the
// libfrob.so.1 block (before the next library's block), with the version
// dpkg printed.
func TestSymbolsChanged(t *testing.T) {
	t.Parallel()
	c := causeOf(t, "symbols-changed-deb.log", recipe.FamilyDeb, ClassSymbolsChanged)
	dir := copyTree(t, "deb-frob")
	p := Packaging{Family: recipe.FamilyDeb, Dir: dir}
	ch := applyFor(t, p, c, ClassSymbolsChanged)
	checkGolden(t, "symbols-changed-deb", "deb-frob", dir, ch)
	if again := applyFor(t, p, c, ClassSymbolsChanged); again.Changed {
		t.Fatalf("second run changed %v", again.Files)
	}
}

// Lost symbols and lost libraries are guards: no remedy runs.
func TestSymbolsGuards(t *testing.T) {
	t.Parallel()
	for log, class := range map[string]string{
		"abi-break-deb.log":              ClassABIBreak,
		"abi-break-new-and-lost-deb.log": ClassABIBreak,
		"library-transition-deb.log":     ClassLibraryTransition,
	} {
		c := causeOf(t, log, recipe.FamilyDeb, class)
		if !c.Stop {
			t.Errorf("%s: not a stop", log)
		}
		if r, ok := For(c, Options{AllowSkipTests: true}); ok {
			t.Errorf("%s: For gave %s", log, r.Name())
		}
	}
}

func TestSymbolsChangedRefusesPathsOutsideDebian(t *testing.T) {
	t.Parallel()
	dir := copyTree(t, "deb-frob")
	for _, item := range []string{"../x.symbols libx.so.1 x@Base 1", "/etc/x libx.so.1 x@Base 1", "debian/../../x libx.so.1 x@Base 1", "short"} {
		c := Cause{Class: ClassSymbolsChanged, Items: []string{item}}
		r, _ := For(c, Options{})
		if _, err := r.Apply(t.Context(), Packaging{Family: recipe.FamilyDeb, Dir: dir}, c); err == nil {
			t.Errorf("%q: no error", item)
		}
	}
}

func TestAddSymbols(t *testing.T) {
	t.Parallel()
	in := "libx.so.1 libx1 #MINVER#\n| libx-extra1\n* Build-Depends-Package: libx-dev\n x_a@Base 1.0\n\n#comment\nliby.so.2 liby2 #MINVER#\n y_a@Base 2"
	f := parseText([]byte(in))
	n := addSymbols(f, [][2]string{
		{"libx.so.1", "x_new@Base 1.1-0~bp1"},
		{"libx.so.1", "x_a@Base 1.1"}, // listed already
		{"liby.so.2", `(c++)"y::f(int)@Base" 2.1`},
		{"libz.so.1", "z@Base 1"}, // no such block
	})
	want := "libx.so.1 libx1 #MINVER#\n| libx-extra1\n* Build-Depends-Package: libx-dev\n x_a@Base 1.0\n x_new@Base 1.1-0~bp1\n\n#comment\nliby.so.2 liby2 #MINVER#\n y_a@Base 2\n (c++)\"y::f(int)@Base\" 2.1"
	if got := string(f.bytes()); n != 2 || got != want {
		t.Fatalf("added %d:\n%s\nwant:\n%s", n, got, want)
	}
}

func FuzzAddSymbols(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "trees", "deb-frob", "debian", "libfrob1.symbols"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data), "libfrob.so.1", "frob_new@Base 1.1")
	f.Add("a\n\tb\n| c\n#d\n", "a", "x 1")
	f.Fuzz(func(t *testing.T, symbols, soname, line string) {
		if strings.ContainsAny(line+soname, "\r\n") || strings.TrimSpace(line) == "" || strings.TrimSpace(soname) == "" {
			return
		}
		file := parseText([]byte(symbols))
		n := addSymbols(file, [][2]string{{soname, line}})
		if n > 0 && !isSubsequence(parseText([]byte(symbols)).lines, file.lines) {
			t.Fatalf("existing lines changed:\n%q\n->\n%q", symbols, file.bytes())
		}
	})
}

// The classifier reads every diff line of the real log, including the
// version dpkg printed.
func TestReadSymbolsDiffs(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "logs", "abi-break-new-and-lost-deb.log"))
	if err != nil {
		t.Fatal(err)
	}
	diffs := readSymbolsDiffs(&buildLog{lines: logLines(string(data))})
	if len(diffs) != 1 || diffs[0].file != "debian/libfrob1.symbols" ||
		strings.Join(diffs[0].added, ";") != "libfrob.so.1 frob_new@Base 1.1-1" ||
		strings.Join(diffs[0].lost, ";") != "frob_old@Base 1.0" {
		t.Fatalf("got %+v", diffs)
	}
}
