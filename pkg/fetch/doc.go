// Package fetch downloads, caches and verifies the inputs of a build: upstream
// tarballs, checksum files, OpenPGP signatures, and Debian source packages
// found through a signed archive (InRelease → Sources → .dsc → files).
//
// Everything that leaves this package has been verified, by a sha256 from a
// signed index or a pinned value, or by an OpenPGP signature. A failed check
// is an error carrying exitcode.Verification (exit 4), and the file that
// failed is never kept: downloads land in a temporary file in the cache and
// are renamed into place only once verified.
//
// The pieces, from the bottom up:
//
//   - Client: HTTP(S) and file:// GETs with retries, progress reporting and
//     truncation checks.
//   - Cache: a content-addressed blob store (sha256/<2 hex>/<64 hex>) with a
//     lock per blob, plus small JSON records (Remember/Recall) that let a
//     caller skip network resolution the second time.
//   - VerifySHA256, ParseChecksums, VerifyDetached, VerifyClearsigned.
//   - DebianArchive: InRelease, Sources, FindSource, FetchSource, FindOrig.
package fetch
