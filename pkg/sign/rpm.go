package sign

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/google/renameio/v2"
	rpmutils "github.com/sassoftware/go-rpmutils"
)

// SignRPM gives the package at path OpenPGP signatures in its signature
// header, as rpmsign --addsign does: one over the main header (rpm -K
// prints "Header V4 RSA/SHA256 Signature") and one over header and
// payload. Existing signatures are replaced. The file is replaced
// atomically, keeping its permissions; on failure it is left as it was.
func (k *Key) SignRPM(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr, err := signRPMStream(f, k)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// Keep the signature header's size where the reserved space allows it
	// (rpmbuild leaves room for this), so that only those bytes change.
	sigHeader, err := hdr.DumpSignatureHeader(true)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.Seek(int64(hdr.OriginalSignatureHeaderSize()), io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	out, err := renameio.NewPendingFile(path, renameio.WithExistingPermissions())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer out.Cleanup()
	if _, err := out.Write(sigHeader); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := io.Copy(out, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := out.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// signRPMStream signs the package read from r. go-rpmutils v0.4.0 panics
// when SignatureOptions.Hash is unset, so both fields are always given; a
// panic on a malformed package is turned into an error.
func signRPMStream(r io.Reader, k *Key) (hdr *rpmutils.RpmHeader, err error) {
	defer func() {
		if p := recover(); p != nil {
			hdr, err = nil, fmt.Errorf("not a readable RPM package (go-rpmutils: %v)", p)
		}
	}()
	hdr, err = rpmutils.SignRpmStream(r, k.signer.PrivateKey, &rpmutils.SignatureOptions{
		Hash:         crypto.SHA256,
		CreationTime: k.now().UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("not a signable RPM package: %w", err)
	}
	return hdr, nil
}

// verifyRPM checks the header digests, the payload digest and every
// OpenPGP signature in the package at path against keyring, and requires
// at least one signature. It returns the signer of the first signature.
func verifyRPM(path string, keyring openpgp.EntityList) (signer string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	defer func() {
		if p := recover(); p != nil {
			signer, err = "", verificationErr(fmt.Errorf("%s: corrupt package (go-rpmutils: %v)", path, p))
		}
	}()
	_, sigs, err := rpmutils.Verify(f, keyring)
	var notFound rpmutils.KeyNotFoundError
	switch {
	case errors.As(err, &notFound) && notFound.KeyID != 0:
		return "", verificationErr(fmt.Errorf("%s: signed by key %016X, which is not in the keyring", path, notFound.KeyID))
	case errors.As(err, &notFound):
		return "", verificationErr(fmt.Errorf("%s: signed by key %X, which is not in the keyring", path, notFound.Fingerprint))
	case err != nil:
		return "", verificationErr(fmt.Errorf("%s: %w", path, err))
	case len(sigs) == 0:
		return "", verificationErr(fmt.Errorf("%s: not signed", path))
	}
	return describe(sigs[0].Signer), nil
}

// describe names a signer as "FINGERPRINT (user id)".
func describe(e *openpgp.Entity) string {
	if e == nil {
		return "an unknown key"
	}
	s := fingerprint(e)
	if id := e.PrimaryIdentity(); id != nil {
		s += " (" + id.Name + ")"
	}
	return s
}
