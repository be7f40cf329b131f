package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/deb"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/workspace"
)

// greetDsc makes greet 1.0-1, a 3.0 (quilt) source package, with the
// host's dpkg-source -b from greet 1.0's tarball and testdata/loop/deb's
// common packaging plus the overlays (e.g. "patched": a quilt series), and
// lays out a workspace as fetch does for a new upstream: packaging/ the
// source unpacked untouched, the tree the new upstream with its debian/.
// Every fixture has the same Build-Depends, so one dependency layer
// serves them all.
func greetDsc(t *testing.T, dpkgSource string, up greetRelease, overlays ...string) (*workspace.Workspace, *sources.Result) {
	t.Helper()
	dir := t.TempDir()
	origName, origData := greetV1().tarball(t, false)
	orig := filepath.Join(dir, "greet_1.0.orig.tar.gz")
	writeLoopFile(t, orig, origData)
	src := filepath.Join(dir, "greet-1.0")
	for name, body := range greetV1().files() {
		writeLoopFile(t, filepath.Join(src, name), []byte(body))
	}
	for _, o := range append([]string{"common"}, overlays...) {
		copyLoopFixture(t, filepath.Join("deb", o), src)
	}
	cmd := exec.Command(dpkgSource, "-b", "greet-1.0")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dpkg-source -b (from %s): %v\n%s", origName, err, out)
	}
	dsc := filepath.Join(dir, "greet_1.0-1.dsc")

	ws, err := workspace.Open(t.TempDir(), workspace.Key{Name: "greet", Version: up.version, Target: "debian-12"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	ctx := context.Background()
	packaging, err := deb.UnpackSource(ctx, dsc, filepath.Join(ws.Dir, "packaging"))
	if err != nil {
		t.Fatal(err)
	}
	upName, upData := up.tarball(t, false)
	upPath := filepath.Join(ws.Sources(), upName)
	writeLoopFile(t, upPath, upData)
	tree, err := deb.UnpackNewUpstream(ctx, dsc, upPath, up.version, ws.Tree())
	if err != nil {
		t.Fatal(err)
	}
	return ws, &sources.Result{
		Name: "greet", Version: up.version, Target: "debian-12", Family: "deb",
		DistroSource: "greet", DistroVersion: "1.0-1", NewUpstream: true,
		Files: []sources.File{
			{Role: "dsc", Name: filepath.Base(dsc), Path: dsc},
			{Role: "orig", Name: filepath.Base(orig), Path: orig},
			{Role: "debian", Name: "greet_1.0-1.debian.tar.xz", Path: filepath.Join(dir, "greet_1.0-1.debian.tar.xz")},
			{Role: "upstream", Name: upName, Path: upPath},
		},
		Workspace: ws.Dir, Packaging: packaging, Tree: tree,
	}
}

// greetFuzzed is greet 2.0 where the distro patch's hunk moved down two
// lines and its first context line changed: it applies only with offset
// and fuzz 1.
var greetFuzzed = strings.Replace(greet10, "# greet: prints a greeting.\n",
	"# greet 2.0: see NEWS.\n# Usage: greet\n# greet: prints a friendly greeting.\n", 1)

// greetConflicting is greet 2.0 with upstream's own new greeting on the
// line the distro patch changes: no fuzz makes the patch apply.
var greetConflicting = strings.Replace(greet10, `greeting="hello"`, `greeting="howdy"`, 1)

// TestPodmanLoopDeb runs the loop for real on the debian-12 builder (the
// one TestPodmanBuildHello uses) with one fixture per failure class.
func TestPodmanLoopDeb(t *testing.T) {
	testtool.Require(t, "podman")
	testtool.Require(t, "debootstrap")
	testtool.Require(t, "patch")
	testtool.Require(t, "tar")
	dpkgSource := testtool.Require(t, "dpkg-source")
	dpkgDeb := testtool.Require(t, "dpkg-deb")
	testtool.RequireRoot(t)
	tgt := hostTarget(t)
	rt := loopEngine(t)
	loopOptions := func(t *testing.T, ws *workspace.Workspace, src *sources.Result) LoopOptions {
		return LoopOptions{
			Options: Options{
				Runtime: rt, Target: tgt, Workspace: ws, Sources: src, OutDir: t.TempDir(),
				BuilderRef: testBuilderRef, Maintainer: "Backport Test <test@example.org>",
				CCacheDir: "off", Now: loopTime,
			},
			MaxAttempts: 4,
			Packaging:   PackagingChoice{Suite: "bookworm", Version: src.DistroVersion, Reason: "the fixture's own packaging"},
		}
	}
	// run runs the loop and logs how it went; a loop that must go green
	// and did not shows the last attempt's log.
	run := func(t *testing.T, lo LoopOptions, wantGreen bool) (*Report, error) {
		t.Helper()
		start := time.Now()
		rep, err := Loop(context.Background(), lo)
		t.Logf("%s in %s: %s", t.Name(), time.Since(start).Round(time.Millisecond), describeAttempts(rep))
		logCauses(t, rep)
		if wantGreen && err != nil {
			showLastLog(t, lo.Workspace, rep)
			t.Fatalf("Loop: %v", err)
		}
		return rep, err
	}
	// greenPackage checks the one .deb of a green loop: its version, its
	// files, and the greeting line /usr/bin/greet ships.
	greenPackage := func(t *testing.T, rep *Report, files []string, greeting string) {
		t.Helper()
		if rep.Hotfix != "2.0-0~bp1" || len(rep.Packages) != 1 {
			t.Fatalf("hotfix %q, packages %v; want 2.0-0~bp1, one .deb", rep.Hotfix, rep.Packages)
		}
		p := rep.Packages[0]
		if v, err := exec.Command(dpkgDeb, "-f", p, "Version").Output(); err != nil || strings.TrimSpace(string(v)) != "2.0-0~bp1" {
			t.Errorf("dpkg-deb -f %s Version = %q, %v", filepath.Base(p), v, err)
		}
		if got := debFiles(t, dpkgDeb, p); !slices.Equal(got, files) {
			t.Errorf("%s holds %q, want %q", filepath.Base(p), got, files)
		}
		if got := debFile(t, dpkgDeb, p, "./usr/bin/greet"); !strings.Contains(got, greeting+"\n") {
			t.Errorf("the packaged /usr/bin/greet lacks %s:\n%s", greeting, got)
		}
	}
	const copyright = "/usr/share/doc/greet/copyright"
	changelog := "/usr/share/doc/greet/changelog.Debian.gz"

	t.Run("unpackaged-files", func(t *testing.T) {
		ws, src := greetDsc(t, dpkgSource, greetV2(func(r *greetRelease) { r.farewell = true }))
		rep, _ := run(t, loopOptions(t, ws, src), true)
		requireGreenReport(t, rep, 2, "unpackaged-files", nil, []string{"+usr/share/greet/farewell"})
		greenPackage(t, rep, []string{"/usr/bin/greet", changelog, copyright, "/usr/share/greet/farewell", "/usr/share/greet/motd"}, `greeting="hello"`)
	})

	t.Run("missing-files", func(t *testing.T) {
		ws, src := greetDsc(t, dpkgSource, greetV2(func(r *greetRelease) { r.motd = false }))
		rep, _ := run(t, loopOptions(t, ws, src), true)
		requireGreenReport(t, rep, 2, "missing-files", nil, []string{"-usr/share/greet/motd"})
		greenPackage(t, rep, []string{"/usr/bin/greet", changelog, copyright}, `greeting="hello"`)
	})

	t.Run("tests-failed", func(t *testing.T) {
		ws, src := greetDsc(t, dpkgSource, greetV2(func(r *greetRelease) { r.failing = true }))
		lo := loopOptions(t, ws, src)
		rep, err := run(t, lo, false)
		if exitcode.Of(err) != exitcode.BuildRed || rep.Status != "stopped" || len(rep.Attempts) != 1 {
			t.Fatalf("without --allow-skip-tests: err %v (exit %d), status %s, %s; want exit 3 after one attempt",
				err, exitcode.Of(err), rep.Status, describeAttempts(rep))
		}
		if c := rep.Attempts[0].Cause; c == nil || c.Class != "tests-failed" || !strings.Contains(rep.StopReason, "--allow-skip-tests") {
			t.Errorf("cause %+v, stop %q; want tests-failed, a hint at --allow-skip-tests", c, rep.StopReason)
		}
		if len(rep.Packages) != 0 || rep.Nocheck {
			t.Errorf("a stopped loop reports packages %v, tests skipped %v", rep.Packages, rep.Nocheck)
		}

		lo.AllowSkipTests = true
		rep, _ = run(t, lo, true)
		requireGreenReport(t, rep, 2, "tests-failed", nil, nil)
		if !rep.Nocheck || !rep.Remedies[0].Nocheck {
			t.Errorf("the report does not say the tests were skipped: %+v", rep.Remedies)
		}
		if md, err := os.ReadFile(rep.Files.Markdown); err != nil || !strings.Contains(string(md), "Tests were skipped") {
			t.Errorf("report.md (%v) does not say the tests were skipped:\n%s", err, md)
		}
		greenPackage(t, rep, []string{"/usr/bin/greet", changelog, copyright, "/usr/share/greet/motd"}, `greeting="hello"`)
	})

	// No false green: the refreshed patch is in the package, on top of
	// 2.0's own change to the comment.
	t.Run("patch-fuzz", func(t *testing.T) {
		ws, src := greetDsc(t, dpkgSource, greetV2(func(r *greetRelease) { r.program = greetFuzzed }), "patched")
		rep, _ := run(t, loopOptions(t, ws, src), true)
		requireGreenReport(t, rep, 1, "", []string{"greet-world.patch: refreshed"},
			[]string{"-@@ -2,7 +2,7 @@", "+@@ -4,7 +4,7 @@", "+ # greet: prints a friendly greeting."})
		greenPackage(t, rep, []string{"/usr/bin/greet", changelog, copyright, "/usr/share/greet/motd"}, `greeting="hello, world"`)
		if got := debFile(t, dpkgDeb, rep.Packages[0], "./usr/bin/greet"); !strings.Contains(got, "# greet 2.0: see NEWS.\n") {
			t.Errorf("the packaged /usr/bin/greet is not 2.0's:\n%s", got)
		}
	})

	// A conflict stops in the preparation, before any container runs,
	// with the failing hunk in the report; --drop-conflicting-patches
	// drops it and says so.
	t.Run("patch-conflict", func(t *testing.T) {
		ws, src := greetDsc(t, dpkgSource, greetV2(func(r *greetRelease) { r.program = greetConflicting }), "patched")
		lo := loopOptions(t, ws, src)
		runs, keeps := rt.runs.Load(), rt.keeps.Load()
		rep, err := run(t, lo, false)
		if exitcode.Of(err) != exitcode.BuildRed || rep.Status != "stopped" || len(rep.Attempts) != 1 {
			t.Fatalf("err %v (exit %d), status %s, %s; want exit 3 after one attempt", err, exitcode.Of(err), rep.Status, describeAttempts(rep))
		}
		if n, k := rt.runs.Load()-runs, rt.keeps.Load()-keeps; n != 0 || k != 0 {
			t.Errorf("a patch conflict ran %d build and %d setup container(s); want none", n, k)
		}
		if c := rep.Attempts[0].Cause; c == nil || c.Class != "patch-conflict" || !slices.Contains(c.Evidence, `-greeting="hello"`) {
			t.Errorf("cause %+v; want patch-conflict with the failing hunk as evidence", c)
		}
		if len(rep.Patches) != 1 || rep.Patches[0].Fate != "conflict" || !strings.Contains(rep.Patches[0].FailedHunks, "+greeting=\"hello, world\"\n") {
			t.Errorf("patches %+v; want greet-world.patch in conflict with its failing hunk", rep.Patches)
		}
		if !strings.Contains(rep.StopReason, "--drop-conflicting-patches") {
			t.Errorf("stop reason %q does not name --drop-conflicting-patches", rep.StopReason)
		}
		if md, err := os.ReadFile(rep.Files.Markdown); err != nil || !strings.Contains(string(md), "Failing hunks of `greet-world.patch`") {
			t.Errorf("report.md (%v) lacks the failing hunks:\n%s", err, md)
		}

		lo.DropConflictingPatches = true
		rep, _ = run(t, lo, true)
		requireGreenReport(t, rep, 1, "", []string{"greet-world.patch: dropped: conflicting"}, []string{"-greet-world.patch"})
		greenPackage(t, rep, []string{"/usr/bin/greet", changelog, copyright, "/usr/share/greet/motd"}, `greeting="howdy"`)
	})

	// One dependency layer for every fixture: at most one setup container
	// (none when an earlier run left the layer).
	if k := rt.keeps.Load(); k > 1 {
		t.Errorf("%d setup containers ran; every fixture has the same Build-Depends, so want at most 1", k)
	}
}

// debFiles lists the regular files of a .deb, sorted, as absolute paths.
func debFiles(t *testing.T, dpkgDeb, pkg string) []string {
	t.Helper()
	out, err := exec.Command(dpkgDeb, "-c", pkg).Output()
	if err != nil {
		t.Fatalf("dpkg-deb -c %s: %v", filepath.Base(pkg), err)
	}
	var files []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "-") {
			continue // directories and links
		}
		files = append(files, strings.TrimPrefix(f[len(f)-1], "."))
	}
	slices.Sort(files)
	return files
}

// debFile is one file of a .deb's data, read with dpkg-deb and tar.
func debFile(t *testing.T, dpkgDeb, pkg, member string) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `"$1" --fsys-tarfile "$2" | tar -xOf - "$3"`, "sh", dpkgDeb, pkg, member).Output()
	if err != nil {
		t.Fatalf("%s from %s: %v", member, filepath.Base(pkg), err)
	}
	return string(out)
}
