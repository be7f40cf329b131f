package deb

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/diff"
)

// These tests build small source packages with the real dpkg-source -b in
// every format we unpack, then hold Unpack to `dpkg-source -x
// --skip-patches`: same paths, types, contents, modes and link targets.

const demoMainC = `#include <stdio.h>
#include "util.h"

/* A program long enough for patches with full context. */

static const char *greeting = "hello";

int count(void) { return 1; }
int twice(int n) { return 2 * n; }
int thrice(int n) { return 3 * n; }

int main(void)
{
	printf("%s\n", greeting);
	printf("%d\n", twice(count()));
	printf("%d\n", thrice(count()));
	return 0;
}
`

const demoUtilC = `#include "util.h"

int util(int n)
{
	return n + 1;
}
`

// demoUpstream is the upstream tree of the demo package: an executable, a
// symlink, an empty directory and a file without a final newline.
func demoUpstream() []srcFile {
	return []srcFile{
		{name: "README.md", body: "demo\n"},
		{name: "README", link: "README.md"},
		{name: "configure", body: "#!/bin/sh\necho configured\n", mode: 0o755},
		{name: "VERSION", body: "1.0"},
		{name: "src/main.c", body: demoMainC},
		{name: "src/util.c", body: demoUtilC},
		{name: "src/util.h", body: "int util(int n);\n", mode: 0o600},
		{name: "m4/"},
	}
}

// demoDebian is a minimal debian/ directory; format "" writes no
// debian/source/format.
func demoDebian(version, format string) []srcFile {
	files := []srcFile{
		{name: "debian/changelog", body: "bpdemo (" + version + ") unstable; urgency=medium\n\n  * Test.\n\n" +
			" -- Backport Test <test@example.org>  Tue, 02 Jan 2024 03:04:05 +0000\n"},
		{name: "debian/control", body: "Source: bpdemo\nMaintainer: Backport Test <test@example.org>\n" +
			"Section: misc\nPriority: optional\nStandards-Version: 4.6.2\n\n" +
			"Package: bpdemo\nArchitecture: any\nDescription: backport test package\n test\n"},
		{name: "debian/rules", body: "#!/usr/bin/make -f\n%:\n\tdh $@\n", mode: 0o755},
		{name: "debian/docs", body: "README.md\n"},
	}
	if format != "" {
		files = append(files, srcFile{name: "debian/source/format", body: format + "\n"})
	}
	return files
}

func requireDpkgSource(t *testing.T) {
	t.Helper()
	testtool.Require(t, "dpkg-source")
}

// unpackAndCompare unpacks dsc with Unpack and with dpkg-source and
// compares the trees.
func unpackAndCompare(t *testing.T, dsc string) (*Unpacked, string) {
	t.Helper()
	u, err := Unpack(context.Background(), dsc, t.TempDir())
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	dpkgTree, out := dpkgUnpack(t, dsc)
	compareTrees(t, u.Tree, dpkgTree)
	return u, out
}

func TestUnpackQuiltMatchesDpkgSource(t *testing.T) {
	requireDpkgSource(t)
	t.Parallel()
	work := t.TempDir()

	// The orig tarball's top directory has an unexpected name, and it ships
	// its own debian/, which the debian tarball replaces.
	upstream := filepath.Join(work, "upstream")
	writeTree(t, upstream, append(demoUpstream(),
		srcFile{name: "debian/upstream-only", body: "upstream packaging\n"}))
	orig := filepath.Join(work, "bpdemo_1.0.orig.tar.gz")
	tarGz(t, upstream, "weird-top-1.0/", orig)
	docs := []srcFile{{name: "manual.txt", body: "the manual\n"}, {name: "html/index.html", body: "<p>hi</p>\n"}}
	writeTree(t, filepath.Join(work, "docs"), docs)
	tarGz(t, filepath.Join(work, "docs"), "bpdemo-docs-1.0/", filepath.Join(work, "bpdemo_1.0.orig-docs.tar.gz"))

	patched := strings.Replace(demoMainC, `"hello"`, `"hello, patched"`, 1)
	series := []srcFile{
		{name: "debian/patches/series", body: "01-greeting.patch\n02-util.patch\n"},
		{name: "debian/patches/01-greeting.patch", body: "Description: greet differently\n\n" +
			diff.Unified("a/src/main.c", "b/src/main.c", demoMainC, patched)},
		{name: "debian/patches/02-util.patch", body: diff.Unified("a/src/util.c", "b/src/util.c",
			demoUtilC, strings.Replace(demoUtilC, "n + 1", "n + 2", 1))},
	}
	tree := filepath.Join(work, "bpdemo-1.0")
	writeTree(t, tree, demoUpstream())
	writeTree(t, filepath.Join(tree, "docs"), docs)
	writeTree(t, tree, append(demoDebian("1.0-1", FormatQuilt), series...))
	dpkgSource(t, work, "-b", "bpdemo-1.0")

	// A stale .pc/ in the orig tarball, which both must drop, is added
	// after the build: dpkg-source -b refuses to build from such a tarball.
	writeTree(t, upstream, []srcFile{{name: ".pc/applied-patches", body: "01-greeting.patch\n"}})
	tarGz(t, upstream, "weird-top-1.0/", orig)
	want := []string{"bpdemo_1.0.orig.tar.gz", "bpdemo_1.0.orig-docs.tar.gz", "bpdemo_1.0-1.debian.tar.xz"}
	writeDsc(t, work, "bpdemo", "1.0-1", FormatQuilt, want...)

	u, _ := unpackAndCompare(t, filepath.Join(work, "bpdemo_1.0-1.dsc"))
	if !slices.Equal(u.Used, want) {
		t.Errorf("Used = %v, want %v", u.Used, want)
	}
	if filepath.Base(u.Tree) != "bpdemo-1.0" {
		t.Errorf("tree %s, want bpdemo-1.0", u.Tree)
	}
	// The series stays unapplied and listed, for backport to apply.
	if got, _ := os.ReadFile(filepath.Join(u.Tree, "src/main.c")); string(got) != demoMainC {
		t.Errorf("src/main.c was patched:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(u.Tree, "debian/patches/series")); err != nil {
		t.Errorf("debian/patches/series: %v", err)
	}
}

func TestUnpackNativeMatchesDpkgSource(t *testing.T) {
	requireDpkgSource(t)
	t.Parallel()
	work := t.TempDir()
	tree := filepath.Join(work, "bpdemo-2.0")
	// No debian/source/format in the tarball: both must write it.
	writeTree(t, tree, append(demoUpstream(), demoDebian("2.0", "")...))
	dpkgSource(t, work, "--format=3.0 (native)", "-b", "bpdemo-2.0")

	u, _ := unpackAndCompare(t, filepath.Join(work, "bpdemo_2.0.dsc"))
	if want := []string{"bpdemo_2.0.tar.xz"}; !slices.Equal(u.Used, want) {
		t.Errorf("Used = %v, want %v", u.Used, want)
	}
	if got, _ := os.ReadFile(filepath.Join(u.Tree, "debian/source/format")); string(got) != FormatNative+"\n" {
		t.Errorf("debian/source/format = %q", got)
	}
}

func TestUnpack1_0DiffMatchesDpkgSource(t *testing.T) {
	requireDpkgSource(t)
	t.Parallel()
	work := t.TempDir()
	upstream := filepath.Join(work, "upstream")
	writeTree(t, upstream, demoUpstream())
	tarGz(t, upstream, "bpdemo-1.0.orig/", filepath.Join(work, "bpdemo_1.0.orig.tar.gz"))

	// The distro changes two upstream files (one without a final newline)
	// and adds one; debian/rules loses its mode in the diff.
	tree := filepath.Join(work, "bpdemo-1.0")
	writeTree(t, tree, demoUpstream())
	writeTree(t, tree, append(demoDebian("1.0-1", FormatOriginal),
		srcFile{name: "src/main.c", body: strings.Replace(demoMainC, "3 * n", "3 * n + 0", 1)},
		srcFile{name: "VERSION", body: "1.0-debian"},
		srcFile{name: "NEWS", body: "news\n"}))
	dpkgSource(t, work, "-b", "bpdemo-1.0")

	u, out := unpackAndCompare(t, filepath.Join(work, "bpdemo_1.0-1.dsc"))
	if want := []string{"bpdemo_1.0.orig.tar.gz", "bpdemo_1.0-1.diff.gz"}; !slices.Equal(u.Used, want) {
		t.Errorf("Used = %v, want %v", u.Used, want)
	}
	if fi, err := os.Stat(filepath.Join(u.Tree, "debian/rules")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("debian/rules: %v, %v", fi, err)
	}
	// dpkg-source lists the upstream files the diff changed; so must we.
	want := dpkgModifiedUpstream(out)
	got := slices.Clone(u.UpstreamChanges)
	sort.Strings(got)
	if !slices.Equal(got, want) || len(want) != 3 {
		t.Errorf("UpstreamChanges = %v, dpkg-source says %v", got, want)
	}
}

// dpkgModifiedUpstream reads the "upstream files that have been modified"
// list from dpkg-source -x's output, relative to the tree.
func dpkgModifiedUpstream(out string) []string {
	_, list, ok := strings.Cut(out, "upstream files that have been modified:")
	if !ok {
		return nil
	}
	var files []string
	for _, line := range strings.Split(list, "\n")[1:] {
		if !strings.HasPrefix(line, " ") {
			break
		}
		_, rel, _ := strings.Cut(strings.TrimSpace(line), "dpkg-tree/")
		files = append(files, rel)
	}
	sort.Strings(files)
	return files
}

func TestUnpack1_0NativeMatchesDpkgSource(t *testing.T) {
	requireDpkgSource(t)
	t.Parallel()
	work := t.TempDir()
	tree := filepath.Join(work, "bpdemo-1.0")
	writeTree(t, tree, append(demoUpstream(), demoDebian("1.0", FormatOriginal)...))
	dpkgSource(t, work, "-b", "bpdemo-1.0")

	u, _ := unpackAndCompare(t, filepath.Join(work, "bpdemo_1.0.dsc"))
	if want := []string{"bpdemo_1.0.tar.gz"}; !slices.Equal(u.Used, want) {
		t.Errorf("Used = %v, want %v", u.Used, want)
	}
}

const helloDsc = "testdata/hello/hello_2.10-3.dsc"

// TestUnpackHelloMatchesDpkgSource unpacks the real hello 2.10-3 from the
// Debian archive.
func TestUnpackHelloMatchesDpkgSource(t *testing.T) {
	requireDpkgSource(t)
	t.Parallel()
	u, _ := unpackAndCompare(t, helloDsc)
	if want := []string{"hello_2.10.orig.tar.gz", "hello_2.10-3.debian.tar.xz"}; !slices.Equal(u.Used, want) {
		t.Errorf("Used = %v, want %v", u.Used, want)
	}
	if filepath.Base(u.Tree) != "hello-2.10" {
		t.Errorf("tree %s, want hello-2.10", u.Tree)
	}
}
