package container

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Command is one external command for a Runner.
type Command struct {
	Args []string // Args[0] is the program, looked up on PATH
	// Env is added to the base environment: BaseEnv when non-nil, else the
	// Runner's. A later KEY= wins.
	Env     []string
	BaseEnv []string
	Dir     string
	Stdin   io.Reader
	// Stdout receives the standard output as it comes; when nil it is
	// captured into Result.Stdout instead (for output that is parsed).
	Stdout io.Writer
	// Pipe receives the standard output unchanged instead: a data stream
	// for another command, neither redacted nor kept in the tail.
	Pipe io.Writer
	// Stderr receives the standard error as it comes; it is always kept in
	// the tail too.
	Stderr io.Writer
	// Cancel replaces the default kill when ctx is done (a container is
	// stopped through its engine, not by killing the client). WaitDelay
	// bounds how long the process may run on after that before it is killed.
	Cancel    func() error
	WaitDelay time.Duration
	// ProcessGroup runs the command in its own process group: a cancelled
	// ctx sends the group SIGTERM (the leader is killed after WaitDelay,
	// default 5s), and whatever of the group is left when the command ends
	// is killed. For commands run directly on the host.
	ProcessGroup bool
	// Secrets are redacted in addition to the Runner's.
	Secrets []string
}

// Result is what a finished command left.
type Result struct {
	ExitCode int
	Stdout   []byte // only when Command.Stdout was nil; not redacted: it is data
	Tail     string // the last bytes of the streamed output and stderr, redacted
}

// CommandError is a command that could not start or exited non-zero. Its
// message is one line; Tail holds the rest of what the command said.
type CommandError struct {
	Args     []string // redacted
	ExitCode int      // -1 when the command did not start
	Tail     string   // redacted
	Err      error
}

func (e *CommandError) Error() string {
	name := commandName(e.Args)
	if e.ExitCode < 0 {
		return fmt.Sprintf("%s: %v", name, e.Err)
	}
	msg := fmt.Sprintf("%s: exit status %d", name, e.ExitCode)
	if last := lastLines(e.Tail, 1); len(last) > 0 {
		msg += ": " + last[0]
	}
	return msg
}

func (e *CommandError) Unwrap() error { return e.Err }

// commandName names a command in messages by its program and subcommand,
// e.g. "podman run": enough to recognise it, short enough for one line.
func commandName(args []string) string {
	if len(args) == 0 {
		return "command"
	}
	name := args[0]
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		name += " " + args[1]
	}
	return name
}

// Runner runs external commands: the one seam every podman, docker,
// debootstrap and tar call goes through.
type Runner struct {
	// BaseEnv is the environment commands start from; nil: os.Environ().
	BaseEnv  []string
	Secrets  []string     // never shown in streamed output, tails or errors
	Logger   *slog.Logger // each command at debug level, redacted; nil: none
	TailSize int          // bytes of output kept for errors; 0: 8 KiB
	// Observe, when set, sees every command before it starts (tests count
	// engine calls with it; a tool could print them).
	Observe func(Command)
}

const defaultTailSize = 8 << 10

func (r *Runner) environ() []string {
	if r.BaseEnv != nil {
		return r.BaseEnv
	}
	return os.Environ()
}

// lookupEnv finds a variable in the environment commands start from.
func (r *Runner) lookupEnv(key string) (string, bool) {
	env := r.environ()
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// Run runs c and waits for it. A non-zero exit is a *CommandError that
// carries the exit code and the redacted tail.
func (r *Runner) Run(ctx context.Context, c Command) (Result, error) {
	if len(c.Args) == 0 {
		return Result{}, errors.New("runner: empty command")
	}
	red := newRedactor(r.Secrets, c.Secrets)
	if r.Observe != nil {
		r.Observe(c)
	}
	if r.Logger != nil {
		r.Logger.DebugContext(ctx, "exec", "argv", red.Strings(c.Args), "dir", c.Dir)
	}
	size := r.TailSize
	if size <= 0 {
		size = defaultTailSize
	}
	tail := newTailBuffer(size)

	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Dir = c.Dir
	cmd.Stdin = c.Stdin
	base := c.BaseEnv
	if base == nil {
		base = r.environ()
	}
	cmd.Env = append(append([]string{}, base...), c.Env...)
	if c.Cancel != nil {
		cmd.Cancel = c.Cancel
	}
	cmd.WaitDelay = c.WaitDelay
	if c.ProcessGroup {
		grace := c.WaitDelay
		if grace <= 0 {
			grace = 5 * time.Second
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
		cmd.WaitDelay = grace
	}

	var stdout bytes.Buffer
	var streams []io.WriteCloser
	switch {
	case c.Pipe != nil:
		cmd.Stdout = c.Pipe
	case c.Stdout != nil:
		w := red.writer(io.MultiWriter(tail, c.Stdout))
		streams = append(streams, w)
		cmd.Stdout = w
	default:
		cmd.Stdout = &stdout
	}
	if c.Stderr != nil && sameWriter(c.Stderr, c.Stdout) && c.Pipe == nil {
		// One log: one redacting writer, so that exec serialises the two
		// streams' writes into it.
		cmd.Stderr = cmd.Stdout
	} else {
		errDst := io.Writer(tail)
		if c.Stderr != nil {
			errDst = io.MultiWriter(tail, c.Stderr)
		}
		errW := red.writer(errDst)
		streams = append(streams, errW)
		cmd.Stderr = errW
	}

	err := cmd.Run()
	if c.ProcessGroup && cmd.Process != nil {
		// What the command left running (or what ignored SIGTERM) ends
		// with it, as it would with its container.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	for _, w := range streams {
		_ = w.Close() // flush what redaction held back
	}
	res := Result{Stdout: stdout.Bytes(), Tail: tail.String()}
	if err == nil {
		return res, nil
	}
	res.ExitCode = -1
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		res.ExitCode = exitStatus(exitErr)
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return res, &CommandError{
		Args:     red.Strings(c.Args),
		ExitCode: res.ExitCode,
		Tail:     res.Tail,
		Err:      err,
	}
}

// exitStatus follows the shell's convention for a process killed by a
// signal (128+n), so that a stopped build reads as 143, not -1.
func exitStatus(e *exec.ExitError) int {
	if ws, ok := e.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return e.ExitCode()
}

// sameWriter compares writers without panicking on uncomparable types, as
// os/exec does.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() { _ = recover() }()
	return a == b
}
