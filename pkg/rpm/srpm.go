package rpm

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	rpmutils "github.com/sassoftware/go-rpmutils"

	"github.com/backport/backport/pkg/exitcode"
)

// SRPM is what backport needs to know about a source RPM: which package
// and version it builds, the files of its payload and who signed it.
type SRPM struct {
	Name    string
	Epoch   string // "" when the package has no Epoch tag
	Version string
	Release string
	// Files are the payload's member names in header order. They are flat
	// (no directory part): the spec, tarballs and patches side by side.
	Files []string
	// SpecFile is the member of Files that is the spec.
	SpecFile string
	// Signed says the signature header holds an OpenPGP signature; it says
	// nothing about whether it verifies (VerifySRPM does that).
	Signed bool
	// KeyID is the signer's 64-bit key ID in upper-case hex (the
	// fingerprint when the signature names only that), "" when unsigned
	// or unreadable.
	KeyID string
}

// ErrNotSourceRPM is returned for a binary RPM where a source RPM was
// expected; test it with errors.Is.
var ErrNotSourceRPM = errors.New("not a source RPM")

// payloadFile is one file as the main header records it.
type payloadFile struct {
	name   string
	size   uint64
	digest string // hex; "" when the header has none
}

// srpmFile is a source RPM whose lead and headers passed every check; the
// payload has not been read yet.
type srpmFile struct {
	name string // base name, for messages
	r    io.ReaderAt
	size int64
	raw  *rawRPM
	hdr  *rpmutils.RpmHeader
	info *SRPM

	files          []payloadFile
	fileDigestHash crypto.Hash
	compressor     string // PAYLOADCOMPRESSOR; "" when the tag is absent
	payloadDigest  string // hex, of the compressed payload; "" when absent
	payloadHash    crypto.Hash
}

// ReadSRPM reads and checks the lead and headers of the source RPM at
// path: structure, header digests, that it is a source package and that its
// file list is flat with one spec. It does not read the payload. A header
// digest mismatch has exit status 4; any other problem is an error naming
// the file. It never panics, whatever the file holds.
func ReadSRPM(path string) (*SRPM, error) {
	s, f, err := openSRPMPath(path)
	if err != nil {
		return nil, err
	}
	f.Close()
	return s.info, nil
}

// openSRPMPath opens the file at path and checks its lead and headers. The
// caller closes the file, which s reads the payload from.
func openSRPMPath(path string) (s *srpmFile, f *os.File, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: not a regular file", filepath.Base(path))
	}
	if err == nil {
		s, err = openSRPM(f, fi.Size(), filepath.Base(path))
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return s, f, nil
}

// openSRPM checks the lead and headers of the RPM in r (size bytes, named
// name in errors) and reads what the other functions need from them.
func openSRPM(r io.ReaderAt, size int64, name string) (*srpmFile, error) {
	fail := func(err error) error { return fmt.Errorf("%s: %w", name, err) }
	raw, err := readRawRPM(io.NewSectionReader(r, 0, size), size)
	if err != nil {
		return nil, fail(err)
	}
	if err := checkFileSize(raw, size); err != nil {
		return nil, fail(err)
	}
	if _, err := checkHeaderDigests(raw); err != nil {
		return nil, exitcode.Wrap(exitcode.Verification, fail(err))
	}
	hdr, err := parseHeaders(raw)
	if err != nil {
		return nil, fail(err)
	}
	s := &srpmFile{name: name, r: r, size: size, raw: raw, hdr: hdr}
	if err := s.readTags(); err != nil {
		return nil, fail(err)
	}
	return s, nil
}
