package rpm

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	rpmutils "github.com/sassoftware/go-rpmutils"
)

// An RPM file is a 96-byte lead, the signature header (padded to 8 bytes),
// the main header and the compressed payload. We bound and check the two
// headers ourselves before go-rpmutils sees a byte: measured with v0.4.0,
// its header reader panics on an index entry whose offset or count points
// outside the data ("slice bounds out of range"), and allocates whatever an
// intro claims, 4 GiB for a 200-byte file.

const (
	leadSize         = 96
	leadMagic        = 0xedabeedb
	leadTypeSource   = 1
	sigTypeHeaderSig = 5 // the only signature type rpm has written since 1997

	headerMagic    = 0x8eade801 // magic 8eade8, header version 1
	headerIntroLen = 16
	indexEntryLen  = 16
	// rpm's own limits (hdrchkTags, HEADER_DATA_MAX): a header that passes
	// them still fits in memory, one that fails them is not one rpm wrote.
	maxHeaderTags = 0xffff
	maxHeaderData = 256 << 20
)

// rpm's data types, as stored in a header index entry.
const (
	typeNull = iota
	typeChar
	typeInt8
	typeInt16
	typeInt32
	typeInt64
	typeString
	typeBin
	typeStringArray
	typeI18NString
)

// Signature header tags we read directly: the header digests are checked
// before go-rpmutils parses anything, so a mismatch is reported as such.
const (
	sigTagSHA1   = 269
	sigTagSHA256 = 273
	sigTagSize   = 1000 // lead-less size of main header plus payload
	sigTagLong   = 270  // 64-bit sigTagSize
)

// headerBlob is one header as stored: intro, index and data, with the
// signature header's alignment padding included in raw.
type headerBlob struct {
	raw   []byte
	data  []byte
	index []indexEntry
}

type indexEntry struct {
	tag, typ       uint32
	offset, length int // the entry's bytes in data
	count          uint32
}

// rawRPM is an RPM file's lead and headers, bounded and structurally
// checked, and where its payload starts.
type rawRPM struct {
	lead          []byte
	sig, main     *headerBlob
	payloadOffset int64
}

// bytes returns lead and headers as one stream, the input go-rpmutils
// expects.
func (r *rawRPM) bytes() []byte {
	return bytes.Join([][]byte{r.lead, r.sig.raw, r.main.raw}, nil)
}

// readRawRPM reads the lead and both headers from the start of an RPM file
// of the given size, refusing anything rpm would not have written.
func readRawRPM(r io.Reader, size int64) (*rawRPM, error) {
	lead := make([]byte, leadSize)
	if _, err := io.ReadFull(r, lead); err != nil {
		if size == 0 {
			return nil, errors.New("empty file, not an RPM")
		}
		return nil, truncatedIn("lead", err)
	}
	if binary.BigEndian.Uint32(lead) != leadMagic {
		return nil, errors.New("not an RPM file (bad lead magic)")
	}
	if major := lead[4]; major != 3 && major != 4 {
		return nil, fmt.Errorf("unsupported RPM format version %d", major)
	}
	if st := binary.BigEndian.Uint16(lead[78:]); st != sigTypeHeaderSig {
		return nil, fmt.Errorf("unsupported signature type %d in the lead", st)
	}
	sig, err := readHeaderBlob(r, size-leadSize, true)
	if err != nil {
		return nil, fmt.Errorf("signature header: %w", err)
	}
	main, err := readHeaderBlob(r, size-leadSize-int64(len(sig.raw)), false)
	if err != nil {
		return nil, fmt.Errorf("main header: %w", err)
	}
	return &rawRPM{lead: lead, sig: sig, main: main,
		payloadOffset: int64(leadSize + len(sig.raw) + len(main.raw))}, nil
}

func truncatedIn(what string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("truncated in the %s", what)
	}
	return err
}

// readHeaderBlob reads one header. left is how many bytes the file has from
// here on: a header that claims more is truncated, and checking first means
// a lying intro cannot make us allocate.
func readHeaderBlob(r io.Reader, left int64, padded bool) (*headerBlob, error) {
	intro := make([]byte, headerIntroLen)
	if _, err := io.ReadFull(r, intro); err != nil {
		return nil, truncatedIn("header", err)
	}
	if binary.BigEndian.Uint32(intro) != headerMagic {
		return nil, errors.New("bad header magic")
	}
	tags := int64(binary.BigEndian.Uint32(intro[8:]))
	dataLen := int64(binary.BigEndian.Uint32(intro[12:]))
	if tags == 0 || tags > maxHeaderTags {
		return nil, fmt.Errorf("implausible tag count %d", tags)
	}
	if dataLen > maxHeaderData {
		return nil, fmt.Errorf("implausible data size %d", dataLen)
	}
	total := headerIntroLen + tags*indexEntryLen + dataLen
	if padded {
		total += (8 - dataLen%8) % 8
	}
	if total > left {
		return nil, fmt.Errorf("truncated: header needs %d bytes, file has %d", total, left)
	}
	raw := make([]byte, total)
	copy(raw, intro)
	if _, err := io.ReadFull(r, raw[headerIntroLen:]); err != nil {
		return nil, truncatedIn("header", err)
	}
	indexEnd := headerIntroLen + tags*indexEntryLen
	h := &headerBlob{raw: raw, data: raw[indexEnd : indexEnd+dataLen]}
	// Duplicates are refused: we and go-rpmutils would each pick a
	// different one of them.
	seen := make(map[uint32]bool, tags)
	for i := int64(0); i < tags; i++ {
		e, err := parseIndexEntry(raw[headerIntroLen+i*indexEntryLen:], h.data)
		if err == nil && seen[e.tag] {
			err = fmt.Errorf("tag %d appears twice", e.tag)
		}
		if err != nil {
			return nil, fmt.Errorf("index entry %d: %w", i, err)
		}
		seen[e.tag] = true
		h.index = append(h.index, e)
	}
	return h, nil
}

// typeSize is the byte size of one element of the fixed-size types.
var typeSize = map[uint32]int64{typeNull: 0, typeChar: 1, typeInt8: 1, typeInt16: 2, typeInt32: 4, typeInt64: 8, typeBin: 1}

// parseIndexEntry checks that an entry's type is known and that its data
// lies inside the data area, as rpm's hdrblobVerifyInfo does; go-rpmutils
// slices without checking.
func parseIndexEntry(b, data []byte) (indexEntry, error) {
	e := indexEntry{
		tag:   binary.BigEndian.Uint32(b),
		typ:   binary.BigEndian.Uint32(b[4:]),
		count: binary.BigEndian.Uint32(b[12:]),
	}
	offset := int64(int32(binary.BigEndian.Uint32(b[8:])))
	if e.typ > typeI18NString {
		return e, fmt.Errorf("tag %d has unknown type %d", e.tag, e.typ)
	}
	if offset < 0 || offset > int64(len(data)) {
		return e, fmt.Errorf("tag %d: offset %d outside the %d data bytes", e.tag, offset, len(data))
	}
	if e.count == 0 || int64(e.count) > int64(len(data)) {
		return e, fmt.Errorf("tag %d: implausible count %d", e.tag, e.count)
	}
	end := offset
	if size, fixed := typeSize[e.typ]; fixed {
		if size > 1 && offset%size != 0 {
			return e, fmt.Errorf("tag %d: misaligned offset %d", e.tag, offset)
		}
		end += size * int64(e.count)
	} else {
		if e.typ == typeString && e.count != 1 {
			return e, fmt.Errorf("tag %d: string with count %d", e.tag, e.count)
		}
		for n := uint32(0); n < e.count; n++ {
			nul := bytes.IndexByte(data[min(end, int64(len(data))):], 0)
			if nul < 0 {
				return e, fmt.Errorf("tag %d: string runs past the data", e.tag)
			}
			end += int64(nul) + 1
		}
	}
	if end > int64(len(data)) {
		return e, fmt.Errorf("tag %d: data runs past the header", e.tag)
	}
	e.offset, e.length = int(offset), int(end-offset)
	return e, nil
}

// lookup returns the data of tag, if the header has it.
func (h *headerBlob) lookup(tag uint32) (indexEntry, []byte, bool) {
	for _, e := range h.index {
		if e.tag == tag {
			return e, h.data[e.offset : e.offset+e.length], true
		}
	}
	return indexEntry{}, nil, false
}

// stringTag returns a single-string tag's value.
func (h *headerBlob) stringTag(tag uint32) (string, bool) {
	e, b, ok := h.lookup(tag)
	if !ok || e.typ != typeString {
		return "", false
	}
	return string(b[:len(b)-1]), true
}

// uintTag returns an int32 or int64 tag's first value.
func (h *headerBlob) uintTag(tag uint32) (uint64, bool) {
	e, b, ok := h.lookup(tag)
	switch {
	case !ok:
		return 0, false
	case e.typ == typeInt32:
		return uint64(binary.BigEndian.Uint32(b)), true
	case e.typ == typeInt64:
		return binary.BigEndian.Uint64(b), true
	}
	return 0, false
}

// checkHeaderDigests compares the main header with every header digest the
// signature header carries (go-rpmutils checks only the strongest one).
// It reports whether there was any digest at all.
func checkHeaderDigests(r *rawRPM) (bool, error) {
	found := false
	for _, d := range []struct {
		tag  uint32
		name string
		hash func() hash.Hash
	}{{sigTagSHA256, "SHA256", sha256.New}, {sigTagSHA1, "SHA1", sha1.New}} {
		want, ok := r.sig.stringTag(d.tag)
		if !ok {
			continue
		}
		found = true
		h := d.hash()
		h.Write(r.main.raw)
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			return found, fmt.Errorf("header %s digest mismatch", d.name)
		}
	}
	return found, nil
}

// checkFileSize compares the file size with the size of main header plus
// payload the signature header records, which turns a truncated download
// into an error before anything reads the payload.
func checkFileSize(r *rawRPM, size int64) error {
	want, ok := r.sig.uintTag(sigTagLong)
	if !ok {
		want, ok = r.sig.uintTag(sigTagSize)
	}
	if !ok {
		return nil
	}
	got := size - leadSize - int64(len(r.sig.raw))
	if got < 0 || uint64(got) != want {
		return fmt.Errorf("header and payload are %d bytes but the signature header says %d (truncated or padded file)", got, want)
	}
	return nil
}

// parseHeaders hands the checked headers to go-rpmutils. It should not
// panic on them any more, but an untrusted file must never crash backport,
// so a panic still becomes an error.
func parseHeaders(r *rawRPM) (hdr *rpmutils.RpmHeader, err error) {
	defer func() {
		if p := recover(); p != nil {
			hdr, err = nil, fmt.Errorf("corrupt header (go-rpmutils: %v)", p)
		}
	}()
	return rpmutils.ReadHeader(bytes.NewReader(r.bytes()))
}
