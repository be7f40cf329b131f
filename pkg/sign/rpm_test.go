package sign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/exitcode"
)

// TestSignRPMCheckedByRPM signs a package rpmbuild made and has the real
// rpm, with only the public key imported into a scratch rpmdb, check it.
func TestSignRPMCheckedByRPM(t *testing.T) {
	t.Parallel()
	rpm := testtool.Require(t, "rpm")
	for _, tc := range []struct {
		key  func() testKey
		algo string // as rpm -K -v names it
	}{
		{rsaKey, "RSA"},
		{ed25519Key, "EdDSA"},
	} {
		t.Run(tc.key().name, func(t *testing.T) {
			t.Parallel()
			tk := tc.key()
			path := buildRPM(t)
			if err := os.Chmod(path, 0o640); err != nil {
				t.Fatal(err)
			}
			key := tk.load(t)
			// Twice: re-signing replaces the signatures rather than adding.
			for range 2 {
				if err := key.SignRPM(path); err != nil {
					t.Fatal(err)
				}
			}
			if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o640 {
				t.Errorf("mode after signing: %v, %v; want 0640 kept", st.Mode(), err)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("signing left files beside the package: %v", entries)
			}

			db := t.TempDir()
			pub := filepath.Join(t.TempDir(), "pub.asc")
			writeFile(t, pub, tk.public)
			if out, err := run(rpm, "--dbpath", db, "--import", pub); err != nil {
				t.Fatalf("rpm --import: %v\n%s", err, out)
			}
			out, err := run(rpm, "--dbpath", db, "-K", "-v", path)
			if err != nil {
				t.Fatalf("rpm -K -v: %v\n%s", err, out)
			}
			keyID := strings.ToLower(tk.fingerprint[len(tk.fingerprint)-8:])
			for _, want := range []string{
				"Header V4 " + tc.algo + "/SHA256 Signature, key ID " + keyID + ": OK",
				"    V4 " + tc.algo + "/SHA256 Signature, key ID " + keyID + ": OK",
				"Payload SHA256 digest: OK",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("rpm -K -v does not say %q:\n%s", want, out)
				}
			}
			if strings.Count(out, "Signature, key ID") != 2 {
				t.Errorf("want exactly two signatures after signing twice:\n%s", out)
			}

			signer, err := Verify(path, tk.public)
			if err != nil || !strings.HasPrefix(signer, tk.fingerprint) {
				t.Errorf("Verify = %q, %v; want signer %s", signer, err, tk.fingerprint)
			}
			other := ed25519Key()
			if tk.name == other.name {
				other = rsaKey()
			}
			if _, err := Verify(path, other.public); exitcode.Of(err) != exitcode.Verification || !strings.Contains(err.Error(), "not in the keyring") {
				t.Errorf("Verify with another key's keyring: %v (exit %d), want exit 4 naming the unknown key", err, exitcode.Of(err))
			}

			flipByte(t, path, 10)
			if out, err := run(rpm, "--dbpath", db, "-K", "-v", path); err == nil {
				t.Errorf("rpm -K accepted a package with a flipped payload byte:\n%s", out)
			}
			if _, err := Verify(path, tk.public); exitcode.Of(err) != exitcode.Verification {
				t.Errorf("Verify after a flipped byte: %v (exit %d), want exit 4", err, exitcode.Of(err))
			}
		})
	}
}

func TestVerifyUnsignedRPM(t *testing.T) {
	t.Parallel()
	path := buildRPM(t)
	_, err := Verify(path, rsaKey().public)
	if exitcode.Of(err) != exitcode.Verification || !strings.Contains(err.Error(), "not signed") {
		t.Errorf("Verify of an unsigned package: %v (exit %d), want exit 4, not signed", err, exitcode.Of(err))
	}
}

// A file named .rpm that is not one is refused and left untouched.
func TestSignRPMRefusesNonRPM(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fake.rpm")
	writeFile(t, path, []byte("not an rpm at all, just text that is long enough to read a lead from it......................."))
	before := readFile(t, path)
	err := ed25519Key().load(t).SignRPM(path)
	if err == nil || !strings.Contains(err.Error(), "fake.rpm: ") {
		t.Fatalf("SignRPM of a text file: %v, want an error naming the file", err)
	}
	if string(readFile(t, path)) != string(before) {
		t.Error("the file was changed")
	}
	if _, err := Verify(path, ed25519Key().public); exitcode.Of(err) != exitcode.Verification {
		t.Errorf("Verify of a text file named .rpm: %v, want exit 4", err)
	}
}
