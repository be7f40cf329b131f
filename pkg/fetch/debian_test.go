package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/pkg/exitcode"
)

var (
	helloStable   = testSource{Name: "hello", Version: "1.0-1", OrigSig: true}
	helloSecurity = testSource{Name: "hello", Version: "1.0-1+deb1u1", OrigSig: true}
	helloBuiltFor = testSource{Name: "hello", Version: "1.5-1", ExtraSourceOnly: true}
	helloUnstable = testSource{Name: "hello", Version: "2.0-1", OrigSig: true}
	goodbye       = testSource{Name: "goodbye", Version: "9.0-1"}
)

// testArchives is the main mirror (stable, stable-updates, unstable) and
// the security mirror (stable-security), both signed with one key.
type testArchives struct {
	main, security *testArchive
	keyring        string
}

func newTestArchives(t testing.TB) *testArchives {
	t.Helper()
	key := newTestKey(t, "Test Archive Signing Key")
	main := newTestArchive(t, key)
	for _, s := range []testSource{helloStable, helloUnstable, goodbye} {
		main.addPackage(s)
	}
	main.publish(testSuite{Suite: "stable", Codename: "testy", Sources: []testSource{goodbye, helloStable}})
	main.publish(testSuite{Suite: "stable-updates", Codename: "testy-updates", Sources: []testSource{goodbye}})
	main.publish(testSuite{Suite: "unstable", Codename: "sid", Sources: []testSource{helloUnstable}})
	security := newTestArchive(t, key)
	security.addPackage(helloSecurity)
	security.addPackage(helloBuiltFor)
	security.publish(testSuite{Suite: "stable-security", Codename: "testy-security",
		Sources: []testSource{helloBuiltFor, helloSecurity}})
	return &testArchives{main: main, security: security, keyring: writeKeyring(t, false, key)}
}

func (ta *testArchives) stableSuites() []SuiteRef {
	return []SuiteRef{
		{Suite: "stable"},
		{Suite: "stable-updates"},
		{Mirror: ta.security.URL(), Suite: "stable-security"},
	}
}

func (ta *testArchives) archive(c *Cache) *DebianArchive {
	return &DebianArchive{Mirror: ta.main.URL(), Keyring: ta.keyring, Cache: c}
}

func TestDebianArchiveFindAndFetch(t *testing.T) {
	t.Parallel()
	ta := newTestArchives(t)
	cache := newTestCache(t)
	arch := ta.archive(cache)
	ctx := context.Background()

	rel, err := arch.Release(ctx, SuiteRef{Suite: "stable"})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Suite != "stable" || rel.Codename != "testy" || rel.Date.IsZero() || rel.Stale {
		t.Errorf("release = %+v", rel)
	}
	if _, ok := rel.SHA256["main/source/Sources.xz"]; !ok {
		t.Errorf("release lists %v", rel.SHA256)
	}
	if want := fmt.Sprintf("%X", ta.main.key.PrimaryKey.Fingerprint); rel.Signer.PrimaryFingerprint != want {
		t.Errorf("signer %v, want %s", rel.Signer, want)
	}

	pkg, err := arch.FindSource(ctx, ta.stableSuites(), "hello")
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Version != "1.0-1+deb1u1" || pkg.Suite.Suite != "stable-security" || pkg.Suite.Mirror != ta.security.URL() {
		t.Fatalf("FindSource = %s from %v; want 1.0-1+deb1u1 from the security mirror (1.5-1 is Extra-Source-Only)",
			pkg.Version, pkg.Suite)
	}

	dest := filepath.Join(t.TempDir(), "src")
	paths, err := arch.FetchSource(ctx, pkg, dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 || filepath.Base(paths[0]) != helloSecurity.dscName() {
		t.Fatalf("FetchSource wrote %v, want the .dsc first and 4 files", paths)
	}
	for _, name := range helloSecurity.fileNames() {
		got, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, ta.security.file(helloSecurity.dir()+"/"+name)) {
			t.Errorf("%s differs from the archive's", name)
		}
	}

	exact, err := arch.FindSourceVersion(ctx, ta.stableSuites(), "hello", "0:1.0-1")
	if err != nil {
		t.Fatal(err)
	}
	if exact.Version != "1.0-1" || exact.Suite.Suite != "stable" {
		t.Errorf("FindSourceVersion = %s from %v", exact.Version, exact.Suite)
	}

	orig, err := arch.FindOrig(ctx, []SuiteRef{{Suite: "stable"}, {Suite: "unstable"}}, "hello", "2.0")
	if err != nil {
		t.Fatal(err)
	}
	if orig.Name != "hello_2.0.orig.tar.gz" || orig.Suite.Suite != "unstable" || orig.Signature == nil ||
		orig.Signature.Name != "hello_2.0.orig.tar.gz.asc" || orig.Version != "2.0-1" {
		t.Fatalf("FindOrig = %+v", orig)
	}
	tarPath, err := cache.Fetch(ctx, orig.URL, orig.Expect())
	if err != nil {
		t.Fatal(err)
	}
	sigPath, err := cache.Fetch(ctx, orig.Signature.URL, orig.Signature.Expect())
	if err != nil {
		t.Fatal(err)
	}
	// The upstream signature checks out against the key the packaging ships.
	sig, _ := os.ReadFile(sigPath)
	keys, _ := ReadKeyring(publicKeyring(t, true, ta.main.uploader))
	if _, err := VerifyDetached(keys, tarPath, sig); err != nil {
		t.Errorf("upstream signature: %v", err)
	}

	for _, missing := range []func() error{
		func() error { _, err := arch.FindSource(ctx, ta.stableSuites(), "nonexistent"); return err },
		func() error { _, err := arch.FindSourceVersion(ctx, ta.stableSuites(), "hello", "3.0-1"); return err },
		func() error { _, err := arch.FindOrig(ctx, ta.stableSuites(), "hello", "9.9"); return err },
	} {
		if err := missing(); !errors.Is(err, ErrNoSource) {
			t.Errorf("err = %v, want ErrNoSource", err)
		}
	}
	if _, err := arch.Release(ctx, SuiteRef{Suite: "nosuch"}); !isNotFound(err) {
		t.Errorf("unknown suite: err = %v, want a NotFoundError", err)
	}
	if _, err := arch.Release(ctx, SuiteRef{Suite: "../../etc"}); err == nil {
		t.Error("a suite with .. was accepted")
	}
}

func TestDebianArchiveTampering(t *testing.T) {
	t.Parallel()
	dsc := helloStable.dir() + "/" + helloStable.dscName()
	orig := helloStable.dir() + "/" + helloStable.origName()
	debian := helloStable.dir() + "/" + helloStable.debianName()
	inRelease := "dists/stable/InRelease"
	sourcesXZ := "dists/stable/main/source/Sources.xz"

	tests := []struct {
		name   string
		tamper func(ta *testArchives) []byte // returns the tampered bytes, or nil
		key    bool                          // use a keyring of another key
	}{
		{name: "InRelease body", tamper: func(ta *testArchives) []byte {
			return replaceFile(ta.main, inRelease, bytes.Replace(ta.main.file(inRelease), []byte("Codename: testy"), []byte("Codename: testz"), 1))
		}},
		{name: "InRelease signature", tamper: func(ta *testArchives) []byte {
			return replaceFile(ta.main, inRelease, corruptArmor(ta.main.file(inRelease)))
		}},
		{name: "InRelease with unsigned text appended", tamper: func(ta *testArchives) []byte {
			return replaceFile(ta.main, inRelease, append(bytes.Clone(ta.main.file(inRelease)), "Suite: stable\n"...))
		}},
		{name: "Sources.xz", tamper: func(ta *testArchives) []byte {
			return replaceFile(ta.main, sourcesXZ, corrupt(ta.main.file(sourcesXZ), 40))
		}},
		{name: ".dsc", tamper: func(ta *testArchives) []byte {
			return replaceFile(ta.main, dsc, corrupt(ta.main.file(dsc), 60))
		}},
		{name: "orig tarball", tamper: func(ta *testArchives) []byte {
			return replaceFile(ta.main, orig, corrupt(ta.main.file(orig), 30))
		}},
		{name: "orig tarball grown", tamper: func(ta *testArchives) []byte {
			return replaceFile(ta.main, orig, append(bytes.Clone(ta.main.file(orig)), make([]byte, 100)...))
		}},
		{name: "debian tarball", tamper: func(ta *testArchives) []byte {
			return replaceFile(ta.main, debian, corrupt(ta.main.file(debian), 30))
		}},
		{name: ".dsc disagrees with a consistent index", tamper: func(ta *testArchives) []byte {
			// The .dsc lists another orig hash, and the index is
			// republished to match the changed .dsc: only the cross-check
			// between the two can catch it.
			good := fmt.Sprintf("%x", sha256.Sum256(ta.main.file(orig)))
			ta.main.setFile(dsc, bytes.Replace(ta.main.file(dsc), []byte(good), []byte(strings.Repeat("0", 64)), 1))
			ta.main.publish(testSuite{Suite: "stable", Codename: "testy", Sources: []testSource{goodbye, helloStable}})
			return nil
		}},
		{name: "another suite's Release", tamper: func(ta *testArchives) []byte {
			ta.main.setFile(inRelease, ta.main.file("dists/unstable/InRelease"))
			return nil
		}},
		{name: "wrong key", key: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ta := newTestArchives(t)
			var bad []byte
			if tt.tamper != nil {
				bad = tt.tamper(ta)
			}
			if tt.key {
				ta.keyring = writeKeyring(t, true, newTestKey(t, "Not The Archive Key"))
			}
			cache := newTestCache(t)
			arch := ta.archive(cache)
			dest := filepath.Join(t.TempDir(), "src")
			ctx := context.Background()
			pkg, err := arch.FindSource(ctx, []SuiteRef{{Suite: "stable"}}, "hello")
			if err == nil {
				_, err = arch.FetchSource(ctx, pkg, dest)
			}
			if err == nil {
				t.Fatal("tampered archive accepted")
			}
			t.Logf("error: %v", err)
			if code := exitcode.Of(err); code != exitcode.Verification {
				t.Fatalf("exit code %d, want 4; err = %v", code, err)
			}
			if bad != nil && cacheHolds(t, cache.Dir(), bad) {
				t.Error("the tampered file is in the cache")
			}
			if left := tempFiles(t, cache); len(left) > 0 {
				t.Errorf("temporary files left in the cache: %v", left)
			}
			if entries, _ := os.ReadDir(dest); len(entries) > 0 {
				t.Errorf("destination holds %d files after a failed fetch", len(entries))
			}
		})
	}
}

func replaceFile(a *testArchive, p string, data []byte) []byte {
	a.setFile(p, data)
	return data
}

func TestDebianArchiveValidUntil(t *testing.T) {
	t.Parallel()
	key := newTestKey(t, "Snapshot Key")
	ta := newTestArchive(t, key)
	ta.addPackage(helloStable)
	expired := time.Now().Add(-21 * 24 * time.Hour).Truncate(time.Second)
	ta.publish(testSuite{Suite: "unstable", Codename: "sid", ValidUntil: expired, Sources: []testSource{helloStable}})
	keyring := writeKeyring(t, true, key)

	var logged bytes.Buffer
	lenient := &DebianArchive{Mirror: ta.URL(), Keyring: keyring, Cache: newTestCache(t),
		Logger: slog.New(slog.NewTextHandler(&logged, nil))}
	rel, err := lenient.Release(context.Background(), SuiteRef{Suite: "unstable"})
	if err != nil {
		t.Fatalf("expired Valid-Until is an error by default: %v", err)
	}
	if !rel.Stale || !strings.Contains(rel.Warning, "Valid-Until") || !rel.ValidUntil.Equal(expired) {
		t.Errorf("release: Stale=%v Warning=%q ValidUntil=%v", rel.Stale, rel.Warning, rel.ValidUntil)
	}
	if !strings.Contains(logged.String(), "level=WARN") {
		t.Errorf("no warning logged: %q", logged.String())
	}
	if _, err := lenient.FindSource(context.Background(), []SuiteRef{{Suite: "unstable"}}, "hello"); err != nil {
		t.Errorf("FindSource on a stale suite: %v", err)
	}

	strict := &DebianArchive{Mirror: ta.URL(), Keyring: keyring, Cache: newTestCache(t), StrictValidUntil: true}
	_, err = strict.Release(context.Background(), SuiteRef{Suite: "unstable"})
	if exitcode.Of(err) != exitcode.Verification || !strings.Contains(fmt.Sprint(err), "Valid-Until") {
		t.Errorf("StrictValidUntil: err = %v, want a Valid-Until verification error", err)
	}

	// Before its Valid-Until a Release is fine even when strict.
	strict = &DebianArchive{Mirror: ta.URL(), Keyring: keyring, Cache: newTestCache(t), StrictValidUntil: true,
		Now: func() time.Time { return expired.Add(-time.Hour) }}
	if rel, err := strict.Release(context.Background(), SuiteRef{Suite: "unstable"}); err != nil || rel.Stale {
		t.Errorf("fresh Release: stale=%v err=%v", rel != nil && rel.Stale, err)
	}
}

// A second fetch of the same resolved source package makes no request:
// the resolution is remembered and every file is in the cache by hash.
func TestDebianArchiveSecondFetchMakesNoRequests(t *testing.T) {
	t.Parallel()
	ta := newTestArchives(t)
	cache := newTestCache(t)
	ctx := context.Background()
	const key = "debian-source/hello/stable/test"

	first := ta.archive(cache)
	pkg, err := first.FindSource(ctx, ta.stableSuites(), "hello")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.FetchSource(ctx, pkg, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := cache.Remember(key, pkg); err != nil {
		t.Fatal(err)
	}
	ta.main.resetRequests()
	ta.security.resetRequests()

	var again SourcePackage
	if !cache.Recall(key, &again) {
		t.Fatal("Recall found nothing")
	}
	dest := t.TempDir()
	paths, err := ta.archive(cache).FetchSource(ctx, again, dest)
	if err != nil {
		t.Fatal(err)
	}
	if n := ta.main.totalRequests() + ta.security.totalRequests(); n != 0 {
		t.Errorf("second fetch made %d requests, want 0", n)
	}
	if len(paths) != 4 {
		t.Errorf("second fetch wrote %v", paths)
	}
}

func TestDebianArchiveFileMirror(t *testing.T) {
	t.Parallel()
	key := newTestKey(t, "Local Mirror Key")
	ta := newTestArchive(t, key)
	ta.addPackage(helloStable)
	ta.publish(testSuite{Suite: "stable", Codename: "testy", Sources: []testSource{helloStable}})
	dir := t.TempDir()
	ta.writeTo(dir)

	arch := &DebianArchive{Mirror: "file://" + dir + "/", Keyring: writeKeyring(t, false, key), Cache: newTestCache(t)}
	pkg, err := arch.FindSource(context.Background(), []SuiteRef{{Suite: "stable"}}, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := arch.FetchSource(context.Background(), pkg, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if ta.totalRequests() != 0 {
		t.Error("a file:// mirror made HTTP requests")
	}
}

func TestDebianArchiveByHash(t *testing.T) {
	t.Parallel()
	key := newTestKey(t, "By-Hash Key")
	ta := newTestArchive(t, key)
	ta.addPackage(helloStable)
	ta.publish(testSuite{Suite: "stable", Codename: "testy", ByHash: true, Sources: []testSource{helloStable}})
	arch := &DebianArchive{Mirror: ta.URL(), Keyring: writeKeyring(t, false, key), Cache: newTestCache(t)}
	if _, err := arch.FindSource(context.Background(), []SuiteRef{{Suite: "stable"}}, "hello"); err != nil {
		t.Fatal(err)
	}
	ta.mu.Lock()
	defer ta.mu.Unlock()
	if ta.requests["dists/stable/main/source/Sources.xz"] != 0 {
		t.Error("fetched Sources.xz by name although the Release offers it by hash")
	}
	byHash := 0
	for p, n := range ta.requests {
		if strings.Contains(p, "/by-hash/SHA256/") {
			byHash += n
		}
	}
	if byHash != 1 {
		t.Errorf("%d by-hash requests, want 1: %v", byHash, ta.requests)
	}
}

func isNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}
