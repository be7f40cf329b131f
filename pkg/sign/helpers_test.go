package sign

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/backport/backport/internal/testtool"
)

const testPassphrase = "correct horse battery staple"

// testKey is one generated key in the forms a user may hand backport.
type testKey struct {
	name          string
	fingerprint   string
	secret        []byte   // armored, unprotected
	secretBinary  []byte   // binary, unprotected
	protected     []byte   // armored, locked with testPassphrase
	public        []byte   // armored
	publicBinary  []byte   // binary, as gpgv's --keyring wants
	secretMarkers []string // 24-character pieces of the secret key's armor
}

// RSA keys take a while to generate, so each algorithm's key is made once
// per test binary.
var (
	rsaKey     = sync.OnceValue(func() testKey { return generate("rsa", packet.PubKeyAlgoRSA) })
	ed25519Key = sync.OnceValue(func() testKey { return generate("ed25519", packet.PubKeyAlgoEdDSA) })
)

func generate(name string, algo packet.PublicKeyAlgorithm) testKey {
	cfg := &packet.Config{Algorithm: algo, RSABits: 2048}
	e, err := openpgp.NewEntity("Backport Test "+name, "", "sign-"+name+"@example.invalid", cfg)
	must(err)
	k := testKey{name: name, fingerprint: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)}
	var bin bytes.Buffer
	must(e.SerializePrivate(&bin, nil))
	k.secretBinary = bin.Bytes()
	k.secret = armored(openpgp.PrivateKeyType, k.secretBinary)
	var pub bytes.Buffer
	must(e.Serialize(&pub))
	k.publicBinary = pub.Bytes()
	k.public = armored(openpgp.PublicKeyType, k.publicBinary)
	must(e.EncryptPrivateKeys([]byte(testPassphrase), nil))
	var locked bytes.Buffer
	must(e.SerializePrivateWithoutSigning(&locked, nil))
	k.protected = armored(openpgp.PrivateKeyType, locked.Bytes())
	// Pieces of the armored secret key that are not in the public key's
	// armor (the secret numbers): none may appear in any output.
	for _, l := range strings.Split(string(k.secret), "\n") {
		if len(l) >= 44 && !strings.HasPrefix(l, "-----") && !strings.Contains(string(k.public), l[20:44]) {
			k.secretMarkers = append(k.secretMarkers, l[20:44])
		}
	}
	return k
}

func armored(blockType string, data []byte) []byte {
	var out bytes.Buffer
	w, err := armor.Encode(&out, blockType, nil)
	must(err)
	_, err = w.Write(data)
	must(err)
	must(w.Close())
	out.WriteByte('\n')
	return out.Bytes()
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// load is LoadKey on the armored unprotected key, through a file.
func (k testKey) load(t *testing.T) *Key {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.asc")
	writeFile(t, path, k.secret)
	key, err := LoadKey(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// assertNoSecret fails when any piece of k's secret key or the test
// passphrase shows up in text.
func (k testKey) assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	if k.leaks(text) {
		t.Errorf("%s contains key material or the passphrase: %q", what, text)
	}
}

func (k testKey) leaks(text string) bool {
	if strings.Contains(text, testPassphrase) {
		return true
	}
	for _, m := range k.secretMarkers {
		if strings.Contains(text, m) {
			return true
		}
	}
	return false
}

func noEnv(string) string { return "" }

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buildRPM has the real rpmbuild make a small noarch binary package and
// returns its path.
func buildRPM(t *testing.T) string {
	t.Helper()
	rpmbuild := testtool.Require(t, "rpmbuild")
	top := t.TempDir()
	spec := filepath.Join(top, "bpsigntest.spec")
	writeFile(t, spec, []byte(`Name: bpsigntest
Version: 1.0
Release: 1
Summary: A package for backport's signing tests
License: MIT
BuildArch: noarch

%description
A package for backport's signing tests.

%install
mkdir -p %{buildroot}/usr/share/bpsigntest
echo hello > %{buildroot}/usr/share/bpsigntest/hello.txt

%files
/usr/share/bpsigntest/hello.txt
`))
	cmd := exec.Command(rpmbuild, "-bb", "--nodeps", "--define", "_topdir "+top, spec)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	return filepath.Join(top, "RPMS", "noarch", "bpsigntest-1.0-1.noarch.rpm")
}

// run runs a tool and returns its combined output and error.
func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// flipByte inverts one byte of the file at path, off bytes from its end.
func flipByte(t *testing.T, path string, off int) {
	t.Helper()
	b := readFile(t, path)
	b[len(b)-off] ^= 0xff
	writeFile(t, path, b)
}
