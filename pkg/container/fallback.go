package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"
)

// fallbackConf is the containers.conf that makes podman work on hosts where
// its defaults do not: nested containers and reduced capabilities (this
// project's CI among them) refuse the default RLIMIT_NOFILE, and crun there
// trips over hybrid cgroups. runc with no default ulimits works on both.
const fallbackConf = `# Written by backport for its own podman calls (through CONTAINERS_CONF):
# podman failed on this host with its default configuration.
# Delete this file to make backport try the defaults again.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
`

// fallbackSignatures are what podman prints when its defaults fail in the
// ways fallbackConf fixes, lower-cased.
var fallbackSignatures = []string{
	"error setting rlimit",                 // runc: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted
	"setrlimit",                            // crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted
	"cgroups in hybrid mode not supported", // crun on hybrid cgroup hierarchies
}

// confState is what podman is told about containers.conf.
type confState struct {
	userConf string // CONTAINERS_CONF set by the user: respected, never replaced
	path     string // where backport's file goes (or is)
	active   bool   // backport's file is in use
	reason   string // the failure that made it necessary, or why it was reused
	probed   bool   // a trivial container has settled the question
}

// ConfDecision is the containers.conf choice of a podman Engine, for
// `backport doctor`.
type ConfDecision struct {
	UserConf string // CONTAINERS_CONF as the user set it; backport leaves it alone
	Path     string // backport's containers.conf
	Active   bool   // backport's containers.conf is in use
	Reason   string // why it is in use
}

func loadConfState(opts Options, runner *Runner) confState {
	var st confState
	if v, ok := runner.lookupEnv("CONTAINERS_CONF"); ok && v != "" {
		st.userConf = v
		return st
	}
	dir := opts.ConfigDir
	if dir == "" {
		if base, err := os.UserConfigDir(); err == nil {
			dir = filepath.Join(base, "backport")
		}
	}
	if dir == "" {
		return st
	}
	st.path = filepath.Join(dir, "containers.conf")
	// A file an earlier run wrote means podman failed here before: start
	// with it rather than pay for the failure, and the notice, every run.
	if data, err := os.ReadFile(st.path); err == nil && string(data) == fallbackConf {
		st.active = true
		st.reason = "podman failed with its defaults on an earlier run"
	}
	return st
}

// Fallback returns the containers.conf decision; for docker it is empty.
func (e *Engine) Fallback() ConfDecision {
	e.mu.Lock()
	defer e.mu.Unlock()
	return ConfDecision{UserConf: e.conf.userConf, Path: e.conf.path, Active: e.conf.active, Reason: e.conf.reason}
}

// confEnv is the environment every podman call of this Engine gets.
func (e *Engine) confEnv() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.name != Podman || !e.conf.active {
		return nil
	}
	return []string{"CONTAINERS_CONF=" + e.conf.path}
}

// fallbackTrigger returns the line of a failed call's output that calls for
// the fallback, or "" when the fallback does not apply: not podman, the user
// chose a containers.conf, backport's is already in use, or another failure.
func (e *Engine) fallbackTrigger(tail string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.name != Podman || e.conf.userConf != "" || e.conf.active || e.conf.path == "" {
		return ""
	}
	for _, line := range strings.Split(tail, "\n") {
		lower := strings.ToLower(line)
		for _, sig := range fallbackSignatures {
			if strings.Contains(lower, sig) {
				return strings.TrimSpace(line)
			}
		}
	}
	return ""
}

// enableFallback writes backport's containers.conf and uses it from now on.
func (e *Engine) enableFallback(trigger string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(e.conf.path), 0o755); err != nil {
		return "", fmt.Errorf("podman fallback: %w", err)
	}
	if err := renameio.WriteFile(e.conf.path, []byte(fallbackConf), 0o644); err != nil {
		return "", fmt.Errorf("podman fallback: %w", err)
	}
	e.conf.active = true
	e.conf.reason = "podman failed with " + trigger
	return e.conf.path, nil
}

// probePrefix names the containers that settle the containers.conf question.
const probePrefix = "backport-probe-"

// settleConf runs a trivial container, output captured, before the first
// container whose output streams to the caller: should podman's defaults
// fail here, the failure and the retry happen out of the build log.
func (e *Engine) settleConf(ctx context.Context, image string) {
	e.mu.Lock()
	settled := e.name != Podman || e.conf.userConf != "" || e.conf.active || e.conf.probed || e.conf.path == ""
	e.conf.probed = true
	e.mu.Unlock()
	if settled {
		return
	}
	name := probePrefix + newContainerName()[len("backport-"):]
	probe := e.command("run", "--rm", "--network", "none", "--pull", "never", "--security-opt", "label=disable", "--name", name, image, "true")
	// Any other failure is the real run's to report, with its own output.
	_, _ = e.call(ctx, probe, func() { e.removeContainer(context.WithoutCancel(ctx), name) })
}
