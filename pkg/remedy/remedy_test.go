package remedy

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/recipe"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// copyTree copies testdata/trees/name into a fresh directory.
func copyTree(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "trees", name)
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// causeOf classifies a fixture log, failing the test on the wrong class.
func causeOf(t *testing.T, log string, family recipe.Family, class string) Cause {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "logs", log))
	if err != nil {
		t.Fatal(err)
	}
	c := ClassifyLog(family, PhaseBuild, 2, string(data))
	if c.Class != class {
		t.Fatalf("%s classified as %s, want %s", log, c.Class, class)
	}
	return c
}

// applyFor runs the remedy For picks, checking it is the one named.
func applyFor(t *testing.T, p Packaging, c Cause, name string) Change {
	t.Helper()
	r, ok := For(c, Options{AllowSkipTests: true})
	if !ok || r.Name() != name {
		t.Fatalf("For(%s) = %v, %v; want remedy %s", c.Class, r, ok, name)
	}
	ch, err := r.Apply(context.Background(), p, c)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ch
}

// checkGolden compares the files a change lists with
// testdata/golden/<golden>/<file> (rewritten with -update), and checks that
// every other file of the tree is byte-identical to the fixture.
func checkGolden(t *testing.T, golden, tree, dir string, ch Change) {
	t.Helper()
	if !ch.Changed {
		t.Fatalf("the remedy changed nothing: %s", ch.Summary)
	}
	for _, rel := range ch.Files {
		got, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Join("testdata", "golden", golden, rel)
		if *update {
			if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(want, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := os.ReadFile(want)
		if err != nil {
			t.Fatalf("%v (run go test ./pkg/remedy -update)", err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s differs from %s:\n%s", rel, want, got)
		}
	}
	src := filepath.Join("testdata", "trees", tree)
	_ = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if slices.Contains(ch.Files, rel) {
			return nil
		}
		before, _ := os.ReadFile(p)
		after, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil || !bytes.Equal(before, after) {
			t.Errorf("%s changed but the change does not list it", rel)
		}
		return nil
	})
}

// rpmspecParse runs rpmspec -P on a spec and returns the parsed text: rpm
// itself must accept every spec a remedy writes.
func rpmspecParse(t *testing.T, spec string) string {
	t.Helper()
	testtool.Require(t, "rpmspec")
	out, err := exec.Command("rpmspec", "-P", spec).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmspec -P %s: %v\n%s", spec, err, out)
	}
	return string(out)
}

// specSection returns the lines of the parsed spec's section that starts
// with header ("%files", "%files devel").
func parsedSection(parsed, header string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(parsed, "\n") {
		if specSectionOf(l) != "" {
			in = strings.TrimSpace(l) == header
			continue
		}
		if in && strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// indexProviders is a Providers over a tiny package index, with the
// matching the loop's index lookup uses: path.Match, "*" not crossing "/".
func indexProviders(index map[string]string) func(context.Context, []string) (map[string]string, error) {
	return func(_ context.Context, patterns []string) (map[string]string, error) {
		out := map[string]string{}
		for _, p := range patterns {
			var hits []string
			for file := range index {
				if ok, _ := path.Match(p, file); ok {
					hits = append(hits, file)
				}
			}
			if len(hits) > 0 {
				slices.Sort(hits)
				out[p] = index[hits[0]]
			}
		}
		return out, nil
	}
}

func TestForAndAll(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, r := range All() {
		if names[r.Name()] {
			t.Errorf("two remedies named %s", r.Name())
		}
		names[r.Name()] = true
		c := Cause{Class: r.Name(), Items: []string{"x"}}
		if !r.Matches(c) {
			t.Errorf("%s does not match its own class", r.Name())
		}
		got, ok := For(c, Options{AllowSkipTests: true})
		if !ok || got.Name() != r.Name() {
			t.Errorf("For(%s) = %v, %v", r.Name(), got, ok)
		}
	}
	for _, c := range []Cause{
		{Class: ClassUnknown},
		{Class: ClassNone},
		{Class: ClassBuildDepsUnavailable, Items: []string{"x"}},
		{Class: ClassLibraryTransition, Items: []string{"libx.so.2"}, Stop: true},
		{Class: ClassABIBreak, Items: []string{"x@Base 1"}, Stop: true},
		{Class: ClassTestsFailed},                       // without AllowSkipTests
		{Class: ClassUnpackagedFiles},                   // nothing to add
		{Class: "patch-conflict", Items: []string{"x"}}, // pkg/patch's
	} {
		if r, ok := For(c, Options{}); ok {
			t.Errorf("For(%+v) = %s, want no remedy", c, r.Name())
		}
	}
}
