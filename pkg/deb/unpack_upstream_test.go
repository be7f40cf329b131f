package deb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/diff"
	"github.com/backport/backport/pkg/exitcode"
)

// newHelloUpstream writes a generated "hello 2.12" tarball that ships its
// own debian/ and .pc/, and returns its path and the tree it holds.
func newHelloUpstream(t testing.TB) (tarball, content string) {
	t.Helper()
	work := t.TempDir()
	content = filepath.Join(work, "content")
	writeTree(t, content, []srcFile{
		{name: "README", body: "hello 2.12, generated\n"},
		{name: "configure", body: "#!/bin/sh\n", mode: 0o755},
		{name: "src/hello.c", body: "int main(void) { return 0; }\n"},
		{name: "NEWS", link: "README"},
	})
	withExtras := filepath.Join(work, "tarball-tree")
	writeTree(t, withExtras, []srcFile{
		{name: "README", body: "hello 2.12, generated\n"},
		{name: "configure", body: "#!/bin/sh\n", mode: 0o755},
		{name: "src/hello.c", body: "int main(void) { return 0; }\n"},
		{name: "NEWS", link: "README"},
		{name: "debian/control", body: "upstream's own packaging\n"},
		{name: ".pc/applied-patches", body: "stale\n"},
	})
	tarball = filepath.Join(work, "hello-2.12.tar.gz")
	tarGz(t, withExtras, "hello-v2.12-release/", tarball)
	return tarball, content
}

func TestUnpackNewUpstreamHello(t *testing.T) {
	t.Parallel()
	tarball, content := newHelloUpstream(t)
	dest := t.TempDir()
	tree, err := UnpackNewUpstream(context.Background(), helloDsc, tarball, "2.12", dest)
	if err != nil {
		t.Fatal(err)
	}
	if tree != filepath.Join(dest, "hello-2.12") {
		t.Errorf("tree = %s", tree)
	}
	old, err := UnpackSource(context.Background(), helloDsc, t.TempDir())
	must(t, err)
	// debian/ is the distro's, exactly as UnpackSource (held to dpkg-source
	// elsewhere) leaves it; everything else is the new upstream's only.
	compareTrees(t, filepath.Join(tree, "debian"), filepath.Join(old, "debian"))
	must(t, os.RemoveAll(filepath.Join(tree, "debian")))
	compareTrees(t, tree, content)
}

func TestUnpackNewUpstreamFrom1_0(t *testing.T) {
	t.Parallel()
	upstream := []srcFile{{name: "main.c", body: "int main;\n"}}
	debian := demoDebian("1.0-1", "")
	cases := []struct {
		name      string
		changeOld bool // the diff also changes an upstream file
		want      string
	}{
		{"debian only", false, ""},
		{"upstream change", true, "bpdemo_1.0-1.diff.gz changes upstream files outside debian/ (main.c)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeTree(t, filepath.Join(dir, "orig"), upstream)
			tarGz(t, filepath.Join(dir, "orig"), "bpdemo-1.0.orig/", filepath.Join(dir, "bpdemo_1.0.orig.tar.gz"))
			var d strings.Builder
			for _, f := range debian {
				d.WriteString(diff.Unified("bpdemo-1.0.orig/"+f.name, "bpdemo-1.0/"+f.name, "", f.body))
			}
			if c.changeOld {
				d.WriteString(diff.Unified("bpdemo-1.0.orig/main.c", "bpdemo-1.0/main.c", "int main;\n", "int main2;\n"))
			}
			gzipFile(t, filepath.Join(dir, "bpdemo_1.0-1.diff.gz"), []byte(d.String()))
			dsc := writeDsc(t, dir, "bpdemo", "1.0-1", FormatOriginal, "bpdemo_1.0.orig.tar.gz", "bpdemo_1.0-1.diff.gz")

			newTree := t.TempDir()
			writeTree(t, newTree, []srcFile{{name: "main.c", body: "int main(void);\n"}, {name: "debian/junk", body: "x\n"}})
			tarball := filepath.Join(t.TempDir(), "bpdemo-1.1.tar.gz")
			tarGz(t, newTree, "bpdemo-1.1/", tarball)

			dest := t.TempDir()
			tree, err := UnpackNewUpstream(context.Background(), dsc, tarball, "1.1", dest)
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("UnpackNewUpstream = %v, want %q", err, c.want)
				}
				requireEmptyDir(t, dest)
				return
			}
			must(t, err)
			if got := readFile(t, filepath.Join(tree, "main.c")); got != "int main(void);\n" {
				t.Errorf("main.c = %q, want the new upstream's", got)
			}
			if _, err := os.Stat(filepath.Join(tree, "debian/junk")); err == nil {
				t.Error("upstream's debian/ survived")
			}
			if fi, err := os.Stat(filepath.Join(tree, "debian/rules")); err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("debian/rules from the diff: %v %v", fi, err)
			}
			if _, err := os.Stat(filepath.Join(tree, "debian/source/format")); err == nil {
				t.Error("a 1.0 tree got a debian/source/format")
			}
		})
	}
}

func TestUnpackNewUpstreamRefuses(t *testing.T) {
	t.Parallel()
	tarball, _ := newHelloUpstream(t)

	nativeDir := t.TempDir()
	writeTree(t, filepath.Join(nativeDir, "t"), demoDebian("1.0", FormatNative))
	tarGz(t, filepath.Join(nativeDir, "t"), "bpdemo-1.0/", filepath.Join(nativeDir, "bpdemo_1.0.tar.gz"))
	nativeDsc := writeDsc(t, nativeDir, "bpdemo", "1.0", FormatNative, "bpdemo_1.0.tar.gz")

	componentDsc := writeQuiltPackage(t, t.TempDir(), "bpdemo-1.0/", []srcFile{{name: "a.c", body: "a\n"}},
		map[string][]srcFile{"docs": {{name: "d.txt", body: "d\n"}}})

	tampered := copyHello(t)
	must(t, os.Truncate(filepath.Join(filepath.Dir(tampered), "hello_2.10-3.debian.tar.xz"), 10))

	cases := []struct {
		name, dsc, version, want string
		code                     int
	}{
		{"epoch in version", helloDsc, "1:2.12", `upstream version "1:2.12" is not valid`, exitcode.Failure},
		{"empty version", helloDsc, "", `upstream version "" is not valid`, exitcode.Failure},
		{"path in version", helloDsc, "2.12/../x", `upstream version "2.12/../x" is not valid`, exitcode.Failure},
		{"native package", nativeDsc, "1.1", "is a native package", exitcode.Failure},
		{"component tarballs", componentDsc, "1.1", "orig-component tarballs (bpdemo_1.0.orig-docs.tar.gz) belong to upstream 1.0", exitcode.Failure},
		{"tampered distro files", tampered, "2.12", "hello_2.10-3.debian.tar.xz: size 10, want 12684", exitcode.Verification},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dest := t.TempDir()
			_, err := UnpackNewUpstream(context.Background(), c.dsc, tarball, c.version, dest)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("UnpackNewUpstream = %v, want one line containing %q", err, c.want)
			}
			if exitcode.Of(err) != c.code {
				t.Errorf("exit code %d, want %d", exitcode.Of(err), c.code)
			}
			requireEmptyDir(t, dest)
		})
	}
}
