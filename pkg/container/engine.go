package container

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
)

// Engine is the podman or docker runtime. Both take the same command line
// for everything backport does, so one type drives either; only podman gets
// the containers.conf fallback.
type Engine struct {
	name   string // Podman or Docker
	binary string
	opts   Options
	runner *Runner
	owner  Owner

	mu       sync.Mutex
	conf     confState // podman only
	rootless *bool     // nil until asked
}

var _ Runtime = (*Engine)(nil)

// NewEngine returns the podman or docker runtime. It fails when the binary
// is not installed; whether it works is for the first call (or Diagnose) to
// find out.
func NewEngine(name string, opts Options) (*Engine, error) {
	if name != Podman && name != Docker {
		return nil, fmt.Errorf("container engine %q: expected podman or docker", name)
	}
	binary := opts.Binary
	if binary == "" {
		path, err := exec.LookPath(name)
		if err != nil {
			return nil, fmt.Errorf("%s is not installed: %s", name, installHint)
		}
		binary = path
	}
	e := &Engine{name: name, binary: binary, opts: opts, runner: opts.runner(), owner: opts.owner()}
	if name == Podman {
		e.conf = loadConfState(opts, e.runner)
	}
	return e, nil
}

// Name returns "podman" or "docker".
func (e *Engine) Name() string { return e.name }

// InsidePath is the mount's Target (its Source when Target is empty).
func (e *Engine) InsidePath(m Mount) string {
	if m.Target == "" {
		return m.Source
	}
	return m.Target
}

// command builds an engine invocation.
func (e *Engine) command(args ...string) Command {
	return Command{Args: append([]string{e.binary}, args...)}
}

// call runs an engine command. When podman fails in a way its default
// configuration causes on reduced-privilege hosts, call switches this Engine
// to backport's containers.conf and retries once; reset undoes what the
// failed attempt left behind (a cidfile, a created container) before that.
func (e *Engine) call(ctx context.Context, c Command, reset func()) (Result, error) {
	c.Env = append(c.Env, e.confEnv()...)
	res, err := e.runner.Run(ctx, c)
	if err == nil || ctx.Err() != nil {
		return res, err
	}
	line := e.fallbackTrigger(res.Tail)
	if line == "" {
		return res, err
	}
	path, ferr := e.enableFallback(line)
	if ferr != nil {
		return res, errors.Join(err, ferr)
	}
	e.opts.notify(fmt.Sprintf("podman failed with %q; retried with backport's containers.conf (runc, no default ulimits): %s", line, path))
	if reset != nil {
		reset()
	}
	c.Env = append(c.Env, e.confEnv()...) // the later CONTAINERS_CONF wins
	return e.runner.Run(ctx, c)
}

// output runs an engine command whose standard output is data.
func (e *Engine) output(ctx context.Context, args ...string) (string, error) {
	res, err := e.call(ctx, e.command(args...), nil)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(res.Stdout)), nil
}

// ping asks the engine (docker: its daemon) whether it is there.
func (e *Engine) ping(ctx context.Context) error {
	format := "{{.Client.Version}}"
	if e.name == Docker {
		format = "{{.Server.Version}}"
	}
	_, err := e.output(ctx, "version", "--format", format)
	return err
}

// isRootless reports whether the engine maps container root to the invoking
// user (rootless podman, rootless docker). The answer is cached.
func (e *Engine) isRootless(ctx context.Context) (bool, error) {
	e.mu.Lock()
	if e.rootless != nil {
		defer e.mu.Unlock()
		return *e.rootless, nil
	}
	e.mu.Unlock()
	var rootless bool
	if e.name == Podman {
		out, err := e.output(ctx, "info", "--format", "{{.Host.Security.Rootless}}")
		if err != nil {
			return false, err
		}
		rootless = out == "true"
	} else {
		out, err := e.output(ctx, "info", "--format", "{{json .SecurityOptions}}")
		if err != nil {
			return false, err
		}
		rootless = strings.Contains(out, "rootless")
	}
	e.mu.Lock()
	e.rootless = &rootless
	e.mu.Unlock()
	return rootless, nil
}

// notFound reports whether an engine error says the object does not exist;
// podman and docker word it differently.
func notFound(err error) bool {
	var ce *CommandError
	if !errors.As(err, &ce) {
		return false
	}
	tail := strings.ToLower(ce.Tail)
	for _, s := range []string{"image not known", "no such image", "no such object", "no such container", "image not found"} {
		if strings.Contains(tail, s) {
			return true
		}
	}
	return false
}
