package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
)

// TestSIGTERMDuringBuild runs the real binary, as a user's shell or a CI
// job would, and sends it SIGTERM while dpkg-buildpackage runs in its
// container: backport must stop and remove the container itself (podman
// alone would let the build run on), exit 130, release the workspace lock
// and leave the workspace for the next run.
func TestSIGTERMDuringBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hello in podman")
	}
	testtool.RequireRoot(t)
	podman := testtool.Require(t, "podman")
	testtool.Require(t, "debootstrap")

	dir := t.TempDir()
	bin := buildBinary(t, dir)
	work := testWorkdir(t, dir)
	var out bytes.Buffer
	cmd := exec.Command(bin, "build", "hello", "2.10", "--target", "debian-12", "--max-attempts", "1")
	cmd.Dir, cmd.Stdout, cmd.Stderr = work, &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// The build container is the one with this workspace's build directory
	// mounted; wait until it runs dpkg-buildpackage.
	buildDir := filepath.Join(work, ".backport", "work", "hello-2.10-debian-12", "build")
	var id string
	deadline := time.Now().Add(15 * time.Minute)
	for id == "" {
		select {
		case err := <-done:
			t.Fatalf("backport ended before its build started (%v):\n%s", err, out.String())
		case <-time.After(time.Second):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no build container after 15 minutes:\n%s", out.String())
		}
		id = containerWithMount(t, podman, buildDir)
	}
	time.Sleep(3 * time.Second) // well into the build
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("backport did not exit within 2 minutes of SIGTERM:\n%s", out.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit status %d after SIGTERM, want 130:\n%s", code, out.String())
	}
	if err := exec.Command(podman, "container", "exists", id).Run(); err == nil {
		t.Errorf("container %s still exists after SIGTERM", id)
	}
	if left := containerWithMount(t, podman, buildDir); left != "" {
		t.Errorf("container %s still has the workspace mounted", left)
	}
	// The workspace is kept and unlocked: the sources are still there and
	// a fetch (which locks it) runs at once.
	if _, err := os.Stat(filepath.Join(work, ".backport", "work", "hello-2.10-debian-12", "sources.json")); err != nil {
		t.Errorf("workspace state gone after SIGTERM: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fetch := exec.CommandContext(ctx, bin, "fetch", "hello", "2.10", "--target", "debian-12")
	fetch.Dir = work
	if b, err := fetch.CombinedOutput(); err != nil {
		t.Errorf("fetch after SIGTERM (workspace still locked?): %v\n%s", err, b)
	}
}

// containerWithMount is the ID of a running container that mounts dir, or
// "".
func containerWithMount(t *testing.T, podman, dir string) string {
	t.Helper()
	ids, err := exec.Command(podman, "ps", "-a", "-q", "--no-trunc").Output()
	if err != nil {
		return ""
	}
	for _, id := range strings.Fields(string(ids)) {
		mounts, err := exec.Command(podman, "inspect", "--format", "{{range .Mounts}}{{.Source}}\n{{end}}", id).Output()
		if err != nil {
			continue // gone in between
		}
		for _, m := range strings.Split(string(mounts), "\n") {
			if m == dir {
				return id
			}
		}
	}
	return ""
}
