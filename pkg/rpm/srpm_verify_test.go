package rpm

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/exitcode"
)

// TestVerifySRPM signs fixtures with the real rpmsign (rpm 4.18 writes one
// header-only signature: RSAHEADER for RSA keys, DSAHEADER for EdDSA) and
// checks them against keyrings gpg exported.
func TestVerifySRPM(t *testing.T) {
	t.Parallel()
	fx := buildSRPM(t, "w9.gzdio")
	g := newGPGHome(t)
	g.addKey(t, "rsa@backport.invalid", "RSA\nKey-Length: 2048")
	g.addKey(t, "ed@backport.invalid", "EDDSA\nKey-Curve: ed25519")
	g.addKey(t, "other@backport.invalid", "EDDSA\nKey-Curve: ed25519")
	rsaKeys := g.keyring(t, "rsa@backport.invalid")
	edKeys := g.keyring(t, "ed@backport.invalid")
	otherKeys := g.keyring(t, "other@backport.invalid")

	unsigned := readFileT(t, fx.path)
	signedWith := func(email string) []byte {
		p := writeSRPMFile(t, "hello-1.0-3.src.rpm", unsigned)
		g.sign(t, p, email)
		return readFileT(t, p)
	}
	rsaSigned, edSigned := signedWith("rsa@backport.invalid"), signedWith("ed@backport.invalid")

	// rpm itself reads our fixtures as signed by the key we think.
	rpmOut := rpmChecksigSigned(t, writeSRPMFile(t, "rsa.src.rpm", rsaSigned))
	if id := rsaKeys[0].PrimaryKey.KeyIdShortString(); !strings.Contains(rpmOut, "key ID "+strings.ToLower(id)) {
		t.Fatalf("rpm -Kv does not name key %s:\n%s", id, rpmOut)
	}

	tests := []struct {
		name    string
		rpm     []byte
		keyring openpgp.EntityList
		wantErr string // "" for success; otherwise exit 4 and this in the message
		keyID   string // for success on a signed package
	}{
		{"unsigned, digests only", unsigned, nil, "", ""},
		{"RSA, its key", rsaSigned, rsaKeys, "", rsaKeys[0].PrimaryKey.KeyIdString()},
		{"EdDSA, its key", edSigned, edKeys, "", edKeys[0].PrimaryKey.KeyIdString()},
		{"RSA, keyring with it among others", rsaSigned, append(append(openpgp.EntityList{}, otherKeys...), rsaKeys...), "", rsaKeys[0].PrimaryKey.KeyIdString()},
		{"signed, no keyring: digests only", rsaSigned, nil, "", rsaKeys[0].PrimaryKey.KeyIdString()},
		{"RSA, wrong key", rsaSigned, otherKeys, "signed by key " + rsaKeys[0].PrimaryKey.KeyIdString() + ", which is not in the keyring", ""},
		{"EdDSA, wrong key", edSigned, rsaKeys, "which is not in the keyring", ""},
		{"unsigned with a keyring", unsigned, rsaKeys, "not signed", ""},
		{"signed, payload byte flipped", flipPayloadByte(t, rsaSigned), rsaKeys, "payload SHA256 digest mismatch", ""},
		{"unsigned, payload byte flipped", flipPayloadByte(t, unsigned), nil, "payload SHA256 digest mismatch", ""},
		{"signed, header changed and its digests redone", forgeHeader(t, rsaSigned), rsaKeys, "signature check failed", ""},
		{"signed, header byte flipped", flipHeaderByte(t, rsaSigned), rsaKeys, "header SHA256 digest mismatch", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeSRPMFile(t, "hello-1.0-3.src.rpm", tt.rpm)
			s, err := VerifySRPM(path, tt.keyring)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if s.Name != "hello" || s.Signed != (tt.keyID != "") || s.KeyID != tt.keyID {
					t.Errorf("VerifySRPM = %+v, want signed by %q", s, tt.keyID)
				}
				return
			}
			if err == nil {
				t.Fatal("verified")
			}
			if exitcode.Of(err) != exitcode.Verification {
				t.Errorf("exit %d, want %d (%v)", exitcode.Of(err), exitcode.Verification, err)
			}
			if !strings.HasPrefix(err.Error(), "hello-1.0-3.src.rpm: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want the file name and %q", err, tt.wantErr)
			}
		})
	}
}

// rpmChecksigSigned runs `rpm -Kv` on a package whose key rpm does not
// have: the digests must be OK and the signature reported as NOKEY.
func rpmChecksigSigned(t *testing.T, path string) string {
	t.Helper()
	rpm := testtool.Require(t, "rpm")
	cmd := exec.Command(rpm, "-Kv", "--dbpath", t.TempDir(), path)
	out, _ := cmd.CombinedOutput() // NOKEY exits 1
	if !strings.Contains(string(out), "Signature, key ID") || !strings.Contains(string(out), "Payload SHA256 digest: OK") {
		t.Fatalf("rpm -Kv %s:\n%s", path, out)
	}
	return string(out)
}

// flipPayloadByte changes one byte in the middle of the payload.
func flipPayloadByte(t *testing.T, rpm []byte) []byte {
	t.Helper()
	raw, err := readRawRPM(bytes.NewReader(rpm), int64(len(rpm)))
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(rpm)
	out[raw.payloadOffset+(int64(len(rpm))-raw.payloadOffset)/2] ^= 0x01
	return out
}

// flipHeaderByte changes a letter of the Summary in the main header.
func flipHeaderByte(t *testing.T, rpm []byte) []byte {
	t.Helper()
	i := bytes.Index(rpm, []byte("Fixture for backport's SRPM reader"))
	if i < 0 {
		t.Fatal("summary not found")
	}
	out := bytes.Clone(rpm)
	out[i] = 'f'
	return out
}

// forgeHeader changes the Summary and then redoes every digest rpm keeps
// about the header, so that only the signature can notice.
func forgeHeader(t *testing.T, rpm []byte) []byte {
	t.Helper()
	out := flipHeaderByte(t, rpm)
	refreshSigDigests(t, out)
	path := writeSRPMFile(t, "forged.src.rpm", out)
	if _, err := VerifySRPM(path, nil); err != nil {
		t.Fatalf("the forged header's digests do not verify: %v", err)
	}
	return out
}

func TestVerifySRPMMissingFileIsNotExit4(t *testing.T) {
	t.Parallel()
	_, err := VerifySRPM("/nonexistent/hello.src.rpm", nil)
	if err == nil || exitcode.Of(err) != exitcode.Failure || !os.IsNotExist(err) {
		t.Fatalf("err = %v (exit %d), want a not-exist failure", err, exitcode.Of(err))
	}
}
