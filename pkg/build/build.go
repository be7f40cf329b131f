// Package build runs one build attempt of a fetched workspace: a pipeline of
// named steps (prepare, deps, build, collect), each with one job and a log
// title. A step that has nothing to do says so with a reason instead of
// returning silently. The loop that classifies failures and retries is
// built on top of Run.
package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/workspace"
)

// Options say what to build and where.
type Options struct {
	Runtime   container.Runtime
	Target    recipe.Target // with its mirror filled in
	Workspace *workspace.Workspace
	Sources   *sources.Result // what fetch produced
	Version   string          // the upstream version the hotfix ships; "": Sources.Version
	CVEs      []string
	Message   string // an extra changelog line
	// Maintainer signs the changelog entry; "": DEBFULLNAME/DEBEMAIL, else
	// DefaultMaintainer.
	Maintainer string
	// Attempt numbers the attempt and its log (1-based); 0 means 1.
	Attempt int
	// OutDir is where dist/ is created; "": the current directory.
	OutDir string
	// BuilderRef names the builder image; "": BuilderRef(Target).
	BuilderRef string
	// Image tunes the builder image and deps layer builds (their log,
	// lock and cache directories).
	Image container.ImageOptions
	// DropConflictingPatches drops a distro patch that conflicts with the
	// new source instead of stopping (the report lists it in red).
	DropConflictingPatches bool
	// DropPatches are distro patches to drop without trying them, with the
	// reason: refreshed patches whose build failed upstream's tests
	// (patch-breaks-tests, only with DropConflictingPatches).
	DropPatches map[string]string
	// Nocheck builds without running the tests (DEB_BUILD_OPTIONS=nocheck,
	// rpmbuild --nocheck): the tests-failed remedy, never a default.
	Nocheck bool
	// DepsRefresh > 0 installs the build dependencies into a new layer
	// instead of the cached one (the missing-build-deps remedy).
	DepsRefresh int
	// CCacheDir is the target's ccache directory on the host; "": the
	// user cache dir's backport/ccache/<target>; "off": no ccache.
	CCacheDir string
	// Base says where the builder image's base comes from; BaseAuto: the
	// registry, else a bootstrap from the mirror.
	Base BaseMode
	// DebianMirror and DebianSuite bootstrap the rpm builder, a Debian base
	// with Debian's rpm, when the target names no mirror of its own;
	// DebianSuite "": DefaultRPMBuilderSuite.
	DebianMirror, DebianSuite string

	Log *slog.Logger
	// Progress is told the title of each step as it starts.
	Progress func(step string)
	// Output also receives the build log (a terminal's tail view); nil:
	// only the log file.
	Output io.Writer
	Now    time.Time // the changelog date; zero: now
}

// DefaultMaintainer signs changelog entries when the environment names no
// one.
const DefaultMaintainer = "backport <backport@localhost>"

// Result is what one attempt produced; JSON as `build --json` prints it.
type Result struct {
	Version  string        `json:"version"`  // the hotfix version, e.g. 2.10-3+bp1
	Packages []string      `json:"packages"` // absolute paths under dist/
	Dist     string        `json:"dist"`     // the directory holding them
	Attempt  int           `json:"attempt"`
	Log      string        `json:"log"`
	Steps    []StepResult  `json:"steps"`
	Patches  []PatchReport `json:"patches,omitempty"` // the fate of each distro patch
	Builder  string        `json:"builder,omitempty"` // the builder image
	// BuilderID is the builder image's ID (sha256:…), which the bundle's
	// provenance records.
	BuilderID string `json:"builder_id,omitempty"`
}

// StepResult is what one step did.
type StepResult struct {
	Name     string        `json:"name"`
	Title    string        `json:"title"`
	Skipped  bool          `json:"skipped,omitempty"`
	Reason   string        `json:"reason,omitempty"` // why it was skipped, or what it found
	Duration time.Duration `json:"duration_ns"`
}

// FailedError is a build that ran and failed: exit status 3 with the log.
type FailedError struct {
	Step    string
	Code    int
	LogPath string
	Tail    []string // the last lines of the log
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("%s failed with exit status %d; log: %s", e.Step, e.Code, e.LogPath)
}

// skipError marks a step that had nothing to do; its text is the reason.
type skipError struct{ reason string }

func (e skipError) Error() string { return e.reason }

func skip(format string, args ...any) error { return skipError{fmt.Sprintf(format, args...)} }

// step is one stage of an attempt.
type step struct {
	name, title string
	run         func(ctx context.Context, a *attempt) error
}

// Steps lists the steps of an attempt of the given family, by name, in
// order.
func Steps(family recipe.Family) []string {
	var names []string
	for _, s := range stepsFor(family) {
		names = append(names, s.name)
	}
	return names
}

func stepsFor(family recipe.Family) []step {
	switch family {
	case recipe.FamilyDeb:
		return []step{
			{"prepare", "preparing a fresh tree", prepareDeb},
			{"deps", "installing build dependencies", depsDeb},
			{"build", "building", buildDeb},
			{"collect", "collecting packages", collectDeb},
		}
	case recipe.FamilyRPM:
		return []step{
			{"prepare", "preparing a fresh topdir", prepareRPM},
			{"deps", "installing build dependencies", depsRPM},
			{"build", "building", buildRPM},
			{"collect", "collecting packages", collectRPM},
		}
	}
	return nil
}

// attempt is the state the steps share.
type attempt struct {
	opts     Options
	number   int
	logPath  string
	buildDir string // <ws>/build: the parent the .debs land in
	tree     string // <ws>/build/<src>-<ver>; rpm: the spec in SPECS/
	source   string // the source package name
	hotfix   string // the full hotfix version
	builder  string // the builder image
	depsRef  string // the image with the build dependencies
	res      *Result
	log      io.Writer         // the attempt's log file
	env      map[string]string // extra build environment (e.g. nocheck)
	// expectPatches are the patches rpmbuild's %prep must be seen applying.
	expectPatches []string
}

// Run runs one build attempt. A build that ran and failed is an error with
// exitcode.BuildRed (a *FailedError inside); a cancelled one is
// exitcode.Interrupted, its container stopped and removed by the runtime.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	steps := stepsFor(opts.Target.Family)
	if steps == nil {
		return nil, fmt.Errorf("target %s: building %s packages is not supported yet", opts.Target.Name, opts.Target.Family)
	}
	a := &attempt{opts: opts, number: max(opts.Attempt, 1)}
	a.logPath = opts.Workspace.LogPath(a.number)
	a.res = &Result{Attempt: a.number, Log: a.logPath, Steps: []StepResult{}}
	logFile, err := a.openLog()
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	a.log = logFile
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return a.res, exitcode.Wrap(exitcode.Interrupted, err)
		}
		if opts.Progress != nil {
			opts.Progress(s.title)
		}
		opts.Log.Info(s.title, "step", s.name)
		start := time.Now()
		err := s.run(ctx, a)
		sr := StepResult{Name: s.name, Title: s.title, Duration: time.Since(start)}
		var sk skipError
		if errors.As(err, &sk) {
			sr.Skipped, sr.Reason, err = true, sk.reason, nil
			opts.Log.Info("skipped", "step", s.name, "reason", sk.reason)
		}
		a.res.Steps = append(a.res.Steps, sr)
		if err != nil {
			if ctx.Err() != nil {
				return a.res, exitcode.Wrap(exitcode.Interrupted, fmt.Errorf("%s: %w", s.name, ctx.Err()))
			}
			return a.res, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return a.res, nil
}

func (o Options) check() error {
	switch {
	case o.Runtime == nil:
		return errors.New("build: no runtime")
	case o.Workspace == nil:
		return errors.New("build: no workspace")
	case o.Sources == nil || o.Sources.Tree == "":
		return errors.New("build: no fetched sources (run backport fetch first)")
	}
	return nil
}

// version is the upstream version the hotfix ships.
func (o Options) version() string {
	if o.Version != "" {
		return o.Version
	}
	return o.Sources.Version
}

func (o Options) outDir() string {
	if o.OutDir == "" {
		return "."
	}
	return o.OutDir
}

// BuilderRef is the builder image of a target under the default prefix.
func BuilderRef(t recipe.Target) string { return BuilderRefIn(recipe.DefaultImagePrefix, t) }

// BuilderRefIn is the builder image of a target under an image prefix
// (image_prefix: in backport.yaml).
func BuilderRefIn(prefix string, t recipe.Target) string { return prefix + "/builder:" + t.Name }

// openLog creates the attempt's log file, truncating a previous one of the
// same number.
func (a *attempt) openLog() (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(a.logPath), 0o755); err != nil {
		return nil, err
	}
	return os.Create(a.logPath)
}
