package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/rpm"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/workspace"
)

// testRPMBuilderRef is the rpm builder image of the integration tests.
const testRPMBuilderRef = "localhost/backport-test/builder:el9"

const hellorpmPatch = `--- a/hellorpm
+++ b/hellorpm
@@ -1,2 +1,2 @@
 #!/bin/sh
-echo hello
+echo hello, patched
`

// hellorpmTarball is hellorpm-1.0.tar.gz: one shell program.
func hellorpmTarball(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body := "#!/bin/sh\necho hello\n"
	for _, h := range []*tar.Header{
		{Name: "hellorpm-1.0/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "hellorpm-1.0/hellorpm", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(body))},
	} {
		h.ModTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(body)); err != nil {
				t.Fatal(err)
			}
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

// hellorpmSRPM packs the project-written spec and sources into an SRPM
// with the host's rpmbuild -bs, extracts it into a fresh workspace as fetch
// would, and returns what fetch would return.
func hellorpmSRPM(t *testing.T, rpmbuild, root string) (*workspace.Workspace, *sources.Result) {
	t.Helper()
	top := t.TempDir()
	hellorpmTree(t, filepath.Join(top, "SOURCES"), hellorpmTarball(t), hellorpmPatch)
	specs := filepath.Join(top, "SPECS")
	if err := os.MkdirAll(specs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(top, "SOURCES", "hellorpm.spec"), filepath.Join(specs, "hellorpm.spec")); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(rpmbuild, "-bs", "--define", "_topdir "+top, "--undefine", "dist",
		filepath.Join(specs, "hellorpm.spec")).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild -bs: %v\n%s", err, out)
	}
	srpms, _ := filepath.Glob(filepath.Join(top, "SRPMS", "*.src.rpm"))
	if len(srpms) != 1 {
		t.Fatalf("rpmbuild -bs made %v\n%s", srpms, out)
	}

	ws, err := workspace.Open(root, workspace.Key{Name: "hellorpm", Version: "1.0", Target: "el9"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	tree := filepath.Join(ws.Tree(), "hellorpm-1.0")
	pkg, _, err := rpm.ExtractSRPM(context.Background(), srpms[0], tree)
	if err != nil {
		t.Fatal(err)
	}
	return ws, &sources.Result{
		Name: "hellorpm", Version: "1.0", Target: "el9", Family: "rpm",
		DistroSource: pkg.Name, DistroVersion: pkg.Version + "-" + pkg.Release, Workspace: ws.Dir, Tree: tree,
		Files: []sources.File{{Role: "srpm", Name: filepath.Base(srpms[0]), Path: srpms[0]}},
	}
}

func TestPodmanBuildSRPM(t *testing.T) {
	testtool.Require(t, "podman")
	testtool.Require(t, "debootstrap")
	rpmbuild := testtool.Require(t, "rpmbuild")
	rpmBin := testtool.Require(t, "rpm")
	testtool.RequireRoot(t)
	// The rpm builder is bootstrapped from the host's Debian mirror, on the
	// suite of the tests' debian-12 builder.
	deb := hostTarget(t)
	engine, err := container.NewEngine(container.Podman, container.Options{
		ConfigDir: t.TempDir(),
		Notify:    func(msg string) { t.Log("notice: " + msg) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ws, src := hellorpmSRPM(t, rpmbuild, t.TempDir())
	if src.DistroVersion != "1.0-1" {
		t.Fatalf("SRPM version %s, want 1.0-1", src.DistroVersion)
	}
	out := t.TempDir()
	tgt := recipe.Target{Name: "el9", Family: recipe.FamilyRPM, Vendor: recipe.VendorEL, Release: "9", DistTag: ".el9"}
	start := time.Now()
	res, err := Run(context.Background(), Options{
		Runtime: engine, Target: tgt, Workspace: ws, Sources: src, OutDir: out,
		BuilderRef: testRPMBuilderRef, DebianMirror: deb.Mirror, DebianSuite: deb.Codename,
		Maintainer: "Backport Test <test@example.org>",
	})
	if err != nil {
		showLog(t, ws.LogPath(1))
		t.Fatalf("Run: %v", err)
	}
	t.Logf("srpm build: %s; steps %s", time.Since(start).Round(time.Millisecond), describeSteps(res.Steps))
	if res.Version != "1.0-1.el9.bp1" {
		t.Errorf("hotfix version = %q, want 1.0-1.el9.bp1", res.Version)
	}
	wantDir := filepath.Join(ws.Dir, "out", "packages")
	var bin, srpm string
	for _, p := range res.Packages {
		if filepath.Dir(p) != wantDir {
			t.Errorf("package %s not in %s", p, wantDir)
		}
		switch {
		case strings.HasSuffix(p, ".src.rpm"):
			srpm = p
		case strings.HasSuffix(p, ".rpm"):
			bin = p
		}
	}
	if bin == "" || srpm == "" {
		t.Fatalf("packages %v: want a binary rpm and an SRPM", res.Packages)
	}
	for _, p := range []string{bin, srpm} {
		v, err := exec.Command(rpmBin, "-qp", "--qf", "%{VERSION}-%{RELEASE}", p).Output()
		if err != nil || string(v) != "1.0-1.el9.bp1" {
			t.Errorf("rpm -qp %s = %q, %v; want 1.0-1.el9.bp1", filepath.Base(p), v, err)
		}
	}
	cl, err := exec.Command(rpmBin, "-qp", "--changelog", bin).Output()
	if err != nil || !strings.Contains(string(cl), "1.0-1.bp1") {
		t.Errorf("rpm -qp --changelog = %q, %v; want the hotfix entry", cl, err)
	}
}
