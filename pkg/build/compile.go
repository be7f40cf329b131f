package build

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/exitcode"
)

// tailLines is how much of a failed build's log an error carries.
const tailLines = 30

// buildDeb runs dpkg-buildpackage on the prepared tree in the deps image,
// with no network, its output streamed to the attempt's log.
func buildDeb(ctx context.Context, a *attempt) error {
	args := []string{"dpkg-buildpackage", "-us", "-uc", "-b"}
	if a.opts.Runtime.Name() == container.Host && os.Geteuid() != 0 {
		// Only the host runtime runs as someone other than root.
		args = append(args, "-rfakeroot")
	}
	mount := container.Mount{Source: a.buildDir, Target: "/backport/build"}
	return runBuild(ctx, a, "dpkg-buildpackage", args, path.Join(a.opts.Runtime.InsidePath(mount), filepath.Base(a.tree)))
}

// runBuild runs a build command in the deps image with <ws>/build mounted
// at /backport/build and no network, its output streamed to the attempt's
// log. A non-zero exit is a *FailedError of step with the log's tail.
func runBuild(ctx context.Context, a *attempt, step string, args []string, workdir string) error {
	o := a.opts
	mount := container.Mount{Source: a.buildDir, Target: "/backport/build"}
	var out io.Writer = a.log
	if o.Output != nil {
		out = io.MultiWriter(out, o.Output)
	}
	env := map[string]string{"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8"}
	mounts := []container.Mount{mount}
	if m, ok := a.ccacheMount(); ok {
		mounts = append(mounts, m)
		env["CCACHE_DIR"] = o.Runtime.InsidePath(m)
		if o.Runtime.Name() != container.Host {
			// The builder's compilers go through ccache's wrappers.
			env["PATH"] = "/usr/lib/ccache:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		}
	}
	for k, v := range a.env {
		env[k] = v
	}
	fmt.Fprintf(a.log, "backport: %s in %s (network off)\n", strings.Join(args, " "), a.depsRef)
	code, err := o.Runtime.Run(ctx, container.RunSpec{
		Image:   a.depsRef,
		Args:    args,
		Env:     env,
		Mounts:  mounts,
		Workdir: workdir,
		Network: false,
		Stdout:  out,
		Stderr:  out,
	})
	if err != nil {
		if ctx.Err() != nil && exitcode.Of(err) != exitcode.Interrupted {
			err = exitcode.Wrap(exitcode.Interrupted, err)
		}
		return err
	}
	if code != 0 {
		return exitcode.Wrap(exitcode.BuildRed, &FailedError{
			Step: step, Code: code, LogPath: a.logPath, Tail: logTail(a.logPath, tailLines),
		})
	}
	return nil
}

// LogTail is the last n lines of an attempt's log.
func LogTail(path string, n int) []string { return logTail(path, n) }

// logTail is the last n lines of the attempt's log, read back from the
// file the build streamed into rather than kept twice in memory.
func logTail(path string, n int) []string {
	const window = 64 << 10
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > window {
		f.Seek(fi.Size()-window, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	return lastLines(string(data), n)
}

// lastLines returns the last n non-empty-trailing lines of s.
func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// ccacheMount is the target's ccache directory, kept on the host between
// builds so that a rebuild of the same sources compiles from the cache.
// ok is false when Options.CCacheDir is "off" or no cache dir is known.
func (a *attempt) ccacheMount() (container.Mount, bool) {
	dir := a.opts.CCacheDir
	switch dir {
	case "off":
		return container.Mount{}, false
	case "":
		cache, err := os.UserCacheDir()
		if err != nil {
			return container.Mount{}, false
		}
		dir = filepath.Join(cache, "backport", "ccache", a.opts.Target.Name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(a.log, "backport: no ccache: %v\n", err)
		return container.Mount{}, false
	}
	return container.Mount{Source: dir, Target: "/backport/ccache"}, true
}
