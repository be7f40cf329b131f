package deb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/exitcode"
)

func readHelloDsc(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(helloDsc)
	must(t, err)
	return data
}

func TestParseDscHello(t *testing.T) {
	t.Parallel()
	d, err := ParseDsc(helloDsc, readHelloDsc(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.Source != "hello" || d.Version != "2.10-3" || d.Format != FormatQuilt || d.Path != helloDsc {
		t.Errorf("got %+v", d)
	}
	want := []DscFile{
		{"hello_2.10.orig.tar.gz", 725946, "31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b", "6cd0ffea3884a4e79330338dcc2987d6"},
		{"hello_2.10.orig.tar.gz.asc", 819, "4ea69de913428a4034d30dcdcb34ab84f5c4a76acf9040f3091f0d3fac411b60", "e6074bb23a0f184e00fdfb5c546b3bc2"},
		{"hello_2.10-3.debian.tar.xz", 12684, "60ee7a466808301fbaa7fea2490b5e7a6d86f598956fb3e79c71b3295dc1f249", "27ab798c1d8d9048ffc8127e9b8dbfca"},
	}
	if len(d.Files) != len(want) {
		t.Fatalf("Files = %+v", d.Files)
	}
	for i := range want {
		if d.Files[i] != want[i] {
			t.Errorf("Files[%d] = %+v, want %+v", i, d.Files[i], want[i])
		}
	}
	if err := d.VerifyFiles(filepath.Dir(helloDsc)); err != nil {
		t.Errorf("VerifyFiles: %v", err)
	}
}

// minimalDsc is an unsigned .dsc that ParseDsc accepts; tests break it.
const minimalDsc = `Format: 3.0 (quilt)
Source: demo
Version: 1:1.0-1
Checksums-Sha256:
 0000000000000000000000000000000000000000000000000000000000000000 10 demo_1.0.orig.tar.gz
 1111111111111111111111111111111111111111111111111111111111111111 20 demo_1.0-1.debian.tar.xz
Files:
 00000000000000000000000000000000 10 demo_1.0.orig.tar.gz
 11111111111111111111111111111111 20 demo_1.0-1.debian.tar.xz
`

// signed wraps a .dsc body in clearsign armour with a dummy signature:
// ParseDsc never checks it.
func signed(body string) string {
	return "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + body +
		"\n-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE\n=kNoz\n-----END PGP SIGNATURE-----\n"
}

func TestParseDscAccepts(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, data, format string }{
		{"unsigned", minimalDsc, FormatQuilt},
		{"signed", signed(minimalDsc), FormatQuilt},
		{"signature right after the fields", strings.TrimSuffix(signed(minimalDsc), "\n"), FormatQuilt},
		{"CRLF", strings.ReplaceAll(signed(minimalDsc), "\n", "\r\n"), FormatQuilt},
		{"comments and blank lines around", "# made by hand\n\n" + minimalDsc + "\n# end\n", FormatQuilt},
		{"short format", strings.Replace(minimalDsc, "3.0 (quilt)", "3 (quilt)", 1), FormatQuilt},
		{"1", strings.Replace(minimalDsc, "3.0 (quilt)", "1", 1), FormatOriginal},
		{"lower-case field names", strings.Replace(minimalDsc, "Source:", "source:", 1), FormatQuilt},
		{"without Checksums-Sha1", minimalDsc, FormatQuilt},
		{"with matching Checksums-Sha1", minimalDsc + "Checksums-Sha1:\n" +
			" 0000000000000000000000000000000000000000 10 demo_1.0.orig.tar.gz\n" +
			" 1111111111111111111111111111111111111111 20 demo_1.0-1.debian.tar.xz\n", FormatQuilt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseDsc("demo.dsc", []byte(c.data))
			if err != nil {
				t.Fatal(err)
			}
			if d.Source != "demo" || d.Version != "1:1.0-1" || d.Format != c.format || len(d.Files) != 2 {
				t.Errorf("got %+v", d)
			}
			if d.Files[1].MD5 != strings.Repeat("1", 32) {
				t.Errorf("MD5 not taken from Files: %+v", d.Files[1])
			}
		})
	}
}

// dscMalformedCases are .dsc files ParseDsc must refuse, with a part of
// the one-line message that says why.
var dscMalformedCases = []struct{ name, data, want string }{
	{"empty", "", "no fields"},
	{"missing Format", strings.Replace(minimalDsc, "Format: 3.0 (quilt)\n", "", 1), "missing required field Format"},
	{"invalid Format", strings.Replace(minimalDsc, "3.0 (quilt)", "banana", 1), `:1: format "banana" is not valid`},
	{"missing Source", strings.Replace(minimalDsc, "Source: demo\n", "", 1), "missing required field Source"},
	{"bad Source", strings.Replace(minimalDsc, "Source: demo", "Source: ../demo", 1), `:2: source package name "../demo" is not valid`},
	{"bad Version", strings.Replace(minimalDsc, "1:1.0-1", "one", 1), `:3: version "one" is not valid`},
	{"empty revision", strings.Replace(minimalDsc, "1:1.0-1", "1.0-", 1), "empty revision"},
	{"empty upstream version", strings.Replace(minimalDsc, "1:1.0-1", "-1", 1), "upstream part must start with a digit"},
	{"missing Checksums-Sha256", strings.Split(minimalDsc, "Checksums-Sha256:")[0] + "Files:\n 00000000000000000000000000000000 10 a.tar.gz\n", "missing required field Checksums-Sha256"},
	{"missing Files", strings.Split(minimalDsc, "Files:")[0], "missing required field Files"},
	{"bad checksum", strings.Replace(minimalDsc, " 0000000000000000000000000000000000000000000000000000000000000000 10", " 00000 10", 1), `:5: Checksums-Sha256: "00000" is not 64 lower-case hex digits`},
	{"upper-case checksum", strings.Replace(minimalDsc, " 1111111111111111111111111111111111111111111111111111111111111111", " AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1), ":6: Checksums-Sha256"},
	{"checksum line with two fields", replaceLast(minimalDsc, " 20 demo", " demo"), `:9: Files: expected "<32 hex digits> <size> <file name>"`},
	{"short checksum line", strings.Replace(minimalDsc, "0000000000000000000000000000000000000000000000000000000000000000 10 demo_1.0.orig.tar.gz", "0000000000000000000000000000000000000000000000000000000000000000 10", 1), `:5: Checksums-Sha256: expected "<64 hex digits> <size> <file name>"`},
	{"negative size", strings.Replace(minimalDsc, "0000 10 demo", "0000 -10 demo", 1), `size "-10" is not a non-negative decimal number`},
	{"path in file name", strings.Replace(minimalDsc, " 10 demo_1.0.orig.tar.gz\n 1111", " 10 ../demo_1.0.orig.tar.gz\n 1111", 1), `"../demo_1.0.orig.tar.gz" is not a plain file name`},
	{"file listed twice", strings.Replace(minimalDsc, "demo_1.0-1.debian.tar.xz\nFiles", "demo_1.0.orig.tar.gz\nFiles", 1), "lists demo_1.0.orig.tar.gz twice"},
	{"size disagrees", replaceLast(minimalDsc, " 10 demo", " 11 demo"), ":8: Files gives demo_1.0.orig.tar.gz a size of 11, Checksums-Sha256 10"},
	{"file only in Files", replaceLast(minimalDsc, "demo_1.0-1.debian", "other"), ":9: Files lists other.tar.xz, which Checksums-Sha256 does not"},
	{"Sha1 disagrees", minimalDsc + "Checksums-Sha1:\n 0000000000000000000000000000000000000000 10 demo_1.0.orig.tar.gz\n", "Checksums-Sha1 lists 1 files, Checksums-Sha256 lists 2"},
	{"duplicate field", minimalDsc + "source: again\n", "duplicate field source (first on line 2)"},
	{"continuation first", " Format: 3.0 (quilt)\n" + minimalDsc, ":1: continuation line before any field"},
	{"not a field", strings.Replace(minimalDsc, "Source: demo", "Source demo", 1), `:2: expected a "Field: value" line`},
	{"hyphen field", "-Format: 1.0\n" + minimalDsc, "a field name cannot start with '-'"},
	{"NUL byte", minimalDsc + "X-Y: a\x00b\n", ":10: contains a NUL byte"},
	{"second unsigned paragraph", minimalDsc + "\nSource: other\n", ":11: unexpected text after the paragraph"},
	{"unsigned tail after signed part", signed(minimalDsc) + "\nSource: evil\n", "text after the OpenPGP signature is not signed"},
	{"unsigned fields before signed part", "Source: evil\n" + signed(minimalDsc), ":2: unsigned fields before the OpenPGP signed part"},
	{"unsigned paragraph before signed part", "Source: evil\n\n" + signed(minimalDsc), ":3: unsigned fields before the OpenPGP signed part"},
	{"second paragraph inside signature", strings.Replace(signed(minimalDsc), "\n\n-----BEGIN PGP SIGNATURE", "\n\nSource: evil\n\n-----BEGIN PGP SIGNATURE", 1), `expected the OpenPGP signature after the signed paragraph, found "Source: evil"`},
	{"nested signed message", strings.Replace(signed(minimalDsc), "Format:", "-----BEGIN PGP SIGNED MESSAGE-----\nFormat:", 1), "a second OpenPGP signed message"},
	{"unfinished signature", strings.Split(signed(minimalDsc), "-----END")[0], "unfinished OpenPGP signature"},
	{"no signature", strings.Split(signed(minimalDsc), "-----BEGIN PGP SIGNATURE")[0], "expected the OpenPGP signature after the signed text, found the end of the file"},
	{"odd armour header", strings.Replace(signed(minimalDsc), "Hash: SHA256", "Comment: sneaky", 1), `:2: unexpected OpenPGP armour header "Comment: sneaky"`},
	{"armour only", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n", "signed message ends before its text starts"},
}

func replaceLast(s, old, new string) string {
	i := strings.LastIndex(s, old)
	return s[:i] + new + s[i+len(old):]
}

func TestParseDscRejects(t *testing.T) {
	t.Parallel()
	for _, c := range dscMalformedCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseDsc("bad.dsc", []byte(c.data))
			if err == nil {
				t.Fatalf("accepted:\n%s", c.data)
			}
			msg := err.Error()
			var de *DscError
			if !errors.As(err, &de) {
				t.Errorf("error is %T, want *DscError: %v", err, err)
			}
			if !strings.HasPrefix(msg, "bad.dsc:") || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming bad.dsc and containing %q", msg, c.want)
			}
		})
	}
}

// copyHello copies the hello fixture to a new directory and returns the
// path of the copied .dsc.
func copyHello(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob("testdata/hello/hello_*")
	must(t, err)
	for _, f := range files {
		data, err := os.ReadFile(f)
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644))
	}
	return filepath.Join(dir, filepath.Base(helloDsc))
}

func TestVerifyFilesRefusesTampering(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   string
	}{
		{"flipped byte", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "hello_2.10.orig.tar.gz")
			data, err := os.ReadFile(p)
			must(t, err)
			data[len(data)/2] ^= 0x01
			must(t, os.WriteFile(p, data, 0o644))
		}, "hello_2.10.orig.tar.gz: sha256 "},
		{"truncated", func(t *testing.T, dir string) {
			must(t, os.Truncate(filepath.Join(dir, "hello_2.10-3.debian.tar.xz"), 100))
		}, "hello_2.10-3.debian.tar.xz: size 100, want 12684"},
		{"missing", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "hello_2.10.orig.tar.gz.asc")))
		}, "hello_2.10.orig.tar.gz.asc: missing"},
		{"directory in its place", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "hello_2.10.orig.tar.gz.asc")
			must(t, os.Remove(p))
			must(t, os.Mkdir(p, 0o755))
		}, "hello_2.10.orig.tar.gz.asc: not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dsc := copyHello(t)
			c.tamper(t, filepath.Dir(dsc))
			d, err := ParseDsc(dsc, readHelloDsc(t))
			must(t, err)
			err = d.VerifyFiles(filepath.Dir(dsc))
			if err == nil {
				t.Fatal("tampered files verified")
			}
			if code := exitcode.Of(err); code != exitcode.Verification {
				t.Errorf("exit code %d, want %d: %v", code, exitcode.Verification, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, dsc+": ") || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s and containing %q", msg, dsc, c.want)
			}
		})
	}
}

// TestVerifyFilesChecksMD5 catches a .dsc whose Files table disagrees with
// Checksums-Sha256 even though the sha256 matches.
func TestVerifyFilesChecksMD5(t *testing.T) {
	t.Parallel()
	data := strings.Replace(string(readHelloDsc(t)), "27ab798c1d8d9048ffc8127e9b8dbfca", "27ab798c1d8d9048ffc8127e9b8dbfcb", 1)
	d, err := ParseDsc(helloDsc, []byte(data))
	must(t, err)
	err = d.VerifyFiles(filepath.Dir(helloDsc))
	if exitcode.Of(err) != exitcode.Verification || !strings.Contains(err.Error(), "md5") {
		t.Errorf("VerifyFiles = %v, want an md5 verification failure", err)
	}
}
