package fetch

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/backport/backport/pkg/exitcode"
)

func TestVerifyDetached(t *testing.T) {
	t.Parallel()
	now := time.Now()
	signer := newTestKey(t, "Upstream Signer")
	other := newTestKey(t, "Someone Else")
	expired := newTestKeyAt(t, "Expired", now.Add(-48*time.Hour), time.Hour)
	revoked := newTestKey(t, "Revoked")
	revokedSig := detachSign(t, revoked, []byte("release\n"), true, now)
	if err := revoked.RevokeKey(packet.KeyCompromised, "test", nil); err != nil {
		t.Fatal(err)
	}

	data := []byte("hello-2.12.3.tar.gz contents\n")
	dir := t.TempDir()
	file := filepath.Join(dir, "hello-2.12.3.tar.gz")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(dir, "tampered.tar.gz")
	if err := os.WriteFile(tampered, corrupt(data, 3), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		keyring    []byte
		sig        []byte
		file       string
		wantErr    string // empty: must verify
		wantSigner *openpgp.Entity
	}{
		{"armored sig, armored keyring", publicKeyring(t, true, signer), detachSign(t, signer, data, true, now), file, "", signer},
		{"binary sig, armored keyring", publicKeyring(t, true, signer), detachSign(t, signer, data, false, now), file, "", signer},
		{"armored sig, binary keyring", publicKeyring(t, false, signer), detachSign(t, signer, data, true, now), file, "", signer},
		{"binary sig, binary keyring", publicKeyring(t, false, signer), detachSign(t, signer, data, false, now), file, "", signer},
		{"keyring of several keys", publicKeyring(t, false, other, signer), detachSign(t, signer, data, true, now), file, "", signer},
		{"two armored blocks", append(publicKeyring(t, true, other), publicKeyring(t, true, signer)...), detachSign(t, signer, data, true, now), file, "", signer},
		{"wrong key", publicKeyring(t, true, other), detachSign(t, signer, data, true, now), file, "not in the keyring", nil},
		{"corrupted binary sig", publicKeyring(t, true, signer), corrupt(detachSign(t, signer, data, false, now), -5), file, "signature", nil},
		{"corrupted armored sig", publicKeyring(t, true, signer), corruptArmor(detachSign(t, signer, data, true, now)), file, "signature", nil},
		{"tampered file", publicKeyring(t, true, signer), detachSign(t, signer, data, true, now), tampered, "bad signature", nil},
		{"expired key", publicKeyring(t, true, expired), detachSign(t, expired, data, true, now.Add(-47*time.Hour)), file, "has expired", nil},
		{"revoked key", publicKeyring(t, true, revoked), revokedSig, writeTemp(t, []byte("release\n")), "revoked", nil},
		{"not a signature", publicKeyring(t, true, signer), publicKeyring(t, false, signer), file, "signature", nil},
		{"empty signature", publicKeyring(t, true, signer), nil, file, "no signature", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			keys, err := ReadKeyring(tt.keyring)
			if err != nil {
				t.Fatalf("ReadKeyring: %v", err)
			}
			got, err := VerifyDetached(keys, tt.file, tt.sig)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("VerifyDetached: %v", err)
				}
				want := fmt.Sprintf("%X", tt.wantSigner.PrimaryKey.Fingerprint)
				if got.PrimaryFingerprint != want || got.Fingerprint != want {
					t.Errorf("signer = %+v, want fingerprint %s", got, want)
				}
				if !strings.Contains(got.UserID, "Upstream Signer") {
					t.Errorf("UserID = %q", got.UserID)
				}
				return
			}
			if err == nil {
				t.Fatal("verified, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
			if code := exitcode.Of(err); code != exitcode.Verification {
				t.Errorf("exit code %d, want %d (%v)", code, exitcode.Verification, err)
			}
		})
	}
}

func TestVerifyDetachedFile(t *testing.T) {
	t.Parallel()
	key := newTestKey(t, "Upstream Signer")
	data := []byte("payload")
	file := writeTemp(t, data)
	sig := writeTemp(t, detachSign(t, key, data, true, time.Now()))
	s, err := VerifyDetachedFile(writeKeyring(t, false, key), file, sig)
	if err != nil {
		t.Fatal(err)
	}
	if s.PrimaryFingerprint != fmt.Sprintf("%X", key.PrimaryKey.Fingerprint) {
		t.Errorf("signer %v", s)
	}
	if _, err := VerifyDetachedFile(filepath.Join(t.TempDir(), "missing.gpg"), file, sig); err == nil ||
		exitcode.Of(err) == exitcode.Verification {
		t.Errorf("missing keyring: err = %v; want a plain error, not a verification failure", err)
	}
}

func TestVerifyClearsigned(t *testing.T) {
	t.Parallel()
	key := newTestKey(t, "Archive Key")
	other := newTestKey(t, "Other Archive Key")
	text := []byte("Origin: Test\nSuite: stable\n-dash line\n")
	signed := clearsignWith(t, text, key)

	tests := []struct {
		name    string
		keys    []*openpgp.Entity
		data    []byte
		wantErr string
	}{
		{"good", []*openpgp.Entity{key}, signed, ""},
		{"signed by two keys, one known", []*openpgp.Entity{key}, clearsignWith(t, text, other, key), ""},
		{"tampered text", []*openpgp.Entity{key}, bytes.Replace(signed, []byte("stable"), []byte("stablx"), 1), "bad signature"},
		{"tampered signature", []*openpgp.Entity{key}, corruptArmor(signed), "signature"},
		{"wrong key", []*openpgp.Entity{other}, signed, "not in the keyring"},
		{"unsigned text before", []*openpgp.Entity{key}, append([]byte("Suite: evil\n\n"), signed...), "not a clearsigned document"},
		{"unsigned text after", []*openpgp.Entity{key}, append(bytes.Clone(signed), []byte("Suite: evil\n")...), "after the signature"},
		{"not signed at all", []*openpgp.Entity{key}, text, "not a clearsigned document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plain, signer, err := VerifyClearsigned(openpgp.EntityList(tt.keys), tt.data)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(bytes.TrimRight(plain, "\n"), bytes.TrimRight(text, "\n")) {
					t.Errorf("plaintext = %q, want %q", plain, text)
				}
				if signer.PrimaryFingerprint != fmt.Sprintf("%X", key.PrimaryKey.Fingerprint) {
					t.Errorf("signer = %v", signer)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
			if plain != nil {
				t.Errorf("returned text %q with an error", plain)
			}
			if exitcode.Of(err) != exitcode.Verification {
				t.Errorf("exit code %d, want 4", exitcode.Of(err))
			}
		})
	}
}

func TestReadKeyringRejects(t *testing.T) {
	t.Parallel()
	for name, data := range map[string][]byte{
		"empty":   nil,
		"garbage": []byte("not a key at all"),
		"keybox":  append([]byte{0x01, 0x01, 0, 0, 0, 0, 0, 0}, []byte("KBXf\x00\x00\x00\x00")...),
		"armored but broken": []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n" +
			"-----END PGP PUBLIC KEY BLOCK-----\n"),
	} {
		if keys, err := ReadKeyring(data); err == nil {
			t.Errorf("%s: read %d keys, want an error", name, len(keys))
		}
	}
}

// corruptArmor changes one character in the middle of the base64 body of
// the (last) armored signature in data.
func corruptArmor(data []byte) []byte {
	start := bytes.LastIndex(data, []byte(armoredSignature))
	body := bytes.Index(data[start:], []byte("\n\n")) + start + 2
	i := body + 10
	out := bytes.Clone(data)
	if out[i] == 'A' {
		out[i] = 'B'
	} else {
		out[i] = 'A'
	}
	return out
}

func writeTemp(t testing.TB, data []byte) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "file-*")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(data)
	f.Close()
	return f.Name()
}
