package rpm

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	rpmutils "github.com/sassoftware/go-rpmutils"

	"github.com/backport/backport/pkg/exitcode"
)

// sigTagMD5 is rpm's legacy digest of main header plus payload, kept in the
// signature header; rpm 4.18 still writes it.
const sigTagMD5 = 1004

// VerifySRPM checks the source RPM at path as `rpm -K` does: the header
// digests, the payload digests and, when keyring is non-empty, that every
// OpenPGP signature in it is by a key in keyring and verifies, and that the
// signatures cover the payload (directly, or through the payload digest in
// the signed header). Any failure, an unsigned package when a keyring is
// given included, has exit status 4 and names the file and what failed;
// only a missing file or a binary RPM is a plain error.
func VerifySRPM(path string, keyring openpgp.EntityList) (*SRPM, error) {
	s, f, err := openSRPMPath(path)
	var pathErr *fs.PathError
	switch {
	case err == nil:
	case errors.As(err, &pathErr), errors.Is(err, ErrNotSourceRPM), exitcode.Of(err) != exitcode.Failure:
		return nil, err
	default:
		// A file that does not parse fails verification like one whose
		// digest is wrong: both are what a tampered download looks like.
		return nil, exitcode.Wrap(exitcode.Verification, err)
	}
	defer f.Close()
	if err := s.verify(keyring); err != nil {
		return nil, exitcode.Wrap(exitcode.Verification, fmt.Errorf("%s: %w", s.name, err))
	}
	return s.info, nil
}

func (s *srpmFile) verify(keyring openpgp.EntityList) error {
	// openSRPM already compared the digests that are there.
	if found, _ := checkHeaderDigests(s.raw); !found {
		return errors.New("no header digest (SHA256 or SHA1) in the signature header")
	}
	if err := s.checkPayloadDigests(context.Background()); err != nil {
		return err
	}
	if len(keyring) == 0 {
		return nil
	}
	if !s.info.Signed {
		return errors.New("not signed, but a signing key is required")
	}
	sigs, err := s.checkSignatures(keyring)
	if err != nil {
		return err
	}
	for _, sig := range sigs {
		if !sig.HeaderOnly {
			return nil
		}
	}
	// A header-only signature covers the payload through the payload
	// digest the signed header holds; the legacy MD5 lives outside it.
	if s.payloadDigest == "" {
		return errors.New("the signature covers only the header, and the header has no payload digest")
	}
	return nil
}

// payloadSection is the compressed payload, from the end of the main header
// to the end of the file.
func (s *srpmFile) payloadSection() *io.SectionReader {
	return io.NewSectionReader(s.r, s.raw.payloadOffset, s.size-s.raw.payloadOffset)
}

// checkPayloadDigests compares the payload with the header's payload digest
// and the signature header's MD5 of header and payload, in one pass. At
// least one of them must be there.
func (s *srpmFile) checkPayloadDigests(ctx context.Context) error {
	type check struct {
		name string
		sum  func() []byte
		want string
	}
	var checks []check
	var writers []io.Writer
	if s.payloadDigest != "" {
		h := s.payloadHash.New()
		writers = append(writers, h)
		name := "payload " + strings.ReplaceAll(s.payloadHash.String(), "-", "")
		checks = append(checks, check{name, func() []byte { return h.Sum(nil) }, s.payloadDigest})
	}
	if e, want, ok := s.raw.sig.lookup(sigTagMD5); ok && e.typ == typeBin && len(want) == md5.Size {
		h := md5.New()
		h.Write(s.raw.main.raw)
		writers = append(writers, h)
		checks = append(checks, check{"MD5", func() []byte { return h.Sum(nil) }, hex.EncodeToString(want)})
	}
	if len(checks) == 0 {
		return errors.New("no payload digest in the headers")
	}
	if _, err := io.Copy(io.MultiWriter(writers...), ctxReader{ctx, s.payloadSection()}); err != nil {
		return fmt.Errorf("reading the payload: %w", err)
	}
	for _, c := range checks {
		if hex.EncodeToString(c.sum()) != strings.ToLower(c.want) {
			return fmt.Errorf("%s digest mismatch", c.name)
		}
	}
	return nil
}

// checkSignatures has go-rpmutils verify every signature against keyring;
// it fails unless all of them are by a key in it and verify.
func (s *srpmFile) checkSignatures(keyring openpgp.EntityList) (sigs []*rpmutils.Signature, err error) {
	defer func() {
		if p := recover(); p != nil {
			sigs, err = nil, fmt.Errorf("corrupt signature (go-rpmutils: %v)", p)
		}
	}()
	stream := io.MultiReader(bytes.NewReader(s.raw.bytes()), s.payloadSection())
	_, sigs, err = rpmutils.Verify(stream, keyring)
	var notFound rpmutils.KeyNotFoundError
	switch {
	case errors.As(err, &notFound) && notFound.KeyID != 0:
		return nil, fmt.Errorf("signed by key %016X, which is not in the keyring", notFound.KeyID)
	case errors.As(err, &notFound):
		return nil, fmt.Errorf("signed by key %X, which is not in the keyring", notFound.Fingerprint)
	case err != nil:
		return nil, fmt.Errorf("signature check failed: %w", err)
	case len(sigs) == 0:
		return nil, errors.New("no OpenPGP signature could be checked")
	}
	return sigs, nil
}

// ctxReader stops hashing a large payload when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
