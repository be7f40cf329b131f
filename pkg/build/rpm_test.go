package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/workspace"
)

// el9Target is the el9 target of the rpm builder tests.
func el9Target() recipe.Target {
	return recipe.Target{Name: "el9", Family: recipe.FamilyRPM, Vendor: recipe.VendorEL, Release: "9", DistTag: ".el9"}
}

// hellorpmSpec is a project-written spec: %{?dist} in Release, one Patch,
// a %changelog, and a shell program.
const hellorpmSpec = `Name:           hellorpm
Version:        1.0
Release:        1%{?dist}
Summary:        Says hello
License:        MIT
BuildArch:      noarch
Source0:        hellorpm-1.0.tar.gz
Patch0:         hellorpm-greeting.patch

%description
Says hello, patched.

%prep
%setup -q
%patch -P 0 -p1

%build
sh ./hellorpm > hellorpm.out

%install
install -D -m 0755 hellorpm %{buildroot}%{_bindir}/hellorpm

%files
%{_bindir}/hellorpm

%changelog
* Thu Jan 01 2026 Backport Test <test@example.org> - 1.0-1
- Initial package.
`

// hellorpmTree writes a flat rpm source tree (spec, tarball, patch), as
// fetch extracts an SRPM.
func hellorpmTree(t *testing.T, dir string, tarball []byte, patch string) {
	t.Helper()
	files := map[string][]byte{
		"hellorpm.spec":           []byte(hellorpmSpec),
		"hellorpm-1.0.tar.gz":     tarball,
		"hellorpm-greeting.patch": []byte(patch),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fakeRPMOptions(t *testing.T, rt *fakeRuntime) Options {
	t.Helper()
	ws, err := workspace.Open(t.TempDir(), workspace.Key{Name: "hellorpm", Version: "1.0", Target: "el9"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	tree := filepath.Join(ws.Tree(), "hellorpm-1.0")
	hellorpmTree(t, tree, hellorpmTarball(t), hellorpmPatch)
	mirror := "file:///nonexistent/debian"
	def, err := RPMBuilderDefinition(el9Target(), mirror, "")
	if err != nil {
		t.Fatal(err)
	}
	rt.images[BuilderRef(el9Target())] = map[string]string{container.LabelDefinition: def.Hash()}
	return Options{
		Runtime: rt, Target: el9Target(), Workspace: ws, DebianMirror: mirror,
		Sources: &sources.Result{
			Name: "hellorpm", Version: "1.0", Target: "el9", Family: "rpm",
			DistroSource: "hellorpm", DistroVersion: "1.0-1", Workspace: ws.Dir, Tree: tree,
		},
		OutDir: t.TempDir(), Maintainer: "Backport Test <test@example.org>",
		Now:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Image: container.ImageOptions{LockDir: t.TempDir()},
	}
}

func TestRunRPM(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntime()
	rt.debs = []string{"RPMS/noarch/hellorpm-1.0-1.el9.bp1.noarch.rpm", "SRPMS/hellorpm-1.0-1.el9.bp1.src.rpm"}
	rt.buildOutput = "+ echo 'Patch #0 (hellorpm-greeting.patch):'\nPatch #0 (hellorpm-greeting.patch):\n"
	opts := fakeRPMOptions(t, rt)
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Patches) != 1 || res.Patches[0].Fate != "applied" {
		t.Errorf("patches = %+v, want hellorpm-greeting.patch applied", res.Patches)
	}
	if res.Version != "1.0-1.el9.bp1" {
		t.Errorf("Version = %q, want 1.0-1.el9.bp1", res.Version)
	}
	dist := filepath.Join(opts.Workspace.Dir, "out", "packages")
	want := []string{
		filepath.Join(dist, "hellorpm-1.0-1.el9.bp1.noarch.rpm"),
		filepath.Join(dist, "hellorpm-1.0-1.el9.bp1.src.rpm"),
	}
	if !slices.Equal(res.Packages, want) {
		t.Errorf("Packages = %v, want %v", res.Packages, want)
	}
	build := filepath.Join(opts.Workspace.Dir, "build")
	spec, err := os.ReadFile(filepath.Join(build, "SPECS", "hellorpm.spec"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(spec), "Release:        1%{?dist}.bp1\n") {
		t.Errorf("bumped spec:\n%s", spec)
	}
	for _, f := range []string{"hellorpm-1.0.tar.gz", "hellorpm-greeting.patch"} {
		if _, err := os.Stat(filepath.Join(build, "SOURCES", f)); err != nil {
			t.Errorf("SOURCES: %v", err)
		}
	}
	if len(rt.keeps) != 0 || len(rt.runs) != 1 {
		t.Fatalf("%d setup, %d build containers; want 0, 1", len(rt.keeps), len(rt.runs))
	}
	bld := rt.runs[0]
	wantArgs := []string{"rpmbuild", "-ba", "--nodeps", "--define", "_topdir /backport/build", "SPECS/hellorpm.spec"}
	if bld.Network || bld.Workdir != "/backport/build" || bld.Image != BuilderRef(el9Target()) ||
		bld.Mounts[0].Source != build || bld.Mounts[0].Target != "/backport/build" || !slices.Equal(bld.Args, wantArgs) {
		t.Errorf("build = %+v", bld)
	}
	deps := res.Steps[1]
	if deps.Name != "deps" || !deps.Skipped || !strings.Contains(deps.Reason, "--nodeps") {
		t.Errorf("deps step = %+v; want skipped, saying --nodeps", deps)
	}
}

// TestRunRPMUnaccountedPatch is a spec whose %prep did not apply a patch
// the triage kept: a build that may be unpatched, never a success.
func TestRunRPMUnaccountedPatch(t *testing.T) {
	t.Parallel()
	for name, output := range map[string]string{
		"no patch line":         "+ cd hellorpm-1.0\n",
		"another patch applied": "Patch #1 (other.patch):\n",
	} {
		t.Run(name, func(t *testing.T) {
			rt := newFakeRuntime()
			rt.debs = []string{"RPMS/noarch/hellorpm-1.0-1.el9.bp1.noarch.rpm"}
			rt.buildOutput = output
			_, err := Run(context.Background(), fakeRPMOptions(t, rt))
			var un *UnaccountedPatchError
			if !errors.As(err, &un) || !slices.Equal(un.Patches, []string{"hellorpm-greeting.patch"}) {
				t.Fatalf("err = %v, want hellorpm-greeting.patch unaccounted for", err)
			}
		})
	}
	rt := newFakeRuntime()
	rt.debs = []string{"RPMS/noarch/hellorpm-1.0-1.el9.bp1.noarch.rpm"}
	rt.buildOutput = "+ /usr/lib/rpm/rpmuncompress /backport/build/SOURCES/hellorpm-greeting.patch\n+ /usr/bin/patch -p1 -s --fuzz=0 --no-backup-if-mismatch -f\n"
	if _, err := Run(context.Background(), fakeRPMOptions(t, rt)); err != nil {
		t.Errorf("%%autopatch's rpmuncompress line not taken as applied: %v", err)
	}
}

func TestRPMBuilderDefinition(t *testing.T) {
	t.Parallel()
	def, err := RPMBuilderDefinition(el9Target(), "http://mirror.invalid/debian", "")
	if err != nil {
		t.Fatal(err)
	}
	if b := def.Base.Bootstrap; b == nil || b.Suite != DefaultRPMBuilderSuite || b.Mirror != "http://mirror.invalid/debian" {
		t.Errorf("base = %+v", def.Base)
	}
	if err := def.Validate(); err != nil {
		t.Error(err)
	}
	setup := strings.Join(def.Setup, "\n")
	for _, want := range []string{"%dist .el9\n", "%_buildshell /bin/bash\n", "%rhel 9\n", "/etc/rpm/macros.backport"} {
		if !strings.Contains(setup, want) {
			t.Errorf("setup lacks %q:\n%s", want, setup)
		}
	}
	// The macros are part of the hash: another dist tag, another image.
	other := el9Target()
	other.DistTag = ".el8"
	def8, err := RPMBuilderDefinition(other, "http://mirror.invalid/debian", "")
	if err != nil || def8.Hash() == def.Hash() {
		t.Errorf("el8 definition hash equals el9's (%v)", err)
	}
	own := el9Target()
	own.Mirror = "http://own.invalid/debian"
	if d, _ := RPMBuilderDefinition(own, "http://mirror.invalid/debian", "trixie"); d.Base.Bootstrap.Mirror != own.Mirror || d.Base.Bootstrap.Suite != "trixie" {
		t.Errorf("target mirror not preferred: %+v", d.Base.Bootstrap)
	}
	if _, err := RPMBuilderDefinition(el9Target(), "", ""); err == nil {
		t.Error("no mirror at all: want an error")
	}
	bad := el9Target()
	bad.DistTag = ".el9'; rm -rf /"
	if _, err := RPMBuilderDefinition(bad, "http://mirror.invalid/debian", ""); err == nil {
		t.Error("a dist tag with shell quoting: want an error")
	}
}
