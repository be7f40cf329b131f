package container

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeEngine is a shell script standing in for podman or docker. Every call
// appends its CONTAINERS_CONF and argv to a log; body decides what the call
// prints and how it exits ($1 is the subcommand, $FAKE_DIR a scratch dir).
type fakeEngine struct {
	dir  string
	path string
}

// fakePreamble logs the call with separators that no argv holds: \036 ends
// a call, \037 ends a field. The chown wrapper script spans lines.
const fakePreamble = `FAKE_DIR=$(dirname "$0")
{ printf 'conf=%s\037' "$CONTAINERS_CONF"; printf '%s\037' "$@"; printf '\036'; } >> "$FAKE_DIR/calls"
# flag VALUE: the value following --flag in the argv
flag() { want=$1; shift; while [ $# -gt 0 ]; do [ "$1" = "$want" ] && { echo "$2"; return; }; shift; done; }
`

func newFakeEngine(t *testing.T, name, body string) *fakeEngine {
	t.Helper()
	dir := t.TempDir()
	return &fakeEngine{dir: dir, path: writeFake(t, dir, name, fakePreamble+body)}
}

// fakeDispatcher is the one executable the fakes share: it runs the body
// file beside the name it was called by. Tests write only the body (and a
// symlink): an executable written while parallel tests fork can fail to run
// with ETXTBSY (golang.org/issue/22315).
const fakeDispatcher = "#!/bin/sh\n. \"$0.body\"\n"

var fakeDispatcherPath string

// writeFake makes dir/name run the shell body, and returns its path.
func writeFake(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path+".body", []byte(body+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(fakeDispatcherPath, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeCall is one logged call.
type fakeCall struct {
	Conf string   // CONTAINERS_CONF as the call saw it
	Args []string // without the program
}

func (c fakeCall) sub() string {
	if len(c.Args) == 0 {
		return ""
	}
	return c.Args[0]
}

func (f *fakeEngine) calls(t *testing.T) []fakeCall {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, "calls"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var calls []fakeCall
	for _, rec := range strings.Split(string(data), "\036") {
		if rec == "" {
			continue
		}
		fields := strings.Split(strings.TrimSuffix(rec, "\037"), "\037")
		calls = append(calls, fakeCall{Conf: strings.TrimPrefix(fields[0], "conf="), Args: fields[1:]})
	}
	return calls
}

// callsTo returns the calls of one subcommand, leaving out the trivial
// containers that settle the containers.conf question (see probes).
func (f *fakeEngine) callsTo(t *testing.T, sub string) []fakeCall {
	t.Helper()
	var out []fakeCall
	for _, c := range f.calls(t) {
		if c.sub() == sub && !c.isProbe() {
			out = append(out, c)
		}
	}
	return out
}

// probes returns the settling runs.
func (f *fakeEngine) probes(t *testing.T) []fakeCall {
	t.Helper()
	var out []fakeCall
	for _, c := range f.calls(t) {
		if c.isProbe() {
			out = append(out, c)
		}
	}
	return out
}

func (c fakeCall) isProbe() bool {
	i := indexOf(c.Args, "--name")
	return c.sub() == "run" && i >= 0 && i+1 < len(c.Args) && strings.HasPrefix(c.Args[i+1], probePrefix)
}

// engine returns an Engine driving the fake, with its own config dir.
func (f *fakeEngine) engine(t *testing.T, name string, opts Options) *Engine {
	t.Helper()
	opts.Binary = f.path
	if opts.ConfigDir == "" {
		opts.ConfigDir = t.TempDir()
	}
	if opts.Runner == nil {
		// The ambient CONTAINERS_CONF (CI sets one) must not change what
		// the fake sees.
		opts.Runner = &Runner{BaseEnv: envWithout("CONTAINERS_CONF"), Secrets: opts.Secrets}
	}
	if opts.Owner == nil {
		opts.Owner = &Owner{UID: 0, GID: 0}
	}
	e, err := NewEngine(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// notices collects what a Runtime tells the user.
type notices struct {
	mu   sync.Mutex
	msgs []string
}

func (n *notices) add(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.msgs = append(n.msgs, msg)
}

func (n *notices) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// indexOf returns the position of want in args, or -1.
func indexOf(args []string, want string) int {
	for i, a := range args {
		if a == want {
			return i
		}
	}
	return -1
}

// hasPair reports whether flag is immediately followed by value.
func hasPair(args []string, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return true
		}
	}
	return false
}

// envWithout is the process environment less one variable.
func envWithout(key string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, key+"=") {
			env = append(env, kv)
		}
	}
	return env
}
