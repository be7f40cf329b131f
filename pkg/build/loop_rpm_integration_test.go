package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/rpm"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/workspace"
)

// The loop's fixture packages: "greet", a shell program with a Makefile,
// whose packaging (testdata/loop) was written for upstream 1.0, and whose
// 2.0 releases each show one failure class. Upstream trees are generated
// here so that each case says in one struct what changed; the packaging
// is kept as files, the way a distro ships it.

// greet10 is greet 1.0's program. testdata/loop's greet-world.patch is
// made against it: it turns "hello" into "hello, world".
const greet10 = `#!/bin/sh
# greet: prints a greeting.
set -e

greeting="hello"

echo "$greeting"
exit 0
`

// greetRelease is one upstream release of greet.
type greetRelease struct {
	version  string
	program  string // the greet script
	motd     bool   // installs share/greet/motd, as 1.0 does
	farewell bool   // also installs share/greet/farewell, new in this release
	failing  bool   // its test suite fails
}

func greetV1() greetRelease { return greetRelease{version: "1.0", program: greet10, motd: true} }

// greetV2 is 2.0 as 1.0 with edit applied.
func greetV2(edit func(r *greetRelease)) greetRelease {
	r := greetV1()
	r.version = "2.0"
	if edit != nil {
		edit(&r)
	}
	return r
}

// files is the release's tree, relative to its top directory.
func (r greetRelease) files() map[string]string {
	var install strings.Builder
	install.WriteString("\tinstall -D -m 0755 greet $(DESTDIR)$(prefix)/bin/greet\n")
	files := map[string]string{
		"greet": r.program,
		"NEWS":  "greet " + r.version + "\n",
	}
	if r.motd {
		install.WriteString("\tinstall -D -m 0644 motd $(DESTDIR)$(prefix)/share/greet/motd\n")
		files["motd"] = "Have a nice day.\n"
	}
	if r.farewell {
		install.WriteString("\tinstall -D -m 0644 farewell $(DESTDIR)$(prefix)/share/greet/farewell\n")
		files["farewell"] = "Goodbye.\n"
	}
	check := "\ttest -s greet.out\n"
	if r.failing {
		check = "\t@echo \"FAIL: greet --version prints the version\"; exit 1\n"
	}
	files["Makefile"] = "prefix = /usr\n\nall: greet.out\n\ngreet.out: greet\n\tsh ./greet > greet.out\n\n" +
		"check: greet.out\n" + check + "\ninstall: greet.out\n" + install.String() +
		"\nclean:\n\trm -f greet.out\n\n.PHONY: all check install clean\n"
	return files
}

// tarball packs the release as greet-<version>/ into a .tar.gz, or a
// .tar.xz (with the host's xz) when xz is set.
func (r greetRelease) tarball(t *testing.T, xz bool) (name string, data []byte) {
	t.Helper()
	files := r.files()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	top := "greet-" + r.version
	mtime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var tarData bytes.Buffer
	tw := tar.NewWriter(&tarData)
	if err := tw.WriteHeader(&tar.Header{Name: top + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime}); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		mode := int64(0o644)
		if n == "greet" {
			mode = 0o755
		}
		body := files[n]
		if err := tw.WriteHeader(&tar.Header{Name: top + "/" + n, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(body)), ModTime: mtime}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if xz {
		cmd := exec.Command(testtool.Require(t, "xz"), "-c")
		cmd.Stdin = &tarData
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("xz: %v", err)
		}
		return top + ".tar.xz", out
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(tarData.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return top + ".tar.gz", gz.Bytes()
}

// loopEngine is the real podman, retrying with backport's containers.conf
// where the host needs it, counted so that a case can prove that no
// container ran.
func loopEngine(t *testing.T) *countingRuntime {
	t.Helper()
	engine, err := container.NewEngine(container.Podman, container.Options{
		ConfigDir: t.TempDir(),
		Notify:    func(msg string) { t.Log("notice: " + msg) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &countingRuntime{Runtime: engine}
}

// copyLoopFixture copies testdata/loop/<rel> into dst, keeping modes.
func copyLoopFixture(t *testing.T, rel, dst string) {
	t.Helper()
	if err := copyTree(context.Background(), filepath.Join("testdata", "loop", rel), dst); err != nil {
		t.Fatal(err)
	}
}

func writeLoopFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// loopTime dates every fixture's changelog entry.
var loopTime = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)

// greetSRPM packs testdata/loop/rpm/<fixture> and greet 1.0's tarball
// into an SRPM with the host's rpmbuild -bs, and lays out a workspace as
// fetch does for a new upstream: packaging/ the SRPM untouched, the tree
// the SRPM plus the new upstream tarball beside the spec.
func greetSRPM(t *testing.T, rpmbuild, fixture string, up greetRelease, xz bool) (*workspace.Workspace, *sources.Result) {
	t.Helper()
	top := t.TempDir()
	copyLoopFixture(t, filepath.Join("rpm", fixture), filepath.Join(top, "SOURCES"))
	oldName, oldData := greetV1().tarball(t, false)
	writeLoopFile(t, filepath.Join(top, "SOURCES", oldName), oldData)
	spec := filepath.Join(top, "SPECS", "greet.spec")
	if err := os.MkdirAll(filepath.Dir(spec), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(top, "SOURCES", "greet.spec"), spec); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(rpmbuild, "-bs", "--define", "_topdir "+top, "--undefine", "dist", spec).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild -bs: %v\n%s", err, out)
	}
	srpm := filepath.Join(top, "SRPMS", "greet-1.0-1.src.rpm")

	ws, err := workspace.Open(t.TempDir(), workspace.Key{Name: "greet", Version: up.version, Target: "el9"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	packaging := filepath.Join(ws.Dir, "packaging")
	pkg, _, err := rpm.ExtractSRPM(context.Background(), srpm, packaging)
	if err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(ws.Tree(), "greet-"+up.version)
	if _, _, err := rpm.ExtractSRPM(context.Background(), srpm, tree); err != nil {
		t.Fatal(err)
	}
	upName, upData := up.tarball(t, xz)
	upPath := filepath.Join(ws.Sources(), upName)
	writeLoopFile(t, upPath, upData)
	writeLoopFile(t, filepath.Join(tree, upName), upData)
	return ws, &sources.Result{
		Name: "greet", Version: up.version, Target: "el9", Family: "rpm",
		DistroSource: pkg.Name, DistroVersion: pkg.Version + "-" + pkg.Release, NewUpstream: true,
		Files: []sources.File{
			{Role: "srpm", Name: filepath.Base(srpm), Path: srpm},
			{Role: "upstream", Name: upName, Path: upPath},
		},
		Workspace: ws.Dir, Packaging: packaging, Tree: tree,
	}
}

// TestPodmanLoopRPM runs the loop for real on the rpm builder (the one
// TestPodmanBuildSRPM uses) with one fixture per failure class the loop
// must fix for an RPM spec; each must end green with the fix in the
// report, in packaging.diff and in the built package.
func TestPodmanLoopRPM(t *testing.T) {
	testtool.Require(t, "podman")
	testtool.Require(t, "debootstrap")
	testtool.Require(t, "patch")
	rpmbuild := testtool.Require(t, "rpmbuild")
	rpmBin := testtool.Require(t, "rpm")
	testtool.Require(t, "rpm2cpio")
	testtool.Require(t, "cpio")
	testtool.RequireRoot(t)
	deb := hostTarget(t)
	rt := loopEngine(t)

	tests := []struct {
		name     string
		fixture  string // testdata/loop/rpm/<fixture>
		up       greetRelease
		xz       bool // upstream now ships .tar.xz
		attempts int
		remedy   string // the remedy after attempt 1; "" when none ran
		patches  []string
		diff     []string // lines packaging.diff must hold
		files    []string // rpm -qlp of the binary package
		greeting string   // the greeting line /usr/bin/greet ships
	}{
		{
			name: "patch-upstreamed", fixture: "patched",
			up:       greetV2(func(r *greetRelease) { r.program = strings.Replace(greet10, `"hello"`, `"hello, world"`, 1) }),
			attempts: 1, patches: []string{"greet-world.patch: dropped: upstreamed"},
			diff:     []string{"-Patch0:         greet-world.patch", "-%patch -P 0 -p1", "+Version:        2.0"},
			files:    []string{"/usr/bin/greet", "/usr/share/greet/motd"},
			greeting: `greeting="hello, world"`,
		},
		{
			name: "unpackaged-files", fixture: "plain",
			up:       greetV2(func(r *greetRelease) { r.farewell = true }),
			attempts: 2, remedy: "unpackaged-files",
			diff:     []string{"+/usr/share/greet/farewell"},
			files:    []string{"/usr/bin/greet", "/usr/share/greet/farewell", "/usr/share/greet/motd"},
			greeting: `greeting="hello"`,
		},
		{
			name: "missing-files", fixture: "plain",
			up:       greetV2(func(r *greetRelease) { r.motd = false }),
			attempts: 2, remedy: "missing-files",
			diff:     []string{"-%{_datadir}/greet/motd"},
			files:    []string{"/usr/bin/greet"},
			greeting: `greeting="hello"`,
		},
		{
			name: "source-renamed", fixture: "plain",
			up: greetV2(nil), xz: true,
			attempts: 2, remedy: "source-renamed",
			diff: []string{
				"-Source0:        https://example.org/greet/releases/%{name}-%{version}.tar.gz",
				"+Source0:        https://example.org/greet/releases/%{name}-%{version}.tar.xz",
			},
			files:    []string{"/usr/bin/greet", "/usr/share/greet/motd"},
			greeting: `greeting="hello"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws, src := greetSRPM(t, rpmbuild, tc.fixture, tc.up, tc.xz)
			lo := LoopOptions{
				Options: Options{
					Runtime: rt, Target: el9Target(), Workspace: ws, Sources: src, OutDir: t.TempDir(),
					BuilderRef: testRPMBuilderRef, DebianMirror: deb.Mirror, DebianSuite: deb.Codename,
					Maintainer: "Backport Test <test@example.org>", CCacheDir: "off", Now: loopTime,
				},
				MaxAttempts: 4,
				Packaging:   PackagingChoice{Version: src.DistroVersion, Reason: "the fixture's own packaging"},
			}
			start := time.Now()
			rep, err := Loop(context.Background(), lo)
			t.Logf("%s: %s, %s", tc.name, time.Since(start).Round(time.Millisecond), describeAttempts(rep))
			logCauses(t, rep)
			if err != nil {
				showLastLog(t, ws, rep)
				t.Fatalf("Loop: %v", err)
			}
			requireGreenReport(t, rep, tc.attempts, tc.remedy, tc.patches, tc.diff)
			if rep.Hotfix != "2.0-0.bp1.el9" {
				t.Errorf("hotfix version %q, want 2.0-0.bp1.el9", rep.Hotfix)
			}
			bin := ""
			for _, p := range rep.Packages {
				v, err := exec.Command(rpmBin, "-qp", "--qf", "%{VERSION}-%{RELEASE}", p).Output()
				if err != nil || string(v) != "2.0-0.bp1.el9" {
					t.Errorf("rpm -qp %s = %q, %v; want 2.0-0.bp1.el9", filepath.Base(p), v, err)
				}
				if !strings.HasSuffix(p, ".src.rpm") {
					bin = p
				}
			}
			if bin == "" {
				t.Fatalf("no binary rpm among %v", rep.Packages)
			}
			out, err := exec.Command(rpmBin, "-qlp", bin).Output()
			if got := strings.Fields(string(out)); err != nil || !slices.Equal(got, tc.files) {
				t.Errorf("rpm -qlp %s = %q, %v; want %q", filepath.Base(bin), got, err, tc.files)
			}
			if got := rpmMember(t, bin, "./usr/bin/greet"); !strings.Contains(got, tc.greeting+"\n") {
				t.Errorf("the packaged /usr/bin/greet lacks %s:\n%s", tc.greeting, got)
			}
		})
	}
}

// rpmMember is one file of a binary rpm's payload.
func rpmMember(t *testing.T, pkg, member string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", `rpm2cpio "$1" | cpio -i --quiet --to-stdout "$2"`, "sh", pkg, member)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rpm2cpio %s | cpio %s: %v", filepath.Base(pkg), member, err)
	}
	return string(out)
}

// requireGreenReport checks a green loop's report: the attempts, the one
// remedy that ran after attempt 1 (if any), each patch's fate as
// "name: fate", and the lines packaging.diff must hold; report.json and
// report.md must say the same.
func requireGreenReport(t *testing.T, rep *Report, attempts int, remedy string, patches, diffLines []string) {
	t.Helper()
	if rep.Status != "green" || len(rep.Attempts) != attempts {
		t.Fatalf("status %s after %d attempt(s) (%s); want green after %d", rep.Status, len(rep.Attempts), describeAttempts(rep), attempts)
	}
	if remedy == "" && len(rep.Remedies) > 0 {
		t.Errorf("remedies %+v; want none", rep.Remedies)
	}
	if remedy != "" {
		if len(rep.Remedies) != 1 || rep.Remedies[0].Name != remedy || rep.Remedies[0].Attempt != 1 {
			t.Errorf("remedies %+v; want %s after attempt 1", rep.Remedies, remedy)
		}
		if a := rep.Attempts[0]; a.Outcome != "red" || a.Cause == nil || a.Cause.Class != remedy || a.Remedy != remedy {
			t.Errorf("attempt 1: outcome %s, cause %+v, remedy %q; want red, %s", a.Outcome, a.Cause, a.Remedy, remedy)
		}
	}
	var fates []string
	for _, p := range rep.Patches {
		fates = append(fates, p.Name+": "+p.Fate)
	}
	if !slices.Equal(fates, patches) {
		t.Errorf("patches %q, want %q", fates, patches)
	}
	diff, err := os.ReadFile(rep.Files.PackagingDiff)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(diff), "\n")
	for _, want := range diffLines {
		if !slices.Contains(lines, want) {
			t.Errorf("packaging.diff lacks the line %q:\n%s", want, diff)
		}
	}
	md, err := os.ReadFile(rep.Files.Markdown)
	if err != nil || !strings.Contains(string(md), ": GREEN") {
		t.Errorf("report.md does not say GREEN (%v):\n%s", err, md)
	}
	for _, p := range rep.Patches {
		if !slices.ContainsFunc(strings.Split(string(md), "\n"), func(l string) bool {
			return strings.HasPrefix(l, "| "+p.Name+" |") && strings.Contains(l, p.Fate)
		}) {
			t.Errorf("report.md lacks %s's fate %q:\n%s", p.Name, p.Fate, md)
		}
	}
	var got Report
	if data, err := os.ReadFile(rep.Files.JSON); err != nil || json.Unmarshal(data, &got) != nil || got.Status != "green" || len(got.Attempts) != attempts {
		t.Errorf("report.json (%v): status %s, %d attempt(s); want green, %d", err, got.Status, len(got.Attempts), attempts)
	}
}

func describeAttempts(rep *Report) string {
	if rep == nil {
		return "no report"
	}
	var parts []string
	for _, a := range rep.Attempts {
		p := fmt.Sprintf("#%d %s %s", a.Number, a.Outcome, a.Duration.Round(time.Millisecond))
		if a.Cause != nil {
			p += " (" + a.Cause.Class + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// logCauses logs the evidence of each failed attempt: what the real tools
// printed, which the classifier read.
func logCauses(t *testing.T, rep *Report) {
	t.Helper()
	if rep == nil {
		return
	}
	for _, a := range rep.Attempts {
		if a.Cause != nil {
			t.Logf("attempt %d: %s: %s\n\t%s", a.Number, a.Cause.Class, a.Cause.Summary, strings.Join(a.Cause.Evidence, "\n\t"))
		}
	}
}

func showLastLog(t *testing.T, ws *workspace.Workspace, rep *Report) {
	t.Helper()
	n := 1
	if rep != nil && len(rep.Attempts) > 0 {
		n = rep.Attempts[len(rep.Attempts)-1].Number
		t.Logf("stopped: %s", rep.StopReason)
	}
	showLog(t, ws.LogPath(n))
}
