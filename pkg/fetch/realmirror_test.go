package fetch

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"

	"pault.ag/go/debian/version"
)

// The host's apt sources name the mirror; no host name is written here.
const (
	aptSourcesFile = "/etc/apt/sources.list.d/debian.sources"
	debianKeyring  = "/usr/share/keyrings/debian-archive-keyring.gpg"
)

// hostMirrors reads the host's deb822 apt sources: the first stanza's URI
// is the main mirror; the stanza carrying "<release>-security", if any,
// gives the security mirror. A missing file skips the test, except under
// CI=true, where the CI image is expected to have it.
func hostMirrors(t *testing.T) (mirror, security string) {
	t.Helper()
	f, err := os.Open(aptSourcesFile)
	if errors.Is(err, fs.ErrNotExist) {
		testtool.SkipOrFail(t, "%s not found", aptSourcesFile)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr := newParagraphReader(f)
	for {
		p, err := pr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", aptSourcesFile, err)
		}
		uris := strings.Fields(p.get("URIs"))
		if len(uris) == 0 {
			continue
		}
		if mirror == "" {
			mirror = uris[0]
		}
		if slices.Contains(strings.Fields(p.get("Suites")), "bookworm-security") {
			security = uris[0]
		}
	}
	if mirror == "" {
		t.Fatalf("%s: no URIs", aptSourcesFile)
	}
	return mirror, security
}

// TestRealDebianMirror checks the whole chain against the real archive:
// InRelease signed by the Debian archive keys, Sources.xz by its hash, the
// .dsc and its files by the index. It downloads about 25 MB (three Sources
// indexes and two small source packages) into a cache shared by its steps.
func TestRealDebianMirror(t *testing.T) {
	if testing.Short() {
		t.Skip("real-mirror test skipped in -short mode")
	}
	mirror, security := hostMirrors(t)
	if _, err := os.Stat(debianKeyring); err != nil {
		t.Fatalf("the Debian archive keyring is needed with %s: %v", aptSourcesFile, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cache, err := NewCache(t.TempDir(), NewClient(ClientOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	arch := &DebianArchive{Mirror: mirror, Keyring: debianKeyring, Cache: cache,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))}

	suites := []SuiteRef{{Suite: "bookworm"}, {Suite: "bookworm-updates"}}
	if security != "" {
		suites = append(suites, SuiteRef{Mirror: security, Suite: "bookworm-security"})
	}
	pkg, err := arch.FindSource(ctx, suites, "hello")
	if err != nil {
		t.Fatal(err)
	}
	got, err := version.Parse(pkg.Version)
	if err != nil {
		t.Fatal(err)
	}
	if min, _ := version.Parse("2.10-3"); version.Compare(got, min) < 0 {
		t.Errorf("hello %s in bookworm, want 2.10-3 or newer", pkg.Version)
	}
	rel, err := arch.Release(ctx, SuiteRef{Suite: "bookworm"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bookworm: %s %s, signed by %s; hello %s from %s", rel.Suite, rel.Codename, rel.Signer, pkg.Version, pkg.Suite.Suite)

	dest := t.TempDir()
	paths, err := arch.FetchSource(ctx, pkg, dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 3 || !strings.HasSuffix(paths[0], ".dsc") {
		t.Errorf("FetchSource wrote %v", paths)
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}

	orig, err := arch.FindOrig(ctx, []SuiteRef{{Suite: "unstable"}}, "hello", "2.12.3")
	if err != nil {
		t.Fatal(err)
	}
	if orig.Name != "hello_2.12.3.orig.tar.gz" || orig.Signature == nil || orig.Signature.Name != orig.Name+".asc" {
		t.Fatalf("FindOrig = %+v", orig)
	}
	for _, f := range []RemoteFile{orig.RemoteFile, *orig.Signature} {
		p, err := cache.Fetch(ctx, f.URL, f.Expect())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s verified by unstable's index: %s", f.Name, filepath.Base(p))
	}
}

// testWriter sends log output to t.Log, so a stale-mirror warning shows.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
