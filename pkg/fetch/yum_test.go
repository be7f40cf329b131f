package fetch

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/exitcode"
)

func TestYumRepoGeneratedRepodata(t *testing.T) {
	t.Parallel()
	rpms := buildTestRPMs(t, yumFixtureSpecs...)
	for _, g := range []yumGen{
		{sum: "sha256", compress: ".gz"},
		{sum: "sha512", compress: ".xz"},
		{sum: "sha256", compress: ".zst"},
	} {
		t.Run(g.sum+g.compress, func(t *testing.T) {
			t.Parallel()
			srv := newYumServer(t, generateRepodata(t, rpms, g))
			checkYumRepo(t, srv, rpms, g.sum)
		})
	}
}

// TestYumRepoCreaterepo reads repodata made by the real createrepo_c, in
// the forms it writes for EL and Fedora.
func TestYumRepoCreaterepo(t *testing.T) {
	t.Parallel()
	testtool.Require(t, "createrepo_c")
	rpms := buildTestRPMs(t, yumFixtureSpecs...)
	for _, tc := range []struct {
		name, sum string
		args      []string
		// elsewhere serves the packages under mirror/ and points
		// primary there with xml:base (createrepo_c --baseurl).
		elsewhere bool
	}{
		{"default", "sha256", nil, false},
		{"sha512 xz", "sha512", []string{"--checksum=sha512", "--general-compress-type=xz"}, false},
		{"bz2", "sha256", []string{"--general-compress-type=bz2"}, false},
		{"xml:base", "sha256", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newYumServer(t, nil)
			dir := t.TempDir()
			for _, p := range rpms {
				dst := filepath.Join(dir, filepath.FromSlash(p.href))
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(dst, p.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"--no-database", "--quiet"}, tc.args...)
			if tc.elsewhere {
				args = append(args, "--baseurl="+srv.URL+"/mirror/")
			}
			if out, err := exec.Command("createrepo_c", append(args, dir)...).CombinedOutput(); err != nil {
				t.Fatalf("createrepo_c: %v\n%s", err, out)
			}
			for p, data := range readRepoDir(t, dir) {
				if tc.elsewhere && !strings.HasPrefix(p, "repodata/") {
					p = "mirror/" + p
				}
				srv.set(p, data)
			}
			checkYumRepo(t, srv, rpms, tc.sum)
			if tc.elsewhere {
				pkgs, _ := (&YumRepo{BaseURL: srv.URL, Cache: newTestCache(t)}).Packages(context.Background())
				if len(pkgs) == 0 || pkgs[0].LocationBase != srv.URL+"/mirror/" {
					t.Errorf("xml:base not read: %+v", pkgs)
				}
			}
		})
	}
}

// checkYumRepo runs the whole happy path against a served repository.
func checkYumRepo(t *testing.T, srv *yumServer, rpms []testRPM, sum string) {
	t.Helper()
	ctx := context.Background()
	cache := newTestCache(t)
	repo := &YumRepo{BaseURL: srv.URL + "/", Cache: cache}

	pkgs, err := repo.Packages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != len(rpms) {
		t.Fatalf("Packages lists %d, want %d: %v", len(pkgs), len(rpms), pkgs)
	}
	for _, p := range pkgs {
		want := findTestRPM(t, rpms, p.Name, p.EVR(), p.Arch)
		if p.Location != want.href || p.Size != int64(len(want.data)) || p.Epoch != want.epoch ||
			p.Checksum != (RepoChecksum{Type: sum, Value: hexSum(sum, want.data)}) || p.Repo != srv.URL {
			t.Errorf("package %s = %+v, want href %s, size %d, %s checksum", p, p, want.href, len(want.data), sum)
		}
	}

	newest, err := repo.FindSRPM(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if newest.EVR() != "1.10-1" || newest.Arch != "src" || newest.FileName() != "hello-1.10-1.src.rpm" {
		t.Errorf("FindSRPM(hello) = %s, want hello-1.10-1.src (rpm order; the 9.9 binary is no source)", newest)
	}
	if p, err := repo.FindSRPMVersion(ctx, "hello", "1.9"); err != nil || p.EVR() != "1.9-10" {
		t.Errorf("FindSRPMVersion(hello, 1.9) = %s, %v; want 1.9-10", p, err)
	}
	if p, err := repo.FindSRPM(ctx, "goodbye"); err != nil || p.EVR() != "1:0.5-1" {
		t.Errorf("FindSRPM(goodbye) = %s, %v; want the epoch 1 package", p, err)
	}

	path, err := repo.FetchPackage(ctx, newest)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := findTestRPM(t, rpms, "hello", "1.10-1", "src"); !bytes.Equal(got, want.data) {
		t.Errorf("FetchPackage returned %d bytes that are not the built SRPM", len(got))
	}

	// A second fetch, even by a new YumRepo in a later run, is a cache hit.
	before := srv.count()
	again, err := (&YumRepo{BaseURL: srv.URL, Cache: cache}).FetchPackage(ctx, newest)
	if err != nil {
		t.Fatal(err)
	}
	if again != path || srv.count() != before {
		t.Errorf("second FetchPackage: %s after %s, %d requests; want the same file and none",
			again, path, srv.count()-before)
	}
}

// TestYumRepoFileURL reads a repository from a local directory, as for a
// mirror copy on disk.
func TestYumRepoFileURL(t *testing.T) {
	t.Parallel()
	rpms := buildTestRPMs(t, yumFixtureSpecs[:3]...)
	dir := t.TempDir()
	for p, data := range generateRepodata(t, rpms, yumGen{sum: "sha512"}) {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	repo := &YumRepo{BaseURL: "file://" + filepath.ToSlash(dir), Cache: newTestCache(t)}
	p, err := repo.FindSRPM(ctx, "hello")
	if err != nil || p.EVR() != "1.10-1" {
		t.Fatalf("FindSRPM = %s, %v", p, err)
	}
	path, err := repo.FetchPackage(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, findTestRPM(t, rpms, "hello", "1.10-1", "src").data) {
		t.Error("fetched file is not the SRPM")
	}
	// With a keyring, a local copy without repomd.xml.asc is refused too.
	signed := &YumRepo{BaseURL: repo.BaseURL, Keyring: openpgp.EntityList{newTestKey(t, "k")}, Cache: newTestCache(t)}
	if _, err := signed.Metadata(ctx); exitcode.Of(err) != exitcode.Verification {
		t.Errorf("unsigned local copy with a keyring: err = %v, want exit 4", err)
	}
}

func TestYumRepoMissingPackage(t *testing.T) {
	t.Parallel()
	rpms := buildTestRPMs(t, yumFixtureSpecs...)
	srv := newYumServer(t, generateRepodata(t, rpms, yumGen{}))
	repo := &YumRepo{BaseURL: srv.URL, Cache: newTestCache(t)}
	ctx := context.Background()

	for _, tc := range []struct {
		name     string
		find     func() (RepoPackage, error)
		wantText []string
	}{
		{"unknown name", func() (RepoPackage, error) { return repo.FindSRPM(ctx, "nothere") },
			[]string{"source package nothere", srv.URL}},
		{"unknown version", func() (RepoPackage, error) { return repo.FindSRPMVersion(ctx, "hello", "9.9") },
			[]string{"source package hello 9.9", srv.URL, "it has 1.10-1, 1.9-10, 1.9-2"}},
	} {
		_, err := tc.find()
		if !errors.Is(err, ErrNoSource) || exitcode.Of(err) != exitcode.Failure {
			t.Errorf("%s: err = %v (exit %d), want ErrNoSource, exit 1", tc.name, err, exitcode.Of(err))
			continue
		}
		for _, s := range tc.wantText {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", tc.name, err, s)
			}
		}
	}
}

func TestFindSRPMIn(t *testing.T) {
	t.Parallel()
	rpms := buildTestRPMs(t, yumFixtureSpecs...)
	pick := func(evrs ...string) []testRPM {
		var out []testRPM
		for _, evr := range evrs {
			out = append(out, findTestRPM(t, rpms, "hello", evr, "src"))
		}
		return out
	}
	// base holds the release's packages, updates a newer build; a copy
	// of base's newest in a mirror must not win over base.
	base := newYumServer(t, generateRepodata(t, pick("1.9-2", "1.9-10"), yumGen{}))
	updates := newYumServer(t, generateRepodata(t, pick("1.10-1"), yumGen{sum: "sha512"}))
	mirror := newYumServer(t, generateRepodata(t, pick("1.9-10"), yumGen{}))
	cache := newTestCache(t)
	repo := func(s *yumServer) *YumRepo { return &YumRepo{BaseURL: s.URL, Cache: cache} }
	ctx := context.Background()

	p, from, err := FindSRPMIn(ctx, []*YumRepo{repo(base), repo(updates)}, "hello")
	if err != nil || p.EVR() != "1.10-1" || from.BaseURL != updates.URL {
		t.Fatalf("FindSRPMIn = %s from %v, %v; want 1.10-1 from updates", p, from, err)
	}
	if _, err := from.FetchPackage(ctx, p); err != nil {
		t.Errorf("FetchPackage from the repo FindSRPMIn named: %v", err)
	}
	if _, err := repo(base).FetchPackage(ctx, p); err == nil {
		t.Error("FetchPackage accepted a package listed in another repository")
	}

	p, from, err = FindSRPMVersionIn(ctx, []*YumRepo{repo(base), repo(mirror), repo(updates)}, "hello", "1.9")
	if err != nil || p.EVR() != "1.9-10" || from.BaseURL != base.URL {
		t.Errorf("FindSRPMVersionIn(1.9) = %s from %v, %v; want 1.9-10 from the first repo", p, from, err)
	}

	_, _, err = FindSRPMIn(ctx, []*YumRepo{repo(base), repo(updates)}, "nothere")
	if !errors.Is(err, ErrNoSource) || !strings.Contains(err.Error(), base.URL) || !strings.Contains(err.Error(), updates.URL) {
		t.Errorf("miss: %v; want ErrNoSource naming both repositories", err)
	}

	// A repository that cannot be read fails the search: skipping it could
	// return a version its updates have replaced.
	broken := newYumServer(t, nil)
	if _, _, err := FindSRPMIn(ctx, []*YumRepo{repo(base), repo(broken)}, "hello"); err == nil || errors.Is(err, ErrNoSource) {
		t.Errorf("unreadable repository: err = %v, want a failure", err)
	}
}

func TestYumRepoRefusesUnexpandedVariables(t *testing.T) {
	t.Parallel()
	srv := newYumServer(t, nil)
	repo := &YumRepo{BaseURL: srv.URL + "/$releasever/BaseOS/$basearch/os", Cache: newTestCache(t)}
	_, err := repo.Packages(context.Background())
	if err == nil || !strings.Contains(err.Error(), "$basearch") || srv.count() != 0 {
		t.Errorf("err = %v after %d requests; want a message naming the variables and no request", err, srv.count())
	}
}

func TestYumRepoBinaryOnlyHint(t *testing.T) {
	t.Parallel()
	repo := &YumRepo{BaseURL: "http://127.0.0.1:9/os", Cache: newTestCache(t)}
	repo.packages = []RepoPackage{{Name: "httpd", Arch: "x86_64", Epoch: "0", Version: "2.4.62", Release: "1.el9"}}
	_, err := repo.FindSRPM(context.Background(), "httpd")
	if !errors.Is(err, ErrNoSource) || !strings.Contains(err.Error(), "only binary packages") {
		t.Errorf("err = %v, want a hint that sources live in another repository", err)
	}
}
