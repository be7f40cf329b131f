package fetch

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/backport/backport/internal/testtool"
)

// testRPM is a package the real rpmbuild made, with the header fields rpm
// reports for it.
type testRPM struct {
	href                                string // where repositories serve it
	data                                []byte
	name, epoch, version, release, arch string
}

func (p testRPM) evr() string {
	return RepoPackage{Epoch: p.epoch, Version: p.version, Release: p.release}.EVR()
}

// testSpec is one package to build: a source RPM, or with binary a
// noarch binary RPM only.
type testSpec struct {
	name, epoch, version, release string
	binary                        bool
}

// yumFixtureSpecs cover rpm's ordering: 1.10 sorts above 1.9 and release 10
// above 2 (string order says otherwise), an epoch beats any version, and a
// binary package newer than every source must not be taken for one.
var yumFixtureSpecs = []testSpec{
	{name: "hello", version: "1.9", release: "2"},
	{name: "hello", version: "1.9", release: "10"},
	{name: "hello", version: "1.10", release: "1"},
	{name: "hello", version: "9.9", release: "1", binary: true},
	{name: "goodbye", epoch: "1", version: "0.5", release: "1"},
	{name: "goodbye", version: "2.0", release: "1"},
}

// buildTestRPMs runs rpmbuild on a tiny spec per entry and reads the
// results back with rpm -qp, the way createrepo_c reads them.
func buildTestRPMs(t *testing.T, specs ...testSpec) []testRPM {
	t.Helper()
	testtool.Require(t, "rpmbuild")
	testtool.Require(t, "rpm")
	top := t.TempDir()
	for i, s := range specs {
		epoch := ""
		if s.epoch != "" {
			epoch = "Epoch: " + s.epoch + "\n"
		}
		spec := fmt.Sprintf("Name: %s\n%sVersion: %s\nRelease: %s\nSummary: backport test package\n"+
			"License: MIT\nBuildArch: noarch\n\n%%description\nA package for backport's yum tests.\n\n%%files\n",
			s.name, epoch, s.version, s.release)
		path := filepath.Join(top, fmt.Sprintf("%d.spec", i))
		if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		mode := "-bs"
		if s.binary {
			mode = "-bb"
		}
		cmd := exec.Command("rpmbuild", mode, "--define", "_topdir "+top, path)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("rpmbuild %s %s: %v\n%s", mode, path, err, out)
		}
	}
	var rpms []testRPM
	err := filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rpm") {
			return err
		}
		rpms = append(rpms, queryTestRPM(t, path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rpms) != len(specs) {
		t.Fatalf("rpmbuild made %d packages, want %d", len(rpms), len(specs))
	}
	return rpms
}

func queryTestRPM(t *testing.T, path string) testRPM {
	t.Helper()
	out, err := exec.Command("rpm", "-qp", "--nosignature", "--qf",
		`%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}`, path).Output()
	if err != nil {
		t.Fatalf("rpm -qp %s: %v", path, err)
	}
	f := strings.Split(string(out), "\t")
	if len(f) != 6 {
		t.Fatalf("rpm -qp %s: %q", path, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := testRPM{data: data, name: f[0], epoch: f[1], version: f[2], release: f[3], arch: f[4]}
	if f[5] == "(none)" { // a source RPM: its header names the build arch
		p.arch = "src"
	}
	p.href = "Packages/" + p.name[:1] + "/" + filepath.Base(path)
	return p
}

func findTestRPM(t *testing.T, rpms []testRPM, name, evr, arch string) testRPM {
	t.Helper()
	for _, p := range rpms {
		if p.name == name && p.evr() == evr && p.arch == arch {
			return p
		}
	}
	t.Fatalf("no fixture %s-%s.%s", name, evr, arch)
	return testRPM{}
}

// yumGen says how generateRepodata writes a repository.
type yumGen struct {
	sum      string // checksum type for repomd.xml and every package; default sha256
	compress string // primary's compression: .gz (default), .xz or .zst
}

// generateRepodata is a small createrepo: the packages at their hrefs,
// repodata/repomd.xml and the primary it names, with checksums computed
// here. It checks our parser against a second producer besides
// createrepo_c, and runs where createrepo_c is not installed.
func generateRepodata(t *testing.T, rpms []testRPM, g yumGen) map[string][]byte {
	t.Helper()
	if g.sum == "" {
		g.sum = "sha256"
	}
	if g.compress == "" {
		g.compress = ".gz"
	}
	files := map[string][]byte{}
	var xmlText bytes.Buffer
	fmt.Fprintf(&xmlText, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"+
		"<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"%d\">\n",
		len(rpms))
	for _, p := range rpms {
		files[p.href] = p.data
		fmt.Fprintf(&xmlText, `<package type="rpm">
  <name>%s</name>
  <arch>%s</arch>
  <version epoch="%s" ver="%s" rel="%s"/>
  <checksum type="%s" pkgid="YES">%s</checksum>
  <summary>backport test package</summary>
  <size package="%d" installed="0" archive="124"/>
  <location href="%s"/>
  <format>
    <rpm:license>MIT</rpm:license>
    <rpm:requires><rpm:entry name="%s" flags="GE" epoch="9" ver="999" rel="999"/></rpm:requires>
  </format>
</package>
`, xmlEscape(p.name), p.arch, p.epoch, xmlEscape(p.version), xmlEscape(p.release), g.sum, hexSum(g.sum, p.data),
			len(p.data), xmlEscape(p.href), xmlEscape(p.name))
	}
	xmlText.WriteString("</metadata>\n")
	open := xmlText.Bytes()
	packed := compressFor(t, g.compress, open)
	primary := "repodata/" + hexSum(g.sum, packed) + "-primary.xml" + g.compress
	files[primary] = packed
	files["repodata/repomd.xml"] = []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  <data type="primary">
    <checksum type="%s">%s</checksum>
    <open-checksum type="%s">%s</open-checksum>
    <location href="%s"/>
    <timestamp>1700000000</timestamp>
    <size>%d</size>
    <open-size>%d</open-size>
  </data>
</repomd>
`, g.sum, hexSum(g.sum, packed), g.sum, hexSum(g.sum, open), primary, len(packed), len(open)))
	return files
}

func compressFor(t *testing.T, ext string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch ext {
	case ".gz":
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	case ".xz":
		xw, err := xz.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		xw.Write(data)
		if err := xw.Close(); err != nil {
			t.Fatal(err)
		}
	case ".zst":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(data)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("compressFor: unknown %q", ext)
	}
	return buf.Bytes()
}

func hexSum(typ string, data []byte) string {
	var h hash.Hash
	switch typ {
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		panic("hexSum: " + typ)
	}
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func xmlEscape(s string) string {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		panic(err)
	}
	return b.String()
}

// readRepoDir loads a repository that createrepo_c wrote, by relative path.
func readRepoDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// yumServer serves a repository from memory on 127.0.0.1 and counts the
// requests it gets.
type yumServer struct {
	*httptest.Server
	mu       sync.Mutex
	files    map[string][]byte
	requests int
}

func newYumServer(t testing.TB, files map[string][]byte) *yumServer {
	t.Helper()
	s := &yumServer{files: map[string][]byte{}}
	for p, data := range files {
		s.files[p] = data
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		data, ok := s.files[strings.TrimPrefix(r.URL.Path, "/")]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(s.Close)
	return s
}

// set replaces a file; nil removes it.
func (s *yumServer) set(p string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if data == nil {
		delete(s.files, p)
		return
	}
	s.files[p] = data
}

func (s *yumServer) file(t testing.TB, p string) []byte {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	data, ok := s.files[p]
	if !ok {
		t.Fatalf("test repository has no %s", p)
	}
	return data
}

// primaryPath is where repomd.xml says primary is.
func (s *yumServer) primaryPath(t testing.TB) string {
	t.Helper()
	md, err := parseRepoMD(s.file(t, "repodata/repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	d, ok := md.Find("primary")
	if !ok {
		t.Fatal("repomd.xml lists no primary")
	}
	return d.Location
}

func (s *yumServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}
