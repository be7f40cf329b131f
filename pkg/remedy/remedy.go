// Package remedy recognises why a build attempt failed and fixes the
// packaging for the next one (DESIGN §5).
//
// ClassifyLog turns an attempt's log into a Cause; For picks the Remedy for
// that cause; Apply edits the packaging files in the workspace tree. Every
// remedy lives in its own file with its classifier rule, its fix and its
// fixture test. Edits change only the lines they must and keep every other
// byte (line endings, a missing final newline, odd spacing) as it was, so
// the packaging diff shows the remedy and nothing else.
//
// Some causes are guards, not remedies: a library transition and an ABI
// break stop the loop with an explanation (Cause.Stop). Patch problems
// (patch-*) are pkg/patch's, in the prepare phase; they never reach here.
package remedy

import (
	"context"

	"github.com/backport/backport/pkg/recipe"
)

// Phase is the step of an attempt that failed.
type Phase string

// The phases of one attempt, in order.
const (
	PhasePrepare Phase = "prepare"
	PhaseDeps    Phase = "deps"
	PhaseBuild   Phase = "build"
	PhaseCollect Phase = "collect"
)

// The cause classes ClassifyLog returns.
const (
	ClassUnpackagedFiles      = "unpackaged-files"
	ClassMissingFiles         = "missing-files"
	ClassMissingBuildDeps     = "missing-build-deps"
	ClassBuildDepsUnavailable = "build-deps-unavailable" // apt/dnf cannot find a declared dependency: no remedy
	ClassBuildDepsChanged     = "build-deps-changed"
	ClassAutoreconfRegression = "autoreconf-regression"
	ClassSymbolsChanged       = "symbols-changed"
	ClassTestsFailed          = "tests-failed"
	ClassSourceRenamed        = "source-renamed"
	ClassLibraryTransition    = "library-transition" // guard: Stop
	ClassABIBreak             = "abi-break"          // guard: Stop
	ClassNone                 = "none"               // the step exited 0: nothing to classify
	ClassUnknown              = "unknown"
)

// Cause is what ClassifyLog found.
type Cause struct {
	Class    string   `json:"class"`
	Summary  string   `json:"summary"`            // one line for humans
	Evidence []string `json:"evidence,omitempty"` // the log lines that show it, ANSI stripped, at most maxEvidence
	// Items is what the fix needs; its meaning depends on the class:
	// paths (unpackaged-files, missing-files), dependencies
	// (missing-build-deps), path patterns (build-deps-changed; see
	// ItemAlternatives), symbols files and symbol lines (symbols-changed),
	// the wanted source file name (source-renamed), sonames (guards).
	Items []string `json:"items,omitempty"`
	Stop  bool     `json:"stop,omitempty"` // a guard: stop and explain, never fix
}

// Packaging is what a remedy edits.
type Packaging struct {
	Family recipe.Family
	// Dir is, for deb, the source tree (holding debian/); for rpm, the
	// directory holding the spec and its sources, flat.
	Dir  string
	Spec string // rpm: the spec's path
	// Version is the upstream version being built (rpm: what %{version}
	// expands to in the attempt, while the workspace spec still says the
	// distro's); "": the spec's own.
	Version string
	// UpstreamTarball is the file name of the new upstream tarball as the
	// loop placed it (rpm: in Dir; deb: next to the tree). source-renamed
	// points the packaging at it.
	UpstreamTarball string
	// Providers finds, in the target's package index, the package that
	// ships each path pattern ("usr/bin/bison",
	// "usr/lib/*/pkgconfig/oniguruma.pc"; "*" does not cross "/"). Patterns
	// without a provider are absent from the map. nil: no lookup, and
	// build-deps-changed can fix only what rpm can name by capability.
	Providers func(ctx context.Context, patterns []string) (map[string]string, error)
}

// Change is what a remedy did.
type Change struct {
	Remedy  string   `json:"remedy"`
	Summary string   `json:"summary"`         // one line: what it changed, or why it changed nothing
	Files   []string `json:"files,omitempty"` // packaging files it edited, relative to Dir
	Nocheck bool     `json:"nocheck,omitempty"`
	// Renames are files the loop must rename before the next attempt
	// (deb source-renamed: the upstream tarball to the .orig name
	// dpkg-source looks for). Paths are relative to the directory holding
	// the source tree.
	Renames []Rename `json:"renames,omitempty"`
	// Reinstall asks the loop to rebuild the build-dependency layer
	// (missing-build-deps): the packaging is right, the layer is not.
	Reinstall bool `json:"reinstall,omitempty"`
	// Changed is false when the remedy found nothing to change; the loop
	// stops then.
	Changed bool `json:"changed"`
}

// Rename is one file the loop moves.
type Rename struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Remedy is one automatic fix for one class of failure.
type Remedy interface {
	Name() string
	Matches(c Cause) bool
	Apply(ctx context.Context, p Packaging, c Cause) (Change, error)
}

// Options gate remedies the engineer must ask for.
type Options struct {
	AllowSkipTests bool // tests-failed rebuilds with nocheck only when set
}

// All returns every remedy, in the order For tries them.
func All() []Remedy {
	return []Remedy{
		unpackagedFiles{},
		missingFiles{},
		missingBuildDeps{},
		buildDepsChanged{},
		autoreconfRegression{},
		symbolsChanged{},
		testsFailed{},
		sourceRenamed{},
		rulesStepObsolete{},
	}
}

// For returns the remedy for c. It returns false for guards, for causes
// with no remedy, and for tests-failed unless opts.AllowSkipTests.
func For(c Cause, opts Options) (Remedy, bool) {
	if c.Stop {
		return nil, false
	}
	if c.Class == ClassTestsFailed && !opts.AllowSkipTests {
		return nil, false
	}
	for _, r := range All() {
		if r.Matches(c) {
			return r, true
		}
	}
	return nil, false
}
