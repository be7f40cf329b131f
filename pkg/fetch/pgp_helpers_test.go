package fetch

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Test keys are Ed25519: generating one takes microseconds, where an RSA
// key takes a second under -race. The real-mirror test covers RSA.

func newTestKey(t testing.TB, name string) *openpgp.Entity {
	t.Helper()
	return newTestKeyAt(t, name, time.Now(), 0)
}

// newTestKeyAt makes a key created at created that expires after lifetime
// (0: never).
func newTestKeyAt(t testing.TB, name string, created time.Time, lifetime time.Duration) *openpgp.Entity {
	t.Helper()
	cfg := &packet.Config{
		Algorithm:       packet.PubKeyAlgoEdDSA,
		Time:            func() time.Time { return created },
		KeyLifetimeSecs: uint32(lifetime / time.Second),
	}
	e, err := openpgp.NewEntity(name, "", "test@example.invalid", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// publicKeyring serializes the public parts of keys, binary or armored.
func publicKeyring(t testing.TB, armored bool, keys ...*openpgp.Entity) []byte {
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
	w.Write(bin.Bytes())
	w.Close()
	out.WriteByte('\n')
	return out.Bytes()
}

func writeKeyring(t testing.TB, armored bool, keys ...*openpgp.Entity) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keyring.gpg")
	if err := os.WriteFile(path, publicKeyring(t, armored, keys...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func clearsignWith(t testing.TB, text []byte, keys ...*openpgp.Entity) []byte {
	t.Helper()
	return clearsignAt(t, text, time.Now(), keys...)
}

func clearsignAt(t testing.TB, text []byte, when time.Time, keys ...*openpgp.Entity) []byte {
	t.Helper()
	var priv []*packet.PrivateKey
	for _, k := range keys {
		priv = append(priv, k.PrivateKey)
	}
	var out bytes.Buffer
	w, err := clearsign.EncodeMulti(&out, priv, &packet.Config{Time: func() time.Time { return when }})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(text)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func detachSign(t testing.TB, key *openpgp.Entity, data []byte, armored bool, when time.Time) []byte {
	t.Helper()
	var out bytes.Buffer
	cfg := &packet.Config{Time: func() time.Time { return when }}
	var err error
	if armored {
		err = openpgp.ArmoredDetachSign(&out, key, bytes.NewReader(data), cfg)
	} else {
		err = openpgp.DetachSign(&out, key, bytes.NewReader(data), cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// corrupt returns a copy of data with one byte changed at offset i (from
// the end when negative).
func corrupt(data []byte, i int) []byte {
	out := bytes.Clone(data)
	if i < 0 {
		i += len(out)
	}
	out[i] ^= 0x20
	return out
}
