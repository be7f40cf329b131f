package sign

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
)

const clearsignedBegin = "-----BEGIN PGP SIGNED MESSAGE-----"

// SignDetached returns an armored detached signature of data, as
// SHA256SUMS.asc is: `gpgv --keyring K SHA256SUMS.asc SHA256SUMS` checks it.
func (k *Key) SignDetached(data []byte) ([]byte, error) {
	var out bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&out, k.entity, bytes.NewReader(data), k.config()); err != nil {
		return nil, fmt.Errorf("detached signature with %s: %w", k.Fingerprint(), err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// ClearSign returns data inline-signed, as debsign signs .changes, .dsc and
// .buildinfo files. A document that is already clearsigned is signed afresh
// from its plaintext rather than wrapped a second time.
func (k *Key) ClearSign(data []byte) ([]byte, error) {
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(clearsignedBegin)) {
		block, _ := clearsign.Decode(data)
		if block == nil {
			return nil, errors.New("malformed clearsigned document: cannot take its old signature off")
		}
		// Plaintext is exactly the signed text, without the line ending
		// that belongs to the signature armor.
		data = block.Plaintext
	} else {
		// The line ending before the signature armor belongs to the armor,
		// as gpg --clearsign writes it; left in, it would sign an extra
		// empty line.
		data = bytes.TrimSuffix(data, []byte("\n"))
	}
	var out bytes.Buffer
	w, err := clearsign.Encode(&out, k.signer.PrivateKey, k.config())
	if err != nil {
		return nil, fmt.Errorf("clearsign with %s: %w", k.Fingerprint(), err)
	}
	if _, err := w.Write(data); err != nil {
		return nil, fmt.Errorf("clearsign with %s: %w", k.Fingerprint(), err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("clearsign with %s: %w", k.Fingerprint(), err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
