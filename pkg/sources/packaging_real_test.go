package sources_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pault.ag/go/debian/version"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/fetch"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/workspace"
	"github.com/backport/backport/specs"
)

// TestRealPackagingAuto resolves jq for debian-12, at the upstream version
// unstable packages, with --packaging auto against the mirror of the
// host's apt sources: unstable's packaging must be chosen, while the
// target's version stays bookworm's. It reads the Sources indexes of
// bookworm, trixie and unstable (about 35 MB) and jq's source package.
func TestRealPackagingAuto(t *testing.T) {
	if testing.Short() {
		t.Skip("real-mirror test skipped in -short mode")
	}
	m, err := recipe.HostMirrors("/")
	if err != nil {
		testtool.SkipOrFail(t, "no Debian mirror in the host's apt sources: %v", err)
	}
	tgt, err := recipe.LookupTarget(recipe.Config{Host: m}, "debian-12")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tgt.Keyring); err != nil {
		t.Fatalf("the Debian archive keyring is needed with a Debian mirror: %v", err)
	}
	r, _, err := recipe.Store{Embedded: specs.FS}.Load("jq")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cache, err := fetch.NewCache(filepath.Join(t.TempDir(), "cache"), fetch.NewClient(fetch.ClientOptions{Logger: log}))
	if err != nil {
		t.Fatal(err)
	}

	// What unstable has today decides the version asked for.
	archive := &fetch.DebianArchive{Mirror: tgt.Mirror, Keyring: tgt.Keyring, Cache: cache, Logger: log}
	sid, err := archive.FindSource(ctx, []fetch.SuiteRef{{Suite: "unstable"}}, "jq")
	if err != nil {
		t.Fatal(err)
	}
	v, err := version.Parse(sid.Version)
	if err != nil {
		t.Fatal(err)
	}
	upstream := v.Version

	ws, err := workspace.Open(filepath.Join(t.TempDir(), "work"), workspace.Key{Name: "jq", Version: upstream, Target: tgt.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	res, err := sources.Fetch(ctx, sources.Request{
		Recipe: r, Version: upstream, Target: tgt, Cache: cache, Workspace: ws, Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("jq %s: %s %s from %s; target runs %s; %s", upstream, res.DistroSource, res.DistroVersion, res.DistroSuite, res.TargetVersion, res.PackagingReason)
	if res.PackagingSuite != "unstable" || res.DistroVersion != sid.Version {
		t.Errorf("packaging %s (%s), want unstable's %s", res.DistroVersion, res.PackagingSuite, sid.Version)
	}
	if !strings.Contains(res.TargetVersion, "deb12") && !strings.HasPrefix(res.TargetVersion, "1.6") {
		t.Errorf("target version %q, want bookworm's jq", res.TargetVersion)
	}
	if res.NewUpstream {
		t.Error("unstable packages the very upstream asked for, yet the tree needs a new upstream")
	}
	if _, err := os.Stat(filepath.Join(res.Tree, "debian", "control")); err != nil {
		t.Error(err)
	}
	// This mirror's pool has lacked unstable's jq .dsc, which is then
	// written from the index; either way dpkg-source must accept it.
	requireDpkgSourceAccepts(t, fileByRole(t, res, "dsc").Path)
	t.Logf("dsc: %s", fileByRole(t, res, "dsc").VerifiedBy)
}

// testWriter sends log output to t.Log, so a stale-mirror warning shows.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// requireDpkgSourceAccepts extracts the .dsc with dpkg-source, which
// checks every file's size, MD5 and SHA-256 against it.
func requireDpkgSourceAccepts(t *testing.T, dsc string) {
	t.Helper()
	testtool.Require(t, "dpkg-source")
	out := filepath.Join(t.TempDir(), "x")
	cmd := exec.Command("dpkg-source", "--no-copy", "--skip-patches", "-x", dsc, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dpkg-source -x %s: %v\n%s", dsc, err, b)
	}
}
