package sign

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/fetch"
)

func TestLoadKey(t *testing.T) {
	t.Parallel()
	tk := rsaKey()
	dir := t.TempDir()
	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, data)
		return p
	}
	armoredPath := file("secret.asc", tk.secret)
	protectedPath := file("protected.asc", tk.protected)
	// The key's base64 body without its armor lines.
	var body string
	for _, l := range strings.Split(string(tk.secret), "\n") {
		if !strings.HasPrefix(l, "-----") {
			body += l + "\n"
		}
	}
	corrupt := bytes.Replace(tk.secret, []byte(tk.secretMarkers[2][:10]), []byte("!!!!!!!!!!"), 1)
	for _, tc := range []struct {
		name    string
		path    string
		env     map[string]string
		wantErr string // "" for success
	}{
		{"armored file", armoredPath, nil, ""},
		{"binary file", file("secret.gpg", tk.secretBinary), nil, ""},
		{"armored in the environment", "", map[string]string{EnvKey: string(tk.secret)}, ""},
		{"armored in the environment, leading newline", "", map[string]string{EnvKey: "\n  " + string(tk.secret)}, ""},
		{"path in the environment", "", map[string]string{EnvKey: armoredPath}, ""},
		{"--key wins over the environment", armoredPath, map[string]string{EnvKey: "/nonexistent"}, ""},
		{"protected, right passphrase", protectedPath, map[string]string{EnvPassphrase: testPassphrase}, ""},
		{"protected in the environment", "", map[string]string{EnvKey: string(tk.protected), EnvPassphrase: testPassphrase}, ""},
		{"unprotected, passphrase ignored", armoredPath, map[string]string{EnvPassphrase: "unused"}, ""},

		{"protected, no passphrase", protectedPath, nil, "is protected by a passphrase: set BACKPORT_SIGNING_PASSPHRASE"},
		{"protected, wrong passphrase", protectedPath, map[string]string{EnvPassphrase: "not " + testPassphrase}, "wrong passphrase in BACKPORT_SIGNING_PASSPHRASE"},
		{"no key anywhere", "", nil, "no signing key: give --key FILE or set BACKPORT_SIGNING_KEY"},
		{"missing file", filepath.Join(dir, "nope.asc"), nil, "no such file"},
		{"public key", file("public.asc", tk.public), nil, "a public key; signing needs the secret key"},
		{"binary public key", file("public.gpg", tk.publicBinary), nil, "a public key; signing needs the secret key"},
		{"not a key", file("junk", []byte("hello world\n")), nil, "not an OpenPGP secret key"},
		{"corrupt armor", file("corrupt.asc", corrupt), nil, "signing key "},
		{"two secret keys", file("two.gpg", append(append([]byte{}, tk.secretBinary...), ed25519Key().secretBinary...)), nil, "holds 2 secret keys"},
		{"signature, not a key", file("sig.asc", []byte("-----BEGIN PGP SIGNATURE-----\n\nwx4=\n-----END PGP SIGNATURE-----\n")), nil, `an armored "PGP SIGNATURE" block`},
		// The key body without its armor header is neither a key nor a
		// path; the message must not quote it.
		{"key body in the environment", "", map[string]string{EnvKey: body}, "BACKPORT_SIGNING_KEY is neither an armored key"},
		{"protected in the environment, wrong passphrase", "", map[string]string{EnvKey: string(tk.protected), EnvPassphrase: "x" + testPassphrase}, "$BACKPORT_SIGNING_KEY (" + tk.fingerprint + "): wrong passphrase"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := LoadKey(tc.path, envOf(tc.env))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if k.Fingerprint() != tk.fingerprint {
					t.Errorf("Fingerprint() = %s, want %s", k.Fingerprint(), tk.fingerprint)
				}
				if _, err := k.SignDetached([]byte("x")); err != nil {
					t.Errorf("the loaded key cannot sign: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("LoadKey: %v, want an error containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			tk.assertNoSecret(t, "the error", err.Error())
		})
	}
}

func TestPublicKey(t *testing.T) {
	t.Parallel()
	tk := ed25519Key()
	path := filepath.Join(t.TempDir(), "protected.asc")
	writeFile(t, path, tk.protected)
	k, err := LoadKey(path, envOf(map[string]string{EnvPassphrase: testPassphrase}))
	if err != nil {
		t.Fatal(err)
	}
	// The public key of a protected key is there without its passphrase.
	noPass, err := PublicKeyFrom(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	for name, fn := range map[string]func() ([]byte, error){
		"PublicKeyArmored": k.PublicKeyArmored,
		"PublicKeyFrom":    func() ([]byte, error) { return noPass, nil },
	} {
		pub, err := fn()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.HasPrefix(pub, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n")) {
			t.Errorf("%s is not an armored public key:\n%s", name, pub)
		}
		keys, err := fetch.ReadKeyring(pub)
		if err != nil || len(keys) != 1 {
			t.Fatalf("%s does not read back as one key: %v", name, err)
		}
		if keys[0].PrivateKey != nil {
			t.Errorf("%s holds a secret key", name)
		}
		if fingerprint(keys[0]) != tk.fingerprint {
			t.Errorf("%s has fingerprint %s, want %s", name, fingerprint(keys[0]), tk.fingerprint)
		}
		tk.assertNoSecret(t, name, string(pub))
	}
}

// The leak check itself must see a key and a passphrase when they are there.
func TestLeakCheckSeesSecrets(t *testing.T) {
	t.Parallel()
	tk := rsaKey()
	if len(tk.secretMarkers) < 4 || len(ed25519Key().secretMarkers) < 1 {
		t.Fatalf("too few secret pieces to look for: rsa %d, ed25519 %d", len(tk.secretMarkers), len(ed25519Key().secretMarkers))
	}
	for _, text := range []string{string(tk.secret), "x " + tk.secretMarkers[3] + " y", "pass " + testPassphrase} {
		if !tk.leaks(text) {
			t.Errorf("leaks(%.40q…) = false", text)
		}
	}
	for _, text := range []string{string(tk.public), tk.fingerprint, string(ed25519Key().secret)} {
		if tk.leaks(text) {
			t.Errorf("leaks(%.40q…) = true", text)
		}
	}
}
