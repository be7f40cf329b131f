package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

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
	gpgv := testtool.Require(t, "gpgv")
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	work := testWorkdir(t, dir)
	keyFile, keyring, fingerprint := signingKey(t, dir)

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "build", "hello", "2.12.3", "--target", "debian-12", "--packaging", "bookworm", "--json", "--sign-key", keyFile)
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

	// Signed in this process: gpgv accepts SHA256SUMS.asc, the manifest
	// names the key by fingerprint only.
	bundle := rep.Bundle
	if out, err := exec.Command(gpgv, "--keyring", keyring, filepath.Join(bundle, "SHA256SUMS.asc"), filepath.Join(bundle, "SHA256SUMS")).CombinedOutput(); err != nil {
		t.Errorf("gpgv SHA256SUMS.asc: %v\n%s", err, out)
	}
	manifest, err := os.ReadFile(filepath.Join(bundle, "manifest.json"))
	if err != nil || !strings.Contains(string(manifest), fingerprint) || strings.Contains(string(manifest), "PRIVATE KEY") {
		t.Errorf("manifest.json should name the key %s and nothing of it (%v)", fingerprint, err)
	}

	// A fresh container plays the server: the builder image has no hello.
	if _, err := os.Stat(filepath.Join(bundle, "install.sh")); err != nil {
		t.Fatalf("no install.sh in the bundle: %v", err)
	}
	script := `set -e
cp -r /bundle /tmp/b && cd /tmp/b
./install.sh --check
./install.sh --require-signature --keyring /keyring.gpg
hello --version | head -1
./install.sh`
	run := exec.Command(podman, "run", "--rm", "--network", "none", "-v", bundle+":/bundle:ro", "-v", keyring+":/keyring.gpg:ro",
		"localhost/backport-test/builder:debian-12", "/bin/sh", "-c", script)
	// The containers.conf backport fell back on, if plain podman failed
	// on this host.
	if dir, err := os.UserConfigDir(); err == nil && os.Getenv("CONTAINERS_CONF") == "" {
		if conf := filepath.Join(dir, "backport", "containers.conf"); fileExists(conf) {
			run.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
		}
	}
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

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// signingKey writes a fresh, unprotected OpenPGP key for this test: the
// armored secret key (what --sign-key reads), a binary public keyring (what
// gpgv reads) and the fingerprint.
func signingKey(t *testing.T, dir string) (keyFile, keyring, fingerprint string) {
	t.Helper()
	e, err := openpgp.NewEntity("backport test", "", "test@example.org", &packet.Config{RSABits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	var sec bytes.Buffer
	w, err := armor.Encode(&sec, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var pub bytes.Buffer
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	keyFile, keyring = filepath.Join(dir, "key.asc"), filepath.Join(dir, "trusted.gpg")
	if err := os.WriteFile(keyFile, sec.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyring, pub.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return keyFile, keyring, strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
}
