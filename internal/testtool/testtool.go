// Package testtool lets tests that drive real tools (rpm, dpkg, podman…)
// skip on a developer laptop that lacks them, and fail under CI=true, where a
// missing tool means the CI set-up is broken.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of the named executable. When it is not on PATH
// the test is skipped, or failed when the CI environment variable is "true".
func Require(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true but is not on PATH", name)
	}
	t.Skipf("%s not on PATH; skipping (it is required under CI=true)", name)
	return ""
}

// SkipOrFail skips the test with the reason on a developer machine that
// lacks what it needs, and fails it under CI=true, where the CI set-up must
// provide it.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("required under CI=true: "+format, args...)
	}
	t.Skipf(format+" (required under CI=true)", args...)
}

// RequireRoot is SkipOrFail for tests that must run as root (bootstrapping
// images with debootstrap, rootful podman).
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		SkipOrFail(t, "this test needs root")
	}
}
