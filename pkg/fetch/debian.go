package fetch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/klauspost/compress/gzip"
	"github.com/ulikunitz/xz"

	"github.com/backport/backport/pkg/exitcode"
)

// SuiteRef names one suite of one archive. Debian's security updates live
// in a separate archive, so a search across "bookworm", "bookworm-updates"
// and "bookworm-security" spans two mirrors.
type SuiteRef struct {
	Mirror    string `json:"mirror,omitempty"` // archive base URL; empty means DebianArchive.Mirror
	Suite     string `json:"suite"`            // suite or codename: "bookworm", "unstable"
	Component string `json:"component,omitempty"`
}

func (s SuiteRef) String() string {
	return fmt.Sprintf("%s/%s at %s", s.Suite, s.component(), s.Mirror)
}

func (s SuiteRef) component() string {
	if s.Component == "" {
		return "main"
	}
	return s.Component
}

// DebianArchive reads a Debian-style archive (Debian, Ubuntu, or a local
// copy) through its signed InRelease files. Set the exported fields before
// first use; the zero value of the rest is ready.
type DebianArchive struct {
	Mirror  string // base URL, e.g. the host's apt source; http(s):// or file://
	Keyring string // archive keyring, armored or binary
	Cache   *Cache // required
	// StrictValidUntil makes an InRelease past its Valid-Until a
	// verification error; by default it is a warning (Release.Stale),
	// because snapshot mirrors serve expired but authentic files.
	StrictValidUntil bool
	Logger           *slog.Logger // warnings; nil is silent
	// Now is the clock for Valid-Until; nil means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	keys     openpgp.EntityList
	releases map[string]*Release // by InRelease URL, for this value's lifetime
}

// Release fetches dists/<suite>/InRelease, verifies its signature with the
// archive keyring and returns what it says. A Release whose Suite or
// Codename is not the suite asked for is refused. A Valid-Until in the past
// sets Stale and Warning (and is logged), or fails with
// StrictValidUntil.
func (a *DebianArchive) Release(ctx context.Context, ref SuiteRef) (*Release, error) {
	ref = a.resolve(ref)
	if err := checkRelPath(ref.Suite); err != nil {
		return nil, fmt.Errorf("suite %q: %w", ref.Suite, err)
	}
	url := ref.Mirror + "/dists/" + ref.Suite + "/InRelease"
	shown := redact(url)
	a.mu.Lock()
	rel, ok := a.releases[url]
	a.mu.Unlock()
	if ok {
		return rel, nil
	}
	if a.Cache == nil {
		return nil, errors.New("DebianArchive: no Cache set")
	}
	keys, err := a.keyring()
	if err != nil {
		return nil, err
	}
	_, err = a.Cache.FetchVerifiedBy(ctx, url, func(tmp string) error {
		data, err := os.ReadFile(tmp)
		if err != nil {
			return err
		}
		text, signer, err := VerifyClearsigned(keys, data)
		if err != nil {
			return fmt.Errorf("%s: %w", shown, err)
		}
		if rel, err = ParseRelease(text); err != nil {
			return fmt.Errorf("%s: %w", shown, err)
		}
		if !rel.matches(ref.Suite) {
			return exitcode.New(exitcode.Verification,
				"%s: is the Release of suite %q (codename %q), not of %q", shown, rel.Suite, rel.Codename, ref.Suite)
		}
		rel.Signer = signer
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := a.checkValidUntil(shown, rel); err != nil {
		return nil, err
	}
	a.mu.Lock()
	if a.releases == nil {
		a.releases = map[string]*Release{}
	}
	a.releases[url] = rel
	a.mu.Unlock()
	return rel, nil
}

func (a *DebianArchive) checkValidUntil(url string, rel *Release) error {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if rel.ValidUntil.IsZero() || !now().After(rel.ValidUntil) {
		return nil
	}
	msg := fmt.Sprintf("%s expired on %s (Valid-Until); the mirror may be a stale snapshot",
		url, rel.ValidUntil.Format(time.RFC1123))
	if a.StrictValidUntil {
		return exitcode.New(exitcode.Verification, "%s", msg)
	}
	rel.Stale, rel.Warning = true, msg
	a.logger().Warn("stale archive index", "url", url, "valid_until", rel.ValidUntil)
	return nil
}

// Sources returns every source package in the suite's Sources index.
func (a *DebianArchive) Sources(ctx context.Context, ref SuiteRef) ([]SourcePackage, error) {
	var all []SourcePackage
	err := a.scanSources(ctx, ref, func(string) bool { return true }, func(p SourcePackage) {
		all = append(all, p)
	})
	return all, err
}

// scanSources fetches and verifies the suite's Sources index and calls found
// for each paragraph whose Package field passes want. Paragraphs are only
// fully parsed when wanted: a Sources index has tens of thousands.
func (a *DebianArchive) scanSources(ctx context.Context, ref SuiteRef, want func(pkg string) bool, found func(SourcePackage)) error {
	ref = a.resolve(ref)
	file, err := a.fetchIndex(ctx, ref, ref.component()+"/source/Sources")
	if err != nil {
		return err
	}
	defer file.Close()
	pr := newParagraphReader(file)
	for {
		p, err := pr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("Sources of %s: %w", ref, err)
		}
		if !want(p.get("Package")) {
			continue
		}
		pkg, err := parseSourceParagraph(p, ref)
		if err != nil {
			return fmt.Errorf("Sources of %s: %w", ref, err)
		}
		found(pkg)
	}
}

// indexCompressions are the forms of an index tried, best first.
var indexCompressions = []string{".xz", ".gz", ""}

// fetchIndex downloads the first form of an index (e.g.
// "main/source/Sources") that the Release lists, verified by the Release's
// sha256 and size, and returns it decompressed.
func (a *DebianArchive) fetchIndex(ctx context.Context, ref SuiteRef, name string) (io.ReadCloser, error) {
	rel, err := a.Release(ctx, ref)
	if err != nil {
		return nil, err
	}
	base := ref.Mirror + "/dists/" + ref.Suite + "/"
	var lastErr error
	for _, ext := range indexCompressions {
		entry, ok := rel.SHA256[name+ext]
		if !ok {
			continue
		}
		blob, err := a.fetchIndexFile(ctx, base, rel, entry)
		var nf *NotFoundError
		if errors.As(err, &nf) {
			lastErr = err // listed but missing: try the next compression
			continue
		}
		if err != nil {
			return nil, err
		}
		return openDecompressed(blob, ext)
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, exitcode.New(exitcode.Verification,
		"%sInRelease lists no sha256 for %s{.xz,.gz}: cannot verify it", redact(base), name)
}

// fetchIndexFile fetches one index through the cache. With Acquire-By-Hash
// it asks for the file by its hash first, which cannot change between our
// reading InRelease and the mirror's next update; the plain name is the
// fallback.
func (a *DebianArchive) fetchIndexFile(ctx context.Context, base string, rel *Release, entry FileSum) (string, error) {
	want := Expect{SHA256: entry.SHA256, Size: entry.Size}
	if rel.AcquireByHash {
		byHash := base + path.Dir(entry.Name) + "/by-hash/SHA256/" + entry.SHA256
		blob, err := a.Cache.fetchNamed(ctx, byHash, path.Base(entry.Name), want)
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			return blob, err
		}
	}
	return a.Cache.Fetch(ctx, base+entry.Name, want)
}

func openDecompressed(path, ext string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var r io.Reader
	switch ext {
	case ".xz":
		r, err = xz.NewReader(bufio.NewReader(f))
	case ".gz":
		r, err = gzip.NewReader(bufio.NewReader(f))
	default:
		r = f
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return readCloser{r, f}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// resolve fills in the archive's default mirror and strips a trailing
// slash, so URLs are built one way.
func (a *DebianArchive) resolve(ref SuiteRef) SuiteRef {
	if ref.Mirror == "" {
		ref.Mirror = a.Mirror
	}
	ref.Mirror = strings.TrimRight(ref.Mirror, "/")
	return ref
}

func (a *DebianArchive) keyring() (openpgp.EntityList, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.keys != nil {
		return a.keys, nil
	}
	if a.Keyring == "" {
		return nil, errors.New("DebianArchive: no Keyring set")
	}
	keys, err := LoadKeyring(a.Keyring)
	if err != nil {
		return nil, err
	}
	a.keys = keys
	return keys, nil
}

func (a *DebianArchive) logger() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

// checkRelPath refuses paths from an index or the command line that could
// leave the archive or the destination: absolute, "..", empty elements.
func checkRelPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return fmt.Errorf("unsafe path %q", p)
	}
	for elem := range strings.SplitSeq(p, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return fmt.Errorf("unsafe path %q", p)
		}
	}
	return nil
}
