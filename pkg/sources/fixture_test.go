package sources_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/backport/backport/internal/archivetest"
	"github.com/backport/backport/pkg/fetch"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/workspace"
)

// The fixture is GNU Hello as Debian would carry it:
//
//	stable           hello 2.10-3
//	stable-updates   (empty)
//	stable-security  hello 2.10-3+deb12u1   ← the target's newest
//	unstable         hello 2.12-1           ← distro_index finds 2.12 here
//
// plus an upstream site on the same server under upstream/, which has
// 2.12 (the same bytes as unstable's orig tarball) and 2.13 (in no distro
// index) with a SHA256 file and an OpenPGP signature by upstream's key,
// which the distro ships in debian/upstream/signing-key.asc.
const (
	oldUpstream   = "2.10"
	securityVer   = "2.10-3+deb12u1"
	newUpstream   = "2.12" // in unstable
	siteOnly      = "2.13" // only on the upstream site
	targetName    = "test-stable"
	readmeOld     = "GNU Hello 2.10\n"
	readmeNew     = "GNU Hello 2.12\n"
	patchedReadme = "GNU Hello 2.10, patched by Debian\n"
)

type fixture struct {
	arch        *archivetest.Archive
	keyring     string
	upstreamKey *openpgp.Entity
	security    archivetest.Source // the distro package the target resolves to
	unstable    archivetest.Source
	dir         string // the test's root: workspaces and cache live below it
	cache       *fetch.Cache
}

func upstreamFiles(ver string) map[string]string {
	return map[string]string{
		"README":      "GNU Hello " + ver + "\n",
		"NEWS":        "* Noteworthy changes in release " + ver + "\n",
		"configure":   "#!/bin/sh\necho configured hello " + ver + "\n",
		"src/hello.c": "int main(void) { return 0; } /* " + ver + " */\n",
	}
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	a := archivetest.New(t)
	upKey := archivetest.NewKey(t, "GNU Hello Release Key")
	debian := map[string]string{
		"patches/series": "fix-readme.patch\n",
		"patches/fix-readme.patch": "--- a/README\n+++ b/README\n@@ -1 +1 @@\n-" + readmeOld +
			"+" + patchedReadme,
		"upstream/signing-key.asc": string(archivetest.PublicKeyring(t, true, upKey)),
	}
	a.AddSource("stable", archivetest.Source{Name: "hello", Version: "2.10-3", Files: upstreamFiles(oldUpstream), Debian: debian})
	f := &fixture{arch: a, upstreamKey: upKey}
	f.security = a.AddSource("stable-security", archivetest.Source{Name: "hello", Version: securityVer, Files: upstreamFiles(oldUpstream), Debian: debian})
	f.unstable = a.AddSource("unstable", archivetest.Source{Name: "hello", Version: newUpstream + "-1", Files: upstreamFiles(newUpstream), Debian: debian})
	a.AddSuite("stable-updates")
	a.Publish()
	f.keyring = a.Keyring(t)

	// The upstream site.
	a.AddRaw(sitePath(newUpstream), a.File(f.unstable.Path(f.unstable.OrigName())))
	tarball := archivetest.TarGz(t, "hello-"+siteOnly, upstreamFiles(siteOnly))
	a.AddRaw(sitePath(siteOnly), tarball)
	a.AddRaw(sitePath(siteOnly)+".sha256", fmt.Appendf(nil, "%x  hello-%s.tar.gz\n", sha256.Sum256(tarball), siteOnly))
	a.AddRaw(sitePath(siteOnly)+".sig", archivetest.DetachSign(t, upKey, tarball))

	f.dir = t.TempDir()
	f.cache = newCache(t, filepath.Join(f.dir, "cache"))
	return f
}

func sitePath(ver string) string { return "upstream/hello-" + ver + ".tar.gz" }

func (f *fixture) siteURL(ver string) string { return f.arch.URL() + "/" + sitePath(ver) }

func (f *fixture) mirrorOrigPath(ver string) string {
	return "pool/main/h/hello/hello_" + ver + ".orig.tar.gz"
}

func newCache(t *testing.T, dir string) *fetch.Cache {
	t.Helper()
	c, err := fetch.NewCache(dir, fetch.NewClient(fetch.ClientOptions{Retries: -1, RetryWait: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recipe is a hello recipe whose upstream URLs are the fixture's site
// first and the mirror's pool second (as the embedded hello recipe does),
// verified by what verify says (YAML under upstream.verify).
func (f *fixture) recipe(t *testing.T, verify string) *recipe.Recipe {
	t.Helper()
	var ind strings.Builder
	for line := range strings.Lines(strings.TrimSpace(verify)) {
		ind.WriteString("    " + line)
	}
	yaml := fmt.Sprintf(`name: hello
summary: GNU Hello, from the test archive
upstream:
  urls:
    - %s/upstream/hello-{{.Version}}.tar.gz
    - "{{.DebianMirror}}/pool/main/h/hello/hello_{{.Version}}.orig.tar.gz"
  verify:
%s
deb:
  source: hello
`, f.arch.URL(), ind.String())
	r, err := recipe.Parse("specs/hello.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("recipe:\n%s\n%v", yaml, err)
	}
	return r
}

func (f *fixture) target() recipe.Target {
	return recipe.Target{
		Name: targetName, Family: recipe.FamilyDeb, Vendor: recipe.VendorDebian,
		Release: "12", Codename: "stable",
		Suites:     []string{"stable", "stable-updates", "stable-security"},
		Components: []string{"main"},
		Mirror:     f.arch.URL(), Keyring: f.keyring,
	}
}

// workspace opens (creating and locking) the workspace for ver under root,
// relative to the fixture's directory. The caller closes it.
func (f *fixture) workspace(t *testing.T, root, ver string) *workspace.Workspace {
	t.Helper()
	ws, err := workspace.Open(filepath.Join(f.dir, root), workspace.Key{Name: "hello", Version: ver, Target: targetName})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func (f *fixture) request(r *recipe.Recipe, ver string, ws *workspace.Workspace) sources.Request {
	return sources.Request{
		Recipe: r, Version: ver, Target: f.target(),
		DebianMirror: f.arch.URL(), DebianKeyring: f.keyring,
		Cache: f.cache, Workspace: ws,
	}
}

// fetch runs one fetch of ver into a workspace under root, as one
// `backport fetch` does: the workspace is unlocked again when it returns.
func (f *fixture) fetch(t *testing.T, r *recipe.Recipe, ver, root string, edit ...func(*sources.Request)) (*sources.Result, *workspace.Workspace, error) {
	t.Helper()
	ws := f.workspace(t, root, ver)
	defer ws.Close()
	req := f.request(r, ver, ws)
	for _, e := range edit {
		e(&req)
	}
	res, err := sources.Fetch(context.Background(), req)
	return res, ws, err
}

// tamper replaces the file served at p with a corrupted copy and returns
// the corrupted bytes.
func (f *fixture) tamper(p string) []byte {
	bad := archivetest.Corrupt(f.arch.File(p))
	f.arch.SetFile(p, bad)
	return bad
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func requireFile(t *testing.T, p, want string) {
	t.Helper()
	if got := readFile(t, p); got != want {
		t.Errorf("%s = %q, want %q", p, got, want)
	}
}

func fileByRole(t *testing.T, res *sources.Result, role string) sources.File {
	t.Helper()
	for _, f := range res.Files {
		if f.Role == role {
			return f
		}
	}
	t.Fatalf("no file with role %q in %+v", role, res.Files)
	return sources.File{}
}

// requireCacheVerified fails unless every blob in the cache has the hash
// it is stored under, nothing is left in its temporary area, and no file
// in it holds any of the bad byte strings.
func requireCacheVerified(t *testing.T, c *fetch.Cache, bad ...[]byte) {
	t.Helper()
	err := filepath.WalkDir(c.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(c.Dir(), p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch dir := strings.Split(filepath.ToSlash(rel), "/")[0]; dir {
		case "sha256":
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != filepath.Base(p) {
				t.Errorf("cache blob %s does not have its hash", rel)
			}
		case "tmp":
			t.Errorf("cache tmp/ holds %s after the fetch", rel)
		}
		for _, b := range bad {
			if bytes.Equal(data, b) {
				t.Errorf("cache holds the tampered file as %s", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// requireNotIn fails if any file under dir holds one of the bad byte
// strings.
func requireNotIn(t *testing.T, dir string, bad ...[]byte) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, b := range bad {
			if bytes.Equal(data, b) {
				t.Errorf("%s holds the tampered file", p)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
}

// entries lists a directory's names; none when it does not exist.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
