package container

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The failures seen on nested and reduced-privilege hosts, as podman prints
// them.
var fallbackFailures = map[string]string{
	"runc rlimit":   "Error: runc: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted: OCI permission denied",
	"crun rlimit":   "Error: crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted: OCI permission denied",
	"crun cgroups":  "Error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2: OCI runtime error",
	"plain setrlim": "crun: setrlimit RLIMIT_NOFILE: Operation not permitted",
}

// fakeNeedsFallback fails `run` like a host whose podman defaults do not
// work, unless CONTAINERS_CONF names a file with backport's settings.
func fakeNeedsFallback(failure string) string {
	return `case "$1" in
run)
	cid=$(flag --cidfile "$@")
	if [ -n "$cid" ]; then
		if [ -e "$cid" ]; then echo "Error: container id file $cid exists" >&2; exit 125; fi
		echo fakecid0123 > "$cid"
	fi
	if [ -z "$CONTAINERS_CONF" ] || ! grep -q 'default_ulimits = \[\]' "$CONTAINERS_CONF"; then
		echo ` + shellQuote(failure) + ` >&2
		exit 126
	fi
	echo ran ;;
esac`
}

func TestFallbackRetriesOnEachSignature(t *testing.T) {
	t.Parallel()
	for name, failure := range fallbackFailures {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeEngine(t, "podman", fakeNeedsFallback(failure))
			var got notices
			confDir := t.TempDir()
			e := fake.engine(t, Podman, Options{ConfigDir: confDir, Notify: got.add})
			var stderr strings.Builder
			code, err := e.Run(context.Background(), RunSpec{Image: "img", Args: []string{"true"}, Stderr: &stderr})
			if err != nil || code != 0 {
				t.Fatalf("Run = %d, %v; want the retry to succeed", code, err)
			}
			confPath := filepath.Join(confDir, "containers.conf")
			// The failure happens in the trivial container that settles the
			// question, not in the caller's run (and its log).
			probes := fake.probes(t)
			if len(probes) != 2 || probes[0].Conf != "" || probes[1].Conf != confPath {
				t.Fatalf("probes with CONTAINERS_CONF %q, want one without and one retry with %s", confs(probes), confPath)
			}
			if runs := fake.callsTo(t, "run"); len(runs) != 1 || runs[0].Conf != confPath {
				t.Fatalf("runs with CONTAINERS_CONF %q, want one, with %s", confs(runs), confPath)
			}
			if stderr.Len() != 0 {
				t.Errorf("the caller's stderr got %q", stderr.String())
			}
			if data, err := os.ReadFile(confPath); err != nil || string(data) != fallbackConf {
				t.Errorf("containers.conf = %q, %v", data, err)
			}
			msgs := got.all()
			if len(msgs) != 1 || !strings.Contains(msgs[0], "retried with backport's containers.conf (runc, no default ulimits)") ||
				!strings.Contains(msgs[0], strings.TrimSpace(failure)[:20]) {
				t.Errorf("notices = %q", msgs)
			}
			if d := e.Fallback(); !d.Active || d.Path != confPath || !strings.Contains(d.Reason, "podman failed with") {
				t.Errorf("Fallback() = %+v", d)
			}
			// Every later call of this runtime uses it, with no second failure.
			if _, err := e.Run(context.Background(), RunSpec{Image: "img", Args: []string{"true"}}); err != nil {
				t.Fatal(err)
			}
			_, _ = e.ImageExists(context.Background(), "img")
			for _, c := range fake.calls(t)[1:] {
				if c.Conf != confPath {
					t.Errorf("later call %q ran without the fallback", c.Args)
				}
			}
			if n := len(got.all()); n != 1 {
				t.Errorf("%d notices, want the one", n)
			}
		})
	}
}

func confs(calls []fakeCall) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Conf)
	}
	return out
}

// A later process starts with the file an earlier one wrote, silently.
func TestFallbackRemembered(t *testing.T) {
	t.Parallel()
	fake := newFakeEngine(t, "podman", fakeNeedsFallback(fallbackFailures["runc rlimit"]))
	confDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(confDir, "containers.conf"), []byte(fallbackConf), 0o644); err != nil {
		t.Fatal(err)
	}
	var got notices
	e := fake.engine(t, Podman, Options{ConfigDir: confDir, Notify: got.add})
	if _, err := e.Run(context.Background(), RunSpec{Image: "img", Args: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	if runs := fake.callsTo(t, "run"); len(runs) != 1 {
		t.Errorf("%d run calls, want 1 (no failure to retry)", len(runs))
	}
	if len(got.all()) != 0 {
		t.Errorf("notices %q for a remembered decision", got.all())
	}
}

func TestFallbackNotApplied(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, engine, body string
	}{
		{"docker has no containers.conf", Docker, fakeNeedsFallback(fallbackFailures["runc rlimit"])},
		{"another failure", Podman, `case "$1" in run) echo "Error: localhost/x: image not known" >&2; exit 125 ;; esac`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeEngine(t, tt.engine, tt.body)
			confDir := t.TempDir()
			var got notices
			e := fake.engine(t, tt.engine, Options{ConfigDir: confDir, Notify: got.add})
			if _, err := e.Run(context.Background(), RunSpec{Image: "img", Args: []string{"true"}}); err == nil {
				t.Fatal("Run succeeded")
			}
			if n := len(fake.callsTo(t, "run")); n != 1 {
				t.Errorf("%d run calls, want 1", n)
			}
			if _, err := os.Stat(filepath.Join(confDir, "containers.conf")); !os.IsNotExist(err) {
				t.Errorf("containers.conf written: %v", err)
			}
			if len(got.all()) != 0 {
				t.Errorf("notices: %q", got.all())
			}
		})
	}
}

// The user's CONTAINERS_CONF is theirs: no retry, no file of ours.
func TestFallbackRespectsUserConf(t *testing.T) {
	t.Parallel()
	userConf := filepath.Join(t.TempDir(), "mine.conf")
	if err := os.WriteFile(userConf, []byte("[engine]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runner := &Runner{BaseEnv: append(envWithout("CONTAINERS_CONF"), "CONTAINERS_CONF="+userConf)}
	fake := newFakeEngine(t, "podman", fakeNeedsFallback(fallbackFailures["crun rlimit"]))
	confDir := t.TempDir()
	var got notices
	e := fake.engine(t, Podman, Options{ConfigDir: confDir, Notify: got.add, Runner: runner})
	_, err := e.Run(context.Background(), RunSpec{Image: "img", Args: []string{"true"}})
	if err == nil || !strings.Contains(err.Error(), "setrlimit") {
		t.Fatalf("Run error = %v, want podman's own failure", err)
	}
	runs := fake.callsTo(t, "run")
	if len(runs) != 1 || runs[0].Conf != userConf {
		t.Errorf("run calls with CONTAINERS_CONF %q, want exactly one with the user's", confs(runs))
	}
	if _, err := os.Stat(filepath.Join(confDir, "containers.conf")); !os.IsNotExist(err) {
		t.Errorf("containers.conf written despite the user's: %v", err)
	}
	if d := e.Fallback(); d.Active || d.UserConf != userConf {
		t.Errorf("Fallback() = %+v", d)
	}
	if len(got.all()) != 0 {
		t.Errorf("notices: %q", got.all())
	}
}
