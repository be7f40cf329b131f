package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// tarTypeGNUVolHeader is GNU tar's volume label ('V'), which archive/tar
// has no constant for; it names the archive, not a file.
const tarTypeGNUVolHeader = 'V'

// tarSource reads ustar, pax and GNU tar (long names, sparse files) through
// archive/tar and maps each header to a member.
type tarSource struct {
	tr      *tar.Reader
	archive string
	first   bool
}

func newTarSource(r io.Reader, archive string) *tarSource {
	return &tarSource{tr: tar.NewReader(r), archive: archive, first: true}
}

func (s *tarSource) next() (*member, error) {
	hdr, err := s.tr.Next()
	// With GODEBUG=tarinsecurepath=0 archive/tar flags names like "../x"
	// but still returns the header; our own checks refuse it with a better
	// message.
	if errors.Is(err, tar.ErrInsecurePath) {
		err = nil
	}
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		if s.first {
			// Garbage, or a compression we do not know, fails here.
			return nil, fmt.Errorf("%w: %v", ErrUnsupportedArchive, err)
		}
		return nil, err
	}
	s.first = false
	m := &member{
		name:  hdr.Name,
		perm:  fs.FileMode(hdr.Mode) & fs.ModePerm,
		size:  hdr.Size,
		mtime: hdr.ModTime,
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeCont, tar.TypeGNUSparse:
		// archive/tar already turned the old '\x00' type into TypeReg or
		// TypeDir, and expands sparse files to their full size.
		m.kind, m.body = kindFile, s.tr
	case tar.TypeDir:
		m.kind = kindDir
	case tar.TypeSymlink:
		m.kind, m.linkname = kindSymlink, hdr.Linkname
	case tar.TypeLink:
		m.kind, m.linkname = kindHardLink, hdr.Linkname
		m.size = 0 // some writers record the target's size; no data follows
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		m.kind = kindSpecial
	case tar.TypeXGlobalHeader, tarTypeGNUVolHeader:
		// git archive puts the commit id in a pax global header.
		m.kind = kindSkip
		m.size = 0
	default:
		return nil, &MemberError{Archive: s.archive, Member: hdr.Name,
			Err: fmt.Errorf("%w %q", ErrUnsupportedMember, hdr.Typeflag)}
	}
	return m, nil
}
