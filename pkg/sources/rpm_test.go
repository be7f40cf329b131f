package sources_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/backport/backport/internal/archivetest"
	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/fetch"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/workspace"
)

// The RPM fixture is an EL-style hello: the real rpmbuild makes
// hello-1.0-1.src.rpm (spec, upstream tarball, one patch), the real rpmsign
// signs it with an Ed25519 key from a throw-away GnuPG home, and an
// httptest server on 127.0.0.1 serves it, an upstream site with the 1.1
// tarball, and a yum repository (repodata generated here) holding it.
const (
	rpmTarget     = "test-el9"
	rpmOld        = "1.0"
	rpmNew        = "1.1"
	rpmRelease    = "1"
	rpmSRPMName   = "hello-" + rpmOld + "-" + rpmRelease + ".src.rpm"
	rpmRepoHref   = "Packages/h/" + rpmSRPMName
	rpmSignerMail = "el@backport.invalid"
)

const rpmSpec = `Name:           hello
Version:        1.0
Release:        1
Summary:        Fixture for backport's SRPM fetch
License:        MIT
Source0:        hello-1.0.tar.gz
Patch0:         fix.patch

%description
Fixture for backport's SRPM fetch.

%prep
%autosetup -p1

%files
`

type rpmFixture struct {
	dir     string // the test's root: workspaces, cache and keys below it
	cache   *fetch.Cache
	gpg     *rpmGPG
	keyring string // armored public key of the signer, as a target names it
	keyID   string
	payload map[string][]byte // what the SRPM carries, by name
	signed  []byte            // the signed SRPM
	newTar  []byte            // upstream hello-1.1.tar.gz

	srv      *httptest.Server
	mu       sync.Mutex
	files    map[string][]byte
	requests map[string]int
}

func newRPMFixture(t *testing.T) *rpmFixture {
	t.Helper()
	testtool.Require(t, "rpmbuild")
	testtool.Require(t, "rpmsign")
	f := &rpmFixture{dir: t.TempDir(), files: map[string][]byte{}, requests: map[string]int{}}
	f.cache = newCache(t, filepath.Join(f.dir, "cache"))

	f.payload = map[string][]byte{
		"hello.spec":       []byte(rpmSpec),
		"hello-1.0.tar.gz": archivetest.TarGz(t, "hello-"+rpmOld, map[string]string{"main.c": "int main(void) { return 0; }\n"}),
		"fix.patch":        []byte("--- a/main.c\n+++ b/main.c\n@@ -1 +1 @@\n-int main(void) { return 0; }\n+int main(void) { return 1; }\n"),
	}
	unsigned := buildRPMFixtureSRPM(t, f.payload)

	f.gpg = newRPMGPG(t)
	f.gpg.addKey(t, rpmSignerMail)
	f.keyring, f.keyID = f.gpg.export(t, rpmSignerMail, filepath.Join(f.dir, "keys", "el.asc"))
	f.signed = f.gpg.sign(t, unsigned, rpmSignerMail)

	f.newTar = archivetest.TarGz(t, "hello-"+rpmNew, map[string]string{"main.c": "int main(void) { return 0; } /* 1.1 */\n"})

	f.files[rpmSRPMName] = f.signed
	f.files["upstream/hello-"+rpmNew+".tar.gz"] = f.newTar
	for p, data := range rpmRepodata(t, rpmRepoHref, f.signed) {
		f.files["repo/"+p] = data
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/")
		f.mu.Lock()
		f.requests[p]++
		data, ok := f.files[p]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// buildRPMFixtureSRPM runs the real rpmbuild -bs on the payload and returns
// the unsigned SRPM.
func buildRPMFixtureSRPM(t *testing.T, payload map[string][]byte) []byte {
	t.Helper()
	top := t.TempDir()
	for name, data := range payload {
		dir := "SOURCES"
		if strings.HasSuffix(name, ".spec") {
			dir = "SPECS"
		}
		if err := os.MkdirAll(filepath.Join(top, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(top, dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runRPMTool(t, exec.Command("rpmbuild", "-bs", "--define", "_topdir "+top,
		"--define", "dist %{nil}", filepath.Join(top, "SPECS", "hello.spec")))
	data, err := os.ReadFile(filepath.Join(top, "SRPMS", rpmSRPMName))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func runRPMTool(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return string(out)
}

// rpmGPG is a throw-away GnuPG home holding unprotected test keys.
type rpmGPG struct{ dir, gpg string }

func newRPMGPG(t *testing.T) *rpmGPG {
	t.Helper()
	gpg := testtool.Require(t, "gpg")
	// Not t.TempDir: gpg-agent's socket path must stay under 108 bytes.
	dir, err := os.MkdirTemp("", "bp-gpg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if gpgconf, err := exec.LookPath("gpgconf"); err == nil {
			c := exec.Command(gpgconf, "--kill", "gpg-agent")
			c.Env = append(os.Environ(), "GNUPGHOME="+dir)
			_ = c.Run()
		}
		os.RemoveAll(dir)
	})
	return &rpmGPG{dir: dir, gpg: gpg}
}

func (g *rpmGPG) command(args ...string) *exec.Cmd {
	c := exec.Command(g.gpg, append([]string{"--batch", "--homedir", g.dir}, args...)...)
	c.Env = append(os.Environ(), "GNUPGHOME="+g.dir)
	return c
}

func (g *rpmGPG) addKey(t *testing.T, email string) {
	t.Helper()
	c := g.command("--gen-key")
	c.Stdin = strings.NewReader("%no-protection\nKey-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign\n" +
		"Name-Real: Backport Test\nName-Email: " + email + "\nExpire-Date: 0\n%commit\n")
	runRPMTool(t, c)
}

// export writes the armored public key of email to path and returns the
// path and the key id as go-crypto spells it.
func (g *rpmGPG) export(t *testing.T, email, path string) (string, string) {
	t.Helper()
	armored := runRPMTool(t, g.command("--armor", "--export", email))
	keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armored))
	if err != nil || len(keys) != 1 {
		t.Fatalf("exported key of %s: %d keys, %v", email, len(keys), err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(armored), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, keys[0].PrimaryKey.KeyIdString()
}

// sign returns a copy of the SRPM with a header signature by the real
// rpmsign. Debian's rpm points %__gpg at /usr/bin/gpg2, which bookworm does
// not ship, so the gpg found on PATH is named explicitly.
func (g *rpmGPG) sign(t *testing.T, unsigned []byte, email string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), rpmSRPMName)
	if err := os.WriteFile(p, unsigned, 0o644); err != nil {
		t.Fatal(err)
	}
	c := exec.Command("rpmsign", "--define", "__gpg "+g.gpg, "--define", "_gpg_path "+g.dir,
		"--define", "_gpg_name "+email, "--addsign", p)
	c.Env = append(os.Environ(), "GNUPGHOME="+g.dir)
	runRPMTool(t, c)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(data, unsigned) {
		t.Fatal("rpmsign left the SRPM unchanged")
	}
	return data
}

// rpmRepodata is a one-package createrepo: repodata/repomd.xml, the
// primary.xml.gz it names, and the SRPM at href, checksums computed here.
func rpmRepodata(t *testing.T, href string, srpm []byte) map[string][]byte {
	t.Helper()
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	primaryXML := []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">
<package type="rpm">
  <name>hello</name>
  <arch>src</arch>
  <version epoch="0" ver="%s" rel="%s"/>
  <checksum type="sha256" pkgid="YES">%s</checksum>
  <summary>Fixture for backport's SRPM fetch</summary>
  <size package="%d" installed="0" archive="0"/>
  <location href="%s"/>
  <format><rpm:license>MIT</rpm:license></format>
</package>
</metadata>
`, rpmOld, rpmRelease, sum(srpm), len(srpm), href))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(primaryXML)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	primary := "repodata/" + sum(gz.Bytes()) + "-primary.xml.gz"
	repomd := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  <data type="primary">
    <checksum type="sha256">%s</checksum>
    <open-checksum type="sha256">%s</open-checksum>
    <location href="%s"/>
    <timestamp>1700000000</timestamp>
    <size>%d</size>
    <open-size>%d</open-size>
  </data>
</repomd>
`, sum(gz.Bytes()), sum(primaryXML), primary, gz.Len(), len(primaryXML))
	return map[string][]byte{href: srpm, primary: gz.Bytes(), "repodata/repomd.xml": []byte(repomd)}
}

// flipRPMPayloadByte changes one byte in the middle of the SRPM's payload,
// found by walking lead, signature header (padded to 8) and main header.
func flipRPMPayloadByte(t *testing.T, rpm []byte) []byte {
	t.Helper()
	off := 96 // the lead
	for i, pad := range []bool{true, false} {
		if len(rpm) < off+16 || !bytes.Equal(rpm[off:off+3], []byte{0x8e, 0xad, 0xe8}) {
			t.Fatalf("header %d: no header magic at %d", i, off)
		}
		n, size := binary.BigEndian.Uint32(rpm[off+8:]), binary.BigEndian.Uint32(rpm[off+12:])
		off += 16 + 16*int(n) + int(size)
		if pad {
			off = (off + 7) &^ 7
		}
	}
	if off >= len(rpm) {
		t.Fatalf("no payload after the headers (offset %d, size %d)", off, len(rpm))
	}
	out := bytes.Clone(rpm)
	out[off+(len(rpm)-off)/2] ^= 0x01
	return out
}

func (f *rpmFixture) url(p string) string { return f.srv.URL + "/" + p }

func (f *rpmFixture) set(p string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[p] = data
}

func (f *rpmFixture) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.requests {
		n += c
	}
	return n
}

func (f *rpmFixture) countOf(p string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[p]
}

// recipe is a hello recipe whose rpm: section is rpmSection (YAML under
// rpm:) and whose 1.1 tarball on the fixture's upstream site is pinned.
func (f *rpmFixture) recipe(t *testing.T, rpmSection string) *recipe.Recipe {
	t.Helper()
	yaml := fmt.Sprintf(`name: hello
summary: GNU Hello, from the test SRPM
upstream:
  urls:
    - %s/upstream/{{.Name}}-{{.Version}}.tar.gz
  verify:
    sha256:
      "%s": %x
rpm:
  %s
`, f.srv.URL, rpmNew, sha256.Sum256(f.newTar), rpmSection)
	r, err := recipe.Parse("specs/hello.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("recipe:\n%s\n%v", yaml, err)
	}
	return r
}

// srpmRecipe takes the SRPM from the fixture's server by URL.
func (f *rpmFixture) srpmRecipe(t *testing.T) *recipe.Recipe {
	return f.recipe(t, fmt.Sprintf(`srpm: "%s/{{.Name}}-{{.Version}}-1.src.rpm"`, f.srv.URL))
}

func (f *rpmFixture) target() recipe.Target {
	return recipe.Target{
		Name: rpmTarget, Family: recipe.FamilyRPM, Vendor: recipe.VendorEL,
		Release: "9", DistTag: ".el9", Keyring: f.keyring,
	}
}

// fetch runs one fetch of ver into the workspace under root, as one
// `backport fetch` does.
func (f *rpmFixture) fetch(t *testing.T, r *recipe.Recipe, ver, root string, edit ...func(*sources.Request)) (*sources.Result, *workspace.Workspace, error) {
	t.Helper()
	ws, err := workspace.Open(filepath.Join(f.dir, root), workspace.Key{Name: "hello", Version: ver, Target: rpmTarget})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	req := sources.Request{Recipe: r, Version: ver, Target: f.target(), Cache: f.cache, Workspace: ws}
	for _, e := range edit {
		e(&req)
	}
	res, err := sources.Fetch(context.Background(), req)
	return res, ws, err
}

// requireRPMTree checks that dir holds the SRPM's payload, flat, byte for
// byte, plus the extra files, and nothing else.
func (f *rpmFixture) requireRPMTree(t *testing.T, dir string, extra map[string][]byte) {
	t.Helper()
	want := map[string][]byte{}
	for n, d := range f.payload {
		want[n] = d
	}
	for n, d := range extra {
		want[n] = d
	}
	got := entries(t, dir)
	var names []string
	for n := range want {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
	for n, d := range want {
		if data, err := os.ReadFile(filepath.Join(dir, n)); err != nil || !bytes.Equal(data, d) {
			t.Errorf("%s/%s: %d bytes, %v; want the %d bytes of the fixture", dir, n, len(data), err, len(d))
		}
	}
}

func requireExit4(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatal("fetch succeeded")
	}
	if exitcode.Of(err) != exitcode.Verification {
		t.Errorf("exit %d, want %d: %v", exitcode.Of(err), exitcode.Verification, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to mention %q", err, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}

func TestFetchSRPMSameVersion(t *testing.T) {
	t.Parallel()
	f := newRPMFixture(t)
	res, ws, err := f.fetch(t, f.srpmRecipe(t), rpmOld, "work")
	if err != nil {
		t.Fatal(err)
	}
	if res.Family != "rpm" || res.DistroSource != "hello" || res.DistroVersion != rpmOld+"-"+rpmRelease || res.NewUpstream {
		t.Errorf("family %s, distro %s %s, new upstream %v; want rpm, hello %s-%s, false",
			res.Family, res.DistroSource, res.DistroVersion, res.NewUpstream, rpmOld, rpmRelease)
	}
	if res.Insecure || len(res.Warnings) > 0 {
		t.Errorf("insecure %v, warnings %q", res.Insecure, res.Warnings)
	}
	if len(res.Files) != 1 {
		t.Fatalf("files %+v, want the SRPM only", res.Files)
	}
	srpm := fileByRole(t, res, "srpm")
	if srpm.Name != rpmSRPMName || srpm.URL != f.url(rpmSRPMName) || srpm.Size != int64(len(f.signed)) ||
		srpm.SHA256 != fmt.Sprintf("%x", sha256.Sum256(f.signed)) {
		t.Errorf("srpm %+v", srpm)
	}
	if !strings.Contains(srpm.VerifiedBy, "key "+f.keyID) || !strings.Contains(srpm.VerifiedBy, f.keyring) {
		t.Errorf("srpm verified by %q, want key %s from %s", srpm.VerifiedBy, f.keyID, f.keyring)
	}
	if want := filepath.Join(ws.Sources(), rpmSRPMName); srpm.Path != want {
		t.Errorf("srpm path %s, want %s", srpm.Path, want)
	}
	if data, err := os.ReadFile(srpm.Path); err != nil || !bytes.Equal(data, f.signed) {
		t.Errorf("sources/%s is not the signed SRPM (%v)", rpmSRPMName, err)
	}
	if want := filepath.Join(ws.Dir, "packaging"); res.Packaging != want {
		t.Errorf("packaging %s, want %s", res.Packaging, want)
	}
	f.requireRPMTree(t, res.Packaging, nil)
	if want := filepath.Join(ws.Tree(), "hello-"+rpmOld); res.Tree != want {
		t.Errorf("tree %s, want %s", res.Tree, want)
	}
	f.requireRPMTree(t, res.Tree, nil)
	requireCacheVerified(t, f.cache)

	var saved sources.Result
	if ok, err := ws.LoadState("sources", &saved); !ok || err != nil || saved.DistroVersion != res.DistroVersion {
		t.Errorf("saved state %v, %v: %+v", ok, err, saved)
	}
}

func TestFetchSRPMNewUpstream(t *testing.T) {
	t.Parallel()
	f := newRPMFixture(t)
	// rpm.srpm must depend on the version; the query does, the file name
	// stays that of the distro's 1.0 SRPM.
	r := f.recipe(t, fmt.Sprintf(`srpm: "%s/hello-1.0-1.src.rpm?for={{.Version}}"`, f.srv.URL))
	res, ws, err := f.fetch(t, r, rpmNew, "work")
	if err != nil {
		t.Fatal(err)
	}
	if !res.NewUpstream || res.DistroVersion != rpmOld+"-"+rpmRelease || res.Insecure {
		t.Errorf("new upstream %v, distro version %s, insecure %v", res.NewUpstream, res.DistroVersion, res.Insecure)
	}
	up := fileByRole(t, res, "upstream")
	if up.Name != "hello-"+rpmNew+".tar.gz" || !strings.Contains(up.VerifiedBy, "sha256 pinned in specs/hello.yaml") ||
		up.SHA256 != fmt.Sprintf("%x", sha256.Sum256(f.newTar)) {
		t.Errorf("upstream %+v", up)
	}
	srpm := fileByRole(t, res, "srpm")
	if srpm.Name != rpmSRPMName || !strings.Contains(srpm.VerifiedBy, f.keyID) {
		t.Errorf("srpm %+v", srpm)
	}
	if got, want := entries(t, ws.Sources()), []string{rpmSRPMName, "hello-" + rpmNew + ".tar.gz"}; !slices.Equal(got, want) {
		t.Errorf("sources/ holds %q, want %q", got, want)
	}
	// packaging/ is the SRPM untouched; the tree adds the new tarball
	// beside the spec and the old sources.
	f.requireRPMTree(t, res.Packaging, nil)
	if want := filepath.Join(ws.Tree(), "hello-"+rpmNew); res.Tree != want {
		t.Errorf("tree %s, want %s", res.Tree, want)
	}
	f.requireRPMTree(t, res.Tree, map[string][]byte{"hello-" + rpmNew + ".tar.gz": f.newTar})
}

func TestFetchSRPMWrongKey(t *testing.T) {
	t.Parallel()
	f := newRPMFixture(t)
	f.gpg.addKey(t, "other@backport.invalid")
	other, _ := f.gpg.export(t, "other@backport.invalid", filepath.Join(f.dir, "keys", "other.asc"))
	_, ws, err := f.fetch(t, f.srpmRecipe(t), rpmOld, "work", func(req *sources.Request) { req.Target.Keyring = other })
	requireExit4(t, err, "signed by key "+f.keyID+", which is not in the keyring")
	if got := entries(t, ws.Sources()); len(got) > 0 {
		t.Errorf("sources/ holds %q after a failed verification", got)
	}
	if got := entries(t, ws.Tree()); len(got) > 0 {
		t.Errorf("tree/ holds %q after a failed verification", got)
	}
	requireCacheVerified(t, f.cache, f.signed)
}

func TestFetchSRPMNoKeyring(t *testing.T) {
	t.Parallel()
	f := newRPMFixture(t)
	noKeyring := func(req *sources.Request) { req.Target.Keyring = "" }
	_, ws, err := f.fetch(t, f.srpmRecipe(t), rpmOld, "work", noKeyring)
	requireExit4(t, err, "--insecure")
	if !strings.Contains(err.Error(), rpmTarget) {
		t.Errorf("error %q does not name the target", err)
	}
	if n := f.count(); n != 0 {
		t.Errorf("%d requests before refusing for want of a keyring", n)
	}
	if got := entries(t, ws.Sources()); len(got) > 0 {
		t.Errorf("sources/ holds %q", got)
	}

	res, _, err := f.fetch(t, f.srpmRecipe(t), rpmOld, "work", noKeyring, func(req *sources.Request) { req.Insecure = true })
	if err != nil {
		t.Fatal(err)
	}
	srpm := fileByRole(t, res, "srpm")
	if !strings.HasPrefix(srpm.VerifiedBy, "NOT VERIFIED") {
		t.Errorf("srpm verified by %q, want NOT VERIFIED", srpm.VerifiedBy)
	}
	if !res.Insecure || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], rpmSRPMName+" is NOT verified") {
		t.Errorf("insecure %v, warnings %q; want the unverified SRPM flagged", res.Insecure, res.Warnings)
	}
	f.requireRPMTree(t, res.Tree, nil)
}

func TestFetchSRPMTampered(t *testing.T) {
	t.Parallel()
	f := newRPMFixture(t)
	bad := flipRPMPayloadByte(t, f.signed)
	f.set(rpmSRPMName, bad)
	_, ws, err := f.fetch(t, f.srpmRecipe(t), rpmOld, "work")
	requireExit4(t, err, "payload SHA256 digest mismatch")
	if got := entries(t, ws.Sources()); len(got) > 0 {
		t.Errorf("sources/ holds %q", got)
	}
	requireNotIn(t, ws.Dir, bad)
	requireCacheVerified(t, f.cache, bad)

	// --insecure skips the signature, not the digests.
	_, _, err = f.fetch(t, f.srpmRecipe(t), rpmOld, "work", func(req *sources.Request) {
		req.Target.Keyring, req.Insecure = "", true
	})
	if err == nil || exitcode.Of(err) != exitcode.Verification {
		t.Errorf("tampered SRPM with --insecure: exit %d, %v; want exit 4", exitcode.Of(err), err)
	}
}

func TestFetchSRPMFromRepo(t *testing.T) {
	t.Parallel()
	f := newRPMFixture(t)
	r := f.recipe(t, "repo_package: hello")
	withRepo := func(req *sources.Request) { req.Target.Repos = []string{f.url("repo")} }
	res, ws, err := f.fetch(t, r, rpmOld, "work", withRepo)
	if err != nil {
		t.Fatal(err)
	}
	srpm := fileByRole(t, res, "srpm")
	if srpm.Name != rpmSRPMName || srpm.URL != f.url("repo/"+rpmRepoHref) || !strings.Contains(srpm.VerifiedBy, "key "+f.keyID) {
		t.Errorf("srpm %+v", srpm)
	}
	if res.DistroVersion != rpmOld+"-"+rpmRelease || res.NewUpstream || res.Insecure {
		t.Errorf("result %+v", res)
	}
	f.requireRPMTree(t, res.Tree, nil)
	if got, want := entries(t, ws.Sources()), []string{rpmSRPMName}; !slices.Equal(got, want) {
		t.Errorf("sources/ holds %q, want %q", got, want)
	}
	if f.countOf("repo/repodata/repomd.xml") == 0 || f.countOf("repo/"+rpmRepoHref) == 0 {
		t.Errorf("requests %v: the repo was not read", f.requests)
	}
	// The package is downloaded once for the repodata checksum and once
	// more for the signature; see the report on srpmFromRepos.
	t.Logf("first fetch: %d requests, %d of the SRPM", f.count(), f.countOf("repo/"+rpmRepoHref))

	before := f.count()
	res2, _, err := f.fetch(t, r, rpmOld, "work", withRepo)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count() - before; n != 0 {
		t.Errorf("the second identical fetch made %d requests, want none", n)
	}
	if s2 := fileByRole(t, res2, "srpm"); s2.SHA256 != srpm.SHA256 || s2.VerifiedBy != srpm.VerifiedBy {
		t.Errorf("second fetch srpm %+v, first %+v", s2, srpm)
	}
	if res2.DistroVersion != res.DistroVersion || !res2.TreeKept {
		t.Errorf("second fetch %+v", res2)
	}
}
