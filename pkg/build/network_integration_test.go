package build

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/workspace"
)

// netprobeRules is the debian/rules of a package whose build opens a TCP
// connection to the mirror: reachable, the build goes on to fail later
// anyway, but says "connected", which the test refuses.
const netprobeRules = `#!/usr/bin/make -f
clean:
	rm -f built
build build-arch build-indep:
	@if bash -c 'exec 3<>/dev/tcp/$(PROBE_HOST)/$(PROBE_PORT)'; then \
		echo "netprobe: connected to $(PROBE_HOST):$(PROBE_PORT)"; \
	else \
		echo "netprobe: connection to $(PROBE_HOST):$(PROBE_PORT) failed"; exit 1; \
	fi
	touch built
binary binary-arch binary-indep: build
	exit 1
.PHONY: clean build build-arch build-indep binary binary-arch binary-indep
`

// netprobeSources writes the native source package netprobe 1.0 into a
// fresh workspace and returns what fetch would have returned for it.
func netprobeSources(t *testing.T, root, host, port string) (*workspace.Workspace, *sources.Result) {
	t.Helper()
	ws, err := workspace.Open(root, workspace.Key{Name: "netprobe", Version: "1.0", Target: "debian-12"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	tree := filepath.Join(ws.Tree(), "netprobe-1.0")
	rules := "PROBE_HOST := " + host + "\nPROBE_PORT := " + port + "\n"
	files := map[string]string{
		"debian/source/format": "3.0 (native)\n",
		"debian/control": "Source: netprobe\nSection: misc\nPriority: optional\nMaintainer: Backport Test <test@example.org>\n" +
			"Standards-Version: 4.6.2\n\nPackage: netprobe\nArchitecture: all\nDescription: tries the network while building\n tries the network while building\n",
		"debian/changelog": "netprobe (1.0) unstable; urgency=medium\n\n  * Initial release.\n\n -- Backport Test <test@example.org>  Thu, 01 Jan 2026 00:00:00 +0000\n",
		"debian/rules":     strings.Replace(netprobeRules, "#!/usr/bin/make -f\n", "#!/usr/bin/make -f\n"+rules, 1),
	}
	for name, text := range files {
		p := filepath.Join(tree, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if name == "debian/rules" {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	return ws, &sources.Result{
		Name: "netprobe", Version: "1.0", Target: "debian-12", Family: "deb",
		DistroSource: "netprobe", DistroVersion: "1.0", Workspace: ws.Dir, Tree: tree,
	}
}

// TestPodmanBuildHasNoNetwork builds a package that connects to the mirror
// while building: with the network off the build must fail, and its log
// must show the connection failing.
func TestPodmanBuildHasNoNetwork(t *testing.T) {
	testtool.Require(t, "podman")
	testtool.Require(t, "debootstrap")
	testtool.RequireRoot(t)
	tgt := hostTarget(t)
	u, err := url.Parse(tgt.Mirror)
	if err != nil || u.Hostname() == "" {
		t.Fatalf("mirror %q: no host to connect to (%v)", tgt.Mirror, err)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	// An address, not a name: without one the probe would stop at the
	// name lookup and prove nothing about TCP.
	host := u.Hostname()
	if addrs, err := net.LookupHost(host); err == nil {
		for _, a := range addrs {
			if !strings.Contains(a, ":") { // IPv4 first: the more likely route
				host = a
				break
			}
		}
	}
	// The probe means something only if the host itself can reach the mirror.
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), 10*time.Second); err != nil {
		t.Logf("note: the host cannot reach %s:%s either (%v)", host, port, err)
	} else {
		c.Close()
	}
	engine, err := container.NewEngine(container.Podman, container.Options{
		ConfigDir: t.TempDir(),
		Notify:    func(msg string) { t.Log("notice: " + msg) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ws, src := netprobeSources(t, t.TempDir(), host, port)
	start := time.Now()
	res, err := Run(context.Background(), Options{
		Runtime: engine, Target: tgt, Workspace: ws, Sources: src, OutDir: t.TempDir(),
		BuilderRef: testBuilderRef, Maintainer: "Backport Test <test@example.org>",
	})
	t.Logf("netprobe build: %s; err %v", time.Since(start).Round(time.Millisecond), err)
	if res != nil {
		t.Logf("steps %s", describeSteps(res.Steps))
	}
	if exitcode.Of(err) != exitcode.BuildRed {
		showLog(t, ws.LogPath(1))
		t.Fatalf("Run = %v (exit %d); want exit %d", err, exitcode.Of(err), exitcode.BuildRed)
	}
	var failed *FailedError
	if !errors.As(err, &failed) || failed.Step != "dpkg-buildpackage" {
		t.Fatalf("%v: want a *FailedError of dpkg-buildpackage", err)
	}
	log, err := os.ReadFile(ws.LogPath(1))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "netprobe: connection to "+host) || strings.Contains(string(log), "netprobe: connected") {
		showLog(t, ws.LogPath(1))
		t.Error("the log does not show the build's connection failing")
	}
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, "/dev/tcp/") || strings.HasPrefix(line, "netprobe:") {
			t.Log("log: " + line)
		}
	}
}
