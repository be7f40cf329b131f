package archive

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Compression names returned by Decompress; "" means the stream is not
// compressed (or uses a compression we do not know, which the container
// detection then reports).
const (
	Gzip  = "gz"
	Bzip2 = "bz2"
	Xz    = "xz"
	Zstd  = "zst"
)

var (
	gzipMagic  = []byte{0x1f, 0x8b, 0x08} // 0x08: deflate, the only method gzip defines
	xzMagic    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	zstdMagic  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	bzip2Magic = []byte("BZh")
)

// zstdMaxWindow bounds the decoder's memory for hostile frames. It is the
// zstd default for --long and above what -19 or --ultra -22 use, so real
// tarballs decode.
const zstdMaxWindow = 1 << 29

// Decompress returns a reader over the decompressed stream of r, chosen by
// the magic bytes at its start, and the compression's name ("gz", "bz2",
// "xz", "zst", or "" when the stream is passed through unchanged). Closing
// the returned reader releases the decoder; it does not close r.
func Decompress(r io.Reader) (io.ReadCloser, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// Peek returns fewer bytes and io.EOF for a short stream; such a
	// stream is simply not compressed.
	magic, err := br.Peek(len(xzMagic))
	if err != nil && err != io.EOF {
		return nil, "", err
	}
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, Gzip, err
		}
		return zr, Gzip, nil
	case bytes.HasPrefix(magic, bzip2Magic) && len(magic) > 3 && magic[3] >= '1' && magic[3] <= '9':
		return io.NopCloser(bzip2.NewReader(br)), Bzip2, nil
	case bytes.HasPrefix(magic, xzMagic):
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, Xz, fmt.Errorf("xz: %w", err)
		}
		return io.NopCloser(xr), Xz, nil
	case bytes.HasPrefix(magic, zstdMagic) || isZstdSkippableFrame(magic):
		// One synchronous decoder: extraction consumes the stream in order
		// anyway, and no background goroutines outlive an early return.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return nil, Zstd, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), Zstd, nil
	}
	return io.NopCloser(br), "", nil
}

// isZstdSkippableFrame recognises the skippable frame pzstd and some
// archivers put first (magic 0x184D2A50..0x184D2A5F, little endian).
func isZstdSkippableFrame(magic []byte) bool {
	return len(magic) >= 4 && magic[0]&0xf0 == 0x50 && magic[1] == 0x2a && magic[2] == 0x4d && magic[3] == 0x18
}
