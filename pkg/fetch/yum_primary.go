package fetch

import (
	"bufio"
	"compress/bzip2"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/backport/backport/pkg/exitcode"
)

// maxPrimarySize bounds a decompressed primary.xml, so that a small,
// checksum-correct file from a hostile repository cannot expand without
// end. The largest real ones (Fedora, EPEL) are a few hundred MB.
const maxPrimarySize = 4 << 30

// readPrimary decompresses the verified primary metadata at blob, as its
// location's extension says, and parses it. When repomd gives a strong
// open-checksum the decompressed stream is checked against it too, so that
// what was parsed is exactly what the repository published.
func readPrimary(blob string, data RepoData, found func(RepoPackage) error) error {
	f, err := os.Open(blob)
	if err != nil {
		return err
	}
	defer f.Close()
	r, closeDecoder, err := decompressRepodata(f, data.Location)
	if err != nil {
		return err
	}
	defer closeDecoder()

	var open hash.Hash
	var openSum string
	if newHash, value, err := data.OpenChecksum.hasher(); err == nil {
		open, openSum = newHash(), value
		r = io.TeeReader(r, open)
	}
	capped := &capReader{r: r, left: maxPrimarySize}
	if err := parsePrimary(capped, found); err != nil {
		return err
	}
	if open == nil {
		return nil
	}
	// The parser stops at </metadata>; hash whatever follows as well.
	if _, err := io.Copy(io.Discard, capped); err != nil {
		return err
	}
	if got := hex.EncodeToString(open.Sum(nil)); got != openSum {
		return exitcode.New(exitcode.Verification,
			"decompressed content does not match the open-checksum in repomd.xml: %s %s, want %s",
			data.OpenChecksum.Type, got, openSum)
	}
	return nil
}

// decompressRepodata opens r by the compression its name ends in; the
// returned close function releases the decoder.
func decompressRepodata(r io.Reader, name string) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	noop := func() {}
	switch ext := path.Ext(name); ext {
	case ".gz":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return zr, func() { zr.Close() }, nil
	case ".xz":
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return xr, noop, nil
	case ".zst":
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return zr, zr.Close, nil
	case ".bz2":
		return bzip2.NewReader(br), noop, nil
	case ".xml":
		return br, noop, nil
	default:
		return nil, nil, fmt.Errorf("%s: unknown compression %q (want .gz, .xz, .zst, .bz2 or none)", name, ext)
	}
}

var errPrimaryTooLarge = fmt.Errorf("decompressed primary metadata exceeds %d bytes", int64(maxPrimarySize))

// capReader fails, rather than truncating as io.LimitReader does, once
// more than left bytes have been read: a silent cut would read as a
// malformed file instead of naming the cause.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a file of exactly the limit from a longer one.
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, errPrimaryTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// verifyFileSum checks the file at path against a repodata checksum of
// any strong type, and its size when known.
func verifyFileSum(path, rawURL, typ string, newHash func() hash.Hash, want string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := newHash()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if size > 0 && n != size {
		return exitcode.Wrap(exitcode.Verification,
			fmt.Errorf("%s: size mismatch: got %d bytes, want %d", redact(rawURL), n, size))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return exitcode.Wrap(exitcode.Verification,
			fmt.Errorf("%s: %s mismatch: got %s, want %s", redact(rawURL), typ, got, want))
	}
	return nil
}
