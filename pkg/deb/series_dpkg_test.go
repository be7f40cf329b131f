package deb

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/patch"
)

// These tests hold the series editor and MarkApplied to the real
// dpkg-source with a 3.0 (quilt) tree of greet 1.1 whose patches were
// written for 1.0 (testdata/series/quiltpkg.txtar).

// unpackQuiltFixture writes the fixture's tree into dir and returns the
// patched greet.c it expects.
func unpackQuiltFixture(t *testing.T, dir string) []byte {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join(seriesDir, "quiltpkg.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, f := range ar.Files {
		if f.Name == "want/src/greet.c" {
			want = f.Data
			continue
		}
		writeTestFile(t, filepath.Join(dir, f.Name), string(f.Data))
	}
	return want
}

func beforeBuild(t *testing.T, bin, tree string) string {
	t.Helper()
	out, err := exec.Command(bin, "--before-build", tree).CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-source --before-build: %v\n%s", err, out)
	}
	return string(out)
}

// readFiles returns the tree's files outside .pc.
func readFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == ".pc" {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(p)
		out[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDpkgSourceSkipsUnappliableSeries records why backport applies the
// series itself: when the first patch needs fuzz, dpkg-source
// --before-build exits 0 having applied nothing at all.
func TestDpkgSourceSkipsUnappliableSeries(t *testing.T) {
	bin := testtool.Require(t, "dpkg-source")
	testtool.Require(t, "patch")
	tree := t.TempDir()
	unpackQuiltFixture(t, tree)
	before := readFiles(t, tree)
	out := beforeBuild(t, bin, tree)
	if after := readFiles(t, tree); after["src/greet.c"] != before["src/greet.c"] {
		t.Fatalf("dpkg-source applied patches after all (dpkg changed?):\n%s", out)
	}
}

// TestMarkAppliedWithDpkgSource triages the series, drops and refreshes
// what it says, marks the rest applied, and checks that dpkg-source
// --before-build then leaves the tree alone — and that dpkg-source itself
// applies the edited series strictly to a fresh copy of the new upstream.
func TestMarkAppliedWithDpkgSource(t *testing.T) {
	bin := testtool.Require(t, "dpkg-source")
	testtool.Require(t, "patch")
	tree := t.TempDir()
	want := unpackQuiltFixture(t, tree)
	pristine := t.TempDir()
	unpackQuiltFixture(t, pristine)

	seriesPath := SeriesPath(tree, "debian")
	series, err := ReadSeries(seriesPath)
	if err != nil {
		t.Fatal(err)
	}
	var patches []patch.Patch
	for _, e := range series.Entries() {
		patches = append(patches, patch.Patch{Name: e.Name, Path: filepath.Join(tree, "debian", "patches", e.Name), Strip: e.Strip})
	}
	var log bytes.Buffer
	results, err := patch.Triage(context.Background(), patch.Options{Tree: tree, NewVersion: "1.1", Log: &log}, patches)
	if err != nil {
		t.Fatalf("Triage: %v\n%s", err, log.String())
	}
	wantFates := []patch.Fate{patch.Refreshed, patch.DroppedUpstreamed, patch.Applied}
	var kept []string
	for i, r := range results {
		if r.Fate != wantFates[i] {
			t.Fatalf("%s: %s, want %s\n%s", r.Patch.Name, r.Fate, wantFates[i], log.String())
		}
		if r.Fate.Dropped() {
			if err := series.Drop(r.Patch.Name); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(r.Patch.Path); err != nil {
				t.Fatal(err)
			}
			continue
		}
		kept = append(kept, r.Patch.Name)
	}
	if err := series.Write(seriesPath); err != nil {
		t.Fatal(err)
	}
	if err := MarkApplied(tree, kept); err != nil {
		t.Fatal(err)
	}

	before := readFiles(t, tree)
	if before["src/greet.c"] != string(want) {
		t.Fatalf("triaged greet.c =\n%s\nwant\n%s", before["src/greet.c"], want)
	}
	out := beforeBuild(t, bin, tree)
	if strings.Contains(out, "applying") {
		t.Errorf("dpkg-source applied patches again:\n%s", out)
	}
	after := readFiles(t, tree)
	for name, content := range before {
		if after[name] != content {
			t.Errorf("dpkg-source --before-build changed %s", name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("dpkg-source --before-build added %s", name)
		}
	}

	// dpkg-source reads the .pc state as "these patches are applied":
	// asked to unapply them, it reverse-applies exactly those and gets
	// back the new upstream's greet.c. (A no-op MarkApplied passes the
	// check above, as dpkg-source is silent then; not this one.)
	unapplied := t.TempDir()
	if err := os.CopyFS(unapplied, os.DirFS(tree)); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "--after-build", "--unapply-patches", unapplied).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-source --after-build --unapply-patches: %v\n%s", err, out)
	}
	upstream, _ := os.ReadFile(filepath.Join(pristine, "src", "greet.c"))
	if got, _ := os.ReadFile(filepath.Join(unapplied, "src", "greet.c")); !bytes.Equal(got, upstream) {
		t.Errorf("after dpkg-source unapplied the marked patches, greet.c =\n%s\nwant the new upstream's\n%s", got, upstream)
	}

	// The edited debian/ on the unpatched new upstream: dpkg-source
	// applies it with its own strict settings (fuzz 0) and gets the same.
	if err := os.RemoveAll(filepath.Join(pristine, "debian")); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(pristine, "debian"), os.DirFS(filepath.Join(tree, "debian"))); err != nil {
		t.Fatal(err)
	}
	out = beforeBuild(t, bin, pristine)
	for _, name := range kept {
		if !strings.Contains(out, "applying "+name) {
			t.Errorf("dpkg-source did not apply %s:\n%s", name, out)
		}
	}
	got, err := os.ReadFile(filepath.Join(pristine, "src", "greet.c"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("dpkg-source's application of the edited series gives\n%s\nwant\n%s", got, want)
	}
}
