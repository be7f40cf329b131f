package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

// buildBinary builds backport once per test into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	goTool := testtool.Require(t, "go")
	bin := filepath.Join(dir, "backport")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// testWorkdir is a directory whose backport.yaml points at the
// integration tests' images, so that no second builder is bootstrapped in
// one CI run.
func testWorkdir(t *testing.T, dir string) string {
	t.Helper()
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := "image_prefix: localhost/backport-test\nbase: bootstrap\n"
	if err := os.WriteFile(filepath.Join(work, "backport.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return work
}

// TestBuildHello2123OnBookwormPackaging is the loop's first target, as a
// user runs it: upstream hello 2.12.3 with bookworm's 2.10-3 packaging
// fails in dh_autoreconf, the autoreconf-regression remedy skips it, and
// the second attempt is green. The bundle is then installed as a new user
// would: copied into a fresh container, install.sh --check, install.sh,
// hello --version.
func TestBuildHello2123OnBookwormPackaging(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hello twice in podman")
	}
	testtool.RequireRoot(t)
	podman := testtool.Require(t, "podman")
	dpkgDeb := testtool.Require(t, "dpkg-deb")
	testtool.Require(t, "debootstrap")
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	work := testWorkdir(t, dir)

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "build", "hello", "2.12.3", "--target", "debian-12", "--packaging", "bookworm", "--json")
	cmd.Dir, cmd.Stdout, cmd.Stderr = work, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("backport build: %v\n%s\n%s", err, stderr.String(), stdout.String())
	}
	var rep struct {
		Status   string
		Hotfix   string `json:"hotfix_version"`
		Packages []string
		Tarball  string
		Bundle   string
		Patches  []struct{ Name, Fate string }
		Remedies []struct{ Name string }
		Attempts []struct {
			Outcome string
			Cause   *struct{ Class string }
		}
		Packaging struct{ Suite, Version string }
		Files     struct {
			PackagingDiff string `json:"packaging_diff"`
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout.String())
	}
	if rep.Status != "green" || rep.Hotfix != "2.12.3-0~bp1" || rep.Packaging.Version != "2.10-3" {
		t.Fatalf("report: %+v", rep)
	}
	if len(rep.Remedies) != 1 || rep.Remedies[0].Name != "autoreconf-regression" ||
		len(rep.Attempts) != 2 || rep.Attempts[0].Cause == nil || rep.Attempts[0].Cause.Class != "autoreconf-regression" {
		t.Errorf("want one autoreconf-regression remedy after attempt 1: %+v", rep)
	}
	diff, err := os.ReadFile(rep.Files.PackagingDiff)
	if err != nil || !strings.Contains(string(diff), "+override_dh_autoreconf:") {
		t.Errorf("packaging.diff lacks the remedy (%v):\n%s", err, diff)
	}
	var deb string
	for _, p := range rep.Packages {
		if strings.HasPrefix(filepath.Base(p), "hello_") {
			deb = p
		}
	}
	if out, err := exec.Command(dpkgDeb, "-f", deb, "Version").Output(); err != nil || strings.TrimSpace(string(out)) != "2.12.3-0~bp1" {
		t.Errorf("dpkg-deb -f %s Version = %q, %v", deb, out, err)
	}

	// A fresh container plays the server: the builder image has no hello.
	bundle := rep.Bundle
	if _, err := os.Stat(filepath.Join(bundle, "install.sh")); err != nil {
		t.Fatalf("no install.sh in the bundle: %v", err)
	}
	script := `set -e
cp -r /bundle /tmp/b && cd /tmp/b
./install.sh --check
./install.sh
hello --version | head -1
./install.sh`
	run := exec.Command(podman, "run", "--rm", "--network", "none", "-v", bundle+":/bundle:ro",
		"localhost/backport-test/builder:debian-12", "/bin/sh", "-c", script)
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("install.sh in a fresh container: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "hello (GNU Hello) 2.12.3") {
		t.Errorf("hello --version after install.sh:\n%s", out)
	}
	if !strings.Contains(strings.ToLower(string(out)), "already applied") {
		t.Errorf("the second install.sh did not say the bundle is already applied:\n%s", out)
	}
}
