package bundle

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadDeb(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name, version, arch, kind string
	}{
		{"hello", "2.10-3+bp1", "amd64", KindBinary},
		{"hello-dbgsym", "1:2.10-3+bp1", "amd64", KindDebug},
		{"libfoo1", "1.0~rc1-0~bp1", "all", KindBinary},
	}
	for _, c := range cases {
		path := debFile(t, dir, c.name, c.version, c.arch, map[string]string{"./usr/share/doc/x": "x"})
		p, err := readPackage(path)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != c.name || p.Version != c.version || p.Arch != c.arch || p.Kind != c.kind {
			t.Errorf("readPackage(%s) = %+v", filepath.Base(path), p)
		}
	}
}

func TestReadPackageRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, err := os.ReadFile(debFile(t, dir, "x", "1", "all", nil))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"empty.deb":     nil,
		"text.deb":      []byte("hello"),
		"truncated.deb": good[:len(good)/2],
		"x.rpm":         []byte("not an rpm at all, but long enough to read a lead from....................................."),
		"x.tar":         good,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readPackage(p); err == nil {
			t.Errorf("%s: read as a package", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error on more than one line: %q", name, err)
		}
	}
	// install.sh splits its package table on blanks: nothing else gets in.
	p := debFile(t, t.TempDir(), "evil", "1 $(id)", "all", nil)
	if _, err := readPackage(p); err == nil {
		t.Error("a version with blanks and $ was accepted into install.sh's table")
	}
}

func TestParseDebControl(t *testing.T) {
	t.Parallel()
	p, err := parseDebControl([]byte("Package: foo\nVersion: 1.0-1\nArchitecture: arm64\nSection: debug\nDescription: x\n long\n .\n more\n"))
	if err != nil || p.Name != "foo" || p.Version != "1.0-1" || p.Arch != "arm64" || p.Kind != KindDebug {
		t.Errorf("parseDebControl = %+v, %v", p, err)
	}
	if _, err := parseDebControl([]byte("Package: foo\nno colon here\n")); err == nil || !strings.Contains(err.Error(), "control:2") {
		t.Errorf("error %v, want one naming control:2", err)
	}
	if _, err := parseDebControl([]byte("Package: foo\n")); err == nil {
		t.Error("a control without Version was accepted")
	}
}

func FuzzReadDeb(f *testing.F) {
	dir := f.TempDir()
	good, err := os.ReadFile(debFile(f, dir, "x", "1", "all", map[string]string{"./a": "b"}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("!<arch>\n"))
	f.Add([]byte("!<arch>\ncontrol.tar     0           0     0     100644  99999999999`\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := readDeb(bytes.NewReader(data))
		if err == nil && (p.Name == "" || p.Version == "" || p.Arch == "") {
			t.Fatalf("readDeb accepted a package without name, version or arch: %+v", p)
		}
	})
}
