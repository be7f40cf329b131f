// Package archivetest serves a Debian-style archive for tests: an
// httptest server on 127.0.0.1 with dists/<suite>/InRelease clearsigned by
// a key generated for the test, main/source/Sources.xz, and pool/ holding
// source packages (.dsc, .orig.tar.gz, .debian.tar.xz) built on the spot
// from file contents the test gives. The same server plays an upstream
// site: AddRaw serves any bytes at any path, and anything missing is a 404.
//
// Every file can be replaced after publishing (SetFile), so a test can
// tamper with one link of the chain, and every request is counted, so a
// test can prove that a cache hit asks nothing.
//
// It is for tests only; it is a package of its own so that every package
// that fetches sources (sources, the build pipeline, the CLI) uses one
// fixture.
package archivetest

import (
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// Source is a source package to generate. Tarballs are deterministic, so
// two sources with the same upstream version and Files share one orig
// tarball, as they do in a real pool.
type Source struct {
	Name    string // source package name, e.g. "hello"
	Version string // Debian version, e.g. "2.10-3" or "1:2.10-3+deb12u1"
	// Format is "3.0 (quilt)" (the default when empty) or "3.0 (native)".
	Format string
	// Files are the upstream files, by path below the top directory
	// (<name>-<upstream>/). A file whose content starts with "#!" is
	// executable.
	Files map[string]string
	// Debian are the files of debian/, by path below it: "control",
	// "changelog", "rules", "source/format", "patches/series",
	// "upstream/signing-key.asc"… Missing control, changelog, rules and
	// source/format get minimal defaults.
	Debian map[string]string
}

// Upstream is the upstream part of the version: no epoch, no revision.
func (s Source) Upstream() string {
	v := s.noEpoch()
	if i := strings.LastIndex(v, "-"); i >= 0 {
		v = v[:i]
	}
	return v
}

func (s Source) noEpoch() string {
	if _, after, ok := strings.Cut(s.Version, ":"); ok {
		return after
	}
	return s.Version
}

func (s Source) native() bool { return s.Format == "3.0 (native)" }

func (s Source) format() string {
	if s.Format == "" {
		return "3.0 (quilt)"
	}
	return s.Format
}

// Dir is the source's pool directory, as a Sources index's Directory field
// gives it: "pool/main/h/hello", "pool/main/libf/libfoo".
func (s Source) Dir() string {
	prefix := s.Name[:1]
	if strings.HasPrefix(s.Name, "lib") && len(s.Name) > 3 {
		prefix = s.Name[:4]
	}
	return "pool/main/" + prefix + "/" + s.Name
}

// OrigName is the file name of the orig tarball; "" for a native package.
func (s Source) OrigName() string {
	if s.native() {
		return ""
	}
	return s.Name + "_" + s.Upstream() + ".orig.tar.gz"
}

// DebianName is the file name of the debian tarball (quilt) or of the one
// tarball (native).
func (s Source) DebianName() string {
	if s.native() {
		return s.Name + "_" + s.noEpoch() + ".tar.xz"
	}
	return s.Name + "_" + s.noEpoch() + ".debian.tar.xz"
}

// DscName is the file name of the .dsc.
func (s Source) DscName() string { return s.Name + "_" + s.noEpoch() + ".dsc" }

// Path is where the named file of the source is served: Dir()/name.
func (s Source) Path(name string) string { return s.Dir() + "/" + name }

// fileNames lists the files the .dsc describes, in its order.
func (s Source) fileNames() []string {
	if s.native() {
		return []string{s.DebianName()}
	}
	return []string{s.OrigName(), s.DebianName()}
}

func (s Source) debianFiles() map[string]string {
	files := map[string]string{
		"control": fmt.Sprintf("Source: %s\nSection: misc\nPriority: optional\n"+
			"Maintainer: Test Maintainer <test@example.invalid>\nBuild-Depends: debhelper-compat (= 13)\n"+
			"Standards-Version: 4.6.2\n\nPackage: %s\nArchitecture: any\nDepends: ${misc:Depends}, ${shlibs:Depends}\n"+
			"Description: test package %s\n test package\n", s.Name, s.Name, s.Name),
		"changelog": fmt.Sprintf("%s (%s) unstable; urgency=medium\n\n  * Test upload.\n\n"+
			" -- Test Maintainer <test@example.invalid>  Tue, 14 Nov 2023 22:13:20 +0000\n", s.Name, s.Version),
		"rules":         "#!/usr/bin/make -f\n%:\n\tdh $@\n",
		"source/format": s.format() + "\n",
	}
	for name, data := range s.Debian {
		files[name] = data
	}
	return files
}

// Archive is a Debian-style archive served on 127.0.0.1. Its methods are
// safe to call while the server is being used.
type Archive struct {
	t        testing.TB
	key      *openpgp.Entity // signs InRelease
	uploader *openpgp.Entity // signs .dsc files; in no keyring
	srv      *httptest.Server

	mu       sync.Mutex
	files    map[string][]byte   // served, by path below the root
	suites   map[string][]Source // what Publish lists, by suite
	requests int
}

// New starts an archive with a fresh signing key and no suites. The server
// is closed when the test ends.
func New(t testing.TB) *Archive {
	t.Helper()
	a := &Archive{
		t: t, key: NewKey(t, "Test Archive Signing Key"), uploader: NewKey(t, "Test Uploader"),
		files: map[string][]byte{}, suites: map[string][]Source{},
	}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

// URL is the archive's base URL (http://127.0.0.1:PORT), the mirror to
// configure.
func (a *Archive) URL() string { return a.srv.URL }

// Key is the key that signs InRelease.
func (a *Archive) Key() *openpgp.Entity { return a.key }

// Keyring writes the archive's public key as a binary keyring, as in
// /usr/share/keyrings, and returns its path.
func (a *Archive) Keyring(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "archive-keyring.gpg")
	if err := os.WriteFile(p, PublicKeyring(t, false, a.key), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// AddSuite declares suites, so that Publish writes their InRelease even
// when no source is added to them (an empty -updates suite).
func (a *Archive) AddSuite(suites ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range suites {
		if _, ok := a.suites[s]; !ok {
			a.suites[s] = nil
		}
	}
}

// AddSource generates the source package's files into the pool and lists
// it in suite at the next Publish. It returns s with Format filled in.
func (a *Archive) AddSource(suite string, s Source) Source {
	t := a.t
	t.Helper()
	s.Format = s.format()
	if s.Format != "3.0 (quilt)" && !s.native() {
		t.Fatalf("archivetest: format %q: only 3.0 (quilt) and 3.0 (native) are generated", s.Format)
	}
	files := map[string][]byte{}
	if s.native() {
		all := map[string]string{}
		for name, data := range s.Files {
			all[name] = data
		}
		for name, data := range s.debianFiles() {
			all["debian/"+name] = data
		}
		files[s.DebianName()] = TarXz(t, s.Name+"-"+s.Upstream(), all)
	} else {
		files[s.OrigName()] = TarGz(t, s.Name+"-"+s.Upstream(), s.Files)
		files[s.DebianName()] = TarXz(t, "debian", s.debianFiles())
	}
	var sums, md5s strings.Builder
	for _, name := range s.fileNames() {
		fmt.Fprintf(&sums, " %x %d %s\n", sha256.Sum256(files[name]), len(files[name]), name)
		fmt.Fprintf(&md5s, " %x %d %s\n", md5.Sum(files[name]), len(files[name]), name)
	}
	dsc := fmt.Sprintf("Format: %s\nSource: %s\nBinary: %s\nArchitecture: any\nVersion: %s\n"+
		"Maintainer: Test Maintainer <test@example.invalid>\nStandards-Version: 4.6.2\n"+
		"Build-Depends: debhelper-compat (= 13)\nChecksums-Sha256:\n%sFiles:\n%s",
		s.Format, s.Name, s.Name, s.Version, sums.String(), md5s.String())
	// Uploaders sign their .dsc; nothing checks that signature (the index
	// vouches for the file), but the parsers must cope with it.
	files[s.DscName()] = Clearsign(t, a.uploader, []byte(dsc))

	a.mu.Lock()
	defer a.mu.Unlock()
	for name, data := range files {
		p := s.Path(name)
		if old, ok := a.files[p]; ok && name == s.OrigName() && string(old) != string(data) {
			t.Errorf("archivetest: %s: two sources with upstream %s but different Files", p, s.Upstream())
		}
		a.files[p] = data
	}
	a.suites[suite] = append(a.suites[suite], s)
	return s
}

// Publish writes dists/<suite>/main/source/Sources.xz and the clearsigned
// dists/<suite>/InRelease of every suite from the pool as it is now. Call
// it after adding sources, and before tampering with what it hashes.
func (a *Archive) Publish() {
	t := a.t
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for suite, srcs := range a.suites {
		var idx strings.Builder
		for _, s := range srcs {
			fmt.Fprintf(&idx, "Package: %s\nBinary: %s\nVersion: %s\nMaintainer: Test Maintainer <test@example.invalid>\n"+
				"Architecture: any\nFormat: %s\nDirectory: %s\nChecksums-Sha256:\n",
				s.Name, s.Name, s.Version, s.Format, s.Dir())
			for _, name := range append(s.fileNames(), s.DscName()) {
				data := a.files[s.Path(name)]
				fmt.Fprintf(&idx, " %x %d %s\n", sha256.Sum256(data), len(data), name)
			}
			idx.WriteString("\n")
		}
		sources := Xz(t, []byte(idx.String()))
		const index = "main/source/Sources.xz"
		a.files["dists/"+suite+"/"+index] = sources
		release := fmt.Sprintf("Origin: Test\nLabel: Test\nSuite: %s\nCodename: %s\nDate: %s\n"+
			"Architectures: amd64\nComponents: main\nDescription: archivetest\nSHA256:\n %x %d %s\n",
			suite, suite, time.Now().UTC().Format("Mon, 02 Jan 2006 15:04:05 UTC"),
			sha256.Sum256(sources), len(sources), index)
		a.files["dists/"+suite+"/InRelease"] = Clearsign(t, a.key, []byte(release))
	}
}

// AddRaw serves data at p (a path below the root, like
// "upstream/hello-2.12.tar.gz"): an upstream site's tarball, checksums file
// or signature on the same server.
func (a *Archive) AddRaw(p string, data []byte) { a.SetFile(p, data) }

// SetFile replaces (or adds) the file served at p, e.g. to tamper with a
// published file.
func (a *Archive) SetFile(p string, data []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.files[clean(p)] = append([]byte(nil), data...)
}

// Remove stops serving p; requests for it get a 404.
func (a *Archive) Remove(p string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.files, clean(p))
}

// File returns the bytes served at p; the test fails if there are none.
func (a *Archive) File(p string) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	data, ok := a.files[clean(p)]
	if !ok {
		a.t.Fatalf("archivetest: no file at %s", p)
	}
	return append([]byte(nil), data...)
}

// Paths lists every path served, sorted.
func (a *Archive) Paths() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	paths := make([]string, 0, len(a.files))
	for p := range a.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Requests is the number of requests served since New or ResetRequests,
// 404s included.
func (a *Archive) Requests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests
}

// ResetRequests sets the request count to zero.
func (a *Archive) ResetRequests() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = 0
}

func (a *Archive) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.requests++
	data, ok := a.files[clean(r.URL.Path)]
	a.mu.Unlock()
	if !ok || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.Write(data)
}

func clean(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }
