package bundle_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/build"
	"github.com/backport/backport/pkg/bundle"
	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/recipe"
)

// End to end: install.sh in a podman container playing the server, with a
// project-written fixture daemon (an init script and a shell loop that
// writes its version to /run/fixture.version). Version 1 is installed and
// running; a bundle whose version 2 fails its health check must leave 1
// installed and running; the good version 2 must be applied and restarted;
// a second run must change nothing; a flipped byte must be refused.
//
// The servers reuse images other tests of the same run build: the Debian
// base of pkg/container's tests, and pkg/build's rpm builder (a Debian base
// with Debian's rpm). EnsureImage locks and reuses them by definition.
const (
	debServerRef = "localhost/backport-test/base:bookworm"  // pkg/container's testBaseRef
	rpmServerRef = "localhost/backport-test/builder:el9"    // pkg/build's testRPMBuilderRef
	healthCheck  = `test "$(cat /run/fixture.version)" = 2` // the recipe's
	daemonScript = "#!/bin/sh\necho %s >/run/fixture.version\nwhile :; do sleep 1; done\n"
)

// initScript starts and stops the daemon with a pid file, as a sysvinit
// script does.
const initScript = `#!/bin/sh
PIDFILE=/run/fixture.pid
start() { /usr/sbin/fixtured </dev/null >/dev/null 2>&1 & echo $! >"$PIDFILE"; }
stop() {
	if [ -f "$PIDFILE" ]; then kill "$(cat "$PIDFILE")" 2>/dev/null; rm -f "$PIDFILE"; fi
	rm -f /run/fixture.version
}
case "$1" in
start) start ;;
stop) stop ;;
restart | force-reload) stop; start ;;
status) [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" ;;
*) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
`

// fixtureBuilder builds the fixture package at a version whose daemon
// writes says to /run/fixture.version, into dir, and returns its path.
type fixtureBuilder func(t *testing.T, dir, version, says string) string

func TestPodmanInstallDeb(t *testing.T) {
	t.Parallel()
	testtool.Require(t, "dpkg-deb")
	engine := podman(t)
	mirror := hostDebian(t)
	// The same definition as pkg/container's test base, so that one image
	// serves both.
	def := container.Definition{
		Base:      container.Base{Bootstrap: &container.Bootstrap{Suite: "bookworm", Mirror: mirror.Archive}},
		Toolchain: []string{"netbase"},
	}
	testtool.Require(t, "debootstrap")
	if _, err := container.EnsureImage(context.Background(), engine, debServerRef, def, container.ImageOptions{}); err != nil {
		t.Fatalf("server image: %v", err)
	}
	runScenario(t, engine, debServerRef, "deb", buildDeb, scenarioDeb)
}

func TestPodmanInstallRPM(t *testing.T) {
	t.Parallel()
	testtool.Require(t, "rpmbuild")
	engine := podman(t)
	mirror := hostDebian(t)
	deb, err := recipe.LookupTarget(recipe.Config{Host: recipe.Mirrors{Vendors: map[recipe.Vendor]recipe.Mirror{recipe.VendorDebian: mirror}}}, "debian-12")
	if err != nil {
		t.Fatal(err)
	}
	// The same request as pkg/build's rpm test, so that one image serves both.
	el9 := recipe.Target{Name: "el9", Family: recipe.FamilyRPM, Vendor: recipe.VendorEL, Release: "9", DistTag: ".el9"}
	testtool.Require(t, "debootstrap")
	if _, err := build.EnsureBuilder(context.Background(), engine, build.BuilderRequest{
		Target: el9, Ref: rpmServerRef, DebianMirror: deb.Mirror, DebianSuite: deb.Codename,
	}); err != nil {
		t.Fatalf("server image: %v", err)
	}
	runScenario(t, engine, rpmServerRef, "rpm", buildRPM, scenarioRPM)
}

func podman(t *testing.T) *container.Engine {
	t.Helper()
	testtool.Require(t, "podman")
	testtool.RequireRoot(t)
	e, err := container.NewEngine(container.Podman, container.Options{
		ConfigDir: t.TempDir(),
		Notify:    func(msg string) { t.Log("notice: " + msg) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func hostDebian(t *testing.T) recipe.Mirror {
	t.Helper()
	m, err := recipe.HostMirrors("/")
	if err != nil || m.For(recipe.VendorDebian).Archive == "" {
		testtool.SkipOrFail(t, "no Debian mirror in the host's apt sources (%v)", err)
	}
	return m.For(recipe.VendorDebian)
}

// The scenario, as one script in one container: each step prints a
// "=== name" header, its output, and a "--- exit=… version=… running=…"
// summary that the test reads.
const scenarioCommon = `
set -u
summary() {
	v=$(installed)
	r=$(cat /run/fixture.version 2>/dev/null)
	alive=no
	if [ -f /run/fixture.pid ] && kill -0 "$(cat /run/fixture.pid)" 2>/dev/null; then alive=yes; fi
	echo "--- exit=$1 version=$v running=$r alive=$alive"
}
step() { name=$1; shift; echo "=== $name"; "$@"; summary $?; }
start_v1() { install_v1 && /etc/init.d/fixture start && sleep 1; }
step setup start_v1
step broken /bundles/broken/install.sh
step check /bundles/good/install.sh --check
step good /bundles/good/install.sh
step again /bundles/good/install.sh
step tampered /bundles/tampered/install.sh
echo "=== log"
cat /var/log/backport/*.log
`

// The previous version's package is where the package manager's cache
// keeps it: apt's archives, dnf's packages directory.
const scenarioDeb = `
installed() { dpkg-query -W -f='${Version}' fixture 2>/dev/null; }
install_v1() { cp /fixtures/fixture_1-1_all.deb /var/cache/apt/archives/ && dpkg -i /fixtures/fixture_1-1_all.deb >/dev/null; }
` + scenarioCommon

// Debian's rpm refuses to install without --force-debian (and keeps its
// own database); the fixture has no dependencies beyond rpmlib, so no
// --nodeps is needed.
const scenarioRPM = `
export BACKPORT_RPM_OPTS=--force-debian
installed() { rpm -q --qf '%{VERSION}-%{RELEASE}' fixture 2>/dev/null | grep -v 'not installed'; }
install_v1() {
	mkdir -p /var/cache/dnf/backport-test/packages && cp /fixtures/fixture-1-1.noarch.rpm /var/cache/dnf/backport-test/packages/ &&
	rpm -Uvh --force-debian /fixtures/fixture-1-1.noarch.rpm >/dev/null
}
` + scenarioCommon

func runScenario(t *testing.T, engine *container.Engine, image, family string, buildPkg fixtureBuilder, script string) {
	fixtures := t.TempDir()
	v1 := buildPkg(t, fixtures, "1-1", "1")
	if filepath.Dir(v1) != fixtures {
		t.Fatalf("fixture v1 at %s", v1)
	}
	good := writeBundle(t, family, buildPkg(t, t.TempDir(), "2-1", "2"), "2-1")
	broken := writeBundle(t, family, buildPkg(t, t.TempDir(), "2-2", "broken"), "2-2")
	tampered := writeBundle(t, family, buildPkg(t, t.TempDir(), "2-3", "2"), "2-3")
	pkgs, _ := filepath.Glob(filepath.Join(tampered, "packages", "*"))
	flipByte(t, pkgs[0])

	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	code, err := engine.Run(ctx, container.RunSpec{
		Image: image,
		Args:  []string{"sh", "-c", script},
		Mounts: []container.Mount{
			{Source: fixtures, Target: "/fixtures", ReadOnly: true},
			{Source: good, Target: "/bundles/good", ReadOnly: true},
			{Source: broken, Target: "/bundles/broken", ReadOnly: true},
			{Source: tampered, Target: "/bundles/tampered", ReadOnly: true},
		},
		Stdout: &out, Stderr: &out,
	})
	t.Logf("%s scenario: %s", family, time.Since(start).Round(time.Millisecond))
	if err != nil || code != 0 {
		t.Fatalf("container: exit %d, %v\n%s", code, err, out.String())
	}
	steps := parseSteps(out.String())
	want := map[string]string{
		"setup":    "exit=0 version=1-1 running=1 alive=yes",
		"broken":   "exit=1 version=1-1 running=1 alive=yes",
		"check":    "exit=0 version=1-1 running=1 alive=yes",
		"good":     "exit=0 version=2-1 running=2 alive=yes",
		"again":    "exit=0 version=2-1 running=2 alive=yes",
		"tampered": "exit=4 version=2-1 running=2 alive=yes",
	}
	for name, w := range want {
		if got := steps[name].summary; got != w {
			t.Errorf("step %s: %q, want %q", name, got, w)
		}
	}
	for name, text := range map[string]string{
		"broken":   "the health check failed",
		"check":    "would install: packages/",
		"again":    "already applied",
		"tampered": "checksums do not match SHA256SUMS",
	} {
		if !strings.Contains(steps[name].output, text) {
			t.Errorf("step %s does not say %q", name, text)
		}
	}
	if n := strings.Count(steps["good"].output, "fixture restart") + strings.Count(steps["good"].output, "init.d/fixture restart"); n != 1 {
		t.Errorf("the good bundle restarted the service %d times, want 1", n)
	}
	if strings.Contains(steps["again"].output, "restart") {
		t.Error("the second run restarted the service")
	}
	if !strings.Contains(steps["log"].output, "applied fixture-2-1") {
		t.Error("/var/log/backport has no record of the applied bundle")
	}
	if t.Failed() || os.Getenv("BACKPORT_E2E_SHOW") != "" {
		t.Logf("container output:\n%s", out.String())
	}
}

type step struct{ output, summary string }

var summaryLine = regexp.MustCompile(`(?m)^--- (.*)$`)

func parseSteps(out string) map[string]step {
	steps := map[string]step{}
	for _, part := range strings.Split(out, "=== ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		s := step{output: body}
		if m := summaryLine.FindAllStringSubmatch(body, -1); len(m) > 0 {
			s.summary = m[len(m)-1][1]
		}
		steps[name] = s
	}
	return steps
}

func writeBundle(t *testing.T, family, pkg, version string) string {
	t.Helper()
	w, err := bundle.Write(context.Background(), t.TempDir(), bundle.Input{
		Name: "fixture", UpstreamVersion: "2", Version: version, Target: map[string]string{"deb": "debian-12", "rpm": "el9"}[family],
		Family: family, Packages: []string{pkg}, Services: []string{"fixture"},
		HealthCheck: healthCheck, HealthRetries: 3, HealthDelaySeconds: 1,
		ToolVersion: "e2e", BuildTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	return w.Dir
}

func buildDeb(t *testing.T, dir, version, says string) string {
	t.Helper()
	tree := t.TempDir()
	files := map[string]string{
		"DEBIAN/control":     fmt.Sprintf("Package: fixture\nVersion: %s\nArchitecture: all\nMaintainer: Backport Test <test@example.invalid>\nDescription: backport test daemon\n", version),
		"usr/sbin/fixtured":  fmt.Sprintf(daemonScript, says),
		"etc/init.d/fixture": initScript,
	}
	for name, body := range files {
		writeExec(t, filepath.Join(tree, name), body)
	}
	if err := os.Chmod(filepath.Join(tree, "DEBIAN/control"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fixture_"+version+"_all.deb")
	if b, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", tree, out).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb --build: %v\n%s", err, b)
	}
	return out
}

const fixtureSpec = `Name: fixture
Version: %{fver}
Release: %{frel}
Summary: backport test daemon
License: MIT
BuildArch: noarch
AutoReqProv: no

%description
A daemon that writes its version to /run/fixture.version.

%install
mkdir -p %{buildroot}/usr/sbin %{buildroot}/etc/init.d
cp %{fsrc}/fixtured %{buildroot}/usr/sbin/fixtured
cp %{fsrc}/fixture %{buildroot}/etc/init.d/fixture

%files
%attr(0755,root,root) /usr/sbin/fixtured
%attr(0755,root,root) /etc/init.d/fixture
`

func buildRPM(t *testing.T, dir, version, says string) string {
	t.Helper()
	top, src := t.TempDir(), t.TempDir()
	writeExec(t, filepath.Join(src, "fixtured"), fmt.Sprintf(daemonScript, says))
	writeExec(t, filepath.Join(src, "fixture"), initScript)
	spec := filepath.Join(top, "fixture.spec")
	writeExec(t, spec, fixtureSpec)
	ver, rel, _ := strings.Cut(version, "-")
	cmd := exec.Command("rpmbuild", "-bb", "--define", "_topdir "+top, "--define", "_rpmdir "+dir,
		"--define", "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
		"--define", "fver "+ver, "--define", "frel "+rel, "--define", "fsrc "+src, spec)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, b)
	}
	return filepath.Join(dir, "fixture-"+version+".noarch.rpm")
}

func writeExec(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-100] ^= 0x01
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
