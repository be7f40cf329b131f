package sign

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

// A key as users have them: made by gpg, with a certify-only primary key
// and a signing subkey, exported with its passphrase protection. The
// signatures must come from the subkey and satisfy gpgv and rpm.
func TestGpgMadeKeyWithSigningSubkey(t *testing.T) {
	t.Parallel()
	gpg := testtool.Require(t, "gpg")
	gpgv := testtool.Require(t, "gpgv")
	rpm := testtool.Require(t, "rpm")
	home, err := os.MkdirTemp("", "bp-gnupg-") // short: the agent's socket path is limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run()
		os.RemoveAll(home)
	})
	gpgRun := func(stdin string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(gpg, append([]string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", testPassphrase}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	gpgRun(`Key-Type: eddsa
Key-Curve: ed25519
Key-Usage: cert
Subkey-Type: eddsa
Subkey-Curve: ed25519
Subkey-Usage: sign
Name-Real: Backport Gpg Test
Name-Email: gpg-test@example.invalid
Expire-Date: 0
Passphrase: `+testPassphrase+`
%commit
`, "--gen-key")
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.asc")
	writeFile(t, secret, gpgRun("", "--armor", "--export-secret-keys", "gpg-test@example.invalid"))
	public := gpgRun("", "--armor", "--export", "gpg-test@example.invalid")
	keyring := filepath.Join(dir, "keyring.gpg")
	writeFile(t, keyring, gpgRun("", "--export", "gpg-test@example.invalid"))

	k, err := LoadKey(secret, envOf(map[string]string{EnvPassphrase: testPassphrase}))
	if err != nil {
		t.Fatal(err)
	}
	if k.SigningFingerprint() == k.Fingerprint() {
		t.Errorf("signing with the primary key %s, want its signing subkey", k.Fingerprint())
	}
	colons := string(gpgRun("", "--with-colons", "--fingerprint", "gpg-test@example.invalid"))
	for _, fp := range []string{k.Fingerprint(), k.SigningFingerprint()} {
		if !strings.Contains(colons, "fpr:::::::::"+fp+":") {
			t.Errorf("gpg does not list fingerprint %s:\n%s", fp, colons)
		}
	}

	sums := filepath.Join(dir, "SHA256SUMS")
	writeFile(t, sums, []byte(sha256sums))
	pkg := buildRPM(t)
	for _, p := range []string{sums, pkg} {
		if _, err := SignFile(k, p); err != nil {
			t.Fatal(err)
		}
		if signer, err := Verify(p, public); err != nil || !strings.HasPrefix(signer, k.Fingerprint()+" (Backport Gpg Test") {
			t.Errorf("Verify(%s) = %q, %v", filepath.Base(p), signer, err)
		}
	}
	if out, err := run(gpgv, "--keyring", keyring, sums+".asc", sums); err != nil {
		t.Errorf("gpgv refused SHA256SUMS.asc: %v\n%s", err, out)
	}
	db := t.TempDir()
	pub := filepath.Join(dir, "public.asc")
	writeFile(t, pub, public)
	if out, err := run(rpm, "--dbpath", db, "--import", pub); err != nil {
		t.Fatalf("rpm --import: %v\n%s", err, out)
	}
	subID := strings.ToLower(k.SigningFingerprint()[32:])
	out, err := run(rpm, "--dbpath", db, "-K", "-v", pkg)
	if err != nil || !strings.Contains(out, "Header V4 EdDSA/SHA256 Signature, key ID "+subID+": OK") {
		t.Errorf("rpm -K -v does not accept the subkey's signature: %v\n%s", err, out)
	}
}
