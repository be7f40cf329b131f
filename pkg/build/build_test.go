package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/recipe"
)

// fakeTarget is debian-12 with a mirror no test ever reaches.
func fakeTarget() recipe.Target {
	return recipe.Target{
		Name: "debian-12", Family: recipe.FamilyDeb, Vendor: recipe.VendorDebian, Release: "12",
		Codename: "bookworm", Suites: []string{"bookworm", "bookworm-updates", "bookworm-security"},
		Components: []string{"main"}, Mirror: "file:///nonexistent/debian",
	}
}

// fakeOptions is a hello build on a fake runtime whose builder image is
// already up to date.
func fakeOptions(t *testing.T, rt *fakeRuntime) Options {
	t.Helper()
	ws, src := helloSources(t, t.TempDir())
	def, err := BuilderDefinition(fakeTarget())
	if err != nil {
		t.Fatal(err)
	}
	rt.images[BuilderRef(fakeTarget())] = map[string]string{container.LabelDefinition: def.Hash()}
	return Options{
		Runtime: rt, Target: fakeTarget(), Workspace: ws, Sources: src, Version: "2.10",
		OutDir: t.TempDir(), Maintainer: "Backport Test <test@example.org>",
		Now:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Image:     container.ImageOptions{LockDir: t.TempDir()},
		CCacheDir: t.TempDir(),
	}
}

func TestBuildUsesTheTargetsCCache(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntime()
	opts := fakeOptions(t, rt)
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	bld := rt.runs[len(rt.runs)-1]
	found := false
	for _, m := range bld.Mounts {
		found = found || (m.Source == opts.CCacheDir && m.Target == bld.Env["CCACHE_DIR"])
	}
	if !found || !strings.HasPrefix(bld.Env["PATH"], "/usr/lib/ccache:") {
		t.Errorf("build run %v / %v: want %s mounted as CCACHE_DIR and ccache's wrappers first on PATH", bld.Mounts, bld.Env, opts.CCacheDir)
	}

	rt = newFakeRuntime()
	opts = fakeOptions(t, rt)
	opts.CCacheDir = "off"
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if bld := rt.runs[len(rt.runs)-1]; len(bld.Mounts) != 1 || bld.Env["CCACHE_DIR"] != "" {
		t.Errorf("ccache off: build run %v / %v", bld.Mounts, bld.Env)
	}
}

func TestSteps(t *testing.T) {
	t.Parallel()
	if got, want := Steps(recipe.FamilyDeb), []string{"prepare", "deps", "build", "collect"}; !slices.Equal(got, want) {
		t.Errorf("Steps(deb) = %v, want %v", got, want)
	}
	rt := newFakeRuntime()
	opts := fakeOptions(t, rt)
	if got, want := Steps(recipe.FamilyRPM), []string{"prepare", "deps", "build", "collect"}; !slices.Equal(got, want) {
		t.Errorf("Steps(rpm) = %v, want %v", got, want)
	}
	opts.Target.Family = "apk"
	if _, err := Run(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("Run on an apk target = %v; want not supported", err)
	}
}

func TestRunTwiceHitsDepsLayer(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntime()
	opts := fakeOptions(t, rt)
	var progress []string
	opts.Progress = func(s string) { progress = append(progress, s) }

	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != "2.10-3+bp1" {
		t.Errorf("Version = %q", res.Version)
	}
	for _, s := range res.Steps {
		if s.Skipped {
			t.Errorf("first run skipped %s: %s", s.Name, s.Reason)
		}
	}
	if len(progress) != 4 {
		t.Errorf("progress = %v", progress)
	}
	// Packages wait in the workspace; dist/ only gets a whole bundle.
	wantDist := filepath.Join(opts.Workspace.Dir, "out", "packages", "hello_2.10-3+bp1_amd64.deb")
	if !slices.Equal(res.Packages, []string{wantDist}) {
		t.Errorf("Packages = %v, want %s", res.Packages, wantDist)
	}
	build := filepath.Join(opts.Workspace.Dir, "build")
	if _, err := os.Stat(filepath.Join(build, "hello_2.10.orig.tar.gz")); err != nil {
		t.Errorf("orig tarball beside the tree: %v", err)
	}
	cl, _ := os.ReadFile(filepath.Join(build, "hello-2.10", "debian", "changelog"))
	if !strings.HasPrefix(string(cl), "hello (2.10-3+bp1) bookworm;") {
		t.Errorf("changelog starts %q", strings.SplitN(string(cl), "\n", 2)[0])
	}
	if len(rt.keeps) != 1 || len(rt.runs) != 1 {
		t.Fatalf("first run: %d setup, %d build containers; want 1, 1", len(rt.keeps), len(rt.runs))
	}
	setup, bld := rt.keeps[0], rt.runs[0]
	if !setup.Network || !setup.Mounts[0].ReadOnly || !strings.Contains(setup.Args[2], "apt-get build-dep") {
		t.Errorf("deps setup = %+v", setup)
	}
	if bld.Network || bld.Mounts[0].ReadOnly || bld.Workdir != "/backport/build/hello-2.10" ||
		!slices.Equal(bld.Args, []string{"dpkg-buildpackage", "-us", "-uc", "-b"}) {
		t.Errorf("build = %+v", bld)
	}
	if !strings.Contains(bld.Image, ":layer-") {
		t.Errorf("build image %q is not the deps layer", bld.Image)
	}

	// A failed attempt's leftovers must not reach the next one.
	stray := filepath.Join(build, "hello-2.10", "stray.o")
	if err := os.WriteFile(stray, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Attempt = 2
	res, err = Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rt.keeps) != 1 || len(rt.runs) != 2 {
		t.Errorf("second run: %d setup, %d build containers in all; want 1, 2", len(rt.keeps), len(rt.runs))
	}
	deps := res.Steps[1]
	if !deps.Skipped || !strings.Contains(deps.Reason, "already in") {
		t.Errorf("second deps step = %+v; want skipped as cached", deps)
	}
	if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stray file survived into attempt 2: %v", err)
	}
	if res.Log != opts.Workspace.LogPath(2) || res.Attempt != 2 {
		t.Errorf("Log, Attempt = %s, %d", res.Log, res.Attempt)
	}
}

func TestRunBuildFailure(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntime()
	rt.buildExit = 2
	var out strings.Builder
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&out, "line %d\n", i)
	}
	rt.buildOutput = out.String()
	opts := fakeOptions(t, rt)
	_, err := Run(context.Background(), opts)
	if exitcode.Of(err) != exitcode.BuildRed {
		t.Fatalf("exit code of %v = %d, want %d", err, exitcode.Of(err), exitcode.BuildRed)
	}
	var failed *FailedError
	if !errors.As(err, &failed) {
		t.Fatalf("%v is not a *FailedError", err)
	}
	if len(failed.Tail) != tailLines || failed.Tail[0] != "line 21" || failed.Tail[tailLines-1] != "line 50" {
		t.Errorf("Tail = %q", failed.Tail)
	}
	if failed.LogPath != opts.Workspace.LogPath(1) || !strings.Contains(err.Error(), failed.LogPath) {
		t.Errorf("error %q, log %s", err, failed.LogPath)
	}
	log, _ := os.ReadFile(failed.LogPath)
	if !strings.Contains(string(log), "line 50\n") {
		t.Error("the build output is not in the attempt's log")
	}
	if _, err := os.Stat(filepath.Join(opts.OutDir, "dist")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a failed build created dist/")
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntime()
	rt.block, rt.started = true, make(chan struct{})
	opts := fakeOptions(t, rt)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-rt.started; cancel() }()
	_, err := Run(ctx, opts)
	if exitcode.Of(err) != exitcode.Interrupted {
		t.Errorf("exit code of %v = %d, want %d", err, exitcode.Of(err), exitcode.Interrupted)
	}
}

func TestBuildDependsNormalised(t *testing.T) {
	t.Parallel()
	base := "Source: hello\nBuild-Depends: debhelper-compat (= 13), libfoo-dev (>= 1.2) [amd64 i386] <!nocheck>, a | b\n\nPackage: hello\nDepends: x\n"
	same := []string{
		// other order, other whitespace, a continuation line, a comment
		"Source: hello\n# comment\nbuild-depends:  a|b ,\n libfoo-dev(>=1.2) [ amd64  i386 ] < !nocheck >,\n\tdebhelper-compat (=13),\n\nPackage: hello\n",
		// split across the three fields apt-get build-dep installs for -b
		"Source: hello\nBuild-Depends: a | b\nBuild-Depends-Arch: libfoo-dev (>= 1.2) [amd64 i386] <!nocheck>\nBuild-Depends-Indep: debhelper-compat (= 13)\n",
	}
	different := []string{
		"Source: hello\nBuild-Depends: debhelper-compat (= 13), libfoo-dev (>= 1.3) [amd64 i386] <!nocheck>, a | b\n", // version
		"Source: hello\nBuild-Depends: debhelper-compat (= 13), libfoo-dev (>= 1.2) [amd64 i386] <!nocheck>, b | a\n", // alternative order
		"Source: hello\nBuild-Depends: debhelper-compat (= 13), libfoo-dev (>= 1.2) [amd64 i386] <!nocheck>\n",        // one fewer
	}
	want, err := BuildDepends([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if w := []string{"a | b", "debhelper-compat (= 13)", "libfoo-dev (>= 1.2) [amd64 i386] <!nocheck>"}; !slices.Equal(want, w) {
		t.Errorf("BuildDepends = %q, want %q", want, w)
	}
	key := DepsKey(want, "debian-12")
	for _, c := range same {
		got, err := BuildDepends([]byte(c))
		if err != nil || DepsKey(got, "debian-12") != key {
			t.Errorf("BuildDepends(%q) = %q, %v; want %q", c, got, err, want)
		}
	}
	for _, c := range different {
		got, _ := BuildDepends([]byte(c))
		if DepsKey(got, "debian-12") == key {
			t.Errorf("BuildDepends(%q) = %q has the same key as %q", c, got, want)
		}
	}
	if DepsKey(want, "debian-13") == key {
		t.Error("the target does not change the key")
	}
	if _, err := BuildDepends([]byte(" continuation first\n")); err == nil {
		t.Error("a broken control file parsed")
	}
}

func TestOrigName(t *testing.T) {
	t.Parallel()
	for from, want := range map[string]string{
		"hello-2.11.tar.gz":  "hello_2.11.orig.tar.gz",
		"hello-2.11.tgz":     "hello_2.11.orig.tar.gz",
		"hello-2.11.tar.xz":  "hello_2.11.orig.tar.xz",
		"hello-2.11.tar.bz2": "hello_2.11.orig.tar.bz2",
		"hello-2.11.zip":     "",
		"hello-2.11.tar.zst": "",
	} {
		got, err := OrigName("hello", "2.11", from)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("OrigName(%s) = %q, %v; want %q", from, got, err, want)
		}
	}
}

func TestPublishIsAllOrNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dest := filepath.Join(dir, "dist", "x", "packages")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dest, "old.deb"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "a.deb")
	if err := os.WriteFile(good, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The second file is missing: nothing may change.
	if _, err := publish(context.Background(), []string{good, filepath.Join(dir, "missing.deb")}, dest); err == nil {
		t.Fatal("publish of a missing file succeeded")
	}
	if names := dirNames(t, filepath.Dir(dest)); !slices.Equal(names, []string{"packages"}) {
		t.Errorf("after a failed publish the parent holds %v", names)
	}
	if names := dirNames(t, dest); !slices.Equal(names, []string{"old.deb"}) {
		t.Errorf("after a failed publish packages/ holds %v", names)
	}
	got, err := publish(context.Background(), []string{good}, dest)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{filepath.Join(dest, "a.deb")}) {
		t.Errorf("publish = %v", got)
	}
	if names := dirNames(t, dest); !slices.Equal(names, []string{"a.deb"}) {
		t.Errorf("packages/ holds %v, want only a.deb", names)
	}
	if names := dirNames(t, filepath.Dir(dest)); !slices.Equal(names, []string{"packages"}) {
		t.Errorf("publish left %v beside packages/", names)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestPrepareDatesTheEntryNow(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntime()
	opts := fakeOptions(t, rt)
	opts.Now = time.Time{}
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	cl, err := os.ReadFile(filepath.Join(opts.Workspace.Dir, "build", "hello-2.10", "debian", "changelog"))
	if err != nil {
		t.Fatal(err)
	}
	entry, _, _ := strings.Cut(string(cl), "\n\n"+"hello (")
	trailer := entry[strings.LastIndex(entry, "\n -- "):]
	if !strings.Contains(trailer, fmt.Sprint(time.Now().Year())) || strings.Contains(trailer, "0001") {
		t.Errorf("entry trailer %q is not dated now", trailer)
	}
}

func TestRunDepsFailure(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntime()
	rt.setupExit = 100
	opts := fakeOptions(t, rt)
	res, err := Run(context.Background(), opts)
	var failed *FailedError
	if exitcode.Of(err) != exitcode.BuildRed || !errors.As(err, &failed) || failed.Code != 100 {
		t.Fatalf("Run = %v; want a *FailedError with exit code %d", err, exitcode.BuildRed)
	}
	if len(rt.runs) != 0 {
		t.Error("the build ran after its dependencies failed")
	}
	if last := res.Steps[len(res.Steps)-1]; last.Name != "deps" {
		t.Errorf("last step = %s, want deps", last.Name)
	}
}
