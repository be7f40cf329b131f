// Package sign signs what backport hands out: RPM header signatures in pure
// Go, clearsigned Debian control files (.changes, .dsc, .buildinfo) and
// armored detached signatures for the rest (SHA256SUMS), and verifies them.
//
// Signing happens in this process on the host: the secret key is read from
// a file or the environment into memory and is never written anywhere, so it
// cannot reach a build container, a log or the bundle. Errors name the key's
// source and fingerprint, never its bytes or its passphrase.
package sign

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The environment variables LoadKey reads.
const (
	// EnvKey holds an armored secret key, or the path of a key file.
	EnvKey = "BACKPORT_SIGNING_KEY"
	// EnvPassphrase holds the passphrase of a protected key.
	EnvPassphrase = "BACKPORT_SIGNING_PASSPHRASE"
)

const armorBegin = "-----BEGIN"

// Key is an unlocked OpenPGP secret key, ready to sign.
type Key struct {
	entity *openpgp.Entity
	signer openpgp.Key // the primary key or the signing subkey
	now    func() time.Time
}

// LoadKey reads an armored or binary OpenPGP secret key from path or, when
// path is "", from $BACKPORT_SIGNING_KEY, which holds either the armored key
// itself (it starts with "-----BEGIN") or the path of a key file. A protected
// key is unlocked with $BACKPORT_SIGNING_PASSPHRASE. getenv is os.Getenv
// outside tests. The key must hold exactly one secret key able to sign.
func LoadKey(path string, getenv func(string) string) (*Key, error) {
	e, source, err := readEntity(path, getenv)
	if err != nil {
		return nil, err
	}
	if err := unlock(e, source, getenv(EnvPassphrase)); err != nil {
		return nil, err
	}
	k := &Key{entity: e, now: time.Now}
	signer, ok := e.SigningKey(k.now())
	switch {
	case !ok:
		return nil, fmt.Errorf("signing key %s (%s) has no usable signing key: expired, revoked, or not marked for signing", source, k.Fingerprint())
	case signer.PrivateKey == nil || signer.PrivateKey.Dummy():
		return nil, fmt.Errorf("signing key %s (%s): the secret part of its signing key is missing (a stub exported from a smartcard?)", source, k.Fingerprint())
	}
	k.signer = signer
	return k, nil
}

// PublicKeyFrom reads the same sources as LoadKey and returns the armored
// public key, without needing the passphrase: verifying with --key must not
// require unlocking it.
func PublicKeyFrom(path string, getenv func(string) string) ([]byte, error) {
	e, _, err := readEntity(path, getenv)
	if err != nil {
		return nil, err
	}
	return armoredPublic(e)
}

// readEntity finds and parses the secret key. source names where it came
// from for messages: a path, or the variable's name, never the value.
func readEntity(path string, getenv func(string) string) (*openpgp.Entity, string, error) {
	var data []byte
	source := path
	switch {
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, source, fmt.Errorf("signing key: %w", err)
		}
		data = b
	default:
		v := getenv(EnvKey)
		source = "$" + EnvKey
		if strings.TrimSpace(v) == "" {
			return nil, source, errors.New("no signing key: give --key FILE or set " + EnvKey)
		}
		if strings.HasPrefix(strings.TrimSpace(v), armorBegin) {
			data = []byte(v)
			break
		}
		// The value is not printed: a key pasted without its armor header
		// would otherwise end up in the error message.
		b, err := os.ReadFile(v)
		if err != nil {
			return nil, source, fmt.Errorf("%s is neither an armored key (-----BEGIN PGP PRIVATE KEY BLOCK-----) nor the path of a readable key file", EnvKey)
		}
		source = fmt.Sprintf("%s (from $%s)", v, EnvKey)
		data = b
	}
	e, err := parseSecretKey(data)
	if err != nil {
		return nil, source, fmt.Errorf("signing key %s: %w", source, err)
	}
	return e, source, nil
}

// parseSecretKey reads exactly one entity with a secret key. Library errors
// are replaced by fixed descriptions so that no parser message can quote
// the input.
func parseSecretKey(data []byte) (*openpgp.Entity, error) {
	trimmed := bytes.TrimSpace(data)
	var r io.Reader = bytes.NewReader(data)
	if bytes.HasPrefix(trimmed, []byte(armorBegin)) {
		block, err := armor.Decode(bytes.NewReader(trimmed))
		if err != nil {
			return nil, errors.New("malformed armor")
		}
		if block.Type == openpgp.PublicKeyType {
			return nil, errors.New("a public key; signing needs the secret key (gpg --export-secret-keys --armor KEYID)")
		}
		if block.Type != openpgp.PrivateKeyType {
			return nil, fmt.Errorf("an armored %q block, not a PGP PRIVATE KEY BLOCK", block.Type)
		}
		r = block.Body
	}
	keys, err := openpgp.ReadKeyRing(r)
	if err != nil || len(keys) == 0 {
		return nil, errors.New("not an OpenPGP secret key (expected the output of gpg --export-secret-keys)")
	}
	var secret []*openpgp.Entity
	for _, e := range keys {
		if e.PrivateKey != nil {
			secret = append(secret, e)
		}
	}
	switch len(secret) {
	case 0:
		return nil, errors.New("a public key; signing needs the secret key (gpg --export-secret-keys --armor KEYID)")
	case 1:
		return secret[0], nil
	}
	return nil, fmt.Errorf("holds %d secret keys; export only the one to sign with", len(secret))
}

// unlock decrypts every protected secret key of e with passphrase.
func unlock(e *openpgp.Entity, source, passphrase string) error {
	if !isEncrypted(e) {
		return nil
	}
	fp := fingerprint(e)
	if passphrase == "" {
		return fmt.Errorf("signing key %s (%s) is protected by a passphrase: set %s", source, fp, EnvPassphrase)
	}
	// The library's reason ("checksum failure", "incorrect key") says
	// nothing more to a user than this does.
	if err := e.DecryptPrivateKeys([]byte(passphrase)); err != nil {
		return fmt.Errorf("signing key %s (%s): wrong passphrase in %s", source, fp, EnvPassphrase)
	}
	return nil
}

func isEncrypted(e *openpgp.Entity) bool {
	if e.PrivateKey != nil && !e.PrivateKey.Dummy() && e.PrivateKey.Encrypted {
		return true
	}
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil && !s.PrivateKey.Dummy() && s.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

// Fingerprint is the primary key's fingerprint in upper-case hex, as gpg
// prints it: the name a keyring, a manifest or a report uses for the key.
func (k *Key) Fingerprint() string { return fingerprint(k.entity) }

// SigningFingerprint is the fingerprint of the key that actually signs: the
// primary key, or its signing subkey when it has one.
func (k *Key) SigningFingerprint() string {
	return fmt.Sprintf("%X", k.signer.PublicKey.Fingerprint)
}

func fingerprint(e *openpgp.Entity) string {
	return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
}

// PublicKeyArmored is the armored public key (with its user ids and
// subkeys), to ship beside signed files or import with rpm --import.
func (k *Key) PublicKeyArmored() ([]byte, error) { return armoredPublic(k.entity) }

func armoredPublic(e *openpgp.Entity) ([]byte, error) {
	var out bytes.Buffer
	w, err := armor.Encode(&out, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, err
	}
	// Serialize writes only the public parts of a secret entity.
	if err := e.Serialize(w); err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// config is the signature configuration: SHA-256, which every rpm and gpgv
// in use accepts, and the signing key chosen at load time.
func (k *Key) config() *packet.Config {
	return &packet.Config{
		DefaultHash:  crypto.SHA256,
		Time:         k.now,
		SigningKeyId: k.signer.PublicKey.KeyId,
	}
}
