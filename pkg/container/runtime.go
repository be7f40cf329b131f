package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/backport/backport/pkg/exitcode"
)

// Runtime is where build steps run: a podman or docker engine, or the host.
type Runtime interface {
	// Name is "podman", "docker" or "host".
	Name() string
	// InsidePath is where the command sees m: Target in a container, Source
	// on the host. Argv and workdirs that name mounted paths use it.
	InsidePath(m Mount) string

	// Run runs spec to completion and removes the container. exitCode is
	// the command's; err is set when the command could not be run at all
	// (the engine's own failures, exit codes 125–127 of podman-run(1)) or
	// was stopped because ctx was cancelled (exitcode.Interrupted).
	Run(ctx context.Context, spec RunSpec) (exitCode int, err error)
	// RunKeep is Run that keeps the finished container, for Commit. The
	// caller removes it with RemoveContainer. A cancelled run is removed.
	RunKeep(ctx context.Context, spec RunSpec) (container string, exitCode int, err error)
	RemoveContainer(ctx context.Context, container string) error
	// Commit saves a container as image ref with labels.
	Commit(ctx context.Context, container, ref string, labels map[string]string) error

	ImageExists(ctx context.Context, ref string) (bool, error)
	// ImageID returns the full image ID, or ErrImageNotFound.
	ImageID(ctx context.Context, ref string) (string, error)
	// ImageLabels returns the image's labels, or ErrImageNotFound.
	ImageLabels(ctx context.Context, ref string) (map[string]string, error)
	// Import makes image ref from a root filesystem directory.
	Import(ctx context.Context, rootfsDir, ref string, labels map[string]string) error
	Pull(ctx context.Context, ref string) error
	// ListImages returns the images backport manages (LabelManaged=true).
	ListImages(ctx context.Context) ([]Image, error)
	RemoveImage(ctx context.Context, ref string) error

	// Diagnose checks what builds need from this runtime, for
	// `backport doctor`. It may run a trivial container.
	Diagnose(ctx context.Context) []Check
}

// Labels backport puts on the images it makes.
const (
	LabelManaged    = "io.backport.managed"    // "true" on every image backport made
	LabelKind       = "io.backport.kind"       // "builder" or "layer"
	LabelDefinition = "io.backport.definition" // Definition.Hash of a builder image
	LabelBase       = "io.backport.base"       // what the base was: a suite or a ref
	LabelLayer      = "io.backport.layer"      // the key of a cached layer
	LabelLayerBase  = "io.backport.layer.base" // the image ID a layer sits on
)

// ErrNoImages is returned by the image and container operations of the host
// runtime, which runs commands in the environment it finds.
var ErrNoImages = errors.New("the host runtime has no images or containers")

// ErrImageNotFound is returned when a ref names no local image.
var ErrImageNotFound = errors.New("image not found")

// Mount binds a host directory into the container.
type Mount struct {
	Source   string // host path; absolute
	Target   string // path inside the container; empty: the same as Source
	ReadOnly bool
}

// RunSpec is one command to run in a container.
type RunSpec struct {
	Image   string
	Args    []string
	Env     map[string]string
	Mounts  []Mount
	Workdir string // a path inside the container: use InsidePath for mounts
	// Network allows network access (dependency installs). Off, the
	// container has no network at all (--network none).
	Network bool
	// Name names the container; empty: backport-<random>.
	Name string
	// User runs the command as this user ("uid:gid") instead of root and
	// turns off the ownership fix-up: the caller has chosen.
	User           string
	Stdout, Stderr io.Writer // the build log; nil: discarded
}

// Image is an image backport made.
type Image struct {
	Ref     string   // the first tag, "" for an untagged image
	Tags    []string // every tag
	ID      string
	Size    int64
	Created time.Time
	Labels  map[string]string
}

// Check is one line of `backport doctor`.
type Check struct {
	Name   string
	OK     bool
	Detail string // what was found
	Fix    string // what to do when not OK
}

// Owner is the user that files written into mounts must belong to.
type Owner struct{ UID, GID int }

// Options configure a Runtime. The zero value is usable.
type Options struct {
	// Binary is the engine executable; empty: looked up on PATH.
	Binary string
	// ConfigDir is where the fallback containers.conf is written; empty:
	// os.UserConfigDir()/backport.
	ConfigDir string
	// Runner runs every external command; nil: a Runner with Logger.
	// Secrets are redacted either way.
	Runner  *Runner
	Secrets []string
	Logger  *slog.Logger
	// Notify tells the user something they should know but that is not an
	// error (the podman fallback); nil: logged as a warning.
	Notify func(msg string)
	// Owner is who results must belong to; nil: the invoking user.
	Owner *Owner
}

func (o Options) runner() *Runner {
	if o.Runner == nil {
		return &Runner{Secrets: o.Secrets, Logger: o.Logger}
	}
	if len(o.Secrets) == 0 {
		return o.Runner
	}
	r := *o.Runner
	r.Secrets = append(append([]string(nil), r.Secrets...), o.Secrets...)
	return &r
}

func (o Options) notify(msg string) {
	switch {
	case o.Notify != nil:
		o.Notify(msg)
	case o.Logger != nil:
		o.Logger.Warn(msg)
	}
}

func (o Options) owner() Owner {
	if o.Owner != nil {
		return *o.Owner
	}
	return Owner{UID: os.Getuid(), GID: os.Getgid()}
}

// Runtime names accepted by Detect.
const (
	Podman = "podman"
	Docker = "docker"
	Host   = "host"
)

// installHint names what to install when no engine is usable.
const installHint = "install podman (apt-get install podman runc catatonit), start a docker daemon, " +
	"or use --runtime host inside a build container"

// Detect returns the runtime named by preferred ("podman", "docker",
// "host"), or, for "", the first usable one: podman when installed, else
// docker with a reachable daemon.
func Detect(ctx context.Context, preferred string, opts Options) (Runtime, error) {
	switch preferred {
	case Podman, Docker:
		e, err := NewEngine(preferred, opts)
		if err != nil {
			return nil, err
		}
		return e, nil
	case Host:
		return NewHost(opts), nil
	case "":
	default:
		return nil, exitcode.New(exitcode.Usage, "unknown runtime %q: expected podman, docker or host", preferred)
	}
	if _, err := exec.LookPath(Podman); err == nil {
		e, err := NewEngine(Podman, opts)
		if err != nil {
			return nil, err
		}
		return e, nil
	}
	if _, err := exec.LookPath(Docker); err == nil {
		docker, err := NewEngine(Docker, opts)
		if err != nil {
			return nil, err
		}
		if err := docker.ping(ctx); err != nil {
			return nil, fmt.Errorf("no container runtime: podman is not installed and docker's daemon is not reachable (%v); %s", err, installHint)
		}
		return docker, nil
	}
	return nil, fmt.Errorf("no container runtime: neither podman nor docker is installed; %s", installHint)
}
