package sign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/exitcode"
)

const sha256sums = `2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae  packages/hello_2.10-3+bp1_amd64.deb
fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9  install.sh
`

// A .changes as dpkg-genchanges writes it, with a line starting with a
// dash and one with trailing spaces, which clearsigning must escape and
// strip exactly as gpgv expects.
const changes = `Format: 1.8
Date: Tue, 14 Nov 2023 22:13:20 +0000
Source: hello
Binary: hello
Architecture: amd64
Version: 2.10-3+bp1
Distribution: bookworm
Urgency: high
Maintainer: Test Packager <packager@example.org>
Changes:
 hello (2.10-3+bp1) bookworm; urgency=high
 .
   * Out-of-band hotfix built by backport.   
-- not a signature, just a dash at the start of a line
Checksums-Sha256:
 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae 1024 hello_2.10-3+bp1_amd64.deb
`

// gpgv checks every signature kind that is not an RPM, for both key types.
func TestSignaturesCheckedByGpgv(t *testing.T) {
	t.Parallel()
	gpgv := testtool.Require(t, "gpgv")
	for _, key := range []func() testKey{rsaKey, ed25519Key} {
		tk := key()
		t.Run(tk.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			keyring := filepath.Join(dir, "keyring.gpg")
			writeFile(t, keyring, tk.publicBinary)
			k := tk.load(t)

			sums := filepath.Join(dir, "SHA256SUMS")
			writeFile(t, sums, []byte(sha256sums))
			written, err := SignFile(k, sums)
			if err != nil || len(written) != 1 || written[0] != sums+".asc" {
				t.Fatalf("SignFile(SHA256SUMS) = %v, %v; want [%s.asc]", written, err, sums)
			}
			if !strings.HasPrefix(string(readFile(t, sums+".asc")), "-----BEGIN PGP SIGNATURE-----\n") {
				t.Errorf("SHA256SUMS.asc is not an armored signature:\n%s", readFile(t, sums+".asc"))
			}
			if out, err := run(gpgv, "--keyring", keyring, sums+".asc", sums); err != nil {
				t.Errorf("gpgv refused SHA256SUMS.asc: %v\n%s", err, out)
			}

			ch := filepath.Join(dir, "hello_2.10-3+bp1_amd64.changes")
			writeFile(t, ch, []byte(changes))
			// Twice: signing a signed .changes replaces its signature.
			for range 2 {
				if written, err := SignFile(k, ch); err != nil || len(written) != 1 || written[0] != ch {
					t.Fatalf("SignFile(.changes) = %v, %v; want [%s]", written, err, ch)
				}
			}
			signed := string(readFile(t, ch))
			if strings.Count(signed, "BEGIN PGP SIGNATURE") != 1 {
				t.Errorf("want one signature block after signing twice:\n%s", signed)
			}
			plain := filepath.Join(dir, "plain")
			if out, err := run(gpgv, "--keyring", keyring, "--output", plain, ch); err != nil {
				t.Errorf("gpgv refused the clearsigned .changes: %v\n%s", err, out)
			}
			// What gpgv says is signed is the .changes, less the trailing
			// spaces clearsigning drops.
			want := strings.Replace(changes, "backport.   \n", "backport.\n", 1)
			if got := string(readFile(t, plain)); got != want {
				t.Errorf("gpgv's signed text differs from the .changes:\n got %q\nwant %q", got, want)
			}

			for _, p := range []string{sums, ch} {
				if signer, err := Verify(p, tk.public); err != nil || !strings.HasPrefix(signer, tk.fingerprint) {
					t.Errorf("Verify(%s) = %q, %v; want %s", filepath.Base(p), signer, err, tk.fingerprint)
				}
			}
			if signer, err := Verify(sums+".asc", tk.publicBinary); err != nil || !strings.HasPrefix(signer, tk.fingerprint) {
				t.Errorf("Verify(SHA256SUMS.asc) with a binary keyring = %q, %v", signer, err)
			}

			// A flipped byte: gpgv and Verify both refuse.
			flipByte(t, sums, 5)
			if out, err := run(gpgv, "--keyring", keyring, sums+".asc", sums); err == nil {
				t.Errorf("gpgv accepted a changed SHA256SUMS:\n%s", out)
			}
			if _, err := Verify(sums, tk.public); exitcode.Of(err) != exitcode.Verification {
				t.Errorf("Verify of a changed SHA256SUMS: %v, want exit 4", err)
			}
			writeFile(t, ch, []byte(strings.Replace(signed, "2.10-3+bp1_amd64.deb", "2.10-3+bp2_amd64.deb", 1)))
			if out, err := run(gpgv, "--keyring", keyring, ch); err == nil {
				t.Errorf("gpgv accepted a changed .changes:\n%s", out)
			}
			if _, err := Verify(ch, tk.public); exitcode.Of(err) != exitcode.Verification {
				t.Errorf("Verify of a changed .changes: %v, want exit 4", err)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]Kind{
		"dist/x/packages/hello-2.4-1.el9.bp1.x86_64.rpm": KindRPM,
		"hello-2.4-1.el9.bp1.src.rpm":                    KindRPM,
		"HELLO.RPM":                                      KindRPM,
		"hello_2.10-3+bp1_amd64.changes":                 KindClearsigned,
		"hello_2.10-3+bp1.dsc":                           KindClearsigned,
		"hello_2.10-3+bp1_amd64.buildinfo":               KindClearsigned,
		"SHA256SUMS":                                     KindDetached,
		"hello_2.10-3+bp1_amd64.deb":                     KindDetached,
		"bundle.tar.gz":                                  KindDetached,
	} {
		if got := KindOf(path); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestVerifyFailures(t *testing.T) {
	t.Parallel()
	tk := ed25519Key()
	k := tk.load(t)
	dir := t.TempDir()
	unsigned := filepath.Join(dir, "SHA256SUMS")
	writeFile(t, unsigned, []byte(sha256sums))
	unsignedChanges := filepath.Join(dir, "a.changes")
	writeFile(t, unsignedChanges, []byte(changes))
	signed := filepath.Join(dir, "signed.txt")
	writeFile(t, signed, []byte("data\n"))
	if _, err := SignFile(k, signed); err != nil {
		t.Fatal(err)
	}
	garbageSig := filepath.Join(dir, "garbage.txt")
	writeFile(t, garbageSig, []byte("data\n"))
	writeFile(t, garbageSig+".asc", []byte("-----BEGIN PGP SIGNATURE-----\n\nnot base64!\n-----END PGP SIGNATURE-----\n"))

	for _, tc := range []struct {
		name, path string
		keyring    []byte
		code       int
		msg        string
	}{
		{"no .asc", unsigned, tk.public, exitcode.Verification, "not signed: no SHA256SUMS.asc beside it"},
		{"unsigned .changes", unsignedChanges, tk.public, exitcode.Verification, "not signed"},
		{"another key", signed, rsaKey().public, exitcode.Verification, "not in the keyring"},
		{"garbage signature", garbageSig, tk.public, exitcode.Verification, "malformed signature"},
		{"missing file", filepath.Join(dir, "nope"), tk.public, exitcode.Failure, "no such file"},
		{"not a keyring", signed, []byte("hello"), exitcode.Failure, "keyring: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.path, tc.keyring)
			if err == nil || exitcode.Of(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Verify: %v (exit %d), want exit %d and %q", err, exitcode.Of(err), tc.code, tc.msg)
			}
		})
	}
}

// SignFile refuses what it cannot sign and writes nothing for it.
func TestSignFileRefuses(t *testing.T) {
	t.Parallel()
	k := ed25519Key().load(t)
	dir := t.TempDir()
	if _, err := SignFile(k, dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("SignFile(dir): %v, want not a regular file", err)
	}
	if _, err := SignFile(k, filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("SignFile(missing): %v, want not exist", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("SignFile wrote %v", entries)
	}
}
