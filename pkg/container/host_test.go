package container

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/pkg/exitcode"
)

func TestHostRunIdentityMountsAndEnv(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	runner := &Runner{BaseEnv: append(os.Environ(), "BACKPORT_STORE_TOKEN=do-not-leak")}
	h := NewHost(Options{Runner: runner})
	m := Mount{Source: src}
	if h.InsidePath(m) != src {
		t.Fatalf("InsidePath = %q, want the source %q", h.InsidePath(m), src)
	}
	var out bytes.Buffer
	code, err := h.Run(context.Background(), RunSpec{
		Args:    []string{"sh", "-c", `pwd; echo "$FOO"; echo "token=$BACKPORT_STORE_TOKEN"; touch made-here; exit 5`},
		Env:     map[string]string{"FOO": "bar"},
		Mounts:  []Mount{m},
		Workdir: h.InsidePath(m),
		Network: true,
		Stdout:  &out,
	})
	if err != nil || code != 5 {
		t.Fatalf("Run = %d, %v; want 5, nil", code, err)
	}
	if got, want := out.String(), src+"\nbar\ntoken=\n"; got != want {
		t.Errorf("output %q, want %q (workdir, env, and no inherited tokens)", got, want)
	}
	if _, err := os.Stat(filepath.Join(src, "made-here")); err != nil {
		t.Error(err)
	}
}

func TestHostRunRefusesRemapping(t *testing.T) {
	t.Parallel()
	h := NewHost(Options{})
	_, err := h.Run(context.Background(), RunSpec{Args: []string{"true"}, Mounts: []Mount{{Source: t.TempDir(), Target: "/src"}}})
	if err == nil || !strings.Contains(err.Error(), "InsidePath") {
		t.Errorf("Run with a remapped mount = %v", err)
	}
}

func TestHostRunNetworkOff(t *testing.T) {
	t.Parallel()
	var got notices
	h := NewHost(Options{Notify: got.add})
	var out bytes.Buffer
	code, err := h.Run(context.Background(), RunSpec{Args: []string{"cat", "/proc/net/dev"}, Stdout: &out})
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if _, nerr := h.networkOff(context.Background()); nerr != nil {
		// Not allowed here: the build must say it runs with the network.
		if len(got.all()) != 1 || !strings.Contains(got.all()[0], "network") {
			t.Errorf("no notice that the network stays on: %q", got.all())
		}
		t.Skipf("network namespaces not allowed here: %v", nerr)
	}
	// An empty network namespace has only the loopback device.
	var devices []string
	for _, line := range strings.Split(out.String(), "\n")[2:] {
		if name, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			devices = append(devices, name)
		}
	}
	if len(devices) != 1 || devices[0] != "lo" {
		t.Errorf("network devices with the network off: %q", devices)
	}
}

func TestHostRunCancel(t *testing.T) {
	t.Parallel()
	h := NewHost(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := h.Run(ctx, RunSpec{Args: []string{"sh", "-c", "sleep 300 & sleep 300; wait"}, Network: true})
	if took := time.Since(start); took > 7*time.Second {
		t.Errorf("cancelled run took %s", took)
	}
	if exitcode.Of(err) != exitcode.Interrupted {
		t.Errorf("exitcode.Of(%v) = %d, want %d", err, exitcode.Of(err), exitcode.Interrupted)
	}
}

func TestHostHasNoImages(t *testing.T) {
	t.Parallel()
	h := NewHost(Options{})
	ctx := context.Background()
	if _, err := h.ImageExists(ctx, "x"); !errors.Is(err, ErrNoImages) {
		t.Errorf("ImageExists: %v", err)
	}
	if err := h.Commit(ctx, "c", "x", nil); !errors.Is(err, ErrNoImages) {
		t.Errorf("Commit: %v", err)
	}
	res, err := EnsureImage(ctx, h, "localhost/backport/x:1", testDefinition("http://mirror.invalid/debian"), ImageOptions{LockDir: t.TempDir()})
	if err != nil || res.Built || !strings.Contains(res.Reason, "host runtime") {
		t.Errorf("EnsureImage on host = %+v, %v; want a skip with its reason", res, err)
	}
	dir := t.TempDir()
	ref, hit, err := EnsureLayer(ctx, h, "base", "key", RunSpec{Args: []string{"touch", filepath.Join(dir, "setup-ran")}})
	if err != nil || hit || ref != "base" {
		t.Errorf("EnsureLayer on host = %q, %v, %v", ref, hit, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "setup-ran")); err != nil {
		t.Error("setup did not run on the host")
	}
	checks := h.Diagnose(ctx)
	if len(checks) < 3 || checks[0].Name != "runtime" {
		t.Errorf("Diagnose = %+v", checks)
	}
}
