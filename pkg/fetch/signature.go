package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/backport/backport/pkg/exitcode"
)

const (
	armoredPublicKey = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
	armoredSignature = "-----BEGIN PGP SIGNATURE-----"
	clearsignedStart = "-----BEGIN PGP SIGNED MESSAGE-----"
)

// Signer identifies the key behind a good signature.
type Signer struct {
	// Fingerprint is the key that made the signature (often a subkey), in
	// upper-case hex as gpg prints it.
	Fingerprint string
	// PrimaryFingerprint is the primary key of the certificate it belongs
	// to: the one a keyring or a recipe pins.
	PrimaryFingerprint string
	UserID             string    // the certificate's primary user id
	Created            time.Time // when the signature was made
}

func (s Signer) String() string {
	if s.UserID == "" {
		return s.PrimaryFingerprint
	}
	return fmt.Sprintf("%s (%s)", s.PrimaryFingerprint, s.UserID)
}

// LoadKeyring reads the OpenPGP public keys in the file at path; see
// ReadKeyring.
func LoadKeyring(path string) (openpgp.EntityList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	keys, err := ReadKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("keyring %s: %w", path, err)
	}
	return keys, nil
}

// ReadKeyring parses OpenPGP public keys: armored (one or more "PUBLIC KEY
// BLOCK"s, as in debian/upstream/signing-key.asc) or binary (as in
// /usr/share/keyrings/*.gpg), holding one key or many.
func ReadKeyring(data []byte) (openpgp.EntityList, error) {
	if bytes.HasPrefix(data, []byte{0x01}) && len(data) > 12 && string(data[8:12]) == "KBXf" {
		return nil, errors.New("a GnuPG keybox, not a keyring; export one with: gpg --export KEYID > keyring.gpg")
	}
	if !bytes.Contains(data, []byte(armoredPublicKey)) {
		keys, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("no usable OpenPGP public key: %w", err)
		}
		if len(keys) == 0 {
			return nil, errors.New("no OpenPGP public key")
		}
		return keys, nil
	}
	// ReadArmoredKeyRing stops after the first armor block; files that
	// concatenate several exported keys are common, so read each block.
	var keys openpgp.EntityList
	for rest := data; ; {
		i := bytes.Index(rest, []byte(armoredPublicKey))
		if i < 0 {
			break
		}
		rest = rest[i:]
		block, err := armor.Decode(bytes.NewReader(rest))
		if err != nil {
			return nil, fmt.Errorf("armored key block: %w", err)
		}
		more, err := openpgp.ReadKeyRing(block.Body)
		if err != nil {
			return nil, fmt.Errorf("armored key block: %w", err)
		}
		keys = append(keys, more...)
		rest = rest[len(armoredPublicKey):]
	}
	if len(keys) == 0 {
		return nil, errors.New("no usable OpenPGP public key")
	}
	return keys, nil
}

// VerifyDetachedFile checks signaturePath (armored or binary) over
// signedPath with the keys in keyringPath.
func VerifyDetachedFile(keyringPath, signedPath, signaturePath string) (Signer, error) {
	keys, err := LoadKeyring(keyringPath)
	if err != nil {
		return Signer{}, err
	}
	sig, err := os.ReadFile(signaturePath)
	if err != nil {
		return Signer{}, err
	}
	return VerifyDetached(keys, signedPath, sig)
}

// VerifyDetached checks a detached signature (armored or binary) over the
// file at signedPath. It succeeds when any signature in it is good and made
// by a key in keyring that is neither expired nor revoked, as gpgv does.
// Failures are exitcode.Verification errors.
func VerifyDetached(keyring openpgp.EntityList, signedPath string, signature []byte) (Signer, error) {
	f, err := os.Open(signedPath)
	if err != nil {
		return Signer{}, err
	}
	defer f.Close()
	packets, err := signaturePackets(signature)
	if err != nil {
		return Signer{}, exitcode.Wrap(exitcode.Verification, fmt.Errorf("signature of %s: %w", signedPath, err))
	}
	signer, err := verifyAny(keyring, f, packets)
	if err != nil {
		return Signer{}, exitcode.Wrap(exitcode.Verification, fmt.Errorf("signature of %s: %w", signedPath, err))
	}
	return signer, nil
}

// VerifyClearsigned checks a clearsigned document (an InRelease) and returns
// only the text covered by the signature. Anything before or after the
// signed block is refused rather than skipped, so no caller can ever read
// unsigned text as if it were signed.
func VerifyClearsigned(keyring openpgp.EntityList, data []byte) ([]byte, Signer, error) {
	fail := func(err error) ([]byte, Signer, error) {
		return nil, Signer{}, exitcode.Wrap(exitcode.Verification, err)
	}
	data = bytes.TrimLeft(data, " \t\r\n")
	if !bytes.HasPrefix(data, []byte(clearsignedStart)) {
		return fail(errors.New("not a clearsigned document (text before the signed block, or no signature)"))
	}
	block, rest := clearsign.Decode(data)
	if block == nil {
		return fail(errors.New("malformed clearsigned document"))
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return fail(errors.New("unsigned text after the signature of a clearsigned document"))
	}
	sig, err := io.ReadAll(block.ArmoredSignature.Body)
	if err != nil {
		return fail(fmt.Errorf("malformed signature: %w", err))
	}
	packets, err := signaturePackets(sig)
	if err != nil {
		return fail(err)
	}
	signer, err := verifyAny(keyring, bytes.NewReader(block.Bytes), packets)
	if err != nil {
		return fail(err)
	}
	return block.Plaintext, signer, nil
}

// signaturePackets splits a signature (armored or binary) into its
// signature packets. Debian signs an InRelease with several keys at once; a
// keyring may know only some of them.
func signaturePackets(sig []byte) ([][]byte, error) {
	if bytes.Contains(sig, []byte(armoredSignature)) {
		i := bytes.Index(sig, []byte(armoredSignature))
		block, err := armor.Decode(bytes.NewReader(sig[i:]))
		if err != nil {
			return nil, fmt.Errorf("malformed signature: %w", err)
		}
		if sig, err = io.ReadAll(block.Body); err != nil {
			return nil, fmt.Errorf("malformed signature: %w", err)
		}
	}
	var out [][]byte
	r := packet.NewOpaqueReader(bytes.NewReader(sig))
	for {
		op, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed signature: %w", err)
		}
		if op.Tag != packetTagSignature {
			return nil, fmt.Errorf("malformed signature: OpenPGP packet of type %d where a signature was expected", op.Tag)
		}
		var buf bytes.Buffer
		if err := op.Serialize(&buf); err != nil {
			return nil, fmt.Errorf("malformed signature: %w", err)
		}
		out = append(out, buf.Bytes())
	}
	if len(out) == 0 {
		return nil, errors.New("no signature found")
	}
	return out, nil
}

const packetTagSignature = 2

// verifyAny returns the signer of the first good signature among packets.
// When none is good, the error explains the most telling failure: a bad
// signature or an expired key says more than "unknown key".
func verifyAny(keyring openpgp.EntityList, signed io.ReadSeeker, packets [][]byte) (Signer, error) {
	var unknown []string
	var failure error
	for _, p := range packets {
		if _, err := signed.Seek(0, io.SeekStart); err != nil {
			return Signer{}, err
		}
		sig, entity, err := openpgp.VerifyDetachedSignature(keyring, signed, bytes.NewReader(p), nil)
		if err == nil {
			return describeSigner(sig, entity), nil
		}
		issuer := issuerOf(p)
		if errors.Is(err, pgperrors.ErrUnknownIssuer) && issuer != "" {
			unknown = append(unknown, issuer)
			continue
		}
		if failure == nil {
			failure = explainSignatureError(issuer, err)
		}
	}
	if failure != nil {
		return Signer{}, failure
	}
	return Signer{}, fmt.Errorf("signed by %s, not in the keyring", strings.Join(unknown, ", "))
}

func explainSignatureError(issuer string, err error) error {
	if issuer == "" {
		return fmt.Errorf("malformed signature: %w", err)
	}
	switch {
	case errors.Is(err, pgperrors.ErrKeyExpired):
		return fmt.Errorf("signing %s has expired", issuer)
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		return fmt.Errorf("signing %s is revoked", issuer)
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		return fmt.Errorf("the signature by %s has expired", issuer)
	}
	var sigErr pgperrors.SignatureError
	if errors.As(err, &sigErr) {
		return fmt.Errorf("bad signature by %s: the data does not match it (%w)", issuer, err)
	}
	return fmt.Errorf("signature by %s not accepted: %w", issuer, err)
}

// issuerOf names the key a signature packet claims to come from, or returns
// "" when the packet cannot be read.
func issuerOf(p []byte) string {
	pkt, err := packet.Read(bytes.NewReader(p))
	sig, ok := pkt.(*packet.Signature)
	switch {
	case err != nil || !ok:
		return ""
	case len(sig.IssuerFingerprint) > 0:
		return fmt.Sprintf("key %X", sig.IssuerFingerprint)
	case sig.IssuerKeyId != nil:
		return fmt.Sprintf("key %016X", *sig.IssuerKeyId)
	}
	return "an unnamed key"
}

func describeSigner(sig *packet.Signature, e *openpgp.Entity) Signer {
	s := Signer{
		Fingerprint:        fmt.Sprintf("%X", e.PrimaryKey.Fingerprint),
		PrimaryFingerprint: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint),
		Created:            sig.CreationTime,
	}
	if sig.IssuerKeyId != nil {
		for _, sub := range e.Subkeys {
			if sub.PublicKey.KeyId == *sig.IssuerKeyId {
				s.Fingerprint = fmt.Sprintf("%X", sub.PublicKey.Fingerprint)
			}
		}
	}
	if id := e.PrimaryIdentity(); id != nil {
		s.UserID = id.Name
	}
	return s
}
