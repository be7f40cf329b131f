package sign

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/google/renameio/v2"

	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/fetch"
)

// Kind is how a file is signed, chosen by its name.
type Kind string

const (
	KindRPM         Kind = "rpm header signature"      // .rpm, in place
	KindClearsigned Kind = "clearsigned"               // .changes, .dsc, .buildinfo, in place
	KindDetached    Kind = "detached signature (.asc)" // everything else, beside it
)

// KindOf says how SignFile signs the file at path.
func KindOf(path string) Kind {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".rpm":
		return KindRPM
	case ".changes", ".dsc", ".buildinfo":
		return KindClearsigned
	}
	return KindDetached
}

// SignFile signs the file at path as its kind asks and returns the files it
// wrote: path itself for RPMs and Debian control files, path+".asc" for the
// rest. Every write replaces its file atomically.
func SignFile(k *Key, path string) (written []string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	switch KindOf(path) {
	case KindRPM:
		if err := k.SignRPM(path); err != nil {
			return nil, err
		}
		return []string{path}, nil
	case KindClearsigned:
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		signed, err := k.ClearSign(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := renameio.WriteFile(path, signed, 0o644, renameio.WithExistingPermissions()); err != nil {
			return nil, err
		}
		return []string{path}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sig, err := k.SignDetached(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	asc := path + ".asc"
	if err := renameio.WriteFile(asc, sig, 0o644); err != nil {
		return nil, err
	}
	return []string{asc}, nil
}

// Verify checks the signature SignFile made for path against the public
// keys in keyring (armored or binary): an RPM's header signatures, a
// clearsigned control file, or path+".asc". Given a ".asc" whose signed
// file sits beside it, it checks that pair. It returns the signer as
// "FINGERPRINT (user id)". A bad, missing or unknown signature is an
// exitcode.Verification error; an unreadable file or keyring is a plain one.
func Verify(path string, keyring []byte) (signer string, err error) {
	keys, err := fetch.ReadKeyring(keyring)
	if err != nil {
		return "", fmt.Errorf("keyring: %w", err)
	}
	if _, err := os.Stat(path); err != nil {
		return "", err
	}
	switch KindOf(path) {
	case KindRPM:
		return verifyRPM(path, keys)
	case KindClearsigned:
		return verifyClearsigned(path, keys)
	}
	data, sig := path, path+".asc"
	if strings.HasSuffix(path, ".asc") {
		if _, err := os.Stat(strings.TrimSuffix(path, ".asc")); err == nil {
			data, sig = strings.TrimSuffix(path, ".asc"), path
		}
	}
	sigBytes, err := os.ReadFile(sig)
	if errors.Is(err, fs.ErrNotExist) {
		return "", verificationErr(fmt.Errorf("%s: not signed: no %s beside it", data, filepath.Base(sig)))
	}
	if err != nil {
		return "", err
	}
	s, err := fetch.VerifyDetached(keys, data, sigBytes)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

func verifyClearsigned(path string, keys openpgp.EntityList) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if !bytes.Contains(data, []byte(clearsignedBegin)) {
		return "", verificationErr(fmt.Errorf("%s: not signed (no clearsigned block)", path))
	}
	_, s, err := fetch.VerifyClearsigned(keys, data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return s.String(), nil
}

func verificationErr(err error) error { return exitcode.Wrap(exitcode.Verification, err) }
