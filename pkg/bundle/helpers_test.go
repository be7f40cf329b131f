package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// debFile writes a Debian binary package built in Go (ar with
// debian-binary, control.tar.gz and data.tar.gz), which dpkg-deb and dpkg
// accept, and returns its path.
func debFile(t testing.TB, dir, name, version, arch string, data map[string]string) string {
	t.Helper()
	control := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: Backport Test <test@example.invalid>\nDescription: backport test package\n test package\n", name, version, arch)
	var ar bytes.Buffer
	ar.WriteString("!<arch>\n")
	member := func(n string, body []byte) {
		fmt.Fprintf(&ar, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", n, 0, 0, 0, "100644", len(body))
		ar.Write(body)
		if len(body)%2 == 1 {
			ar.WriteByte('\n')
		}
	}
	member("debian-binary", []byte("2.0\n"))
	member("control.tar.gz", tarGz(t, map[string]string{"./control": control}))
	member("data.tar.gz", tarGz(t, data))
	path := filepath.Join(dir, fmt.Sprintf("%s_%s_%s.deb", name, strings.ReplaceAll(version, ":", "%3a"), arch))
	if err := os.WriteFile(path, ar.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func tarGz(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		body := files[name]
		mode := int64(0o644)
		if strings.Contains(name, "/bin/") || strings.Contains(name, "init.d/") {
			mode = 0o755
		}
		hdr := &tar.Header{Name: name, Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg, ModTime: time.Unix(1700000000, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testSigner signs with an Ed25519 key made for the test, at a fixed time,
// so that its signatures are deterministic.
type testSigner struct {
	entity *openpgp.Entity
	when   time.Time
	fail   error
}

func newTestSigner(t testing.TB) *testSigner {
	t.Helper()
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return when }}
	e, err := openpgp.NewEntity("Backport Bundle Test", "", "bundle@example.invalid", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{entity: e, when: when}
}

func (s *testSigner) SignDetached(data []byte) ([]byte, error) {
	if s.fail != nil {
		return nil, s.fail
	}
	var out bytes.Buffer
	err := openpgp.ArmoredDetachSign(&out, s.entity, bytes.NewReader(data), &packet.Config{Time: func() time.Time { return s.when }})
	return out.Bytes(), err
}

func (s *testSigner) Fingerprint() string {
	return strings.ToUpper(fmt.Sprintf("%x", s.entity.PrimaryKey.Fingerprint))
}

// keyring writes the public key as a binary keyring that gpgv reads.
func (s *testSigner) keyring(t testing.TB, path string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := s.entity.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var testTime = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// testInput is a deb bundle of one package, fixture 2, with one service and
// a health check.
func testInput(t testing.TB, pkgDir string) Input {
	t.Helper()
	deb := debFile(t, pkgDir, "fixture", "2-1+bp1", "all", map[string]string{"./usr/bin/fixture": "#!/bin/sh\necho 2\n"})
	return Input{
		Name: "fixture", UpstreamVersion: "2", Version: "2-1+bp1", Release: "1+bp1", Target: "debian-12", Family: "deb",
		CVEs:     []string{"CVE-2026-0001"},
		Packages: []string{deb},
		Sources: []Source{
			{Role: "dsc", Name: "fixture_2-1.dsc", URL: "https://deb.example/pool/f/fixture_2-1.dsc", SHA256: strings.Repeat("a", 64), Size: 1234, VerifiedBy: "Sources index (InRelease)"},
			{Role: "upstream", Name: "fixture-2.tar.gz", URL: "https://upstream.example/fixture-2.tar.gz", SHA256: strings.Repeat("b", 64), Size: 99, VerifiedBy: "pinned sha256"},
		},
		BuilderImage: "localhost/backport/builder:debian-12", BuilderImageDigest: "sha256:" + strings.Repeat("c", 64),
		Parameters:     map[string]string{"packaging": "auto", "max-attempts": "8"},
		Remedies:       []Remedy{{Attempt: 1, Name: "patch-upstreamed", Cause: "patch 01-fix.patch reverse-applies", Summary: "dropped 01-fix.patch", Files: []string{"debian/patches/series"}}},
		Patches:        []PatchFate{{Name: "01-fix.patch", Fate: "dropped", Reason: "upstreamed"}, {Name: "02-doc.patch", Fate: "applied"}},
		Services:       []string{"fixture"},
		HealthCheck:    `test "$(cat /run/fixture.version)" = 2`,
		PackagingDiff:  []byte("--- a/debian/changelog\n+++ b/debian/changelog\n"),
		ReportMarkdown: []byte("# fixture 2-1+bp1\n"),
		ToolVersion:    "v0.9.0-test",
		BuildTime:      testTime,
	}
}
