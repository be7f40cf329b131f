// Package patch accounts for every distro patch before anything compiles:
// each one is applied strictly, refreshed when only its context moved, or
// dropped with evidence (already upstream, applied upstream, CVE fixed
// upstream), and a patch that still conflicts stops the build with the
// hunks that fail. GNU patch does the applying; this package decides.
package patch

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/backport/backport/pkg/version"
)

// Patch is one distro patch, in the order the packaging applies it.
type Patch struct {
	Name  string // as listed in the series / the spec's PatchN file name
	Path  string // the patch file on disk (refreshed content is written back here)
	Strip int    // the -p level (quilt default 1); negative: no -p, patch keeps base names
	ID    string // rpm: "3" for Patch3; "" for quilt
}

// Fate is what became of a patch.
type Fate string

// The fates of a patch. Every patch ends with exactly one.
const (
	Applied                Fate = "applied"                     // applies strictly (fuzz 0, no offset)
	Refreshed              Fate = "refreshed"                   // applied with offset/fuzz; rewritten against the new source; needs review
	DroppedUpstreamed      Fate = "dropped: upstreamed"         // reverse-applies: the change is already in the new source
	DroppedAppliedUpstream Fate = "dropped: applied upstream"   // its DEP-3 Applied-Upstream names a version <= the new one
	DroppedCVEFixed        Fate = "dropped: CVE fixed upstream" // names a CVE the new source's NEWS/ChangeLog lists
	DroppedConflicting     Fate = "dropped: conflicting"        // only with Options.DropConflicting
	Conflict               Fate = "conflict"                    // stops: FailedHunks says which
)

// Dropped reports whether the patch is no longer applied.
func (f Fate) Dropped() bool { return strings.HasPrefix(string(f), "dropped") }

// Result accounts for one patch.
type Result struct {
	Patch       Patch
	Fate        Fate
	Reason      string   // one line, for humans
	Evidence    []string // the NEWS line quoted, the DEP-3 header line, patch's own output lines
	FailedHunks string   // for Conflict and DroppedConflicting: the rejected hunks, like a .rej file
}

// Options says where and how to triage.
type Options struct {
	Tree            string // the source tree to patch in place (a fresh copy; mutated)
	NewVersion      string // the new upstream version, for Applied-Upstream checks (Debian ordering)
	DropConflicting bool
	Log             io.Writer // the attempt log: every patch command and its output; may be nil
}

// ConflictError stops a build at a patch that does not apply.
type ConflictError struct{ Result Result }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("patch %s conflicts with the new source: %s", e.Result.Patch.Name, e.Result.Reason)
}

// Triage applies patches in order to opts.Tree and accounts for each. It
// returns one Result per patch considered. At the first Conflict (without
// DropConflicting) it stops and returns the results so far, the last one the
// Conflict, with a *ConflictError. Other errors are I/O problems or a
// missing GNU patch. A patch that is not applied leaves no trace in the
// tree: no partial hunks, no .orig or .rej files.
func Triage(ctx context.Context, opts Options, patches []Patch) ([]Result, error) {
	if opts.Tree == "" {
		return nil, fmt.Errorf("patch triage: no source tree given")
	}
	if fi, err := os.Stat(opts.Tree); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("patch triage: source tree %s is not a directory", opts.Tree)
	}
	g, err := findGNUPatch(ctx, opts.Log)
	if err != nil {
		return nil, err
	}
	notes, err := readCVENotes(opts.Tree)
	if err != nil {
		return nil, fmt.Errorf("patch triage: reading the new source's change files: %w", err)
	}
	tmp, err := os.MkdirTemp("", "backport-triage-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	var results []Result
	for _, p := range patches {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		logf(opts.Log, "== %s (-p%d)\n", p.Name, p.Strip)
		a := &attempt{g: g, opts: opts, notes: notes, p: p, tmp: tmp}
		r, err := a.triage(ctx)
		if err != nil {
			return results, fmt.Errorf("patch %s: %w", p.Name, err)
		}
		logf(opts.Log, "-> %s: %s\n", r.Fate, r.Reason)
		if r.Fate == Conflict && opts.DropConflicting {
			r.Fate = DroppedConflicting
			r.Reason = "dropped (--drop-conflicting-patches): " + r.Reason
		}
		results = append(results, r)
		if r.Fate == Conflict {
			return results, &ConflictError{Result: r}
		}
	}
	return results, nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

// attempt is the triage of one patch.
type attempt struct {
	g      *gnuPatch
	opts   Options
	notes  []cveNote
	p      Patch
	tmp    string
	parsed *parsedPatch
	hdr    Header
	snap   *snapshot
}

// triage decides a patch's fate in the documented order: CVE fixed
// upstream, strict, reversed, Applied-Upstream, fuzzy, conflict.
func (a *attempt) triage(ctx context.Context) (Result, error) {
	data, err := os.ReadFile(a.p.Path)
	if err != nil {
		return Result{}, err
	}
	a.parsed, a.hdr = parsePatch(data), ParseHeader(data)
	res := Result{Patch: a.p}

	fwd, err := a.try(ctx, a.opts.Tree, run{fuzz: 0, dryRun: true})
	if err != nil {
		return res, err
	}
	if fwd.garbage && len(a.parsed.sections) == 0 {
		res.Fate, res.Reason = Applied, "holds no file changes, so there is nothing to apply"
		return res, nil
	}
	if err := a.takeSnapshot(fwd.files); err != nil {
		return res, err
	}
	strict := fwd.clean() && fwd.trouble == "" && !fwd.garbage

	// (1) A CVE the new upstream lists as fixed, and a patch that no
	// longer applies as it is: upstream fixed it its own way.
	cves := appendCVEs(nil, filepath.Base(a.p.Name))
	for _, id := range a.hdr.CVEs {
		cves = appendCVEs(cves, id)
	}
	if !strict {
		if id, note, ok := findCVENote(a.notes, cves); ok {
			res.Fate = DroppedCVEFixed
			res.Reason = fmt.Sprintf("fixes %s, which the new upstream's %s lists, and no longer applies as it is", id, note.file)
			res.Evidence = append([]string{note.evidence()}, fwd.failed...)
			return res, nil
		}
	}

	// (2) Strict.
	if strict {
		if err := a.applyToTree(ctx, a.p.Path); err != nil {
			return res, err
		}
		res.Fate, res.Reason = Applied, "applies with fuzz 0 and no offset"
		return res, nil
	}
	if fwd.trouble != "" {
		return a.conflict(ctx, res, "GNU patch cannot read it: "+fwd.trouble)
	}

	// (3) Already in the new source.
	rev, err := a.try(ctx, a.opts.Tree, run{fuzz: 0, reverse: true, dryRun: true})
	if err != nil {
		return res, err
	}
	if rev.exit == 0 && rev.trouble == "" && len(rev.warned) == 0 && !rev.garbage {
		res.Fate = DroppedUpstreamed
		res.Reason = "the new source already has this change: the patch applies in reverse"
		if a.hdr.Origin != "" {
			res.Evidence = append(res.Evidence, "Origin: "+a.hdr.Origin)
		}
		res.Evidence = append(res.Evidence, fwd.failed...)
		res.Evidence = append(res.Evidence, fmt.Sprintf("patch -R --dry-run --fuzz=0 applies all %d hunk(s)", a.hunks()))
		return res, nil
	}

	// (4) The header says upstream has it in a version we are at or past.
	upVer, upCommit := appliedUpstreamRef(a.hdr.AppliedUpstream)
	if upVer != "" {
		if c, err := version.Compare(version.Deb, upVer, a.opts.NewVersion); err == nil && c <= 0 {
			f, _ := a.hdr.Get("Applied-Upstream")
			res.Fate = DroppedAppliedUpstream
			res.Reason = fmt.Sprintf("its header says upstream applied it in %s (not after %s), and it no longer applies as it is", upVer, a.opts.NewVersion)
			res.Evidence = append([]string{f.Raw}, fwd.failed...)
			return res, nil
		} else if err != nil {
			logf(a.opts.Log, "Applied-Upstream version %q not compared with %q: %v\n", upVer, a.opts.NewVersion, err)
		}
	}

	// (5) Only the context moved: apply with fuzz and rewrite the patch.
	fuzzy, err := a.try(ctx, a.opts.Tree, run{fuzz: 2, dryRun: true})
	if err != nil {
		return res, err
	}
	if fuzzy.exit == 0 && fuzzy.trouble == "" && !fuzzy.garbage {
		return a.refresh(ctx, res, fuzzy, upVer == "" && upCommit != "")
	}
	if upVer == "" && upCommit != "" {
		// A commit alone cannot be placed against the new version, so
		// it only decides for a patch that cannot be applied at all.
		f, _ := a.hdr.Get("Applied-Upstream")
		res.Fate = DroppedAppliedUpstream
		res.Reason = fmt.Sprintf("its header says upstream applied it as commit %s, and it does not apply even with fuzz", upCommit)
		res.Evidence = append([]string{f.Raw}, fwd.failed...)
		return res, nil
	}

	// (6) Conflict.
	return a.conflict(ctx, res, "")
}

// try runs GNU patch on the attempt's patch with its strip level.
func (a *attempt) try(ctx context.Context, dir string, r run) (outcome, error) {
	r.dir, r.strip = dir, a.p.Strip
	if r.file == "" {
		r.file = a.p.Path
	}
	abs, err := filepath.Abs(r.file)
	if err != nil {
		return outcome{}, err
	}
	r.file = abs
	return a.g.run(ctx, r)
}

// takeSnapshot records every path the patch may touch: the names in its
// headers, the files patch itself reported, and the .orig/.rej names next
// to them, so that stray files can be noticed and removed.
func (a *attempt) takeSnapshot(reported []string) error {
	var rels []string
	for _, s := range a.parsed.sections {
		rels = append(rels, s.candidates(a.p.Strip)...)
	}
	rels = append(rels, reported...)
	n := len(rels)
	for _, r := range rels[:n] {
		rels = append(rels, r+".orig", r+".rej")
	}
	snap, err := takeSnapshot(a.opts.Tree, rels)
	if err != nil {
		return err
	}
	a.snap = snap
	return nil
}

// applyToTree applies a patch file that applied strictly in a dry run. If
// the real run disagrees, the tree is restored and that is an error.
func (a *attempt) applyToTree(ctx context.Context, file string) error {
	o, err := a.try(ctx, a.opts.Tree, run{file: file, fuzz: 0})
	if err == nil && !o.clean() {
		err = fmt.Errorf("applied in a dry run but not for real (exit %d): %s", o.exit, firstLine(o.output))
	}
	if err != nil {
		if rerr := a.snap.restore(); rerr != nil {
			return fmt.Errorf("%w; and restoring the tree failed: %v", err, rerr)
		}
		return err
	}
	undone, err := a.snap.undoStrays(a.opts.Tree)
	if len(undone) > 0 {
		logf(a.opts.Log, "removed stray files: %s\n", strings.Join(undone, ", "))
	}
	return err
}

// hunks counts the patch's hunks.
func (a *attempt) hunks() int {
	n := 0
	for _, s := range a.parsed.sections {
		n += s.hunks
	}
	return n
}

// conflict collects the failing hunks by applying the patch with fuzz in a
// scratch copy of the files it touches; the tree is never touched.
func (a *attempt) conflict(ctx context.Context, res Result, why string) (Result, error) {
	res.Fate = Conflict
	scratch, err := a.snap.scratchCopy()
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(scratch)
	rejects := filepath.Join(a.tmp, "rejects")
	os.Remove(rejects)
	o, err := a.try(ctx, scratch, run{fuzz: 2, rejects: rejects})
	if err != nil {
		return res, err
	}
	rej, err := os.ReadFile(rejects)
	if err != nil && !os.IsNotExist(err) {
		return res, err
	}
	var b strings.Builder
	b.Write(rej)
	for _, line := range o.missing {
		if s, ok := a.parsed.sectionAtLine(line); ok {
			b.WriteString(a.parsed.text(s))
		}
	}
	res.FailedHunks = b.String()
	res.Evidence = o.failed
	switch {
	case why != "":
		res.Reason = why
	case o.failing > 0:
		res.Reason = fmt.Sprintf("%d of %d hunk(s) fail to apply, even with fuzz 2", o.failing, max(a.hunks(), o.total))
	default:
		res.Reason = "it does not apply: " + firstLine(o.output)
	}
	return res, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if l, _, found := strings.Cut(s, "\n"); found {
		return l
	}
	return s
}
