package archive

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"time"
)

// We read newc cpio ourselves instead of through go-rpmutils' cpio reader:
// v0.4.0 panics on a name size of 0 or a negative hex field ("-0000001"),
// allocates whatever name size a header claims, and rejects the 070702 (CRC)
// variant. The format is small; a reader that validates every field is
// shorter than the guards it would need.

const (
	cpioNewcMagic  = "070701"
	cpioCRCMagic   = "070702" // newc plus a byte-sum checksum of each file
	cpioHeaderLen  = 110      // magic and 13 fields of 8 hex digits
	cpioTrailer    = "TRAILER!!!"
	cpioMaxNameLen = 4096 // PATH_MAX, with the terminating NUL
	cpioMaxLinkLen = 4096
)

// File types in the cpio mode field (as in <sys/stat.h>).
const (
	cpioTypeMask   = 0o170000
	cpioTypeSocket = 0o140000
	cpioTypeLink   = 0o120000
	cpioTypeReg    = 0o100000
	cpioTypeBlock  = 0o060000
	cpioTypeDir    = 0o040000
	cpioTypeChar   = 0o020000
	cpioTypeFifo   = 0o010000
)

var errCpioTruncated = errors.New("cpio: archive ends without a TRAILER!!! entry")

type cpioHeader struct {
	name                              string
	ino, mode, nlink, mtime, devMajor uint32
	devMinor, check                   uint32
	size                              int64
}

// cpioReader walks the headers of a newc stream; the body of the current
// entry must be read or is skipped by the next call.
type cpioReader struct {
	r    io.Reader
	body *cpioBody
}

func (cr *cpioReader) next() (*cpioHeader, error) {
	if cr.body != nil {
		if _, err := io.Copy(io.Discard, cr.body); err != nil {
			return nil, err
		}
		if err := cr.skip(pad4(cr.body.size)); err != nil {
			return nil, err
		}
		cr.body = nil
	}
	var raw [cpioHeaderLen]byte
	if _, err := io.ReadFull(cr.r, raw[:]); err != nil {
		return nil, truncated(err)
	}
	magic := string(raw[:6])
	if magic != cpioNewcMagic && magic != cpioCRCMagic {
		return nil, fmt.Errorf("cpio: bad header magic %q", magic)
	}
	var f [13]uint32
	for i := range f {
		field := string(raw[6+8*i : 14+8*i])
		// ParseUint, unlike ParseInt, refuses a sign: "-0000001" is not a size.
		v, err := strconv.ParseUint(field, 16, 32)
		if err != nil {
			return nil, fmt.Errorf("cpio: bad header field %q", field)
		}
		f[i] = uint32(v)
	}
	h := &cpioHeader{
		ino: f[0], mode: f[1], nlink: f[4], mtime: f[5], size: int64(f[6]),
		devMajor: f[7], devMinor: f[8], check: f[12],
	}
	nameLen := f[11]
	if nameLen < 2 || nameLen > cpioMaxNameLen {
		return nil, fmt.Errorf("cpio: bad name size %d", nameLen)
	}
	name := make([]byte, nameLen)
	if _, err := io.ReadFull(cr.r, name); err != nil {
		return nil, truncated(err)
	}
	if name[nameLen-1] != 0 {
		return nil, fmt.Errorf("cpio: name %q is not NUL-terminated", name)
	}
	h.name = string(name[:nameLen-1])
	if err := cr.skip(pad4(cpioHeaderLen + int64(nameLen))); err != nil {
		return nil, err
	}
	cr.body = &cpioBody{r: cr.r, size: h.size, left: h.size,
		verify: magic == cpioCRCMagic && h.mode&cpioTypeMask == cpioTypeReg, want: h.check}
	return h, nil
}

func (cr *cpioReader) skip(n int64) error {
	_, err := io.CopyN(io.Discard, cr.r, n)
	return truncated(err)
}

// pad4 is how many bytes pad n up to newc's 4-byte alignment.
func pad4(n int64) int64 { return (4 - n%4) % 4 }

func truncated(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errCpioTruncated
	}
	return err
}

// cpioBody reads exactly one entry's data and, for 070702, checks its sum.
type cpioBody struct {
	r          io.Reader
	size, left int64
	verify     bool
	sum, want  uint32
}

func (b *cpioBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		if b.verify && b.sum != b.want {
			return 0, fmt.Errorf("cpio: checksum mismatch (got %08x, header says %08x)", b.sum, b.want)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	for _, c := range p[:n] {
		b.sum += uint32(c)
	}
	if err == io.EOF && b.left > 0 {
		err = errCpioTruncated
	} else if err == io.EOF {
		err = nil
	}
	return n, err
}

// inodeKey identifies the hard-link group of a newc entry.
type inodeKey struct{ devMajor, devMinor, ino uint32 }

// cpioSource maps newc entries to members. newc stores a hard-linked file's
// data once, with the last name of its group (cpio and rpm both do), so
// data-less names wait until the data arrives and are then emitted as hard
// links to it.
type cpioSource struct {
	cr         cpioReader
	archive    string
	maxMembers int
	queue      []*member
	pending    map[inodeKey][]*member
	order      []inodeKey // pending groups in archive order, for determinism
	npending   int
	dataName   map[inodeKey]string
	done       bool
}

func newCpioSource(r io.Reader, archive string, maxMembers int) *cpioSource {
	return &cpioSource{
		cr: cpioReader{r: r}, archive: archive, maxMembers: maxMembers,
		pending: map[inodeKey][]*member{}, dataName: map[inodeKey]string{},
	}
}

func (s *cpioSource) next() (*member, error) {
	for {
		if len(s.queue) > 0 {
			m := s.queue[0]
			s.queue = s.queue[1:]
			return m, nil
		}
		if s.done {
			return nil, io.EOF
		}
		h, err := s.cr.next()
		if err != nil {
			return nil, err
		}
		if h.name == cpioTrailer {
			s.flushPending()
			s.done = true
			continue
		}
		m, err := s.toMember(h)
		if err != nil {
			return nil, &MemberError{Archive: s.archive, Member: h.name, Err: err}
		}
		if m.kind != kindFile || h.nlink < 2 {
			return m, nil
		}
		key := inodeKey{h.devMajor, h.devMinor, h.ino}
		if name, ok := s.dataName[key]; ok && h.size == 0 {
			m.kind, m.linkname, m.body = kindHardLink, name, nil
			return m, nil
		}
		if h.size == 0 {
			if s.npending++; s.npending > s.maxMembers {
				return nil, &MemberError{Archive: s.archive, Member: h.name, Err: ErrTooManyMembers}
			}
			if _, ok := s.pending[key]; !ok {
				s.order = append(s.order, key)
			}
			s.pending[key] = append(s.pending[key], m)
			continue
		}
		s.dataName[key] = h.name
		for _, p := range s.pending[key] {
			p.kind, p.linkname, p.body = kindHardLink, h.name, nil
			s.queue = append(s.queue, p)
		}
		delete(s.pending, key)
		return m, nil
	}
}

// flushPending emits link groups whose data never came: all their files
// are empty, so the first becomes an empty file and the rest link to it.
func (s *cpioSource) flushPending() {
	for _, key := range s.order {
		group := s.pending[key]
		for i, p := range group {
			if i > 0 {
				p.kind, p.linkname, p.body = kindHardLink, group[0].name, nil
			}
			s.queue = append(s.queue, p)
		}
	}
	s.pending, s.order = nil, nil
}

func (s *cpioSource) toMember(h *cpioHeader) (*member, error) {
	m := &member{
		name:  h.name,
		perm:  fs.FileMode(h.mode) & fs.ModePerm,
		size:  h.size,
		mtime: time.Unix(int64(h.mtime), 0),
	}
	switch h.mode & cpioTypeMask {
	case cpioTypeReg:
		m.kind, m.body = kindFile, s.cr.body
	case cpioTypeDir:
		m.kind = kindDir
	case cpioTypeLink:
		// A newc symlink keeps its target as the entry's data.
		if h.size > cpioMaxLinkLen {
			return nil, fmt.Errorf("symlink target of %d bytes is too long", h.size)
		}
		target, err := io.ReadAll(s.cr.body)
		if err != nil {
			return nil, err
		}
		m.kind, m.linkname = kindSymlink, string(target)
	case cpioTypeChar, cpioTypeBlock, cpioTypeFifo, cpioTypeSocket:
		m.kind = kindSpecial
	default:
		return nil, fmt.Errorf("%w (mode %06o)", ErrUnsupportedMember, h.mode)
	}
	return m, nil
}
