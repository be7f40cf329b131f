package deb

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/archive"
	"github.com/backport/backport/pkg/exitcode"
)

// These tests need no dpkg: the packages are written by the test itself.

// writeQuiltPackage writes bpdemo 1.0-1 as a 3.0 (quilt) source package
// into dir: the orig tarball (under top, "" for none), one tarball per
// component, and the debian tarball. It returns the .dsc's path.
func writeQuiltPackage(t testing.TB, dir, top string, upstream []srcFile, components map[string][]srcFile) string {
	t.Helper()
	src := t.TempDir()
	writeTree(t, filepath.Join(src, "orig"), upstream)
	tarGz(t, filepath.Join(src, "orig"), top, filepath.Join(dir, "bpdemo_1.0.orig.tar.gz"))
	files := []string{"bpdemo_1.0.orig.tar.gz"}
	for name, tree := range components {
		writeTree(t, filepath.Join(src, name), tree)
		file := "bpdemo_1.0.orig-" + name + ".tar.gz"
		tarGz(t, filepath.Join(src, name), name+"-upstream/", filepath.Join(dir, file))
		files = append(files, file)
	}
	writeTree(t, filepath.Join(src, "deb"), demoDebian("1.0-1", FormatQuilt))
	tarGz(t, filepath.Join(src, "deb"), "", filepath.Join(dir, "bpdemo_1.0-1.debian.tar.gz"))
	files = append(files, "bpdemo_1.0-1.debian.tar.gz")
	return writeDsc(t, dir, "bpdemo", "1.0-1", FormatQuilt, files...)
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err)
	return string(data)
}

// requireEmptyDir fails unless dir holds nothing: a failed unpack must
// leave no partial tree and no scratch space behind.
func requireEmptyDir(t testing.TB, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if len(entries) > 0 {
		t.Errorf("%s is not empty after a failed unpack: %v", dir, entries)
	}
}

func TestUnpackSourceHello(t *testing.T) {
	t.Parallel()
	dest := t.TempDir()
	tree, err := UnpackSource(context.Background(), helloDsc, dest)
	if err != nil {
		t.Fatal(err)
	}
	if tree != filepath.Join(dest, "hello-2.10") {
		t.Errorf("tree = %s", tree)
	}
	if got := readFile(t, filepath.Join(tree, "debian/source/format")); got != "3.0 (quilt)\n" {
		t.Errorf("debian/source/format = %q", got)
	}
	if fi, err := os.Stat(filepath.Join(tree, "debian/rules")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("debian/rules: %v %v", fi, err)
	}
	if !strings.HasPrefix(readFile(t, filepath.Join(tree, "src/hello.c")), "/* hello.c -- print a greeting message and exit.") {
		t.Error("src/hello.c is not hello's")
	}
}

func TestUnpackQuiltLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// No top directory in the orig tarball, a stale docs/ that the
	// component replaces, and quilt state that must not survive.
	dsc := writeQuiltPackage(t, dir, "", []srcFile{
		{name: "main.c", body: "int main;\n"},
		{name: "docs/stale.txt", body: "old docs\n"},
		{name: "debian/upstream.txt", body: "upstream packaging\n"},
		{name: ".pc/applied-patches", body: "x\n"},
		{name: "sub/.pc/keep", body: "dpkg drops */.pc too\n"},
	}, map[string][]srcFile{"docs": {{name: "manual.txt", body: "manual\n"}}})
	u, err := Unpack(context.Background(), dsc, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got := snapshotTree(t, u.Tree)
	for _, p := range []string{"main.c", "docs/manual.txt", "debian/rules", "debian/changelog", "debian/source/format"} {
		if _, ok := got[p]; !ok {
			t.Errorf("missing %s", p)
		}
	}
	for _, p := range []string{"docs/stale.txt", "debian/upstream.txt", ".pc", "sub/.pc", "bpdemo-1.0"} {
		if _, ok := got[p]; ok {
			t.Errorf("%s should be gone", p)
		}
	}
}

func TestUnpackRefusesTamperedFiles(t *testing.T) {
	t.Parallel()
	dsc := copyHello(t)
	p := filepath.Join(filepath.Dir(dsc), "hello_2.10.orig.tar.gz")
	data := []byte(readFile(t, p))
	data[1000] ^= 0xff
	must(t, os.WriteFile(p, data, 0o644))
	dest := filepath.Join(t.TempDir(), "ws")
	_, err := UnpackSource(context.Background(), dsc, dest)
	if exitcode.Of(err) != exitcode.Verification || !strings.Contains(err.Error(), "hello_2.10.orig.tar.gz: sha256") {
		t.Fatalf("UnpackSource = %v, want a verification failure naming the orig tarball", err)
	}
	requireEmptyDir(t, dest)
}

func TestUnpackRefusesExistingTree(t *testing.T) {
	t.Parallel()
	dest := t.TempDir()
	tree, err := UnpackSource(context.Background(), helloDsc, dest)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(tree, "EDITED"), []byte("an engineer's edit\n"), 0o644))
	_, err = UnpackSource(context.Background(), helloDsc, dest)
	if err == nil || !strings.Contains(err.Error(), "hello-2.10 already exists") {
		t.Fatalf("second UnpackSource = %v, want an 'already exists' error", err)
	}
	if _, err := os.Stat(filepath.Join(tree, "EDITED")); err != nil {
		t.Errorf("the existing tree was touched: %v", err)
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 1 {
		t.Errorf("dest holds %v, want only the first tree", entries)
	}
}

// TestUnpackRefusesBadPackages: packages dpkg-source would refuse, or that
// backport cannot unpack, fail with one line naming the .dsc.
func TestUnpackRefusesBadPackages(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		format string
		files  []string // created with dummy content
		want   string
	}{
		{"git format", "3.0 (git)", []string{"bpdemo_1.0-1.git"}, `source format "3.0 (git)" is not supported`},
		{"format 2.0", "2.0", []string{"bpdemo_1.0.orig.tar.gz"}, `source format "2.0" is not supported`},
		{"quilt with a stray file", FormatQuilt, []string{"bpdemo_1.0.orig.tar.gz", "bpdemo_1.0-1.debian.tar.xz", "run-me.sh"}, "unrecognised file for a 3.0 (quilt) source package: run-me.sh"},
		{"quilt without debian tarball", FormatQuilt, []string{"bpdemo_1.0.orig.tar.gz"}, "needs an orig tarball and a debian tarball"},
		{"quilt with orig of another version", FormatQuilt, []string{"bpdemo_0.9.orig.tar.gz", "bpdemo_1.0-1.debian.tar.xz"}, "unrecognised file"},
		{"quilt with two compressions", FormatQuilt, []string{"bpdemo_1.0.orig.tar.gz", "bpdemo_1.0.orig.tar.xz", "bpdemo_1.0-1.debian.tar.xz"}, "lists bpdemo_1.0.orig.tar.* twice"},
		{"quilt with unmatched signature", FormatQuilt, []string{"bpdemo_1.0.orig.tar.gz", "bpdemo_1.0.orig.tar.xz.asc", "bpdemo_1.0-1.debian.tar.xz"}, "signature bpdemo_1.0.orig.tar.xz.asc has no matching tarball"},
		{"native with two tarballs", FormatNative, []string{"bpdemo_1.0-1.tar.gz", "bpdemo_1.0-1.tar.bz2"}, "more than one tarball"},
		{"native with an orig tarball", FormatNative, []string{"bpdemo_1.0.orig.tar.gz"}, "unrecognised file for a 3.0 (native) source package"},
		{"1.0 with two tarballs", FormatOriginal, []string{"bpdemo_1.0.orig.tar.gz", "bpdemo_1.0-1.tar.gz"}, "more than one tarball"},
		{"1.0 with xz", FormatOriginal, []string{"bpdemo_1.0.orig.tar.xz", "bpdemo_1.0-1.diff.gz"}, "unrecognised file for a 1.0 source package: bpdemo_1.0.orig.tar.xz"},
		{"1.0 diff without tarball", FormatOriginal, []string{"bpdemo_1.0-1.diff.gz"}, "no tarball"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, f := range c.files {
				must(t, os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644))
			}
			dsc := writeDsc(t, dir, "bpdemo", "1.0-1", c.format, c.files...)
			dest := t.TempDir()
			_, err := UnpackSource(context.Background(), dsc, dest)
			if err == nil {
				t.Fatal("accepted")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, dsc+": ") || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming the .dsc and containing %q", msg, c.want)
			}
			if exitcode.Of(err) != exitcode.Failure {
				t.Errorf("exit code %d, want %d", exitcode.Of(err), exitcode.Failure)
			}
			requireEmptyDir(t, dest)
		})
	}
}

// TestUnpackRefusesHostileTarballs: pkg/archive's refusals reach the
// caller with the member named, and nothing is left behind. An absolute
// symlink is among them, even though dpkg-source would unpack it.
func TestUnpackRefusesHostileTarballs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		member tar.Header
		want   error
	}{
		{"dot-dot", tar.Header{Name: "bpdemo-1.0/../../evil", Typeflag: tar.TypeReg, Mode: 0o644}, archive.ErrPathEscapes},
		{"absolute symlink", tar.Header{Name: "bpdemo-1.0/config.guess", Typeflag: tar.TypeSymlink, Linkname: "/usr/share/misc/config.guess"}, archive.ErrLinkEscapes},
		{"device", tar.Header{Name: "bpdemo-1.0/dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}, archive.ErrSpecialFile},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tarGzEntries(t, filepath.Join(dir, "bpdemo_1.0.tar.gz"), []tar.Header{
				{Name: "bpdemo-1.0/", Typeflag: tar.TypeDir, Mode: 0o755},
				{Name: "bpdemo-1.0/debian/rules", Typeflag: tar.TypeReg, Mode: 0o755},
				c.member,
			}, nil)
			dsc := writeDsc(t, dir, "bpdemo", "1.0", FormatNative, "bpdemo_1.0.tar.gz")
			dest := filepath.Join(t.TempDir(), "ws")
			_, err := UnpackSource(context.Background(), dsc, dest)
			var me *archive.MemberError
			if !errors.Is(err, c.want) || !errors.As(err, &me) || me.Member != c.member.Name {
				t.Fatalf("UnpackSource = %v, want %v for member %s", err, c.want, c.member.Name)
			}
			requireEmptyDir(t, dest)
		})
	}
}

// TestUnpackRefusesLinksOutOfTheStrippedTree: a link that stays inside the
// tarball but climbs out of its top directory would leave the tree once
// that directory is stripped.
func TestUnpackRefusesLinksOutOfTheStrippedTree(t *testing.T) {
	t.Parallel()
	for _, link := range []string{"../bpdemo-1.0/debian/rules", "sub/../../x", "hop/../..", "hop/../hop/../debian"} {
		escapes := !strings.HasSuffix(link, "/debian")
		t.Run(link, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tarGzEntries(t, filepath.Join(dir, "bpdemo_1.0.tar.gz"), []tar.Header{
				{Name: "bpdemo-1.0/", Typeflag: tar.TypeDir, Mode: 0o755},
				{Name: "bpdemo-1.0/debian/rules", Typeflag: tar.TypeReg, Mode: 0o755},
				{Name: "bpdemo-1.0/sub/", Typeflag: tar.TypeDir, Mode: 0o755},
				{Name: "bpdemo-1.0/hop", Typeflag: tar.TypeSymlink, Linkname: "sub"},
				{Name: "bpdemo-1.0/ok", Typeflag: tar.TypeSymlink, Linkname: "hop/../debian/rules"},
				{Name: "bpdemo-1.0/bad", Typeflag: tar.TypeSymlink, Linkname: link},
			}, nil)
			dsc := writeDsc(t, dir, "bpdemo", "1.0", FormatNative, "bpdemo_1.0.tar.gz")
			dest := filepath.Join(t.TempDir(), "ws")
			_, err := UnpackSource(context.Background(), dsc, dest)
			if !escapes {
				if err != nil {
					t.Fatalf("a link that stays inside was refused: %v", err)
				}
				return
			}
			if !errors.Is(err, archive.ErrLinkEscapes) || !strings.Contains(err.Error(), "symlink bad -> "+link) {
				t.Fatalf("UnpackSource = %v, want the link bad refused", err)
			}
			requireEmptyDir(t, dest)
		})
	}
}

func TestUnpackStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dest := filepath.Join(t.TempDir(), "ws")
	_, err := UnpackSource(ctx, helloDsc, dest)
	if !errors.Is(err, context.Canceled) || exitcode.Of(err) != exitcode.Interrupted {
		t.Fatalf("UnpackSource = %v, want context.Canceled", err)
	}
	requireEmptyDir(t, dest)
}
