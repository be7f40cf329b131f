package fetch

import (
	"bytes"
	"context"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/backport/backport/pkg/exitcode"
)

// TestYumRepoTampering changes one thing about a good repository at a time;
// each must fail with exit 4 and leave nothing it refused in the cache.
func TestYumRepoTampering(t *testing.T) {
	t.Parallel()
	rpms := buildTestRPMs(t, yumFixtureSpecs...)
	good := newTestKey(t, "Test Repository Signing Key")
	other := newTestKey(t, "Someone Else")
	ctx := context.Background()

	for _, tc := range []struct {
		name    string
		gen     yumGen
		keyring openpgp.EntityList
		// tamper changes the served repository; refused is the content
		// that must not end up in the cache.
		tamper func(t *testing.T, s *yumServer) (refused []byte)
		// fetch is the step that must fail; nil means Packages.
		fetch func(r *YumRepo) error
	}{
		{
			name: "primary changed",
			tamper: func(t *testing.T, s *yumServer) []byte {
				p := s.primaryPath(t)
				bad := corrupt(s.file(t, p), -20)
				s.set(p, bad)
				return bad
			},
		},
		{
			name: "primary replaced, sha512",
			gen:  yumGen{sum: "sha512", compress: ".xz"},
			tamper: func(t *testing.T, s *yumServer) []byte {
				p := s.primaryPath(t)
				bad := corrupt(s.file(t, p), 40)
				s.set(p, bad)
				return bad
			},
		},
		{
			name: "decompressed primary differs from open-checksum",
			tamper: func(t *testing.T, s *yumServer) []byte {
				md := s.file(t, "repodata/repomd.xml")
				s.set("repodata/repomd.xml", replaceOpenChecksum(t, md))
				return nil
			},
		},
		{
			name: "primary listed with sha1",
			tamper: func(t *testing.T, s *yumServer) []byte {
				md := string(s.file(t, "repodata/repomd.xml"))
				md = regexp.MustCompile(`<checksum type="sha256">[0-9a-f]{64}`).
					ReplaceAllString(md, `<checksum type="sha1">`+strings.Repeat("ab", 20))
				s.set("repodata/repomd.xml", []byte(md))
				return nil
			},
		},
		{
			name:   "SRPM changed on the server",
			tamper: tamperSRPM(t, rpms),
			fetch:  fetchNewestHello,
		},
		{
			name:   "SRPM changed on the server, sha512",
			gen:    yumGen{sum: "sha512"},
			tamper: tamperSRPM(t, rpms),
			fetch:  fetchNewestHello,
		},
		{
			name:   "SRPM truncated on the server",
			tamper: tamperSRPMWith(t, rpms, func(b []byte) []byte { return b[:len(b)-100] }),
			fetch:  fetchNewestHello,
		},
		{
			name:    "repomd.xml signed by the wrong key",
			keyring: openpgp.EntityList{good},
			tamper: func(t *testing.T, s *yumServer) []byte {
				s.set("repodata/repomd.xml.asc", detachSign(t, other, s.file(t, "repodata/repomd.xml"), true, time.Now()))
				return nil
			},
		},
		{
			name:    "repomd.xml changed after signing",
			keyring: openpgp.EntityList{good},
			tamper: func(t *testing.T, s *yumServer) []byte {
				md := s.file(t, "repodata/repomd.xml")
				s.set("repodata/repomd.xml.asc", detachSign(t, good, md, true, time.Now()))
				bad := bytes.Replace(md, []byte("<revision>1700000000"), []byte("<revision>1700000001"), 1)
				s.set("repodata/repomd.xml", bad)
				return bad
			},
		},
		{
			name:    "keyring set but repomd.xml unsigned",
			keyring: openpgp.EntityList{good},
			tamper: func(t *testing.T, s *yumServer) []byte {
				s.set("repodata/repomd.xml.asc", nil)
				return nil
			},
		},
		{
			name:    "signature that is not one",
			keyring: openpgp.EntityList{good},
			tamper: func(t *testing.T, s *yumServer) []byte {
				s.set("repodata/repomd.xml.asc", []byte("<html>not found</html>"))
				return nil
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newYumServer(t, generateRepodata(t, rpms, tc.gen))
			srv.set("repodata/repomd.xml.asc", detachSign(t, good, srv.file(t, "repodata/repomd.xml"), true, time.Now()))
			refused := tc.tamper(t, srv)
			cache := newTestCache(t)
			repo := &YumRepo{BaseURL: srv.URL, Keyring: tc.keyring, Cache: cache}
			fetch := tc.fetch
			if fetch == nil {
				fetch = func(r *YumRepo) error { _, err := r.Packages(ctx); return err }
			}
			err := fetch(repo)
			if exitcode.Of(err) != exitcode.Verification {
				t.Fatalf("err = %v (exit %d), want exit 4", err, exitcode.Of(err))
			}
			t.Log(err)
			if refused != nil && cacheHolds(t, cache.Dir(), refused) {
				t.Error("the refused file is in the cache")
			}
			if left := tempFiles(t, cache); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// TestYumRepoSigned is the control for the signature cases above: the same
// repository, signed by the key in the keyring, verifies.
func TestYumRepoSigned(t *testing.T) {
	t.Parallel()
	rpms := buildTestRPMs(t, yumFixtureSpecs[:1]...)
	key := newTestKey(t, "Test Repository Signing Key")
	srv := newYumServer(t, generateRepodata(t, rpms, yumGen{}))
	srv.set("repodata/repomd.xml.asc", detachSign(t, key, srv.file(t, "repodata/repomd.xml"), true, time.Now()))
	repo := &YumRepo{BaseURL: srv.URL, Keyring: openpgp.EntityList{key}, Cache: newTestCache(t)}
	md, err := repo.Metadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if md.Signer == nil || md.Signer.PrimaryFingerprint != strings.ToUpper(hex.EncodeToString(key.PrimaryKey.Fingerprint)) {
		t.Errorf("Signer = %+v, want the test key", md.Signer)
	}
	if _, err := repo.FindSRPM(context.Background(), "hello"); err != nil {
		t.Error(err)
	}
}

func fetchNewestHello(r *YumRepo) error {
	ctx := context.Background()
	p, err := r.FindSRPM(ctx, "hello")
	if err != nil {
		return err
	}
	_, err = r.FetchPackage(ctx, p)
	return err
}

func tamperSRPM(t *testing.T, rpms []testRPM) func(*testing.T, *yumServer) []byte {
	return tamperSRPMWith(t, rpms, func(b []byte) []byte { return corrupt(b, len(b)/2) })
}

// tamperSRPMWith changes the package fetchNewestHello will fetch.
func tamperSRPMWith(t *testing.T, rpms []testRPM, change func([]byte) []byte) func(*testing.T, *yumServer) []byte {
	newest := findTestRPM(t, rpms, "hello", "1.10-1", "src")
	return func(t *testing.T, s *yumServer) []byte {
		bad := change(bytes.Clone(newest.data))
		s.set(newest.href, bad)
		return bad
	}
}

// replaceOpenChecksum gives primary's open-checksum another valid-looking
// value, leaving the checksum of the compressed file intact.
func replaceOpenChecksum(t *testing.T, repomd []byte) []byte {
	t.Helper()
	re := regexp.MustCompile(`(<open-checksum type="sha256">)[0-9a-f]{64}`)
	if !re.Match(repomd) {
		t.Fatal("repomd.xml has no sha256 open-checksum")
	}
	return re.ReplaceAll(repomd, []byte("${1}"+strings.Repeat("0", 64)))
}
