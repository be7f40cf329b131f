package build

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

// TestDebSONAMEs builds a library package with the real gcc and dpkg-deb
// and reads its SONAME back: the input of the library-transition guard.
func TestDebSONAMEs(t *testing.T) {
	t.Parallel()
	gcc := testtool.Require(t, "gcc")
	dpkgDeb := testtool.Require(t, "dpkg-deb")
	dir := t.TempDir()
	src := filepath.Join(dir, "s.c")
	if err := os.WriteFile(src, []byte("int sodium_init(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	lib := filepath.Join(root, "usr/lib/x86_64-linux-gnu/libsodium.so.26.1.0")
	for _, d := range []string{filepath.Dir(lib), filepath.Join(root, "DEBIAN")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(gcc, "-shared", "-fPIC", "-Wl,-soname,libsodium.so.26", "-o", lib, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	if err := os.Symlink("libsodium.so.26.1.0", filepath.Join(filepath.Dir(lib), "libsodium.so.26")); err != nil {
		t.Fatal(err)
	}
	control := "Package: libsodium23\nVersion: 1.0.20-0~bp1\nArchitecture: amd64\nMaintainer: T <t@example.org>\nDescription: test\n"
	if err := os.WriteFile(filepath.Join(root, "DEBIAN/control"), []byte(control), 0o644); err != nil {
		t.Fatal(err)
	}
	deb := filepath.Join(dir, "libsodium23_1.0.20-0~bp1_amd64.deb")
	if out, err := exec.Command(dpkgDeb, "--root-owner-group", "-Zxz", "--build", root, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, out)
	}
	pkg, sonames, err := DebSONAMEs(deb)
	if err != nil || pkg != "libsodium23" || !slices.Equal(sonames, []string{"libsodium.so.26"}) {
		t.Fatalf("DebSONAMEs = %q, %q, %v; want libsodium23 shipping libsodium.so.26", pkg, sonames, err)
	}
	if _, _, err := DebSONAMEs(src); err == nil {
		t.Error("a C file read as a .deb")
	}
}
