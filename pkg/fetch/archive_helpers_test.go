package fetch

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ulikunitz/xz"
)

// testArchive is a Debian-style archive generated in the test and served
// by an httptest server on 127.0.0.1: dists/<suite>/InRelease signed with a
// test key, main/source/Sources.xz, and pool/ with source packages whose
// .dsc and tarballs are made on the spot.
type testArchive struct {
	t        testing.TB
	key      *openpgp.Entity // signs InRelease
	uploader *openpgp.Entity // signs .dsc files and upstream tarballs; not in the archive keyring
	srv      *httptest.Server

	mu       sync.Mutex
	files    map[string][]byte // by path below the mirror root
	requests map[string]int
}

type testSuite struct {
	Suite, Codename string
	ValidUntil      time.Time // zero: none
	ByHash          bool      // publish Acquire-By-Hash and by-hash/ copies
	Sources         []testSource
}

type testSource struct {
	Name, Version   string // version "1.0-1"; the upstream part names the orig
	OrigSig         bool   // ship <orig>.asc signed by the uploader
	ExtraSourceOnly bool
}

func (s testSource) upstream() string {
	v := s.Version
	if i := strings.LastIndex(v, "-"); i >= 0 {
		v = v[:i]
	}
	return v
}

func (s testSource) dir() string { return "pool/main/" + s.Name[:1] + "/" + s.Name }

func (s testSource) origName() string   { return s.Name + "_" + s.upstream() + ".orig.tar.gz" }
func (s testSource) debianName() string { return s.Name + "_" + s.Version + ".debian.tar.xz" }
func (s testSource) dscName() string    { return s.Name + "_" + s.Version + ".dsc" }

// fileNames lists the source's files, the .dsc last.
func (s testSource) fileNames() []string {
	names := []string{s.origName()}
	if s.OrigSig {
		names = append(names, s.origName()+".asc")
	}
	return append(names, s.debianName(), s.dscName())
}

func newTestArchive(t testing.TB, key *openpgp.Entity) *testArchive {
	t.Helper()
	a := &testArchive{
		t: t, key: key, uploader: newTestKey(t, "Upstream Uploader"),
		files: map[string][]byte{}, requests: map[string]int{},
	}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *testArchive) URL() string { return a.srv.URL }

func (a *testArchive) serve(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	a.mu.Lock()
	a.requests[p]++
	data, ok := a.files[p]
	a.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.Write(data)
}

func (a *testArchive) file(p string) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	data, ok := a.files[p]
	if !ok {
		a.t.Fatalf("test archive has no %s", p)
	}
	return data
}

func (a *testArchive) setFile(p string, data []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.files[p] = data
}

func (a *testArchive) totalRequests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.requests {
		n += c
	}
	return n
}

func (a *testArchive) resetRequests() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = map[string]int{}
}

// addPackage generates a source package's files into the pool. Tarballs
// are deterministic, so the same orig in two archives has one hash.
func (a *testArchive) addPackage(s testSource) {
	t := a.t
	t.Helper()
	orig := tarball(t, s.Name+"-"+s.upstream(), map[string]string{
		"README":    "The " + s.Name + " program, version " + s.upstream() + ".\n",
		"configure": "#!/bin/sh\necho configured\n",
	}, false)
	debian := tarball(t, "debian", map[string]string{
		"changelog":                s.Name + " (" + s.Version + ") unstable; urgency=medium\n",
		"control":                  "Source: " + s.Name + "\n",
		"upstream/signing-key.asc": string(publicKeyring(t, true, a.uploader)),
	}, true)
	files := map[string][]byte{s.origName(): orig, s.debianName(): debian}
	if s.OrigSig {
		files[s.origName()+".asc"] = detachSign(t, a.uploader, orig, true, time.Now())
	}
	var sums, md5s strings.Builder
	names := s.fileNames()
	for _, name := range names[:len(names)-1] {
		fmt.Fprintf(&sums, " %x %d %s\n", sha256.Sum256(files[name]), len(files[name]), name)
		fmt.Fprintf(&md5s, " %x %d %s\n", md5.Sum(files[name]), len(files[name]), name)
	}
	dsc := fmt.Sprintf("Format: 3.0 (quilt)\nSource: %s\nBinary: %s\nArchitecture: any\nVersion: %s\n"+
		"Maintainer: Test Maintainer <test@example.invalid>\nStandards-Version: 4.6.2\n"+
		"Build-Depends: debhelper-compat (= 13)\nChecksums-Sha256:\n%sFiles:\n%s",
		s.Name, s.Name, s.Version, sums.String(), md5s.String())
	files[s.dscName()] = clearsignWith(t, []byte(dsc), a.uploader)
	for name, data := range files {
		a.setFile(s.dir()+"/"+name, data)
	}
}

// publish writes the suite's Sources.xz and InRelease from the pool as it
// is now; packages must have been added first.
func (a *testArchive) publish(s testSuite) {
	t := a.t
	t.Helper()
	var idx strings.Builder
	for _, src := range s.Sources {
		fmt.Fprintf(&idx, "Package: %s\nBinary: %s\nVersion: %s\nMaintainer: Test <test@example.invalid>\n"+
			"Architecture: any\nFormat: 3.0 (quilt)\nDirectory: %s\nChecksums-Sha256:\n",
			src.Name, src.Name, src.Version, src.dir())
		for _, name := range src.fileNames() {
			data := a.file(src.dir() + "/" + name)
			fmt.Fprintf(&idx, " %x %d %s\n", sha256.Sum256(data), len(data), name)
		}
		if src.ExtraSourceOnly {
			idx.WriteString("Extra-Source-Only: yes\n")
		}
		idx.WriteString("\n")
	}
	plain := []byte(idx.String())
	var xzBuf bytes.Buffer
	w, err := xz.NewWriter(&xzBuf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	dists := "dists/" + s.Suite + "/"
	index := map[string][]byte{"main/source/Sources.xz": xzBuf.Bytes(), "main/source/Sources": plain}
	var rel strings.Builder
	fmt.Fprintf(&rel, "Origin: Test\nLabel: Test\nSuite: %s\nCodename: %s\nDate: %s\n",
		s.Suite, s.Codename, time.Now().UTC().Format(releaseDateLayout))
	if !s.ValidUntil.IsZero() {
		fmt.Fprintf(&rel, "Valid-Until: %s\n", s.ValidUntil.UTC().Format(releaseDateLayout))
	}
	if s.ByHash {
		rel.WriteString("Acquire-By-Hash: yes\n")
	}
	rel.WriteString("Architectures: amd64\nComponents: main\nDescription: test archive\nSHA256:\n")
	paths := []string{"main/source/Sources", "main/source/Sources.xz"}
	for _, p := range paths {
		sum := sha256.Sum256(index[p])
		fmt.Fprintf(&rel, " %x %8d %s\n", sum, len(index[p]), p)
		a.setFile(dists+p, index[p])
		if s.ByHash {
			a.setFile(fmt.Sprintf("%smain/source/by-hash/SHA256/%x", dists, sum), index[p])
		}
	}
	a.setFile(dists+"InRelease", clearsignWith(t, []byte(rel.String()), a.key))
}

const releaseDateLayout = "Mon, 02 Jan 2006 15:04:05 UTC"

// writeTo copies the archive to dir, to serve it as a file:// mirror.
func (a *testArchive) writeTo(dir string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, data := range a.files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			a.t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			a.t.Fatal(err)
		}
	}
}

// tarball makes a deterministic tar.gz (or tar.xz) with files under top/.
func tarball(t testing.TB, top string, files map[string]string, useXZ bool) []byte {
	t.Helper()
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		tw.WriteHeader(&tar.Header{Name: top + "/" + name, Mode: 0o644, Size: int64(len(files[name])),
			ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg})
		tw.Write([]byte(files[name]))
	}
	tw.Close()
	var out bytes.Buffer
	if useXZ {
		w, err := xz.NewWriter(&out)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(tarBuf.Bytes())
		w.Close()
	} else {
		w := gzip.NewWriter(&out)
		w.Write(tarBuf.Bytes())
		w.Close()
	}
	return out.Bytes()
}

// cacheHolds reports whether any file under dir has exactly data.
func cacheHolds(t testing.TB, dir string, data []byte) bool {
	t.Helper()
	found := false
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if got, err := os.ReadFile(p); err == nil && bytes.Equal(got, data) {
			found = true
		}
		return nil
	})
	return found
}

// tempFiles lists what is left in the cache's temporary area.
func tempFiles(t testing.TB, c *Cache) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(c.Dir(), "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func newTestCache(t testing.TB) *Cache {
	t.Helper()
	c, err := NewCache(t.TempDir(), NewClient(ClientOptions{RetryWait: time.Millisecond, Retries: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
