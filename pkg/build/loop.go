package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/patch"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/remedy"
)

// DefaultMaxAttempts bounds the loop when LoopOptions.MaxAttempts is 0.
const DefaultMaxAttempts = 8

// LoopOptions say how the rebuild-until-green loop runs on top of one
// attempt's Options.
type LoopOptions struct {
	Options
	MaxAttempts    int  // attempts in this run; 0: DefaultMaxAttempts
	AllowSkipTests bool // let the tests-failed remedy rebuild with nocheck
	// Resume continues a stopped loop: the remedies already applied and the
	// engineer's edits to the workspace tree stay, numbering goes on.
	Resume bool
	// Providers finds the package that ships a path in the target's index,
	// for the build-deps-changed remedy; nil: that remedy finds nothing.
	Providers func(ctx context.Context, patterns []string) (map[string]string, error)
	// Packaging says which distro packaging the tree started from and why.
	Packaging PackagingChoice
	// Notify, when set, is told in one line what the loop decided after a
	// failed attempt (the cause and the remedy applied).
	Notify func(msg string)
}

// PackagingChoice is the distro packaging a build starts from.
type PackagingChoice struct {
	Suite   string `json:"suite,omitempty"`
	Version string `json:"version"`
	Reason  string `json:"reason,omitempty"`
}

// loopState is what a stopped loop leaves for --resume: the workspace
// tree holds the remedies' edits, this holds their record.
type loopState struct {
	Attempts []AttemptReport `json:"attempts"`
	Remedies []AppliedRemedy `json:"remedies"`
	Nocheck  bool            `json:"nocheck,omitempty"`
	// DepsRefresh counts the missing-build-deps remedies: each asks for a
	// freshly installed dependency layer.
	DepsRefresh int `json:"deps_refresh,omitempty"`
	// DropPatches are refreshed patches dropped because upstream's tests
	// failed with them, with the reason.
	DropPatches map[string]string `json:"drop_patches,omitempty"`
}

// Loop runs attempts until one is green, a cause has no remedy, a remedy
// changes nothing or runs a second time for the same cause, or
// MaxAttempts is reached. It always writes report.json, report.md and
// packaging.diff into the workspace, and returns the report with an error
// carrying exit status 3 when the build is still red.
func Loop(ctx context.Context, lo LoopOptions) (*Report, error) {
	if err := lo.check(); err != nil {
		return nil, err
	}
	ws := lo.Workspace
	var st loopState
	if lo.Resume && !lo.Sources.TreeKept {
		// The tree was unpacked afresh: the remedies recorded are gone.
		lo.notify("the workspace tree was unpacked again, so the earlier attempts' remedies are gone: starting the loop over")
		lo.Resume = false
	}
	if lo.Resume {
		if _, err := ws.LoadState("loop", &st); err != nil {
			return nil, err
		}
	} else if err := ws.RemoveState("loop"); err != nil {
		return nil, err
	}
	rep := newReport(lo, &st)
	max := lo.MaxAttempts
	if max <= 0 {
		max = DefaultMaxAttempts
	}
	first := len(st.Attempts) + 1
	var last *Result
	var loopErr error
	for n := first; ; n++ {
		if n-first >= max {
			rep.stop("red", fmt.Sprintf("still red after %d attempt(s) (--max-attempts %d)", max, max))
			loopErr = exitcode.Wrap(exitcode.BuildRed, errors.New(rep.StopReason))
			break
		}
		opts := lo.Options
		opts.Attempt = n
		if progress := lo.Progress; progress != nil && n > 1 {
			attempt := n
			opts.Progress = func(step string) { progress(fmt.Sprintf("attempt %d: %s", attempt, step)) }
		}
		// Decisions an earlier run made under a flag hold only while the
		// flag is still given.
		opts.Nocheck = opts.Nocheck || (st.Nocheck && lo.AllowSkipTests)
		opts.DepsRefresh = st.DepsRefresh
		if lo.DropConflictingPatches {
			opts.DropPatches = st.DropPatches
		}
		started := time.Now()
		res, err := Run(ctx, opts)
		ar := AttemptReport{Number: n, Started: started, Duration: time.Since(started), Log: ws.LogPath(n), Resumed: lo.Resume && n == first}
		if res != nil {
			ar.Steps = res.Steps
			rep.Patches = res.Patches
			if res.Version != "" {
				rep.Hotfix = res.Version
			}
		}
		if err == nil {
			ar.Outcome = "green"
			st.Attempts = append(st.Attempts, ar)
			last = res
			if cause := checkPackages(res); cause != nil {
				st.Attempts[len(st.Attempts)-1].Outcome = "stopped"
				st.Attempts[len(st.Attempts)-1].Cause = cause
				rep.stop("stopped", cause.Summary)
				loopErr = exitcode.Wrap(exitcode.BuildRed, errors.New(cause.Summary))
				last = nil // not shippable: no packages in the report
				break
			}
			rep.stop("green", "")
			break
		}
		if exitcode.Of(err) == exitcode.Interrupted {
			ar.Outcome = "interrupted"
			st.Attempts = append(st.Attempts, ar)
			rep.stop("interrupted", "interrupted; the workspace is kept: run again with --resume")
			loopErr = err
			break
		}
		cause, stop := diagnose(err, lo.Target.Family, ws.LogPath(n))
		ar.Outcome, ar.Cause = "red", &cause
		if stop != "" {
			st.Attempts = append(st.Attempts, ar)
			rep.stop("stopped", stop)
			loopErr = exitcode.Wrap(exitcode.BuildRed, fmt.Errorf("%s", stop))
			if cause.Class == "" { // not a build failure: an I/O error, a broken spec
				loopErr = err
			}
			break
		}
		var change remedy.Change
		var why string
		if c, ok := dropRefreshedPatches(lo, &st, cause, res, n); ok {
			change = c
		} else {
			change, why = applyRemedy(ctx, lo, &st, cause, n)
		}
		if why != "" {
			st.Attempts = append(st.Attempts, ar)
			if ctx.Err() != nil { // cancelled while a remedy looked something up
				rep.stop("interrupted", "interrupted; the workspace is kept: run again with --resume")
				loopErr = exitcode.Wrap(exitcode.Interrupted, ctx.Err())
				break
			}
			rep.stop("stopped", why)
			loopErr = exitcode.Wrap(exitcode.BuildRed, errors.New(why))
			break
		}
		ar.Remedy, ar.Change = change.Remedy, change.Summary
		st.Attempts = append(st.Attempts, ar)
		lo.notify("attempt %d failed (%s); remedy %s: %s", n, cause.Class, change.Remedy, change.Summary)
		if change.Nocheck {
			st.Nocheck = true
		}
		if change.Reinstall {
			st.DepsRefresh++
		}
		if err := ws.SaveState("loop", st); err != nil {
			return nil, err
		}
	}
	rep.Attempts, rep.Remedies, rep.Nocheck = st.Attempts, st.Remedies, st.Nocheck
	if last != nil {
		rep.Packages, rep.last = last.Packages, last
	}
	if err := ws.SaveState("loop", st); err != nil {
		return rep, err
	}
	if err := writeLoopFiles(lo, rep); err != nil {
		return rep, err
	}
	return rep, loopErr
}

func (lo LoopOptions) check() error {
	if err := lo.Options.check(); err != nil {
		return err
	}
	if lo.MaxAttempts < 0 {
		return errors.New("--max-attempts must be at least 1")
	}
	return nil
}

// diagnose turns a failed attempt into a cause. stop is non-empty when the
// loop must stop without trying a remedy: a patch that conflicts, a guard,
// or a failure that is not a build's (I/O, a broken spec).
func diagnose(err error, family recipe.Family, logPath string) (cause remedy.Cause, stop string) {
	var conflict *patch.ConflictError
	if errors.As(err, &conflict) {
		r := conflict.Result
		return remedy.Cause{
			Class: "patch-conflict", Summary: "patch " + r.Patch.Name + " does not apply to the new source",
			Evidence: firstLines(r.FailedHunks, 40),
		}, fmt.Sprintf("patch %s conflicts with the new source (%s); fix or drop it in the workspace and run again with --resume, or pass --drop-conflicting-patches", r.Patch.Name, r.Reason)
	}
	var unaccounted *UnaccountedPatchError
	if errors.As(err, &unaccounted) {
		return remedy.Cause{Class: "patch-unaccounted", Summary: unaccounted.Error(), Evidence: unaccounted.Evidence}, unaccounted.Error()
	}
	var failed *FailedError
	if !errors.As(err, &failed) {
		return remedy.Cause{}, err.Error()
	}
	log, rerr := os.ReadFile(logPath)
	if rerr != nil {
		return remedy.Cause{}, rerr.Error()
	}
	cause = remedy.ClassifyLog(family, phaseOf(failed.Step), failed.Code, string(log))
	if cause.Stop {
		return cause, cause.Summary
	}
	return cause, ""
}

// phaseOf maps a failed step's name to the classifier's phase.
func phaseOf(step string) remedy.Phase {
	switch {
	case strings.Contains(step, "dependencies"):
		return remedy.Phase("deps")
	case strings.HasPrefix(step, "prepar"):
		return remedy.Phase("prepare")
	}
	return remedy.Phase("build")
}

// applyRemedy finds and applies the remedy for cause to the workspace
// tree. why is non-empty when the loop must stop: no remedy, the same
// remedy already ran for this cause, or it changed nothing.
func applyRemedy(ctx context.Context, lo LoopOptions, st *loopState, cause remedy.Cause, attempt int) (remedy.Change, string) {
	r, ok := remedy.For(cause, remedy.Options{AllowSkipTests: lo.AllowSkipTests})
	if !ok {
		msg := "no remedy for " + cause.Class
		if cause.Class == "" || cause.Class == "unknown" {
			msg = "the failure matches no known cause"
		}
		if cause.Class == "tests-failed" && !lo.AllowSkipTests {
			msg = "the tests failed; --allow-skip-tests rebuilds without them (the report says so)"
		}
		return remedy.Change{}, msg + "; edit the workspace and run again with --resume"
	}
	key := r.Name() + "\x00" + strings.Join(cause.Items, "\x00")
	for _, done := range st.Remedies {
		if done.key() == key {
			return remedy.Change{}, fmt.Sprintf("remedy %s already ran for this cause (attempt %d) and the build still fails the same way", r.Name(), done.Attempt)
		}
	}
	pk, err := lo.packaging()
	if err != nil {
		return remedy.Change{}, err.Error()
	}
	change, err := r.Apply(ctx, pk, cause)
	if err != nil {
		return remedy.Change{}, fmt.Sprintf("remedy %s failed: %v", r.Name(), err)
	}
	if !change.Changed {
		return remedy.Change{}, fmt.Sprintf("remedy %s changed nothing: %s", r.Name(), change.Summary)
	}
	if len(change.Renames) > 0 {
		// prepare names the orig tarball from the verified upstream file
		// every attempt, so a rename would not last: this is another problem.
		return remedy.Change{}, fmt.Sprintf("remedy %s wants %s renamed to %s, but backport names the orig tarball itself each attempt; check the tarballs in %s",
			r.Name(), change.Renames[0].From, change.Renames[0].To, filepath.Join(lo.Workspace.Dir, "build"))
	}
	change.Remedy = r.Name()
	st.Remedies = append(st.Remedies, AppliedRemedy{
		Attempt: attempt, Name: r.Name(), Cause: cause.Class, Summary: change.Summary,
		Evidence: cause.Evidence, Items: cause.Items, Files: change.Files, Nocheck: change.Nocheck,
	})
	return change, ""
}

// packaging is what remedies edit: the workspace tree, which every
// attempt copies afresh.
func (lo LoopOptions) packaging() (remedy.Packaging, error) {
	p := remedy.Packaging{Family: lo.Target.Family, Dir: lo.Sources.Tree, Providers: lo.Providers, Version: lo.version()}
	if lo.Target.Family == recipe.FamilyRPM {
		specs, err := filepath.Glob(filepath.Join(lo.Sources.Tree, "*.spec"))
		if err != nil || len(specs) != 1 {
			return p, fmt.Errorf("%s: expected one .spec", lo.Sources.Tree)
		}
		p.Spec = specs[0]
		p.UpstreamTarball = upstreamName(lo.Sources)
	}
	return p, nil
}

func firstLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[:min(len(lines), n)]
}

func (lo LoopOptions) notify(format string, args ...any) {
	if lo.Notify != nil {
		lo.Notify(fmt.Sprintf(format, args...))
	}
}

// dropRefreshedPatches is the patch-breaks-tests remedy: when upstream's
// tests fail and patches were refreshed (applied with fuzz), the likeliest
// cause is a distro patch fighting a change upstream made its own way (a
// depth limit, an error message). With --drop-conflicting-patches those
// patches are dropped, listed in red, and the build runs again; the tests
// then decide. It runs once.
func dropRefreshedPatches(lo LoopOptions, st *loopState, cause remedy.Cause, res *Result, attempt int) (remedy.Change, bool) {
	if cause.Class != remedy.ClassTestsFailed || !lo.DropConflictingPatches || res == nil {
		return remedy.Change{}, false
	}
	const name = "patch-breaks-tests"
	for _, r := range st.Remedies {
		if r.Name == name {
			return remedy.Change{}, false
		}
	}
	var names []string
	for _, p := range res.Patches {
		if p.Fate == string(patch.Refreshed) {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return remedy.Change{}, false
	}
	if st.DropPatches == nil {
		st.DropPatches = map[string]string{}
	}
	for _, p := range names {
		st.DropPatches[p] = fmt.Sprintf("refreshed against the new source, but upstream's tests failed with it (attempt %d); dropped (--drop-conflicting-patches)", attempt)
	}
	change := remedy.Change{
		Remedy:  name,
		Summary: "dropped the refreshed patch(es) " + strings.Join(names, ", ") + ": upstream's tests fail with them",
		Files:   []string{"debian/patches/series"}, Changed: true,
	}
	st.Remedies = append(st.Remedies, AppliedRemedy{
		Attempt: attempt, Name: name, Cause: cause.Class, Summary: change.Summary,
		Evidence: cause.Evidence, Items: names, Files: change.Files,
	})
	return change, true
}
