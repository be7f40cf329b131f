package archivetest

import (
	"bytes"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// NewKey generates an OpenPGP key. Keys are Ed25519: one takes
// microseconds, where an RSA key takes a second under -race.
func NewKey(t testing.TB, name string) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", "test@example.invalid", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// PublicKeyring serializes the public parts of keys: armored, as in
// debian/upstream/signing-key.asc, or binary, as in /usr/share/keyrings.
func PublicKeyring(t testing.TB, armored bool, keys ...*openpgp.Entity) []byte {
	t.Helper()
	var bin bytes.Buffer
	for _, k := range keys {
		if err := k.Serialize(&bin); err != nil {
			t.Fatal(err)
		}
	}
	if !armored {
		return bin.Bytes()
	}
	var out bytes.Buffer
	w, err := armor.Encode(&out, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bin.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// Clearsign returns text clearsigned by key, as InRelease and .dsc files
// are.
func Clearsign(t testing.TB, key *openpgp.Entity, text []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := clearsign.Encode(&out, key.PrivateKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(text); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// DetachSign returns an armored detached signature of data by key, as
// upstreams publish beside their tarballs (.asc, .sig).
func DetachSign(t testing.TB, key *openpgp.Entity, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&out, key, bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
