package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/backport/backport/pkg/exitcode"
)

// YumRepo reads a yum/dnf repository (EL, Fedora, or a local copy) through
// its repodata: repomd.xml gives the checksum of primary.xml, and primary
// gives the checksum of every package, so each download is verified against
// the index that named it. Set the exported fields before first use.
type YumRepo struct {
	// BaseURL is the repository root, the directory that holds repodata/:
	// http(s):// or file://. Variables such as $basearch and $releasever
	// must already be substituted: only the caller knows the target.
	BaseURL string
	// Keyring, when set, must have signed repodata/repomd.xml
	// (repomd.xml.asc); a missing or bad signature is then a verification
	// error. When nil, repomd.xml is trusted as served — as dnf does with
	// repo_gpgcheck off — and RepoMD.Signer is nil.
	Keyring openpgp.EntityList
	Cache   *Cache       // required
	Logger  *slog.Logger // warnings; nil is silent

	// The metadata is read once per value, so that every lookup sees one
	// consistent snapshot of the repository; make a new YumRepo to see
	// later updates.
	mu       sync.Mutex
	md       *RepoMD
	packages []RepoPackage
}

// maxRepoMDSize bounds repomd.xml, which FetchVerifiedBy downloads with no
// size known in advance; real ones are a few kilobytes.
const maxRepoMDSize = 16 << 20

// maxSignatureSize bounds repomd.xml.asc, read into memory.
const maxSignatureSize = 1 << 20

func (r *YumRepo) String() string {
	return "yum repository " + redact(strings.TrimRight(r.BaseURL, "/"))
}

// Metadata fetches repodata/repomd.xml, verifying repodata/repomd.xml.asc
// when a keyring is set, and returns its data entries.
func (r *YumRepo) Metadata(ctx context.Context) (*RepoMD, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.metadataLocked(ctx)
}

func (r *YumRepo) metadataLocked(ctx context.Context) (*RepoMD, error) {
	if r.md != nil {
		return r.md, nil
	}
	base, err := r.base()
	if err != nil {
		return nil, err
	}
	mdURL := base + "/repodata/repomd.xml"
	shown := redact(mdURL)
	var md *RepoMD
	_, err = r.Cache.FetchVerifiedBy(ctx, mdURL, func(tmp string) error {
		var signer *Signer
		if r.Keyring != nil {
			s, err := r.verifyRepoMD(ctx, mdURL, tmp)
			if err != nil {
				return err
			}
			signer = &s
		}
		if fi, err := os.Stat(tmp); err != nil {
			return err
		} else if fi.Size() > maxRepoMDSize {
			return fmt.Errorf("%s: %d bytes, too large for a repomd.xml", shown, fi.Size())
		}
		data, err := os.ReadFile(tmp)
		if err != nil {
			return err
		}
		if md, err = parseRepoMD(data); err != nil {
			return fmt.Errorf("%s: %w", shown, err)
		}
		md.Signer = signer
		return nil
	})
	if err != nil {
		return nil, err
	}
	if md.Signer == nil {
		r.logger().Warn("repository metadata not signature-checked: no keyring set; packages are verified only against its checksums",
			"url", shown)
	}
	r.md = md
	return md, nil
}

// verifyRepoMD checks repomd.xml.asc over the downloaded repomd.xml. A
// repository without the signature fails: with a keyring set, unsigned
// metadata could come from anyone who can answer for the host.
func (r *YumRepo) verifyRepoMD(ctx context.Context, mdURL, tmp string) (Signer, error) {
	ascURL := mdURL + ".asc"
	var sig bytes.Buffer
	_, err := r.Cache.Client().Download(ctx, ascURL, &limitWriter{w: &sig, left: maxSignatureSize})
	var nf *NotFoundError
	switch {
	case errors.As(err, &nf):
		return Signer{}, exitcode.New(exitcode.Verification,
			"%s: no signature, but a keyring is set; refusing unsigned repository metadata", redact(ascURL))
	case errors.Is(err, errTooLarge):
		return Signer{}, exitcode.New(exitcode.Verification, "%s: larger than any signature", redact(ascURL))
	case err != nil:
		return Signer{}, err
	}
	packets, err := signaturePackets(sig.Bytes())
	if err != nil {
		return Signer{}, exitcode.Wrap(exitcode.Verification, fmt.Errorf("%s: %w", redact(ascURL), err))
	}
	f, err := os.Open(tmp)
	if err != nil {
		return Signer{}, err
	}
	defer f.Close()
	signer, err := verifyAny(r.Keyring, f, packets)
	if err != nil {
		return Signer{}, exitcode.Wrap(exitcode.Verification, fmt.Errorf("%s: %w", redact(mdURL), err))
	}
	return signer, nil
}

// Packages returns every package (binary and source) that the repository's
// primary metadata lists, after verifying that file against repomd.xml.
func (r *YumRepo) Packages(ctx context.Context) ([]RepoPackage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.packages != nil {
		return slices.Clone(r.packages), nil
	}
	md, err := r.metadataLocked(ctx)
	if err != nil {
		return nil, err
	}
	data, ok := md.Find("primary")
	if !ok {
		return nil, fmt.Errorf("%s: repomd.xml lists no primary metadata", r)
	}
	base, _ := r.base() // metadataLocked checked it
	primaryURL := base + "/" + data.Location
	blob, err := r.fetchVerified(ctx, primaryURL, data.Checksum, data.Size)
	if err != nil {
		return nil, err
	}
	pkgs := []RepoPackage{}
	err = readPrimary(blob, data, func(p RepoPackage) error {
		p.Repo = base
		pkgs = append(pkgs, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", redact(primaryURL), err)
	}
	r.packages = pkgs
	return slices.Clone(pkgs), nil
}

// FetchPackage downloads p through the cache, verified against the
// checksum the primary metadata gives it, and returns the cached path.
func (r *YumRepo) FetchPackage(ctx context.Context, p RepoPackage) (string, error) {
	base, err := r.base()
	if err != nil {
		return "", err
	}
	if p.Repo != "" && p.Repo != base {
		return "", fmt.Errorf("%s is listed in yum repository %s, not in %s", p, redact(p.Repo), redact(base))
	}
	pkgURL, err := packageURL(base, p)
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", r, p, err)
	}
	return r.fetchVerified(ctx, pkgURL, p.Checksum, p.Size)
}

// PackageURL is where FetchPackage downloads p from.
func (r *YumRepo) PackageURL(p RepoPackage) (string, error) {
	base, err := r.base()
	if err != nil {
		return "", err
	}
	return packageURL(base, p)
}

// packageURL joins a package's location to the repository, or to its
// xml:base. A base may move the download to another server — the checksum
// still decides — but not from a remote repository to a local file.
func packageURL(base string, p RepoPackage) (string, error) {
	if err := checkRelPath(p.Location); err != nil {
		return "", fmt.Errorf("location: %w", err)
	}
	if p.LocationBase == "" {
		return base + "/" + p.Location, nil
	}
	u, err := url.Parse(p.LocationBase)
	switch {
	case err != nil:
		return "", fmt.Errorf("xml:base %q: %w", p.LocationBase, err)
	case u.Scheme == "http" || u.Scheme == "https":
	case u.Scheme == "file" && strings.HasPrefix(base, "file:"):
	default:
		return "", fmt.Errorf("xml:base %q: want an http(s) URL", p.LocationBase)
	}
	return strings.TrimRight(p.LocationBase, "/") + "/" + p.Location, nil
}

// fetchVerified fetches rawURL through the cache, verified by sum. The
// cache keys blobs by sha256, so a file the repository names by another
// hash is verified as it arrives, and the sha256 it turned out to have is
// remembered: the next fetch of the same file is then a cache hit.
func (r *YumRepo) fetchVerified(ctx context.Context, rawURL string, sum RepoChecksum, size int64) (string, error) {
	newHash, value, err := sum.hasher()
	if err != nil {
		return "", fmt.Errorf("%s: %w", redact(rawURL), err)
	}
	if sum.Type == "sha256" {
		return r.Cache.Fetch(ctx, rawURL, Expect{SHA256: value, Size: size})
	}
	key := "yum-checksum/" + sum.Type + "/" + value
	var known Expect
	if r.Cache.Recall(key, &known) {
		if blob, ok := r.Cache.Lookup(known); ok {
			return blob, nil
		}
	}
	blob, err := r.Cache.FetchVerifiedBy(ctx, rawURL, func(tmp string) error {
		return verifyFileSum(tmp, rawURL, sum.Type, newHash, value, size)
	})
	if err != nil {
		return "", err
	}
	if err := r.Cache.Remember(key, Expect{SHA256: blob.SHA256, Size: blob.Size}); err != nil {
		r.logger().Warn("cannot record the file's sha256; the next fetch downloads it again", "err", err)
	}
	return blob.Path, nil
}

// base returns BaseURL without its trailing slash, refusing what cannot be
// a repository URL.
func (r *YumRepo) base() (string, error) {
	base := strings.TrimRight(r.BaseURL, "/")
	if base == "" {
		return "", errors.New("YumRepo: no BaseURL set")
	}
	if r.Cache == nil {
		return "", errors.New("YumRepo: no Cache set")
	}
	// dnf expands these from the host; a build box is not the target, so
	// guessing here would read the wrong repository.
	if strings.Contains(base, "$") {
		return "", fmt.Errorf("%s: unexpanded variable in the URL ($basearch, $releasever, …); substitute the target's value first", r)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%s: %w", r, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file" {
		return "", fmt.Errorf("%s: unsupported URL scheme %q (want http, https or file)", r, u.Scheme)
	}
	return base, nil
}

func (r *YumRepo) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
