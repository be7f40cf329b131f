package build

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/deb"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/workspace"
)

// testBuilderRef is the builder image of the integration tests, apart from
// a user's own; EnsureImage keeps it between runs while the definition
// holds.
const testBuilderRef = "localhost/backport-test/builder:debian-12"

// countingRuntime counts the containers a runtime starts.
type countingRuntime struct {
	container.Runtime
	runs, keeps atomic.Int32
}

func (c *countingRuntime) Run(ctx context.Context, spec container.RunSpec) (int, error) {
	c.runs.Add(1)
	return c.Runtime.Run(ctx, spec)
}

func (c *countingRuntime) RunKeep(ctx context.Context, spec container.RunSpec) (string, int, error) {
	c.keeps.Add(1)
	return c.Runtime.RunKeep(ctx, spec)
}

// hostTarget is debian-12 with the mirrors of the host's apt sources: no
// mirror is written into the code.
func hostTarget(t *testing.T) recipe.Target {
	t.Helper()
	m, err := recipe.HostMirrors("/")
	if err != nil {
		testtool.SkipOrFail(t, "no Debian mirror in the host's apt sources: %v", err)
	}
	tgt, err := recipe.LookupTarget(recipe.Config{Host: m}, "debian-12")
	if err != nil {
		t.Fatal(err)
	}
	if tgt.Mirror == "" {
		t.Fatal("debian-12 has no mirror from the host's apt sources")
	}
	tgt.Name = "debian-12"
	return tgt
}

// helloSources unpacks the committed hello 2.10-3 fixture into a fresh
// workspace, as fetch would have, and returns what fetch would return.
func helloSources(t *testing.T, root string) (*workspace.Workspace, *sources.Result) {
	t.Helper()
	ws, err := workspace.Open(root, workspace.Key{Name: "hello", Version: "2.10", Target: "debian-12"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	fixture, err := filepath.Abs("../deb/testdata/hello")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := deb.UnpackSource(context.Background(), filepath.Join(fixture, "hello_2.10-3.dsc"), ws.Tree())
	if err != nil {
		t.Fatal(err)
	}
	return ws, &sources.Result{
		Name: "hello", Version: "2.10", Target: "debian-12", Family: "deb",
		DistroSource: "hello", DistroVersion: "2.10-3", Workspace: ws.Dir, Tree: tree,
		Files: []sources.File{
			{Role: "dsc", Name: "hello_2.10-3.dsc", Path: filepath.Join(fixture, "hello_2.10-3.dsc")},
			{Role: "orig", Name: "hello_2.10.orig.tar.gz", Path: filepath.Join(fixture, "hello_2.10.orig.tar.gz")},
			{Role: "debian", Name: "hello_2.10-3.debian.tar.xz", Path: filepath.Join(fixture, "hello_2.10-3.debian.tar.xz")},
		},
	}
}

func TestPodmanBuildHello(t *testing.T) {
	testtool.Require(t, "podman")
	testtool.Require(t, "debootstrap")
	dpkgDeb := testtool.Require(t, "dpkg-deb")
	testtool.RequireRoot(t)
	tgt := hostTarget(t)
	engine, err := container.NewEngine(container.Podman, container.Options{
		ConfigDir: t.TempDir(),
		Notify:    func(msg string) { t.Log("notice: " + msg) },
	})
	if err != nil {
		t.Fatal(err)
	}
	rt := &countingRuntime{Runtime: engine}
	root := t.TempDir()
	ws, src := helloSources(t, root)
	out := t.TempDir()
	opts := Options{
		Runtime: rt, Target: tgt, Workspace: ws, Sources: src, Version: "2.10",
		CVEs: []string{"cve-2024-0001"}, OutDir: out, BuilderRef: testBuilderRef,
		Maintainer: "Backport Test <test@example.org>",
	}

	start := time.Now()
	res, err := Run(context.Background(), opts)
	first := time.Since(start)
	if err != nil {
		showLog(t, ws.LogPath(1))
		t.Fatalf("first Run: %v", err)
	}
	t.Logf("first build: %s; steps %s", first.Round(time.Millisecond), describeSteps(res.Steps))
	if res.Version != "2.10-3+bp1" {
		t.Errorf("hotfix version = %q, want 2.10-3+bp1", res.Version)
	}
	var hello string
	for _, p := range res.Packages {
		if strings.HasPrefix(filepath.Base(p), "hello_") {
			hello = p
		}
	}
	if hello == "" {
		t.Fatalf("no hello_*.deb among %v", res.Packages)
	}
	if want := filepath.Join(ws.Dir, "out", "packages"); filepath.Dir(hello) != want {
		t.Errorf("package in %s, want %s", filepath.Dir(hello), want)
	}
	v, err := exec.Command(dpkgDeb, "-f", hello, "Version").Output()
	if err != nil || strings.TrimSpace(string(v)) != "2.10-3+bp1" {
		t.Errorf("dpkg-deb -f Version = %q, %v; want 2.10-3+bp1", v, err)
	}

	// The second attempt: a fresh tree, the same deps, so no deps
	// container; it is interrupted a few seconds into the build, which
	// must stop and remove the build container and exit 130.
	runs, keeps := rt.runs.Load(), rt.keeps.Load()
	opts.Attempt = 2
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts.Progress = func(step string) {
		if step == "building" {
			time.AfterFunc(5*time.Second, cancel)
		}
	}
	start = time.Now()
	res2, err := Run(ctx, opts)
	t.Logf("second build, interrupted: %s; steps %s", time.Since(start).Round(time.Millisecond), describeSteps(res2.Steps))
	if exitcode.Of(err) != exitcode.Interrupted {
		showLog(t, ws.LogPath(2))
		t.Fatalf("interrupted Run = %v (exit %d); want exit %d", err, exitcode.Of(err), exitcode.Interrupted)
	}
	if n := rt.keeps.Load() - keeps; n != 0 {
		t.Errorf("second build ran %d setup containers; want 0 (deps layer hit)", n)
	}
	if n := rt.runs.Load() - runs; n != 1 {
		t.Errorf("second build ran %d containers; want 1 (the build)", n)
	}
	if len(res2.Steps) < 2 || res2.Steps[1].Name != "deps" || !res2.Steps[1].Skipped {
		t.Errorf("second build's steps = %+v; want deps skipped", res2.Steps)
	}
	// Other tests (cmd/backport's) build hello in the same deps layer at
	// the same time, so look for this build's container by its mount.
	buildDir := filepath.Join(ws.Dir, "build")
	ids, err := exec.Command("podman", "ps", "-a", "-q", "--no-trunc").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range strings.Fields(string(ids)) {
		mounts, err := exec.Command("podman", "inspect", "--format", "{{range .Mounts}}{{.Source}}\n{{end}}", id).Output()
		if err == nil && slices.Contains(strings.Split(string(mounts), "\n"), buildDir) {
			t.Errorf("container %.12s still mounts %s after the interrupt", id, buildDir)
		}
	}
}

func describeSteps(steps []StepResult) string {
	var parts []string
	for _, s := range steps {
		p := s.Name + " " + s.Duration.Round(time.Millisecond).String()
		if s.Skipped {
			p += " (skipped: " + s.Reason + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

func showLog(t *testing.T, path string) {
	t.Helper()
	t.Logf("%s (tail):\n%s", path, strings.Join(logTail(path, 40), "\n"))
}
