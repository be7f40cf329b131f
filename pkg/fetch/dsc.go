package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/google/renameio/v2"
	"pault.ag/go/debian/version"

	"github.com/backport/backport/pkg/exitcode"
)

// Dsc is what FetchSource reads from a .dsc.
type Dsc struct {
	Source  string
	Version string
	Format  string
	// Files maps each file name in Checksums-Sha256 to its hash and size.
	Files map[string]FileSum
}

// ParseDsc parses a .dsc. A .dsc is usually clearsigned by its uploader;
// only the signed text is read, as dpkg-source does. The signature itself
// is not checked here: the uploader's key is not in the archive keyring, and
// the archive's signed index vouches for the whole file by its sha256.
func ParseDsc(data []byte) (*Dsc, error) {
	text := data
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); bytes.HasPrefix(trimmed, []byte(clearsignedStart)) {
		block, _ := clearsign.Decode(trimmed)
		if block == nil {
			return nil, errors.New("malformed clearsigned .dsc")
		}
		text = block.Plaintext
	}
	if bytes.HasPrefix(bytes.TrimSpace(text), []byte("-----BEGIN PGP")) {
		return nil, errNestedSignature
	}
	p, err := newParagraphReader(bytes.NewReader(text)).next()
	if err != nil {
		return nil, fmt.Errorf(".dsc: %w", err)
	}
	d := &Dsc{Source: p.get("Source"), Version: p.get("Version"), Format: p.get("Format"), Files: map[string]FileSum{}}
	if d.Source == "" || d.Version == "" {
		return nil, errors.New(".dsc: no Source or Version")
	}
	files, err := parseFileLines("Checksums-Sha256", p.get("Checksums-Sha256"))
	if err != nil {
		return nil, fmt.Errorf(".dsc: %w", err)
	}
	if len(files) == 0 {
		return nil, errors.New(".dsc: no Checksums-Sha256")
	}
	for _, f := range files {
		if err := checkFileName(f.Name); err != nil {
			return nil, fmt.Errorf(".dsc: %w", err)
		}
		d.Files[f.Name] = f
	}
	return d, nil
}

// FetchSource downloads the source package into dest: its .dsc and every
// file the .dsc lists, each verified against the signed index's sha256 and
// size, and the .dsc's own Checksums-Sha256 (and Source and Version)
// cross-checked against the index. Everything is fetched and verified in
// the cache first; dest only receives files once all of them passed, so a
// failed fetch leaves nothing there. It returns the paths written, the
// .dsc first.
func (a *DebianArchive) FetchSource(ctx context.Context, pkg SourcePackage, dest string) ([]string, error) {
	dsc, err := a.checkSource(pkg)
	if err != nil {
		return nil, err
	}
	dscPath, err := a.Cache.Fetch(ctx, dsc.URL, dsc.Expect())
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(dscPath)
	if err != nil {
		return nil, err
	}
	parsed, err := ParseDsc(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dsc.URL, err)
	}
	if err := crossCheckDsc(pkg, dsc.Name, parsed); err != nil {
		return nil, exitcode.Wrap(exitcode.Verification, fmt.Errorf("%s: %w", dsc.URL, err))
	}

	blobs := map[string]string{dsc.Name: dscPath}
	order := []RemoteFile{dsc}
	for _, f := range pkg.Files {
		if f.Name == dsc.Name {
			continue
		}
		blob, err := a.Cache.Fetch(ctx, f.URL, f.Expect())
		if err != nil {
			return nil, err
		}
		blobs[f.Name] = blob
		order = append(order, f)
	}

	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, err
	}
	var written []string
	for _, f := range order {
		out := filepath.Join(dest, f.Name)
		if err := copyVerified(blobs[f.Name], out, f.SHA256); err != nil {
			return nil, err
		}
		written = append(written, out)
	}
	return written, nil
}

// crossCheckDsc checks that the .dsc describes the package the index
// describes: same name and version, and the same files with the same
// hashes and sizes. The index already vouched for the .dsc's bytes; this
// catches an index and a .dsc that disagree, which dpkg-source would
// otherwise only notice while unpacking.
func crossCheckDsc(pkg SourcePackage, dscName string, d *Dsc) error {
	if d.Source != pkg.Package {
		return fmt.Errorf(".dsc is for source %q, the index says %q", d.Source, pkg.Package)
	}
	dv, err1 := version.Parse(d.Version)
	iv, err2 := version.Parse(pkg.Version)
	if err1 != nil || err2 != nil || version.Compare(dv, iv) != 0 {
		return fmt.Errorf(".dsc has version %q, the index says %q", d.Version, pkg.Version)
	}
	indexed := map[string]RemoteFile{}
	for _, f := range pkg.Files {
		if f.Name != dscName {
			indexed[f.Name] = f
		}
	}
	var problems []string
	for name, f := range d.Files {
		idx, ok := indexed[name]
		switch {
		case !ok:
			problems = append(problems, name+" is not in the index")
		case idx.SHA256 != f.SHA256:
			problems = append(problems, fmt.Sprintf("%s: sha256 %s in the .dsc, %s in the index", name, f.SHA256, idx.SHA256))
		case idx.Size != f.Size:
			problems = append(problems, fmt.Sprintf("%s: %d bytes in the .dsc, %d in the index", name, f.Size, idx.Size))
		}
	}
	for name := range indexed {
		if _, ok := d.Files[name]; !ok {
			problems = append(problems, name+" is in the index but not in the .dsc")
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf(".dsc and index disagree: %s", strings.Join(problems, "; "))
	}
	return nil
}

// copyVerified copies a cached blob to out, hashing as it goes, and only
// renames it into place when the hash still matches: the blob was verified
// when fetched, and this closes the window in which it could have changed.
func copyVerified(blob, out, wantSHA256 string) error {
	in, err := os.Open(blob)
	if err != nil {
		return err
	}
	defer in.Close()
	pf, err := renameio.NewPendingFile(out, renameio.WithTempDir(filepath.Dir(out)), renameio.WithPermissions(0o644))
	if err != nil {
		return err
	}
	defer pf.Cleanup()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(pf, h), in); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA256 {
		return exitcode.Wrap(exitcode.Verification,
			fmt.Errorf("%s: cached copy changed while in use: sha256 %s, want %s", out, got, wantSHA256))
	}
	return pf.CloseAtomicallyReplace()
}

// checkSource is what both ways of fetching a source package need first: a
// cache, a .dsc in the index entry, and file names that stay in dest.
func (a *DebianArchive) checkSource(pkg SourcePackage) (RemoteFile, error) {
	if a.Cache == nil {
		return RemoteFile{}, errors.New("DebianArchive: no Cache set")
	}
	dsc, ok := pkg.Dsc()
	if !ok {
		return RemoteFile{}, fmt.Errorf("%s %s: the index lists no .dsc", pkg.Package, pkg.Version)
	}
	for _, f := range pkg.Files {
		if err := checkFileName(f.Name); err != nil {
			return RemoteFile{}, fmt.Errorf("%s %s: %w", pkg.Package, pkg.Version, err)
		}
	}
	return dsc, nil
}
