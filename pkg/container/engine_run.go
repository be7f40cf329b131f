package container

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/backport/backport/pkg/exitcode"
)

const (
	// stopTimeout is how long a stopped container gets to exit before it is
	// killed: enough for make to pass the signal on and exit.
	stopTimeout = 5
	// clientGrace bounds how long the engine client may run on after the
	// container was stopped, before it is killed too.
	clientGrace = 15 * time.Second
)

// Run runs spec in a new container and removes it.
func (e *Engine) Run(ctx context.Context, spec RunSpec) (int, error) {
	_, code, err := e.run(ctx, spec, false)
	return code, err
}

// RunKeep runs spec and keeps the finished container for Commit.
func (e *Engine) RunKeep(ctx context.Context, spec RunSpec) (string, int, error) {
	return e.run(ctx, spec, true)
}

func (e *Engine) run(ctx context.Context, spec RunSpec, keep bool) (string, int, error) {
	if spec.Image == "" || len(spec.Args) == 0 {
		return "", -1, errors.New("container run: an image and a command are required")
	}
	name := spec.Name
	if name == "" {
		name = newContainerName()
	}
	// The cidfile lets an interrupted run find its container even when the
	// client is gone; the engine refuses to overwrite one, so it gets a
	// fresh directory.
	dir, err := os.MkdirTemp("", "backport-cid-")
	if err != nil {
		return "", -1, err
	}
	defer os.RemoveAll(dir)
	cidfile := filepath.Join(dir, "cid")

	args, err := e.runArgs(ctx, spec, name, cidfile, keep)
	if err != nil {
		return "", -1, err
	}
	e.settleConf(ctx, spec.Image)
	c := e.command(args...)
	c.Stdout, c.Stderr = orDiscard(spec.Stdout), orDiscard(spec.Stderr)
	c.Cancel = func() error {
		e.stopAndRemove(context.WithoutCancel(ctx), name, cidfile)
		return nil
	}
	c.WaitDelay = clientGrace
	reset := func() {
		// A failed start can leave the named container created.
		_ = os.Remove(cidfile)
		e.removeContainer(context.WithoutCancel(ctx), name)
	}
	res, err := e.call(ctx, c, reset)
	if ctx.Err() != nil {
		// Cancel above stopped and removed it; remove once more in case the
		// container was still being created then.
		e.removeContainer(context.WithoutCancel(ctx), name)
		return "", res.ExitCode, interrupted(ctx, "and removed container "+name)
	}
	if err == nil {
		return name, 0, nil
	}
	if engineFailed(res.ExitCode) {
		if keep {
			e.removeContainer(context.WithoutCancel(ctx), name)
		}
		return "", res.ExitCode, fmt.Errorf("%w%s", err, runHint(res.Tail))
	}
	return name, res.ExitCode, nil
}

// engineFailed tells the engine's own failures from the command's exit
// status: podman-run(1) and docker-run(1) reserve 125 (engine error), 126
// (command cannot be invoked) and 127 (command not found).
func engineFailed(code int) bool { return code < 0 || code >= 125 && code <= 127 }

// runHint adds the fix for failures with a known cause.
func runHint(tail string) string {
	if strings.Contains(tail, "container-init binary not found") {
		return " (--init needs catatonit: apt-get install catatonit)"
	}
	return ""
}

// interrupted is the error of a run that ctx ended; a cancel (SIGINT or
// SIGTERM in the CLI) exits 130.
func interrupted(ctx context.Context, what string) error {
	err := fmt.Errorf("stopped %s: %w", what, ctx.Err())
	if errors.Is(ctx.Err(), context.Canceled) {
		return exitcode.Wrap(exitcode.Interrupted, err)
	}
	return err
}

// runArgs is the engine's argv for spec.
func (e *Engine) runArgs(ctx context.Context, spec RunSpec, name, cidfile string, keep bool) ([]string, error) {
	args := []string{"run",
		// --init: PID 1 passes signals on and reaps, so that a stop ends
		// the build instead of letting it run on.
		"--init",
		"--cidfile", cidfile,
		"--name", name,
		// Images are local (built or pulled by backport): never reach for a
		// registry in the middle of a build.
		"--pull", "never",
		// Bind mounts work on SELinux hosts without relabelling the user's
		// files.
		"--security-opt", "label=disable",
	}
	if !keep {
		args = append(args, "--rm")
	}
	// "host" rather than a bridge: bridges need netavark or CNI and
	// privileges that nested CI hosts lack; only dependency installs get
	// the network.
	network := "none"
	if spec.Network {
		network = "host"
	}
	args = append(args, "--network", network)
	for _, m := range spec.Mounts {
		v, err := volumeArg(m)
		if err != nil {
			return nil, err
		}
		args = append(args, "-v", v)
	}
	keys := make([]string, 0, len(spec.Env))
	for k := range spec.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return nil, fmt.Errorf("container run: bad environment variable name %q", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-e", k+"="+spec.Env[k])
	}
	if spec.Workdir != "" {
		args = append(args, "-w", spec.Workdir)
	}
	if spec.User != "" {
		args = append(args, "--user", spec.User)
	}
	argv := spec.Args
	chown, err := e.chownTargets(ctx, spec)
	if err != nil {
		return nil, err
	}
	if len(chown) > 0 {
		argv = chownWrapper(e.owner, chown, spec.Args)
	}
	args = append(args, spec.Image)
	return append(args, argv...), nil
}

func volumeArg(m Mount) (string, error) {
	target := m.Target
	if target == "" {
		target = m.Source
	}
	if !filepath.IsAbs(m.Source) || !filepath.IsAbs(target) {
		return "", fmt.Errorf("mount %s:%s: both paths must be absolute", m.Source, target)
	}
	// The -v syntax separates with colons; a path holding one cannot be
	// said unambiguously.
	if strings.Contains(m.Source, ":") || strings.Contains(target, ":") {
		return "", fmt.Errorf("mount %s:%s: paths must not contain ':'", m.Source, target)
	}
	// docker would create a missing source as an empty root-owned directory.
	if _, err := os.Stat(m.Source); err != nil {
		return "", fmt.Errorf("mount: %w", err)
	}
	v := m.Source + ":" + target
	if m.ReadOnly {
		v += ":ro"
	}
	return v, nil
}

// chownTargets returns the read-write mounts to give back to the owner
// after the command: only when the engine's container root is not the
// invoking user (a rootful engine driven by a non-root user). Under root,
// and under rootless engines, files already come back owned right.
func (e *Engine) chownTargets(ctx context.Context, spec RunSpec) ([]string, error) {
	if spec.User != "" || e.owner.UID == 0 {
		return nil, nil
	}
	var targets []string
	for _, m := range spec.Mounts {
		if !m.ReadOnly {
			targets = append(targets, e.InsidePath(m))
		}
	}
	if len(targets) == 0 {
		return nil, nil
	}
	rootless, err := e.isRootless(ctx)
	if err != nil {
		return nil, fmt.Errorf("container run: cannot tell whether %s is rootless: %w", e.name, err)
	}
	if rootless {
		return nil, nil
	}
	return targets, nil
}

// chownScript runs the command in the background so that a stop (SIGTERM
// from --init) still reaches the chown: the trap passes the signal on, waits
// for the command, then gives the mounts back.
const chownScript = `"$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT HUP
wait "$pid"; rc=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; rc=$?; done
chown -R %d:%d -- %s || { echo "backport: could not give %s back to %d:%d" >&2; [ "$rc" -ne 0 ] || rc=1; }
exit "$rc"`

func chownWrapper(o Owner, targets, argv []string) []string {
	quoted := make([]string, len(targets))
	for i, t := range targets {
		quoted[i] = shellQuote(t)
	}
	list := strings.Join(quoted, " ")
	script := fmt.Sprintf(chownScript, o.UID, o.GID, list, strings.Join(targets, ", "), o.UID, o.GID)
	return append([]string{"/bin/sh", "-c", script, "backport-run"}, argv...)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// stopAndRemove stops a container (by the ID in cidfile when there is one,
// else by name) and removes it. Errors are ignored: it may be gone already.
func (e *Engine) stopAndRemove(ctx context.Context, name, cidfile string) {
	ctx, cancel := context.WithTimeout(ctx, clientGrace+stopTimeout*time.Second)
	defer cancel()
	id := name
	if cidfile != "" {
		if data, err := os.ReadFile(cidfile); err == nil && strings.TrimSpace(string(data)) != "" {
			id = strings.TrimSpace(string(data))
		}
	}
	stop := e.command("stop", "-t", fmt.Sprint(stopTimeout), id)
	stop.Env = e.confEnv()
	_, _ = e.runner.Run(ctx, stop)
	e.removeContainer(ctx, id)
}

func (e *Engine) removeContainer(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, clientGrace)
	defer cancel()
	rm := e.command("rm", "-f", id)
	rm.Env = e.confEnv()
	_, _ = e.runner.Run(ctx, rm)
}

// RemoveContainer removes a container RunKeep kept.
func (e *Engine) RemoveContainer(ctx context.Context, container string) error {
	_, err := e.call(ctx, e.command("rm", "-f", container), nil)
	return err
}

func newContainerName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails on Linux (crypto/rand docs)
	return "backport-" + hex.EncodeToString(b)
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
