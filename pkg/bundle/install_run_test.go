package bundle

import (
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

// These tests run the real install.sh under dash and busybox sh against
// fake package tools on PATH: a package database of files under $FAKE/db,
// a call log in $FAKE/calls, and services whose "running version" is the
// installed one. The real podman end-to-end tests are in e2e_test.go.

const fakeTools = `#!/bin/sh
# one dispatcher for every fake tool, by the name it was called by
tool=${0##*/}
log() { echo "$*" >>"$FAKE/calls"; }
case $tool in
dpkg-query)
	for n; do :; done
	if [ -f "$FAKE/db/$n" ]; then echo "install ok installed $(cat "$FAKE/db/$n")"; exit 0; fi
	echo "dpkg-query: no packages found matching $n" >&2; exit 1 ;;
dpkg)
	case $1 in --compare-versions) exec "$REAL_DPKG" "$@" ;; esac
	op= ; for a; do case $a in -i|-r) op=$a ;; esac; done
	[ -z "${FAKE_DPKG_FAIL:-}" ] || { echo "dpkg: error processing archive"; exit 1; }
	for a; do
		case $a in -*) continue ;; esac
		if [ "$op" = -i ]; then
			set -- $(dpkg-deb --show --showformat='${Package} ${Version}' "$a")
			echo "$2" >"$FAKE/db/$1"; log "dpkg -i $1 $2"
		else rm -f "$FAKE/db/$a"; log "dpkg -r $a"
		fi
	done ;;
apt-get)
	for a; do case $a in -* | Dpkg::*) ;; *=*) echo "${a#*=}" >"$FAKE/db/${a%%=*}"; log "apt-get install $a" ;; esac; done ;;
service | systemctl)
	if [ "$tool" = systemctl ]; then svc=${2:-}; [ "$1" = daemon-reload ] && { log "systemctl daemon-reload"; exit 0; }
	else svc=$1; fi
	log "$tool restart $svc"
	cat "$FAKE/db/$svc" >"$FAKE/running" 2>/dev/null ;;
esac
`

// fakeHealth passes unless the running version is marked unhealthy.
const fakeHealth = `v=$(cat "$FAKE/running") && test ! -e "$FAKE/unhealthy-$v"`

type fakeHost struct {
	t                     *testing.T
	shell                 []string
	root, fake, bin, dpkg string
	bundle, attach        string
	signer                *testSigner
}

// newFakeHost writes a signed fixture 2-1+bp1 bundle, and a host with
// fixture 1-1 installed, its .deb in apt's cache and its service running.
func newFakeHost(t *testing.T, shell []string) *fakeHost {
	t.Helper()
	realDpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("dpkg not on PATH")
	}
	h := &fakeHost{t: t, shell: shell, root: t.TempDir(), fake: t.TempDir(), bin: t.TempDir(), dpkg: realDpkg, signer: newTestSigner(t)}
	for _, tool := range []string{"dpkg-query", "dpkg", "apt-get", "service", "systemctl"} {
		h.write(filepath.Join(h.bin, tool), fakeTools, 0o755)
	}
	in := testInput(t, t.TempDir())
	in.HealthCheck, in.HealthRetries, in.HealthDelaySeconds = fakeHealth, 2, 1
	in.Signer = h.signer
	w, err := Write(context.Background(), t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	h.bundle = w.Dir
	cache := filepath.Join(h.root, "var/cache/apt/archives")
	h.mkdir(cache)
	debFile(t, cache, "fixture", "1-1", "all", map[string]string{"./usr/bin/fixture": "#!/bin/sh\necho 1\n"})
	h.mkdir(filepath.Join(h.fake, "db"))
	h.write(filepath.Join(h.fake, "db", "fixture"), "1-1\n", 0o644)
	h.write(filepath.Join(h.fake, "running"), "1-1\n", 0o644)
	return h
}

func (h *fakeHost) write(path, body string, mode os.FileMode) {
	h.t.Helper()
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		h.t.Fatal(err)
	}
}

func (h *fakeHost) mkdir(path string) {
	h.t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		h.t.Fatal(err)
	}
}

// run runs install.sh with args and extra environment; it returns the
// exit status and the output.
func (h *fakeHost) run(script string, env []string, args ...string) (int, string) {
	h.t.Helper()
	cmd := exec.Command(h.shell[0], append(append(h.shell[1:], script), args...)...)
	cmd.Env = append([]string{
		"PATH=" + h.bin + ":" + os.Getenv("PATH"), "BACKPORT_ROOT=" + h.root, "FAKE=" + h.fake,
		"REAL_DPKG=" + h.dpkg, "HOME=" + h.fake, "TMPDIR=" + h.t.TempDir(),
	}, env...)
	cmd.Dir = h.t.TempDir()
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		h.t.Fatal(err)
	}
	return code, string(out)
}

func (h *fakeHost) installed(name string) string {
	data, err := os.ReadFile(filepath.Join(h.fake, "db", name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

func (h *fakeHost) calls() []string {
	data, _ := os.ReadFile(filepath.Join(h.fake, "calls"))
	return strings.Fields(strings.ReplaceAll(string(data), " ", "_"))
}

func (h *fakeHost) keyring() string {
	return h.signer.keyring(h.t, filepath.Join(h.fake, "trusted.gpg"))
}

func TestInstallScriptBehaviour(t *testing.T) {
	t.Parallel()
	testtool.Require(t, "dpkg-deb")
	testtool.Require(t, "gpgv")
	cases := []struct {
		name      string
		setup     func(h *fakeHost) (env, args []string)
		code      int
		say       []string // in the output, in order
		calls     []string
		installed string // fixture's version afterwards
	}{
		{
			name:  "upgrade, restart, health check",
			setup: func(h *fakeHost) ([]string, []string) { return nil, nil },
			say: []string{"checksums: every file matches", "warning: signature not checked: no trusted keyring",
				"fixture (all): upgrade 1-1 -> 2-1+bp1", "previous: fixture 1-1 (restore from: ", "health check passed", "applied fixture-2-1+bp1.debian-12"},
			calls:     []string{"dpkg_-i_fixture_2-1+bp1", "service_restart_fixture"},
			installed: "2-1+bp1",
		},
		{
			name: "second run is a no-op",
			setup: func(h *fakeHost) ([]string, []string) {
				h.write(filepath.Join(h.fake, "db", "fixture"), "2-1+bp1\n", 0o644)
				return nil, nil
			},
			say:       []string{"fixture (all): 2-1+bp1 already installed", "already applied: nothing to do"},
			installed: "2-1+bp1",
		},
		{
			name: "failed health check restores version 1 from apt's cache",
			setup: func(h *fakeHost) ([]string, []string) {
				h.write(filepath.Join(h.fake, "unhealthy-2-1+bp1"), "", 0o644)
				return nil, nil
			},
			code: 1,
			say: []string{"health check failed 2 times", "error: the health check failed", "restoring the previous versions",
				"health check passed", "failed: the previous versions are back in place"},
			calls:     []string{"dpkg_-i_fixture_2-1+bp1", "service_restart_fixture", "dpkg_-i_fixture_1-1", "service_restart_fixture"},
			installed: "1-1",
		},
		{
			name: "failed install restores from the repositories when no file is kept",
			setup: func(h *fakeHost) ([]string, []string) {
				must(t, os.RemoveAll(filepath.Join(h.root, "var/cache/apt/archives")))
				return []string{"FAKE_DPKG_FAIL=1"}, nil
			},
			code:      1,
			say:       []string{"previous: fixture 1-1 (restore from: repo)", "error: installing the packages failed", "restoring from the repositories"},
			calls:     []string{"apt-get_install_fixture=1-1", "service_restart_fixture"},
			installed: "1-1",
		},
		{
			name: "a flipped byte in a package is refused",
			setup: func(h *fakeHost) ([]string, []string) {
				flipByte(t, filepath.Join(h.bundle, "packages", "fixture_2-1+bp1_all.deb"))
				return nil, nil
			},
			code:      4,
			say:       []string{"FAILED", "error: checksums do not match SHA256SUMS"},
			installed: "1-1",
		},
		{
			name:      "--check changes nothing",
			setup:     func(h *fakeHost) ([]string, []string) { return nil, []string{"--check"} },
			say:       []string{"fixture (all): upgrade 1-1 -> 2-1+bp1", "to restore fixture 1-1: ", "would install: packages/fixture_2-1+bp1_all.deb", "would restart: fixture", "--check: nothing was changed"},
			installed: "1-1",
		},
		{
			name:      "--require-signature without a keyring",
			setup:     func(h *fakeHost) ([]string, []string) { return nil, []string{"--require-signature"} },
			code:      4,
			say:       []string{"error: --require-signature: no trusted keyring"},
			installed: "1-1",
		},
		{
			name: "signature verified with --keyring",
			setup: func(h *fakeHost) ([]string, []string) {
				return nil, []string{"--require-signature", "--keyring", h.keyring()}
			},
			say:       []string{"signature: SHA256SUMS.asc verified with ", "applied"},
			calls:     []string{"dpkg_-i_fixture_2-1+bp1", "service_restart_fixture"},
			installed: "2-1+bp1",
		},
		{
			name: "signature by another key is refused",
			setup: func(h *fakeHost) ([]string, []string) {
				other := newTestSigner(t)
				return []string{"BACKPORT_TRUSTED_KEYRING=" + other.keyring(t, filepath.Join(h.fake, "other.gpg"))}, nil
			},
			code:      4,
			say:       []string{"error: SHA256SUMS.asc does not verify with "},
			installed: "1-1",
		},
		{
			name: "systemd restarts with systemctl",
			setup: func(h *fakeHost) ([]string, []string) {
				h.mkdir(filepath.Join(h.root, "run/systemd/system"))
				return nil, nil
			},
			say:       []string{"+ systemctl restart fixture", "applied"},
			calls:     []string{"dpkg_-i_fixture_2-1+bp1", "systemctl_daemon-reload", "systemctl_restart_fixture"},
			installed: "2-1+bp1",
		},
		{
			name: "first install on a host without the package",
			setup: func(h *fakeHost) ([]string, []string) {
				must(t, os.Remove(filepath.Join(h.fake, "db", "fixture")))
				return nil, nil
			},
			say:       []string{"fixture (all): install 2-1+bp1 (first install)", "applied"},
			calls:     []string{"dpkg_-i_fixture_2-1+bp1", "service_restart_fixture"},
			installed: "2-1+bp1",
		},
		{
			name: "a newer distro package is left alone",
			setup: func(h *fakeHost) ([]string, []string) {
				h.write(filepath.Join(h.fake, "db", "fixture"), "2-2\n", 0o644)
				return nil, nil
			},
			say:       []string{"installed 2-2 is newer than the hotfix's 2-1+bp1; left alone", "nothing to do"},
			installed: "2-2",
		},
		{
			name: "runs from $RS_ATTACH_DIR",
			setup: func(h *fakeHost) ([]string, []string) {
				// The operator's tool copied the script alone elsewhere.
				copyTo := filepath.Join(h.t.TempDir(), "install.sh")
				h.write(copyTo, string(mustRead(t, filepath.Join(h.bundle, "install.sh"))), 0o755)
				h.bundle, h.attach = filepath.Dir(copyTo), h.bundle
				return []string{"RS_ATTACH_DIR=" + h.attach}, nil
			},
			say:       []string{"checksums: every file matches", "applied"},
			calls:     []string{"dpkg_-i_fixture_2-1+bp1", "service_restart_fixture"},
			installed: "2-1+bp1",
		},
		{
			name:  "unknown argument",
			setup: func(h *fakeHost) ([]string, []string) { return nil, []string{"--bogus"} },
			code:  2, say: []string{"unknown argument --bogus"}, installed: "1-1",
		},
		{
			name:  "help",
			setup: func(h *fakeHost) ([]string, []string) { return nil, []string{"--help"} },
			say:   []string{"Usage: install.sh", "fixture-2-1+bp1.debian-12", "Exit status"}, installed: "1-1",
		},
	}
	for _, sh := range shells(t) {
		t.Run(filepath.Base(sh[0]), func(t *testing.T) {
			t.Parallel()
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					h := newFakeHost(t, sh)
					env, args := c.setup(h)
					code, out := h.run(filepath.Join(h.bundle, "install.sh"), env, args...)
					if code != c.code {
						t.Errorf("exit %d, want %d", code, c.code)
					}
					rest := out
					for _, s := range c.say {
						i := strings.Index(rest, s)
						if i < 0 {
							t.Errorf("output lacks %q (in order)", s)
							break
						}
						rest = rest[i+len(s):]
					}
					if h.attach != "" && !strings.Contains(out, "in "+h.attach+" ") {
						t.Errorf("did not use the bundle in $RS_ATTACH_DIR=%s", h.attach)
					}
					if got := h.calls(); strings.Join(got, " ") != strings.Join(c.calls, " ") {
						t.Errorf("calls %q, want %q", got, c.calls)
					}
					if got := h.installed("fixture"); got != c.installed {
						t.Errorf("fixture at %q, want %q", got, c.installed)
					}
					if t.Failed() {
						t.Logf("output:\n%s", out)
					}
				})
			}
		})
	}
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// SIGTERM while the packages are being changed restores the previous
// versions and exits 130.
func TestInstallScriptInterrupted(t *testing.T) {
	t.Parallel()
	testtool.Require(t, "dpkg-deb")
	for _, sh := range shells(t) {
		t.Run(filepath.Base(sh[0]), func(t *testing.T) {
			t.Parallel()
			h := newFakeHost(t, sh)
			// A health check that blocks until the test has signalled.
			marker := filepath.Join(h.fake, "in-health-check")
			in := testInput(t, t.TempDir())
			in.HealthCheck = `touch "$FAKE/in-health-check"; sleep 1`
			w, err := Write(context.Background(), t.TempDir(), in)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(sh[0], append(sh[1:], filepath.Join(w.Dir, "install.sh"))...)
			cmd.Env = []string{"PATH=" + h.bin + ":" + os.Getenv("PATH"), "BACKPORT_ROOT=" + h.root, "FAKE=" + h.fake, "REAL_DPKG=" + h.dpkg, "TMPDIR=" + t.TempDir()}
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				if _, err := os.Stat(marker); err == nil || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
				t.Errorf("exit %v, want 130", err)
			}
			if got := h.installed("fixture"); got != "1-1" {
				t.Errorf("fixture at %q after the interrupt, want 1-1 restored", got)
			}
			if !strings.Contains(out.String(), "interrupted") || !strings.Contains(out.String(), "restoring the previous versions") {
				t.Errorf("output:\n%s", out.String())
			}
			if _, err := os.Stat(filepath.Join(h.root, "var/lib/backport/.install.lock")); !os.IsNotExist(err) {
				t.Errorf("the lock was left behind: %v", err)
			}
		})
	}
}
