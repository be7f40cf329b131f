package container

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backport/backport/pkg/exitcode"
)

// fakeRun writes the cidfile the way the engines do (refusing an existing
// one), says something on both streams and exits 3.
const fakeRun = `case "$1" in
run)
	case "$*" in *" backport-probe-"*) exit 0 ;; esac
	cid=$(flag --cidfile "$@")
	if [ -e "$cid" ]; then echo "Error: container id file $cid exists" >&2; exit 125; fi
	echo fakecid0123 > "$cid"
	echo hello
	echo warn >&2
	exit 3 ;;
info)
	case "$*" in
	*Rootless*) echo "${FAKE_ROOTLESS:-false}" ;; # podman
	*SecurityOptions*) # docker
		if [ "$FAKE_ROOTLESS" = true ]; then echo '["name=seccomp,profile=builtin","name=rootless"]'; else echo '["name=seccomp,profile=builtin"]'; fi ;;
	esac ;;
esac`

func TestRunArgvShape(t *testing.T) {
	t.Parallel()
	fake := newFakeEngine(t, "podman", fakeRun)
	e := fake.engine(t, Podman, Options{})
	src, out := t.TempDir(), t.TempDir()
	var stdout, stderr bytes.Buffer
	code, err := e.Run(context.Background(), RunSpec{
		Image:   "localhost/backport/deb:bookworm",
		Args:    []string{"dpkg-buildpackage", "-us", "-uc"},
		Env:     map[string]string{"DEB_BUILD_OPTIONS": "parallel=4", "CCACHE_DIR": "/ccache"},
		Mounts:  []Mount{{Source: src, Target: "/src", ReadOnly: true}, {Source: out, Target: "/out"}},
		Workdir: "/src",
		Stdout:  &stdout,
		Stderr:  &stderr,
	})
	if err != nil || code != 3 {
		t.Fatalf("Run = %d, %v; want 3, nil (the command's own status is no error)", code, err)
	}
	if stdout.String() != "hello\n" || stderr.String() != "warn\n" {
		t.Errorf("streams: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	runs := fake.callsTo(t, "run")
	if len(runs) != 1 {
		t.Fatalf("%d run calls, want 1", len(runs))
	}
	args := runs[0].Args
	for _, flag := range []string{"--init", "--rm"} {
		if indexOf(args, flag) < 0 {
			t.Errorf("run argv lacks %s: %q", flag, args)
		}
	}
	pairs := [][2]string{
		{"--network", "none"},
		{"--pull", "never"},
		{"-v", src + ":/src:ro"},
		{"-v", out + ":/out"},
		{"-e", "CCACHE_DIR=/ccache"},
		{"-e", "DEB_BUILD_OPTIONS=parallel=4"},
		{"-w", "/src"},
	}
	for _, p := range pairs {
		if !hasPair(args, p[0], p[1]) {
			t.Errorf("run argv lacks %s %s: %q", p[0], p[1], args)
		}
	}
	if i, j := indexOf(args, "CCACHE_DIR=/ccache"), indexOf(args, "DEB_BUILD_OPTIONS=parallel=4"); i > j {
		t.Errorf("environment not sorted: %q", args)
	}
	cid := args[indexOf(args, "--cidfile")+1]
	if !filepath.IsAbs(cid) {
		t.Errorf("cidfile %q is not absolute", cid)
	}
	if _, err := os.Stat(cid); !os.IsNotExist(err) {
		t.Errorf("cidfile %s left behind", cid)
	}
	if name := args[indexOf(args, "--name")+1]; !strings.HasPrefix(name, "backport-") || len(name) != len("backport-")+12 {
		t.Errorf("container name %q, want backport-<12 hex>", name)
	}
	tail := args[len(args)-4:]
	if strings.Join(tail, " ") != "localhost/backport/deb:bookworm dpkg-buildpackage -us -uc" {
		t.Errorf("argv ends %q, want the image then the command", tail)
	}
	if indexOf(args, "--user") >= 0 {
		t.Errorf("root invoker: no --user expected: %q", args)
	}
	if len(fake.callsTo(t, "info")) != 0 {
		t.Error("root invoker: the engine was asked whether it is rootless; nothing depends on it")
	}
}

func TestRunNetworkOnAndKeep(t *testing.T) {
	t.Parallel()
	fake := newFakeEngine(t, "docker", fakeRun)
	e := fake.engine(t, Docker, Options{})
	name, code, err := e.RunKeep(context.Background(), RunSpec{Image: "img", Args: []string{"true"}, Network: true, Name: "backport-keepme"})
	if err != nil || code != 3 || name != "backport-keepme" {
		t.Fatalf("RunKeep = %q, %d, %v", name, code, err)
	}
	args := fake.callsTo(t, "run")[0].Args
	if !hasPair(args, "--network", "host") {
		t.Errorf("network on: want --network host: %q", args)
	}
	if indexOf(args, "--rm") >= 0 {
		t.Errorf("RunKeep must not pass --rm: %q", args)
	}
}

func TestRunRejectsBadMounts(t *testing.T) {
	t.Parallel()
	fake := newFakeEngine(t, "podman", fakeRun)
	e := fake.engine(t, Podman, Options{})
	dir := t.TempDir()
	for _, m := range []Mount{
		{Source: "relative", Target: "/x"},
		{Source: dir, Target: "/x:y"},
		{Source: filepath.Join(dir, "missing"), Target: "/x"},
	} {
		if _, err := e.Run(context.Background(), RunSpec{Image: "img", Args: []string{"true"}, Mounts: []Mount{m}}); err == nil {
			t.Errorf("mount %+v accepted", m)
		}
	}
	if n := len(fake.callsTo(t, "run")); n != 0 {
		t.Errorf("%d run calls for rejected mounts", n)
	}
}

func TestRunOwnership(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	tests := []struct {
		name      string
		owner     Owner
		rootless  string
		user      string
		wantChown bool
	}{
		{"root invoker", Owner{0, 0}, "false", "", false},
		{"user on rootful engine", Owner{1000, 1001}, "false", "", true},
		{"user on rootless engine", Owner{1000, 1001}, "true", "", false},
		{"explicit user", Owner{1000, 1001}, "false", "1000:1001", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, engine := range []string{Podman, Docker} {
				testOwnership(t, engine, tt.owner, tt.rootless, tt.user, tt.wantChown, out)
			}
		})
	}
}

func testOwnership(t *testing.T, engine string, owner Owner, rootless, user string, wantChown bool, out string) {
	t.Helper()
	fake := newFakeEngine(t, engine, "FAKE_ROOTLESS="+rootless+"\n"+fakeRun)
	e := fake.engine(t, engine, Options{Owner: &owner})
	_, err := e.Run(context.Background(), RunSpec{
		Image: "img", Args: []string{"make", "all"}, User: user,
		Mounts: []Mount{{Source: out, Target: "/out"}, {Source: out, Target: "/ro", ReadOnly: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	args := fake.callsTo(t, "run")[0].Args
	wrapped := indexOf(args, "/bin/sh") >= 0
	if wrapped != wantChown {
		t.Fatalf("%s: chown wrapper = %v, want %v: %q", engine, wrapped, wantChown, args)
	}
	if user != "" && !hasPair(args, "--user", user) {
		t.Errorf("%s: want --user %s: %q", engine, user, args)
	}
	if !wrapped {
		return
	}
	script := args[indexOf(args, "/bin/sh")+2]
	if !strings.Contains(script, "chown -R 1000:1001 -- '/out'") || strings.Contains(script, "'/ro'") {
		t.Errorf("%s: script chowns the wrong mounts:\n%s", engine, script)
	}
	if got := strings.Join(args[len(args)-2:], " "); got != "make all" {
		t.Errorf("%s: command not passed through: %q", engine, got)
	}
}

// The wrapper must keep the command's exit status and give the mounts back
// even when the container is stopped mid-command.
func TestChownWrapperScript(t *testing.T) {
	t.Parallel()
	bin := t.TempDir()
	marker := filepath.Join(t.TempDir(), "chowned")
	writeFake(t, bin, "chown", `echo "$@" >> `+shellQuote(marker))
	env := []string{"PATH=" + bin + ":" + os.Getenv("PATH")}
	r := &Runner{}

	argv := chownWrapper(Owner{1000, 1000}, []string{"/out dir"}, []string{"sh", "-c", "exit 7"})
	res, err := r.Run(context.Background(), Command{Args: argv, Env: env})
	if err == nil || res.ExitCode != 7 {
		t.Fatalf("exit status = %d (%v), want 7", res.ExitCode, err)
	}
	if data, _ := os.ReadFile(marker); string(data) != "-R 1000:1000 -- /out dir\n" {
		t.Errorf("chown called with %q", data)
	}

	// SIGTERM to the shell alone, as --init passes on a stop: the command
	// ends too, and chown still runs.
	_ = os.Remove(marker)
	argv = chownWrapper(Owner{1000, 1000}, []string{"/out"}, []string{"sleep", "30"})
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	time.Sleep(300 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("wrapper still running 5s after SIGTERM")
	}
	if cmd.ProcessState.ExitCode() != 143 {
		t.Errorf("exit status after SIGTERM = %d, want 143", cmd.ProcessState.ExitCode())
	}
	if data, _ := os.ReadFile(marker); !strings.Contains(string(data), "/out") {
		t.Errorf("chown not run after SIGTERM (marker %q, %s)", data, time.Since(start))
	}
}

func TestRunRedactsSecrets(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-TOKEN"
	fake := newFakeEngine(t, "podman", `case "$1" in
run) echo "Error: fetching with token s3cr3t-TOKEN: unauthorized" >&2; exit 125 ;;
esac`)
	e := fake.engine(t, Podman, Options{Secrets: []string{secret}})
	var stderr bytes.Buffer
	code, err := e.Run(context.Background(), RunSpec{Image: "img", Args: []string{"true"}, Env: map[string]string{"TOKEN": secret}, Stderr: &stderr})
	if err == nil || code != 125 {
		t.Fatalf("Run = %d, %v; want 125 and an engine error", code, err)
	}
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not a *CommandError", err)
	}
	for what, text := range map[string]string{
		"message": err.Error(),
		"argv":    strings.Join(ce.Args, " "),
		"tail":    ce.Tail,
		"stream":  stderr.String(),
	} {
		if strings.Contains(text, secret) {
			t.Errorf("%s shows the secret: %q", what, text)
		}
		if !strings.Contains(text, redacted) {
			t.Errorf("%s has no %s where the secret was: %q", what, redacted, text)
		}
	}
	// The engine itself still got the real value.
	if !hasPair(fake.callsTo(t, "run")[0].Args, "-e", "TOKEN="+secret) {
		t.Error("the secret did not reach the engine")
	}
}

// fakeSlowRun runs until `stop` kills it, as a container with --init would.
const fakeSlowRun = `case "$1" in
run)
	case "$*" in *" backport-probe-"*) exit 0 ;; esac
	if [ -n "$FAKE_WRITE_CID" ]; then echo fakecid0123 > "$(flag --cidfile "$@")"; fi
	echo $$ > "$FAKE_DIR/run.pid"
	exec sleep 30 ;;
stop) kill -TERM "$(cat "$FAKE_DIR/run.pid")" ;;
esac`

func TestRunCancelStopsAndRemoves(t *testing.T) {
	t.Parallel()
	for _, writeCID := range []bool{true, false} {
		t.Run(map[bool]string{true: "by cid", false: "by name before the cidfile"}[writeCID], func(t *testing.T) {
			t.Parallel()
			body := fakeSlowRun
			if writeCID {
				body = "FAKE_WRITE_CID=1\n" + body
			}
			fake := newFakeEngine(t, "podman", body)
			e := fake.engine(t, Podman, Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				// Mid-run: once the "container" is up.
				for ctx.Err() == nil {
					if _, err := os.Stat(filepath.Join(fake.dir, "run.pid")); err == nil {
						cancel()
					}
					time.Sleep(20 * time.Millisecond)
				}
			}()
			start := time.Now()
			_, err := e.Run(ctx, RunSpec{Image: "img", Args: []string{"sleep", "300"}, Name: "backport-cancelme"})
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Run returned %s after the cancel", took)
			}
			if got := exitcode.Of(err); got != exitcode.Interrupted {
				t.Fatalf("exitcode.Of(%v) = %d, want %d", err, got, exitcode.Interrupted)
			}
			id := "backport-cancelme"
			if writeCID {
				id = "fakecid0123"
			}
			var seq []string
			for _, c := range fake.calls(t) {
				seq = append(seq, strings.Join(c.Args, " "))
			}
			stop, rm := indexOf(seq, "stop -t 5 "+id), indexOf(seq, "rm -f "+id)
			if stop < 0 || rm < 0 || rm < stop {
				t.Errorf("want stop -t 5 %s, then rm -f %[1]s; calls: %q", id, seq)
			}
			if indexOf(seq, "rm -f backport-cancelme") < 0 {
				t.Errorf("the container is not removed by name at the end: %q", seq)
			}
		})
	}
}

// podman settles the containers.conf question once per Engine, with a
// trivial container whose output the caller never sees; docker has no such
// question.
func TestProbeOncePerPodmanEngine(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{Podman, Docker} {
		fake := newFakeEngine(t, engine, fakeRun)
		e := fake.engine(t, engine, Options{})
		for range 2 {
			var stdout bytes.Buffer
			if _, err := e.Run(context.Background(), RunSpec{Image: "img", Args: []string{"true"}, Stdout: &stdout}); err != nil {
				t.Fatal(err)
			}
			if stdout.String() != "hello\n" {
				t.Errorf("%s: stdout %q", engine, stdout.String())
			}
		}
		want := map[string]int{Podman: 1, Docker: 0}[engine]
		probes := fake.probes(t)
		if len(probes) != want {
			t.Fatalf("%s: %d probes, want %d", engine, len(probes), want)
		}
		if want == 1 {
			args := probes[0].Args
			if !hasPair(args, "--network", "none") || indexOf(args, "--rm") < 0 || strings.Join(args[len(args)-2:], " ") != "img true" {
				t.Errorf("probe argv %q", args)
			}
		}
	}
}
