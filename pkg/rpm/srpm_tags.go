package rpm

import (
	"bytes"
	"crypto"
	_ "crypto/md5" // file digests of packages built before rpm 4.6
	_ "crypto/sha256"
	_ "crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	rpmutils "github.com/sassoftware/go-rpmutils"
)

// Tags go-rpmutils v0.4.0 has no constant for.
const (
	tagOldFilenames   = 1027 // full paths, before BASENAMES/DIRNAMES (rpm < 4.1)
	tagFileDigestAlgo = 5011
)

// payloadCompressors are the PAYLOADCOMPRESSOR values we read, and the name
// archive.Decompress gives the same compression when it sniffs it. lzma
// (rpm 4.4 to 4.6) is left out: raw lzma has no magic to sniff.
var payloadCompressors = map[string]string{"gzip": "gz", "bzip2": "bz2", "xz": "xz", "zstd": "zst"}

// Signature header tags holding OpenPGP signatures: over the main header
// alone (RSA, DSA; rpm ≥ 4.14 writes only these) or over header and payload
// (PGP, GPG; older rpm).
var signatureTags = []int{rpmutils.SIG_RSA, rpmutils.SIG_DSA, rpmutils.SIG_PGP, rpmutils.SIG_GPG}

// readTags fills in the package description from the parsed headers.
// go-rpmutils' getters slice what the header says, so they run under the
// same recover as the parse.
func (s *srpmFile) readTags() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt header (go-rpmutils: %v)", p)
		}
	}()
	// rpm decides by SOURCERPM, which only binary packages carry; the lead
	// must agree too, so that neither can be flipped alone.
	if binary.BigEndian.Uint16(s.raw.lead[6:]) != leadTypeSource || s.hdr.HasTag(rpmutils.SOURCERPM) {
		return ErrNotSourceRPM
	}
	if s.hdr.HasTag(rpmutils.PAYLOADFORMAT) {
		if format, err := s.hdr.GetString(rpmutils.PAYLOADFORMAT); err != nil || format != "cpio" {
			return fmt.Errorf("unsupported payload format %q", format)
		}
	}
	info := &SRPM{}
	for _, t := range []struct {
		tag  int
		name string
		dst  *string
	}{
		{rpmutils.NAME, "Name", &info.Name},
		{rpmutils.VERSION, "Version", &info.Version},
		{rpmutils.RELEASE, "Release", &info.Release},
	} {
		if *t.dst, err = s.hdr.GetString(t.tag); err != nil || *t.dst == "" {
			return fmt.Errorf("header has no %s", t.name)
		}
	}
	if s.hdr.HasTag(rpmutils.EPOCH) {
		epoch, err := s.hdr.GetUint64s(rpmutils.EPOCH)
		if err != nil || len(epoch) != 1 {
			return errors.New("header has an unreadable Epoch")
		}
		info.Epoch = strconv.FormatUint(epoch[0], 10)
	}
	if err := s.readFiles(info); err != nil {
		return err
	}
	if err := s.readPayloadTags(); err != nil {
		return err
	}
	info.Signed, info.KeyID = s.signer()
	s.info = info
	return nil
}

// readFiles reads the file list, refusing names with a directory part: a
// source RPM's payload is the flat content of SOURCES plus the spec.
func (s *srpmFile) readFiles(info *SRPM) error {
	names, err := s.fileNames()
	if err != nil {
		return err
	}
	n := len(names)
	seen := map[string]bool{}
	for _, name := range names {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
			return fmt.Errorf("file %q in the header is not a plain file name (source RPM payloads are flat)", name)
		}
		if seen[name] {
			return fmt.Errorf("file %q is listed twice", name)
		}
		seen[name] = true
	}
	sizes, err := s.hdr.GetUint64s(rpmutils.FILESIZES)
	if s.hdr.HasTag(rpmutils.LONGFILESIZES) {
		sizes, err = s.hdr.GetUint64s(rpmutils.LONGFILESIZES)
	}
	if err != nil || len(sizes) != n {
		return errors.New("header file sizes do not match its file list")
	}
	var digests []string
	if s.hdr.HasTag(rpmutils.FILEDIGESTS) {
		if digests, err = s.hdr.GetStrings(rpmutils.FILEDIGESTS); err != nil || len(digests) != n {
			return errors.New("header file digests do not match its file list")
		}
		algo := uint32(rpmutils.HASH_MD5) // rpm's default before FILEDIGESTALGO existed
		if s.hdr.HasTag(tagFileDigestAlgo) {
			algos, err := s.hdr.GetUint32s(tagFileDigestAlgo)
			if err != nil || len(algos) != 1 {
				return errors.New("header has an unreadable file digest algorithm")
			}
			algo = algos[0]
		}
		if s.fileDigestHash, err = digestHash(algo); err != nil {
			return fmt.Errorf("file digests: %w", err)
		}
	}
	var flags []uint32
	if s.hdr.HasTag(rpmutils.FILEFLAGS) {
		if flags, err = s.hdr.GetUint32s(rpmutils.FILEFLAGS); err != nil || len(flags) != n {
			return errors.New("header file flags do not match its file list")
		}
	}
	for i, name := range names {
		f := payloadFile{name: name, size: sizes[i]}
		if digests != nil {
			f.digest = digests[i]
		}
		s.files = append(s.files, f)
	}
	info.Files = names
	info.SpecFile, err = specFile(names, flags)
	return err
}

// fileNames joins DIRNAMES and BASENAMES, with bounds checks go-rpmutils'
// GetFiles lacks.
func (s *srpmFile) fileNames() ([]string, error) {
	if !s.hdr.HasTag(rpmutils.BASENAMES) {
		if s.hdr.HasTag(tagOldFilenames) {
			return s.hdr.GetStrings(tagOldFilenames)
		}
		return nil, errors.New("header lists no files (a source RPM holds at least its spec)")
	}
	base, err1 := s.hdr.GetStrings(rpmutils.BASENAMES)
	dirs, err2 := s.hdr.GetStrings(rpmutils.DIRNAMES)
	idx, err3 := s.hdr.GetUint32s(rpmutils.DIRINDEXES)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("file list: %w", err)
	}
	if len(idx) != len(base) {
		return nil, errors.New("file list: DIRINDEXES and BASENAMES differ in length")
	}
	names := make([]string, len(base))
	for i, b := range base {
		if int(idx[i]) >= len(dirs) {
			return nil, fmt.Errorf("file list: directory index %d out of range", idx[i])
		}
		// Join without cleaning: "sub/../x" must stay visible to the check.
		names[i] = dirs[idx[i]] + b
	}
	return names, nil
}

// specFile picks the spec: the file rpmbuild flagged as such, or else the
// only *.spec (old rpm did not flag it).
func specFile(names []string, flags []uint32) (string, error) {
	var flagged, suffixed []string
	for i, name := range names {
		if flags != nil && flags[i]&rpmutils.RPMFILE_SPECFILE != 0 {
			flagged = append(flagged, name)
		}
		if strings.HasSuffix(name, ".spec") {
			suffixed = append(suffixed, name)
		}
	}
	switch {
	case len(flagged) == 1:
		return flagged[0], nil
	case len(flagged) > 1:
		return "", fmt.Errorf("several files are flagged as the spec: %s", strings.Join(flagged, ", "))
	case len(suffixed) == 1:
		return suffixed[0], nil
	case len(suffixed) > 1:
		return "", fmt.Errorf("no file is flagged as the spec and there are several: %s", strings.Join(suffixed, ", "))
	}
	return "", errors.New("the payload holds no spec file")
}

// readPayloadTags reads how the payload is compressed and its digest.
func (s *srpmFile) readPayloadTags() error {
	if s.hdr.HasTag(rpmutils.PAYLOADCOMPRESSOR) {
		c, err := s.hdr.GetString(rpmutils.PAYLOADCOMPRESSOR)
		if _, ok := payloadCompressors[c]; err != nil || !ok {
			return fmt.Errorf("unsupported payload compressor %q", c)
		}
		s.compressor = c
	}
	if !s.hdr.HasTag(rpmutils.PAYLOADDIGEST) {
		return nil // rpm < 4.14: the per-file digests still cover the content
	}
	digests, err1 := s.hdr.GetStrings(rpmutils.PAYLOADDIGEST)
	algos, err2 := s.hdr.GetUint32s(rpmutils.PAYLOADDIGESTALGO)
	if err := errors.Join(err1, err2); err != nil || len(digests) != 1 || len(algos) != 1 {
		return errors.New("header has an unreadable payload digest")
	}
	h, err := digestHash(algos[0])
	if err != nil {
		return fmt.Errorf("payload digest: %w", err)
	}
	s.payloadDigest, s.payloadHash = digests[0], h
	return nil
}

// digestHash maps rpm's PGPHASHALGO numbers to hashes.
func digestHash(algo uint32) (crypto.Hash, error) {
	h := map[uint32]crypto.Hash{
		rpmutils.HASH_MD5: crypto.MD5, rpmutils.HASH_SHA1: crypto.SHA1,
		rpmutils.HASH_SHA256: crypto.SHA256, rpmutils.HASH_SHA384: crypto.SHA384,
		rpmutils.HASH_SHA512: crypto.SHA512, rpmutils.HASH_SHA224: crypto.SHA224,
	}[algo]
	if h == 0 || !h.Available() {
		return 0, fmt.Errorf("unsupported digest algorithm %d", algo)
	}
	return h, nil
}

// signer reports whether the signature header holds an OpenPGP signature
// and the key ID of the first one that names its key.
func (s *srpmFile) signer() (signed bool, keyID string) {
	for _, tag := range signatureTags {
		blob, err := s.hdr.GetBytes(tag)
		if err != nil {
			continue
		}
		signed = true
		if keyID == "" {
			keyID = issuer(blob)
		}
	}
	return signed, keyID
}

// issuer returns the key ID (or fingerprint) a signature packet names, ""
// when the packet cannot be read; VerifySRPM reports why.
func issuer(blob []byte) string {
	p, err := packet.Read(bytes.NewReader(blob))
	if err != nil {
		return ""
	}
	sig, ok := p.(*packet.Signature)
	switch {
	case !ok:
		return ""
	case sig.IssuerKeyId != nil:
		return fmt.Sprintf("%016X", *sig.IssuerKeyId)
	case len(sig.IssuerFingerprint) > 0:
		return fmt.Sprintf("%X", sig.IssuerFingerprint)
	}
	return ""
}
