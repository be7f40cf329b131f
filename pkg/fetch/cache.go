package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/backport/backport/pkg/exitcode"
)

// Expect is what a download must turn out to be.
type Expect struct {
	SHA256 string // hex; required by Cache.Fetch
	Size   int64  // bytes; 0 means unknown
}

// Blob is a verified file in the cache.
type Blob struct {
	Path   string
	SHA256 string
	Size   int64
}

// Cache is a content-addressed store of downloads: a blob lives at
// sha256/<first 2 hex>/<64 hex> under the cache directory and is only ever
// written by renaming a verified temporary file into place. It is safe for
// concurrent use by goroutines and by processes sharing the directory.
type Cache struct {
	dir    string
	client *Client
}

// maxUnverifiedSize bounds a download whose size no index gives, so that a
// hostile server cannot fill the disk; the largest upstream tarballs are a
// few hundred MB.
const maxUnverifiedSize = 4 << 30

// tmpMaxAge is how old a file in tmp/ must be before NewCache removes it as
// the leftover of a killed process rather than a download in progress.
const tmpMaxAge = 24 * time.Hour

// DefaultCacheDir returns $XDG_CACHE_HOME/backport, or the platform's user
// cache directory (~/.cache/backport on Linux).
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: %w", err)
	}
	return filepath.Join(dir, "backport"), nil
}

// NewCache opens (creating if needed) the cache in dir, or in
// DefaultCacheDir when dir is empty. Downloads go through client.
func NewCache(dir string, client *Client) (*Cache, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	if client == nil {
		client = NewClient(ClientOptions{})
	}
	c := &Cache{dir: dir, client: client}
	for _, sub := range []string{"sha256", "tmp", "locks", "resolved"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	c.removeStaleTemps()
	return c, nil
}

// Dir returns the cache directory.
func (c *Cache) Dir() string { return c.dir }

// Client returns the client the cache downloads with.
func (c *Cache) Client() *Client { return c.client }

// Fetch returns the path of a cached file with the expected sha256 (and
// size, when known), downloading it from rawURL only when the cache does not
// already hold it intact. A cached blob is re-hashed on every use — a 10 MiB
// file costs a few milliseconds — so a blob changed on disk is never served:
// it is removed and downloaded again. A download that does not match is an
// exitcode.Verification error and leaves nothing behind.
func (c *Cache) Fetch(ctx context.Context, rawURL string, want Expect) (string, error) {
	return c.fetchNamed(ctx, rawURL, "", want)
}

// fetchNamed is Fetch with the name shown to Progress (see Client.download).
func (c *Cache) fetchNamed(ctx context.Context, rawURL, name string, want Expect) (string, error) {
	sum, err := normalizeSHA256(want.SHA256)
	if err != nil {
		return "", fmt.Errorf("fetch %s: expected hash: %w", redact(rawURL), err)
	}
	want.SHA256 = sum
	blob := c.blobPath(sum)

	// One lock per blob, so that concurrent fetches of the same file (by
	// goroutines or processes) download it once and never see half of it.
	lock := flock.New(filepath.Join(c.dir, "locks", sum+".lock"))
	if _, err := lock.TryLockContext(ctx, 50*time.Millisecond); err != nil {
		return "", fmt.Errorf("cache lock for %s: %w", redact(rawURL), err)
	}
	defer lock.Unlock()

	if c.intact(blob, want) {
		return blob, nil
	}
	tmp, got, err := c.download(ctx, rawURL, name, want.Size)
	if err != nil {
		return "", err
	}
	if err := checkExpected(rawURL, got, want); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := c.commit(tmp, blob); err != nil {
		return "", err
	}
	return blob, nil
}

// FetchVerifiedBy downloads rawURL when no hash is known in advance (a
// checksum file, a signature, an InRelease): the download lands in the
// cache's temporary area, verify checks it there, and only then is it stored
// under its computed sha256. When verify fails the file is removed and its
// error returned unchanged, so verify decides the exit code.
func (c *Cache) FetchVerifiedBy(ctx context.Context, rawURL string, verify func(path string) error) (Blob, error) {
	tmp, got, err := c.download(ctx, rawURL, "", maxUnverifiedSize)
	if err != nil {
		return Blob{}, err
	}
	if err := verify(tmp); err != nil {
		os.Remove(tmp)
		return Blob{}, err
	}
	got.Path = c.blobPath(got.SHA256)
	if err := c.commit(tmp, got.Path); err != nil {
		return Blob{}, err
	}
	return got, nil
}

// Lookup returns the path of an intact cached blob without any network
// access.
func (c *Cache) Lookup(want Expect) (string, bool) {
	sum, err := normalizeSHA256(want.SHA256)
	if err != nil {
		return "", false
	}
	want.SHA256 = sum
	blob := c.blobPath(sum)
	return blob, c.intact(blob, want)
}

func (c *Cache) blobPath(sum string) string {
	return filepath.Join(c.dir, "sha256", sum[:2], sum)
}

// intact reports whether blob exists with the expected content. A blob that
// exists but does not match was changed on disk; it is removed, with a
// warning, so the caller downloads it again.
func (c *Cache) intact(blob string, want Expect) bool {
	fi, err := os.Stat(blob)
	if err != nil {
		return false
	}
	reason := ""
	if want.Size > 0 && fi.Size() != want.Size {
		reason = fmt.Sprintf("size %d, want %d", fi.Size(), want.Size)
	} else if got, _, err := hashFile(blob); err != nil {
		reason = err.Error()
	} else if got != want.SHA256 {
		reason = "sha256 " + got
	} else {
		return true
	}
	c.client.log.Warn("cached file does not match its hash; downloading it again",
		"path", blob, "problem", reason)
	if err := os.Remove(blob); err != nil && !errors.Is(err, fs.ErrNotExist) {
		c.client.log.Warn("cannot remove corrupt cached file", "path", blob, "err", err)
	}
	return false
}

// download writes rawURL to a new file in tmp/ while hashing it, and stops
// early once it grows past maxSize (when known), so a hostile server cannot
// fill the disk. On error the temporary file is already removed.
func (c *Cache) download(ctx context.Context, rawURL, name string, maxSize int64) (string, Blob, error) {
	f, err := os.CreateTemp(filepath.Join(c.dir, "tmp"), "download-*")
	if err != nil {
		return "", Blob{}, fmt.Errorf("cache: %w", err)
	}
	h := sha256.New()
	var w io.Writer = io.MultiWriter(f, h)
	if maxSize > 0 {
		w = &limitWriter{w: w, left: maxSize}
	}
	n, err := c.client.download(ctx, rawURL, name, w)
	if errors.Is(err, errTooLarge) {
		err = exitcode.Wrap(exitcode.Verification,
			fmt.Errorf("%s: larger than the expected %d bytes", redact(rawURL), maxSize))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", Blob{}, err
	}
	return f.Name(), Blob{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// checkExpected compares a finished download with what was expected.
func checkExpected(rawURL string, got Blob, want Expect) error {
	if want.Size > 0 && got.Size != want.Size {
		return exitcode.Wrap(exitcode.Verification,
			fmt.Errorf("%s: size mismatch: got %d bytes, want %d", redact(rawURL), got.Size, want.Size))
	}
	if got.SHA256 != want.SHA256 {
		return exitcode.Wrap(exitcode.Verification,
			fmt.Errorf("%s: sha256 mismatch: got %s, want %s", redact(rawURL), got.SHA256, want.SHA256))
	}
	return nil
}

// commit moves a verified temporary file to its blob path. The rename is
// atomic, so readers see either no blob or the whole one.
func (c *Cache) commit(tmp, blob string) error {
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(tmp, blob); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

func (c *Cache) removeStaleTemps() {
	dir := filepath.Join(c.dir, "tmp")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > tmpMaxAge {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

var errTooLarge = errors.New("download larger than expected")

type limitWriter struct {
	w    io.Writer
	left int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, errTooLarge
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}
