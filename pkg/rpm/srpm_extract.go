package rpm

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/backport/backport/pkg/archive"
	"github.com/backport/backport/pkg/exitcode"
)

// ErrPayloadNotFlat is why a payload member that is not a plain file at the
// top level is refused (wrapped in an *archive.MemberError): a source RPM
// holds the spec, tarballs and patches side by side, nothing else.
var ErrPayloadNotFlat = errors.New("source RPM payload members must be regular files without a directory part")

// ExtractSRPM extracts the payload of the source RPM at path (spec,
// tarballs, patches) flat into dest, creating dest when missing, and
// returns the package and the absolute path of the spec.
//
// It never uses go-rpmutils' extractor (measured with v0.4.0: it follows a
// symlink planted earlier in the payload and writes outside the
// destination, and drops file modes). The payload goes through
// pkg/archive's cpio reader and its checks, bounded by the sizes the header
// declares, into a staging directory inside dest, after the payload
// digests are checked; only when every member is a flat regular file the
// header lists, with the header's size and digest, are the files moved into
// dest. A refused package leaves nothing in dest. Digest and size
// mismatches have exit status 4, cancellation 130.
func ExtractSRPM(ctx context.Context, path, dest string) (*SRPM, string, error) {
	s, f, err := openSRPMPath(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	if dest, err = filepath.Abs(dest); err != nil {
		return nil, "", err
	}
	if err := s.extract(ctx, dest, archive.Limits{}); err != nil {
		return nil, "", err
	}
	return s.info, filepath.Join(dest, s.info.SpecFile), nil
}

func (s *srpmFile) extract(ctx context.Context, dest string, limits archive.Limits) error {
	// Digests first, so that the decompressor and the cpio reader only see
	// the bytes the (possibly signed) header vouches for.
	if err := s.checkPayloadDigests(ctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		return exitcode.Wrap(exitcode.Verification, fmt.Errorf("%s: %w", s.name, err))
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(dest, ".srpm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)

	names, err := extractPayload(ctx, s.payloadSection(), s.name, staging, s.compressor, s.payloadLimits(limits))
	if err != nil {
		return err
	}
	if err := s.checkExtracted(staging, names); err != nil {
		return exitcode.Wrap(exitcode.Verification, fmt.Errorf("%s: %w", s.name, err))
	}
	for _, f := range s.files {
		if err := os.Rename(filepath.Join(staging, f.name), filepath.Join(dest, f.name)); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// payloadLimits tightens limits to what the header declares: no member
// larger than its largest file, no more bytes than its files add up to, no
// more members than it lists. A payload that tries to write more is not
// the one the (possibly signed) header describes.
func (s *srpmFile) payloadLimits(limits archive.Limits) archive.Limits {
	var total, largest int64 = 0, 0
	for _, f := range s.files {
		size := int64(min(f.size, 1<<62))
		total += size
		largest = max(largest, size)
	}
	// Zero means "default" to pkg/archive, so an all-empty payload gets 1.
	tighten := func(limit, declared, def int64) int64 {
		if limit <= 0 {
			limit = def
		}
		return min(limit, max(declared, 1))
	}
	limits.MaxMemberSize = tighten(limits.MaxMemberSize, largest, archive.DefaultMaxMemberSize)
	limits.MaxTotalSize = tighten(limits.MaxTotalSize, total, archive.DefaultMaxTotalSize)
	limits.MaxMembers = int(tighten(int64(limits.MaxMembers), int64(len(s.files)), archive.DefaultMaxMembers))
	return limits
}

// extractPayload decompresses an RPM payload and extracts it into dest
// through pkg/archive, then refuses any member that is not a regular file
// at the top level. compressor is the header's PAYLOADCOMPRESSOR ("" when
// absent); the compression actually found must match it. It returns the
// names written. On error dest may hold a partial tree (never anything
// outside it); the caller removes it.
func extractPayload(ctx context.Context, r io.Reader, name, dest, compressor string, limits archive.Limits) ([]string, error) {
	stream, found, err := archive.Decompress(r)
	if err != nil {
		return nil, fmt.Errorf("%s: payload: %w", name, err)
	}
	defer stream.Close()
	switch want, tagged := payloadCompressors[compressor]; {
	case tagged && found != want:
		return nil, fmt.Errorf("%s: payload is %s but the header says %s", name, compressionName(found), compressor)
	case !tagged && found != archive.Gzip && found != "":
		// Without the tag rpm assumes gzip; we also take an uncompressed one.
		return nil, fmt.Errorf("%s: payload is %s and the header names no compressor", name, compressionName(found))
	}
	// Checked here, not left to pkg/archive's sniffing, so a payload
	// compressed twice or holding a tar is refused rather than unpacked.
	br := bufio.NewReader(stream)
	if magic, _ := br.Peek(6); string(magic) != "070701" && string(magic) != "070702" {
		return nil, fmt.Errorf("%s: payload is not a newc cpio archive", name)
	}
	names, err := archive.Extract(ctx, br, name, dest, archive.Options{Limits: limits})
	if err != nil {
		return names, err
	}
	for _, n := range names {
		err := ErrPayloadNotFlat
		if !strings.Contains(n, "/") {
			fi, lerr := os.Lstat(filepath.Join(dest, n))
			switch {
			case lerr != nil:
				err = lerr
			case fi.Mode().IsRegular():
				continue
			}
		}
		return names, &archive.MemberError{Archive: name, Member: n, Err: err}
	}
	return names, nil
}

func compressionName(c string) string {
	switch c {
	case "":
		return "uncompressed"
	case "gz":
		return "gzip"
	case "bz2":
		return "bzip2"
	case "zst":
		return "zstd"
	}
	return c
}

// checkExtracted compares the extracted files with the header: the same
// names, and each with the size and digest the header records. With a
// payload digest this is belt and braces; for packages built before rpm
// 4.14, which have none, it is what ties the payload to a signed header.
func (s *srpmFile) checkExtracted(dir string, names []string) error {
	listed := map[string]bool{}
	for _, f := range s.files {
		listed[f.name] = true
	}
	for _, n := range names {
		if !listed[n] {
			return fmt.Errorf("payload member %q is not in the header's file list", n)
		}
	}
	for _, f := range s.files {
		if err := s.checkFile(filepath.Join(dir, f.name), f); err != nil {
			return err
		}
	}
	return nil
}

func (s *srpmFile) checkFile(path string, f payloadFile) error {
	file, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("file %q of the header is missing from the payload", f.name)
	}
	if err != nil {
		return err
	}
	defer file.Close()
	var h hash.Hash
	w := io.Discard
	if f.digest != "" && s.fileDigestHash != 0 {
		h = s.fileDigestHash.New()
		w = h
	}
	n, err := io.Copy(w, file)
	switch {
	case err != nil:
		return err
	case uint64(n) != f.size:
		return fmt.Errorf("file %q is %d bytes, the header says %d", f.name, n, f.size)
	case h != nil && hex.EncodeToString(h.Sum(nil)) != strings.ToLower(f.digest):
		return fmt.Errorf("file %q: %s digest mismatch", f.name, strings.ReplaceAll(s.fileDigestHash.String(), "-", ""))
	}
	return nil
}
