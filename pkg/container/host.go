package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"
)

// HostRuntime runs commands directly, for CI jobs that already run inside a
// build container. There is no second filesystem: a mount is seen at its
// Source (InsidePath), read-only is not enforced, and there are no images.
type HostRuntime struct {
	opts   Options
	runner *Runner

	mu      sync.Mutex
	netWrap []string // the unshare prefix that turns the network off; nil: unknown
	netErr  error    // why the network cannot be turned off
}

var _ Runtime = (*HostRuntime)(nil)

// NewHost returns the host runtime.
func NewHost(opts Options) *HostRuntime {
	return &HostRuntime{opts: opts, runner: opts.runner()}
}

// Name returns "host".
func (h *HostRuntime) Name() string { return Host }

// InsidePath is the mount's Source: the host runtime cannot remap paths,
// so mounts are identity-mapped.
func (h *HostRuntime) InsidePath(m Mount) string { return m.Source }

// hostEnv is what a command inherits from the job: enough to find tools and
// a home, and not the job's tokens, which a container would not see either.
var hostEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TERM", "TMPDIR", "TZ"}

// Run runs spec.Args directly; spec.Image is ignored (the job's environment
// is the builder). With Network off the command gets an empty network
// namespace through unshare when the job may create one; otherwise it runs
// with the job's network, and says so once.
func (h *HostRuntime) Run(ctx context.Context, spec RunSpec) (int, error) {
	if len(spec.Args) == 0 {
		return -1, errors.New("host run: a command is required")
	}
	if spec.User != "" {
		return -1, fmt.Errorf("host run: cannot run as %s: the host runtime runs as the invoking user", spec.User)
	}
	for _, m := range spec.Mounts {
		if m.Target != "" && m.Target != m.Source {
			return -1, fmt.Errorf("host run: mount %s at %s: the host runtime cannot remap paths; use InsidePath", m.Source, m.Target)
		}
		if _, err := os.Stat(m.Source); err != nil {
			return -1, fmt.Errorf("host run: mount: %w", err)
		}
	}
	argv := spec.Args
	if !spec.Network {
		if wrap, err := h.networkOff(ctx); err == nil {
			argv = append(append([]string{}, wrap...), argv...)
		} else {
			h.opts.notify("host runtime: the build runs with the job's network: " + err.Error())
		}
	}
	c := Command{
		Args:         argv,
		BaseEnv:      inherited(hostEnv),
		Env:          envList(spec.Env),
		Dir:          spec.Workdir,
		Stdout:       orDiscard(spec.Stdout),
		Stderr:       orDiscard(spec.Stderr),
		ProcessGroup: true,
		WaitDelay:    stopTimeout * time.Second,
	}
	res, err := h.runner.Run(ctx, c)
	if ctx.Err() != nil {
		return res.ExitCode, interrupted(ctx, commandName(spec.Args))
	}
	if err != nil && res.ExitCode < 0 {
		return -1, err
	}
	return res.ExitCode, nil
}

// networkOff finds, once, the unshare invocation this job is allowed: a new
// network namespace as root, or inside a new user namespace otherwise.
func (h *HostRuntime) networkOff(ctx context.Context) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.netWrap != nil || h.netErr != nil {
		return h.netWrap, h.netErr
	}
	candidates := [][]string{{"unshare", "--net", "--"}}
	if os.Geteuid() != 0 {
		candidates = [][]string{{"unshare", "--user", "--map-current-user", "--net", "--"}}
	}
	h.netErr = errors.New("unshare is not installed (util-linux)")
	if _, err := exec.LookPath("unshare"); err == nil {
		for _, wrap := range candidates {
			_, err := h.runner.Run(ctx, Command{Args: append(append([]string{}, wrap...), "true")})
			if err == nil {
				h.netWrap, h.netErr = wrap, nil
				break
			}
			h.netErr = fmt.Errorf("cannot create a network namespace: %v", err)
		}
	}
	return h.netWrap, h.netErr
}

// RunKeep is not possible on the host: there is no container to keep.
func (h *HostRuntime) RunKeep(context.Context, RunSpec) (string, int, error) {
	return "", -1, ErrNoImages
}

// RemoveContainer returns ErrNoImages.
func (h *HostRuntime) RemoveContainer(context.Context, string) error { return ErrNoImages }

// Commit returns ErrNoImages.
func (h *HostRuntime) Commit(context.Context, string, string, map[string]string) error {
	return ErrNoImages
}

// ImageExists returns ErrNoImages.
func (h *HostRuntime) ImageExists(context.Context, string) (bool, error) { return false, ErrNoImages }

// ImageID returns ErrNoImages.
func (h *HostRuntime) ImageID(context.Context, string) (string, error) { return "", ErrNoImages }

// ImageLabels returns ErrNoImages.
func (h *HostRuntime) ImageLabels(context.Context, string) (map[string]string, error) {
	return nil, ErrNoImages
}

// Import returns ErrNoImages.
func (h *HostRuntime) Import(context.Context, string, string, map[string]string) error {
	return ErrNoImages
}

// Pull returns ErrNoImages.
func (h *HostRuntime) Pull(context.Context, string) error { return ErrNoImages }

// ListImages returns no images.
func (h *HostRuntime) ListImages(context.Context) ([]Image, error) { return nil, nil }

// RemoveImage returns ErrNoImages.
func (h *HostRuntime) RemoveImage(context.Context, string) error { return ErrNoImages }

// Diagnose reports what the host runtime can and cannot do here.
func (h *HostRuntime) Diagnose(ctx context.Context) []Check {
	checks := []Check{{
		Name:   "runtime",
		OK:     true,
		Detail: "host: build commands run directly in this environment (meant for CI jobs inside a build container)",
	}}
	net := Check{Name: "network off for builds", OK: true, Detail: "builds run in an empty network namespace (unshare)"}
	if _, err := h.networkOff(ctx); err != nil {
		net = Check{Name: "network off for builds", Detail: err.Error(),
			Fix: "run the job with networking disabled, or allow unshare (CAP_SYS_ADMIN, or unprivileged user namespaces)"}
	}
	checks = append(checks, net)
	var found, missing []string
	for _, tool := range []string{"dpkg-buildpackage", "rpmbuild"} {
		if _, err := exec.LookPath(tool); err == nil {
			found = append(found, tool)
		} else {
			missing = append(missing, tool)
		}
	}
	tools := Check{Name: "packaging tools", OK: len(found) > 0, Detail: "found: " + strings.Join(found, ", ")}
	if len(found) == 0 {
		tools.Detail = "neither dpkg-buildpackage nor rpmbuild is installed"
		tools.Fix = "run the job in the target's builder image, or install dpkg-dev / rpm-build"
	} else if len(missing) > 0 {
		tools.Detail += "; missing: " + strings.Join(missing, ", ")
	}
	checks = append(checks, tools)
	dir, err := os.Getwd()
	if err != nil {
		dir = os.TempDir()
	}
	return append(checks, diskCheck(dir))
}

// inherited picks names from the process environment.
func inherited(names []string) []string {
	var env []string
	for _, name := range names {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return env
}

func envList(m map[string]string) []string {
	env := make([]string, 0, len(m))
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}
