package container

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// minFreeBytes is the free space below which builds are likely to fail: a
// builder image, a deps layer and one large source tree with its objects.
const minFreeBytes = 5 << 30

// Diagnose checks the engine for `backport doctor`, in the order a user
// would fix things: the binary, a trivial container, the containers.conf
// decision that made it work, the tools images are built with, privileges,
// and disk space.
func (e *Engine) Diagnose(ctx context.Context) []Check {
	var checks []Check
	install := "apt-get install podman runc catatonit"
	if e.name == Docker {
		install = "install docker and start its daemon (systemctl start docker)"
	}
	if err := e.ping(ctx); err != nil {
		checks = append(checks, Check{Name: e.name, Detail: err.Error(), Fix: install})
		return append(checks, e.debootstrapCheck())
	}
	version, _ := e.output(ctx, "version", "--format", "{{.Client.Version}}")
	checks = append(checks, Check{Name: e.name, OK: true, Detail: fmt.Sprintf("%s %s (%s)", e.name, version, e.binary)})
	checks = append(checks, e.trivialRunCheck(ctx))
	if e.name == Podman {
		checks = append(checks, e.confCheck(), e.initCheck())
	}
	checks = append(checks, e.debootstrapCheck(), e.privilegeCheck(ctx))
	if dir := e.storageDir(ctx); dir != "" {
		checks = append(checks, diskCheck(dir))
	}
	return checks
}

// trivialRunCheck runs `true` the way builds run, in an image that is
// already here: doctor must not pull or build anything.
func (e *Engine) trivialRunCheck(ctx context.Context) Check {
	check := Check{Name: "run a container"}
	var candidates []string
	if images, err := e.ListImages(ctx); err == nil {
		// A builder surely has /bin/true; other managed images may not.
		for _, img := range images {
			if img.Labels[LabelKind] == "builder" {
				candidates = append(candidates, img.ID)
			}
		}
	}
	if len(candidates) == 0 {
		if out, err := e.output(ctx, "images", "--quiet"); err == nil && out != "" {
			candidates = strings.Fields(out)[:1]
		}
	}
	if len(candidates) == 0 {
		check.Detail = "no local image to try a container with"
		check.Fix = "build a builder image first: backport image build --bootstrap"
		return check
	}
	var (
		image string
		code  int
		err   error
		start time.Time
	)
	for _, image = range candidates {
		start = time.Now()
		code, err = e.Run(ctx, RunSpec{Image: image, Args: []string{"true"}})
		// An image removed since the listing (a prune, another build)
		// says nothing about the runtime: try the next one.
		if err == nil || !strings.Contains(err.Error(), "image not known") {
			break
		}
	}
	switch {
	case err != nil:
		check.Detail = err.Error()
		check.Fix = "see the error; on nested or reduced-privilege hosts install runc (apt-get install runc)"
	case code != 0:
		check.Detail = fmt.Sprintf("`true` exited %d in image %.12s", code, image)
		check.Fix = "rebuild the builder image: backport image build"
	default:
		check.OK = true
		check.Detail = fmt.Sprintf("ran `true` in image %.12s with --init and --network none (%s)", image, time.Since(start).Round(10*time.Millisecond))
	}
	return check
}

func (e *Engine) confCheck() Check {
	d := e.Fallback()
	check := Check{Name: "containers.conf", OK: true}
	switch {
	case d.UserConf != "":
		check.Detail = "CONTAINERS_CONF=" + d.UserConf + " (set by you; backport does not replace it)"
	case d.Active:
		check.Detail = fmt.Sprintf("backport's %s is in use (runc, no default ulimits): %s", d.Path, d.Reason)
	default:
		check.Detail = "podman's own configuration works; no fallback needed"
	}
	return check
}

// initCheck looks for the binary podman's --init runs: Debian packages it
// separately, and without it every build fails to start.
func (e *Engine) initCheck() Check {
	check := Check{Name: "container init (--init)"}
	for _, p := range []string{"/usr/libexec/podman/catatonit", "/usr/lib/podman/catatonit"} {
		if _, err := os.Stat(p); err == nil {
			check.OK, check.Detail = true, p
			return check
		}
	}
	if p, err := exec.LookPath("catatonit"); err == nil {
		check.OK, check.Detail = true, p
		return check
	}
	check.Detail = "catatonit is not installed; podman run --init fails without it"
	check.Fix = "apt-get install catatonit"
	return check
}

func (e *Engine) debootstrapCheck() Check {
	check := Check{Name: "debootstrap (image build --bootstrap)"}
	if p, err := exec.LookPath("debootstrap"); err == nil {
		check.OK, check.Detail = true, p
		return check
	}
	check.Detail = "not installed: builder images can only start from a registry image"
	check.Fix = "apt-get install debootstrap"
	return check
}

func (e *Engine) privilegeCheck(ctx context.Context) Check {
	check := Check{Name: "privileges", OK: true}
	rootless, err := e.isRootless(ctx)
	switch {
	case err != nil:
		check.OK, check.Detail = false, err.Error()
	case rootless:
		check.Detail = fmt.Sprintf("rootless %s (uid %d): container root is you; --bootstrap needs root (sudo)", e.name, os.Getuid())
	case os.Getuid() == 0:
		check.Detail = fmt.Sprintf("rootful %s as root", e.name)
	default:
		check.Detail = fmt.Sprintf("rootful %s used as uid %d: results are chowned back to you after each run", e.name, os.Getuid())
	}
	return check
}

// storageDir is where the engine keeps images and containers.
func (e *Engine) storageDir(ctx context.Context) string {
	format := "{{.Store.GraphRoot}}"
	if e.name == Docker {
		format = "{{.DockerRootDir}}"
	}
	dir, _ := e.output(ctx, "info", "--format", format)
	return dir
}

func diskCheck(dir string) Check {
	check := Check{Name: "disk space"}
	var st syscall.Statfs_t
	// The storage directory may not exist yet; its parent's file system is
	// where it will be.
	for p := dir; ; {
		err := syscall.Statfs(p, &st)
		if err == nil {
			break
		}
		next := filepath.Dir(p)
		if next == p {
			check.Detail = fmt.Sprintf("%s: %v", dir, err)
			return check
		}
		p = next
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	check.Detail = fmt.Sprintf("%s free in %s", humanBytes(free), dir)
	check.OK = free >= minFreeBytes
	if !check.OK {
		check.Fix = fmt.Sprintf("free space under %s (at least %s), or prune images: backport image prune", dir, humanBytes(minFreeBytes))
	}
	return check
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
