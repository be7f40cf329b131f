package container

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/exitcode"
)

// These tests drive the real podman. The base image is bootstrapped once
// (about a minute) under a fixed ref; EnsureImage makes later runs reuse it
// while its definition is unchanged.
const testBaseRef = "localhost/backport-test/base:bookworm"

// sharedConfDir holds the podman fallback decision for the whole run, so
// that only the first test pays for a failing default, and the fakes'
// dispatcher.
var sharedConfDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "backport-container-test-")
	if err != nil {
		panic(err)
	}
	sharedConfDir = dir
	// Written before any test runs, so that no fork can hold it open.
	fakeDispatcherPath = filepath.Join(dir, "fake-dispatcher")
	if err := os.WriteFile(fakeDispatcherPath, []byte(fakeDispatcher), 0o755); err != nil {
		panic(err)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// callLog counts the commands a Runner ran.
type callLog struct {
	mu    sync.Mutex
	calls [][]string
}

func (l *callLog) observe(c Command) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, append([]string(nil), c.Args...))
}

// count returns how many commands ran program (by base name) with the
// subcommand sub ("" for any).
func (l *callLog) count(program, sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, args := range l.calls {
		if filepath.Base(args[0]) == program && (sub == "" || len(args) > 1 && args[1] == sub) {
			n++
		}
	}
	return n
}

// realPodman returns an Engine on the real podman and the log of its calls.
func realPodman(t *testing.T) (*Engine, *callLog) {
	t.Helper()
	testtool.Require(t, "podman")
	testtool.RequireRoot(t)
	log := &callLog{}
	e, err := NewEngine(Podman, Options{
		ConfigDir: sharedConfDir,
		Runner:    &Runner{Observe: log.observe},
		Notify:    func(msg string) { t.Log("notice: " + msg) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, log
}

// hostMirror is the first Debian mirror of the host's apt sources: no
// mirror is written into the code.
func hostMirror(t *testing.T) string {
	t.Helper()
	if f, err := os.Open("/etc/apt/sources.list.d/debian.sources"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "URIs:"); ok && len(strings.Fields(v)) > 0 {
				return strings.Fields(v)[0]
			}
		}
	}
	if data, err := os.ReadFile("/etc/apt/sources.list"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "deb" && !strings.HasPrefix(f[1], "[") {
				return f[1]
			}
		}
	}
	testtool.SkipOrFail(t, "no Debian mirror in the host's apt sources")
	return ""
}

var baseImage struct {
	once sync.Once
	res  ImageResult
	took time.Duration
	log  bytes.Buffer
	err  error
}

// ensureBase bootstraps the test base image once per run (a no-op when a
// previous run left it with the same definition).
func ensureBase(t *testing.T, e *Engine) string {
	t.Helper()
	testtool.Require(t, "debootstrap")
	mirror := hostMirror(t)
	baseImage.once.Do(func() {
		start := time.Now()
		baseImage.res, baseImage.err = EnsureImage(context.Background(), e, testBaseRef, testDefinition(mirror),
			ImageOptions{Log: &baseImage.log, Runner: e.runner})
		baseImage.took = time.Since(start)
	})
	if baseImage.err != nil {
		t.Logf("image build log (tail):\n%s", strings.Join(lastLines(baseImage.log.String(), 30), "\n"))
		t.Fatalf("EnsureImage: %v", baseImage.err)
	}
	return testBaseRef
}

func TestPodmanEnsureImageIsCached(t *testing.T) {
	t.Parallel()
	e, log := realPodman(t)
	ref := ensureBase(t, e)
	t.Logf("first EnsureImage this run: built=%v (%s) in %s", baseImage.res.Built, baseImage.res.Reason, baseImage.took.Round(time.Millisecond))
	for _, line := range strings.Split(baseImage.log.String(), "\n") {
		if strings.HasPrefix(line, "backport: ") {
			t.Log(line)
		}
	}
	labels, err := e.ImageLabels(context.Background(), ref)
	if err != nil || labels[LabelDefinition] != testDefinition(hostMirror(t)).Hash() || labels[LabelKind] != "builder" {
		t.Fatalf("labels of %s = %v, %v", ref, labels, err)
	}
	counts := func() map[string]int {
		return map[string]int{
			"debootstrap": log.count("debootstrap", ""),
			"run":         log.count("podman", "run"),
			"import":      log.count("podman", "import"),
			"commit":      log.count("podman", "commit"),
			"pull":        log.count("podman", "pull"),
		}
	}
	before := counts()
	start := time.Now()
	res, err := EnsureImage(context.Background(), e, ref, testDefinition(hostMirror(t)), ImageOptions{Runner: e.runner})
	if err != nil || res.Built || res.ID == "" {
		t.Fatalf("second EnsureImage = %+v, %v; want a no-op", res, err)
	}
	t.Logf("warm EnsureImage: %s (%s)", time.Since(start).Round(time.Millisecond), res.Reason)
	for what, n := range counts() {
		if n != before[what] {
			t.Errorf("%s ran %d times for an up-to-date image", what, n-before[what])
		}
	}
	images, err := e.ListImages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, img := range images {
		if img.Ref == ref && img.Size > 0 && !img.Created.IsZero() {
			found = true
		}
	}
	if !found {
		t.Errorf("ListImages does not show %s: %+v", ref, images)
	}
}

func TestPodmanRun(t *testing.T) {
	t.Parallel()
	e, _ := realPodman(t)
	ref := ensureBase(t, e)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "in"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	m := Mount{Source: src, Target: "/src", ReadOnly: true}
	code, err := e.Run(context.Background(), RunSpec{
		Image:   ref,
		Args:    []string{"sh", "-c", `cat in; echo "$GREETING"; pwd; echo oops >&2; touch /src/x 2>/dev/null || exit 3`},
		Env:     map[string]string{"GREETING": "hello"},
		Mounts:  []Mount{m},
		Workdir: e.InsidePath(m),
		Stdout:  &stdout,
		Stderr:  &stderr,
	})
	if err != nil || code != 3 {
		t.Fatalf("Run = %d, %v; want 3 (a read-only mount refuses writes)", code, err)
	}
	if got, want := stdout.String(), "from the host\nhello\n/src\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	if stderr.String() != "oops\n" {
		t.Errorf("stderr %q", stderr.String())
	}
}

func TestPodmanNetworkOff(t *testing.T) {
	t.Parallel()
	e, _ := realPodman(t)
	ref := ensureBase(t, e)
	u, err := url.Parse(hostMirror(t))
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	connect := []string{"bash", "-c", "exec 3<>/dev/tcp/" + u.Hostname() + "/" + port}
	var out bytes.Buffer
	code, err := e.Run(context.Background(), RunSpec{Image: ref, Args: connect, Stdout: &out, Stderr: &out})
	if err != nil || code == 0 {
		t.Errorf("network off: connecting to the mirror gave %d, %v; want a failure (%s)", code, err, out.String())
	}
	out.Reset()
	code, err = e.Run(context.Background(), RunSpec{Image: ref, Args: connect, Network: true, Stdout: &out, Stderr: &out})
	if err != nil || code != 0 {
		t.Errorf("network on: connecting to the mirror gave %d, %v (%s)", code, err, out.String())
	}
}

func TestPodmanLayerHitRunsNoContainer(t *testing.T) {
	t.Parallel()
	e, log := realPodman(t)
	base := ensureBase(t, e)
	ctx := context.Background()
	const key = "integration: marker file"
	ref, err := LayerRef(ctx, e, base, key)
	if err != nil {
		t.Fatal(err)
	}
	// Start cold every run: the miss path is what commits.
	if err := e.RemoveImage(ctx, ref); err != nil && !errors.Is(err, ErrImageNotFound) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.RemoveImage(context.Background(), ref) })
	setup := RunSpec{Args: []string{"sh", "-c", "echo layered > /layer-marker"}}

	got, hit, err := EnsureLayer(ctx, e, base, key, setup)
	if err != nil || hit || got != ref {
		t.Fatalf("first EnsureLayer = %q, %v, %v; want a miss building %s", got, hit, err, ref)
	}
	runs := log.count("podman", "run")
	got, hit, err = EnsureLayer(ctx, e, base, key, setup)
	if err != nil || !hit || got != ref {
		t.Fatalf("second EnsureLayer = %q, %v, %v; want a hit", got, hit, err)
	}
	if n := log.count("podman", "run") - runs; n != 0 {
		t.Errorf("the hit ran %d containers", n)
	}
	var out bytes.Buffer
	if code, err := e.Run(ctx, RunSpec{Image: ref, Args: []string{"cat", "/layer-marker"}, Stdout: &out}); err != nil || code != 0 || out.String() != "layered\n" {
		t.Errorf("the layer lacks its setup: %d, %v, %q", code, err, out.String())
	}
	labels, err := e.ImageLabels(ctx, ref)
	if err != nil || labels[LabelKind] != "layer" || labels[LabelManaged] != "true" {
		t.Errorf("layer labels %v, %v", labels, err)
	}
}

func TestPodmanCancelStopsAndRemoves(t *testing.T) {
	t.Parallel()
	e, _ := realPodman(t)
	ref := ensureBase(t, e)
	name := newContainerName()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(2*time.Second, cancel)
	start := time.Now()
	_, err := e.Run(ctx, RunSpec{Image: ref, Args: []string{"sleep", "300"}, Name: name})
	took := time.Since(start)
	if exitcode.Of(err) != exitcode.Interrupted {
		t.Errorf("exitcode.Of(%v) = %d, want %d", err, exitcode.Of(err), exitcode.Interrupted)
	}
	if took > 10*time.Second {
		t.Errorf("Run returned %s after start; want within 10s of a cancel at 2s", took)
	}
	t.Logf("cancelled at 2s, returned at %s", took.Round(time.Millisecond))
	left, err := e.output(context.Background(), "ps", "-a", "--filter", "name=^"+name+"$", "--quiet")
	if err != nil || left != "" {
		t.Errorf("podman ps -a --filter name=%s: %q, %v; want nothing left", name, left, err)
	}
}

func TestPodmanResultsOwnedByInvoker(t *testing.T) {
	t.Parallel()
	e, _ := realPodman(t)
	ref := ensureBase(t, e)
	script := []string{"sh", "-c", "mkdir -p /out/sub && touch /out/sub/f /out/g"}

	out := t.TempDir()
	if code, err := e.Run(context.Background(), RunSpec{Image: ref, Args: script, Mounts: []Mount{{Source: out, Target: "/out"}}}); err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	assertOwner(t, out, os.Getuid(), os.Getgid())

	// As a non-root invoker of the rootful engine: the wrapper chowns back.
	user, _ := realPodman(t)
	user.owner = Owner{UID: 1000, GID: 1000}
	out = t.TempDir()
	if err := os.Chown(out, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	if code, err := user.Run(context.Background(), RunSpec{Image: ref, Args: script, Mounts: []Mount{{Source: out, Target: "/out"}}}); err != nil || code != 0 {
		t.Fatalf("Run as uid 1000 = %d, %v", code, err)
	}
	assertOwner(t, out, 1000, 1000)
}

func assertOwner(t *testing.T, dir string, uid, gid int) {
	t.Helper()
	for _, p := range []string{"sub", "sub/f", "g"} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Error(err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if int(st.Uid) != uid || int(st.Gid) != gid {
			t.Errorf("%s owned by %d:%d, want %d:%d", p, st.Uid, st.Gid, uid, gid)
		}
	}
}

func TestPodmanImportCommitListPrune(t *testing.T) {
	t.Parallel()
	e, _ := realPodman(t)
	base := ensureBase(t, e)
	ctx := context.Background()
	const imported, committed = "localhost/backport-test/import:1", "localhost/backport-test/prune:1"
	t.Cleanup(func() {
		_ = e.RemoveImage(context.Background(), imported)
		_ = e.RemoveImage(context.Background(), committed)
	})

	rootfs := t.TempDir()
	if err := os.WriteFile(filepath.Join(rootfs, "hello"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{LabelManaged: "true", LabelKind: "test", "io.backport.note": "two words"}
	if err := e.Import(ctx, rootfs, imported, labels); err != nil {
		t.Fatal(err)
	}
	if got, err := e.ImageLabels(ctx, imported); err != nil || got["io.backport.note"] != "two words" {
		t.Errorf("imported labels %v, %v", got, err)
	}

	name, code, err := e.RunKeep(ctx, RunSpec{Image: base, Args: []string{"sh", "-c", "echo x > /pruneme"}})
	if err != nil || code != 0 {
		t.Fatalf("RunKeep = %q, %d, %v", name, code, err)
	}
	if err := e.Commit(ctx, name, committed, labels); err != nil {
		t.Fatal(err)
	}
	if err := e.RemoveContainer(ctx, name); err != nil {
		t.Error(err)
	}
	ours := func(img Image) bool {
		return img.Labels[LabelKind] == "test" && strings.HasPrefix(img.Ref, "localhost/backport-test/")
	}
	images, err := e.ListImages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, img := range images {
		if ours(img) {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("ListImages shows %d of the 2 test images: %+v", n, images)
	}
	removed, err := Prune(ctx, e, func(img Image) bool { return !ours(img) })
	if err != nil || len(removed) != 2 {
		t.Fatalf("Prune = %+v, %v", removed, err)
	}
	for _, ref := range []string{imported, committed} {
		if ok, err := e.ImageExists(ctx, ref); ok || err != nil {
			t.Errorf("%s still exists after Prune (%v)", ref, err)
		}
	}
	if ok, _ := e.ImageExists(ctx, base); !ok {
		t.Error("Prune removed the base image it was told to keep")
	}
}

func TestPodmanDiagnose(t *testing.T) {
	t.Parallel()
	e, _ := realPodman(t)
	ensureBase(t, e)
	checks := e.Diagnose(context.Background())
	byName := map[string]Check{}
	for _, c := range checks {
		byName[c.Name] = c
		t.Logf("%-40s ok=%-5v %s %s", c.Name, c.OK, c.Detail, c.Fix)
	}
	for _, name := range []string{"podman", "run a container", "containers.conf", "container init (--init)", "debootstrap (image build --bootstrap)", "privileges", "disk space"} {
		if _, ok := byName[name]; !ok {
			t.Errorf("no %q check", name)
		}
	}
	if c := byName["run a container"]; !c.OK {
		t.Errorf("trivial container failed: %+v", c)
	}
}

// The fallback for real: with no CONTAINERS_CONF of the user's, a container
// runs, whether or not this host needs backport's containers.conf.
func TestPodmanFallbackMakesRunsWork(t *testing.T) {
	t.Parallel()
	testtool.Require(t, "podman")
	e0, _ := realPodman(t) // skips or fails like the others
	ref := ensureBase(t, e0)
	var got notices
	e, err := NewEngine(Podman, Options{
		ConfigDir: t.TempDir(),
		Runner:    &Runner{BaseEnv: envWithout("CONTAINERS_CONF")},
		Notify:    got.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	if code, err := e.Run(context.Background(), RunSpec{Image: ref, Args: []string{"true"}}); err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	d := e.Fallback()
	if len(got.all()) > 0 != d.Active {
		t.Errorf("notices %q but Fallback() = %+v", got.all(), d)
	}
	if d.Active {
		if data, err := os.ReadFile(d.Path); err != nil || string(data) != fallbackConf {
			t.Errorf("%s: %v", d.Path, err)
		}
	}
	t.Logf("fallback needed on this host: %v (%s)", d.Active, d.Reason)
}

// TestPodmanEnsureImageFromBase builds FROM an image reference, the
// registry path, with the bootstrapped test base standing in for a
// registry image (already present, so podman pulls nothing); an image
// that cannot be pulled is a *PullError, which the builder falls back on.
func TestPodmanEnsureImageFromBase(t *testing.T) {
	t.Parallel()
	e, log := realPodman(t)
	base := ensureBase(t, e)
	ref := "localhost/backport-test/from:" + strings.TrimPrefix(newContainerName(), "backport-")
	t.Cleanup(func() { _ = e.RemoveImage(context.WithoutCancel(context.Background()), ref) })
	def := Definition{Base: Base{Image: base}, Setup: []string{"echo from-registry > /etc/backport-from"}}
	res, err := EnsureImage(context.Background(), e, ref, def, ImageOptions{Runner: e.runner, LockDir: t.TempDir()})
	if err != nil || !res.Built {
		t.Fatalf("EnsureImage FROM %s = %+v, %v", base, res, err)
	}
	var out bytes.Buffer
	code, err := e.Run(context.Background(), RunSpec{Image: ref, Args: []string{"cat", "/etc/backport-from"}, Stdout: &out, Stderr: &out})
	if err != nil || code != 0 || strings.TrimSpace(out.String()) != "from-registry" {
		t.Fatalf("the setup step is not in %s: %d %v %q", ref, code, err, out.String())
	}
	if n := log.count("podman", "pull"); n != 0 {
		t.Errorf("a present base was pulled %d times", n)
	}
	if n := log.count("debootstrap", ""); n != 0 && !baseImage.res.Built {
		t.Errorf("FROM an image ran debootstrap")
	}

	_, err = EnsureImage(context.Background(), e, ref+"-x", Definition{Base: Base{Image: "localhost/backport-test/no-such-image:1"}, Setup: []string{"true"}},
		ImageOptions{Runner: e.runner, LockDir: t.TempDir()})
	var pull *PullError
	if !errors.As(err, &pull) {
		t.Fatalf("an image that cannot be pulled: err = %v, want a *PullError", err)
	}
}
