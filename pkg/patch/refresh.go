package patch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"

	"github.com/backport/backport/pkg/diff"
)

// refresh applies a patch that needs fuzz or offsets in a scratch copy,
// rewrites it as the diff between the tree and that result (keeping its
// header and file names), proves the rewrite applies strictly to the tree
// and gives the same files, and only then applies it and saves it.
func (a *attempt) refresh(ctx context.Context, res Result, fuzzy outcome, commitOnly bool) (Result, error) {
	scratch, err := a.snap.scratchCopy()
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(scratch)
	o, err := a.try(ctx, scratch, run{fuzz: 2})
	if err != nil {
		return res, err
	}
	if o.exit != 0 {
		return a.conflict(ctx, res, fmt.Sprintf("applies with fuzz in a dry run but not for real (exit %d)", o.exit))
	}
	if _, err := a.snap.undoStrays(scratch); err != nil {
		return res, err
	}
	changed, after, err := a.snap.changed(scratch)
	if err != nil {
		return res, err
	}
	text, written, why := a.rewrite(after)
	if why == "" {
		for _, rel := range changed {
			if !written[rel] {
				why = "GNU patch changed " + rel + ", which the patch's headers do not name as backport reads them"
			}
		}
	}
	if why != "" {
		return a.conflict(ctx, res, "applies only with fuzz, and cannot be refreshed automatically: "+why)
	}

	refreshed := filepath.Join(a.tmp, "refreshed.patch")
	if err := os.WriteFile(refreshed, []byte(text), 0o644); err != nil {
		return res, err
	}
	check, err := a.try(ctx, a.opts.Tree, run{file: refreshed, fuzz: 0, dryRun: true})
	if err != nil {
		return res, err
	}
	if !check.clean() {
		return res, fmt.Errorf("the refreshed patch does not apply strictly (a bug in backport):\n%s", check.output)
	}
	if err := a.applyToTree(ctx, refreshed); err != nil {
		return res, err
	}
	for rel, want := range after {
		got, err := readState(a.opts.Tree, rel)
		if err != nil {
			return res, err
		}
		if !got.equal(want) && !strings.HasSuffix(rel, ".orig") && !strings.HasSuffix(rel, ".rej") {
			if rerr := a.snap.restore(); rerr != nil {
				return res, rerr
			}
			return res, fmt.Errorf("the refreshed patch gives a different %s than the original with fuzz (a bug in backport)", rel)
		}
	}
	perm := os.FileMode(0o644)
	if fi, err := os.Stat(a.p.Path); err == nil {
		perm = fi.Mode().Perm()
	}
	if err := renameio.WriteFile(a.p.Path, []byte(text), perm); err != nil {
		return res, fmt.Errorf("writing the refreshed patch: %w", err)
	}

	res.Fate = Refreshed
	res.Reason = fmt.Sprintf("applies only with fuzz or offsets (%d of %d hunk(s) moved); refreshed against the new source, review it",
		len(fuzzy.moved), a.hunks())
	if commitOnly {
		res.Reason += fmt.Sprintf("; its header says Applied-Upstream %s, which backport cannot place against %s",
			a.hdr.AppliedUpstream, a.opts.NewVersion)
	}
	res.Evidence = fuzzy.moved
	return res, nil
}

// rewrite renders the refreshed patch: the original header, then for each
// section the diff from the tree to after. It returns the text, the paths it
// covers, or why it cannot rewrite the patch.
func (a *attempt) rewrite(after map[string]fileState) (string, map[string]bool, string) {
	var b strings.Builder
	b.WriteString(a.parsed.preamble())
	written := map[string]bool{}
	for _, s := range a.parsed.sections {
		if s.context {
			return "", nil, "it is a context diff"
		}
		oldRel, newRel := a.sectionPaths(s)
		if oldRel == "" && newRel == "" {
			return "", nil, "a file diff names no file backport can place in the tree"
		}
		if written[oldRel] || written[newRel] {
			continue // a file patched twice: its first section carries the whole change
		}
		before, ok1 := a.snap.files[oldRel]
		now, ok2 := after[newRel]
		if oldRel == "" {
			before, ok1 = fileState{}, true
		}
		if newRel == "" {
			now, ok2 = fileState{}, true
		}
		if !ok1 || !ok2 {
			return "", nil, "a file diff names a file patch did not report"
		}
		if isBinary(before.data) || isBinary(now.data) {
			return "", nil, "it changes a binary file"
		}
		written[oldRel], written[newRel] = true, true
		delete(written, "")
		oldName, newName := firstNonEmpty(s.oldName, s.gitOld), firstNonEmpty(s.newName, s.gitNew)
		if !before.exists {
			oldName = devNull
		}
		if !now.exists {
			newName = devNull
		}
		body := diff.Unified(oldName, newName, string(before.data), string(now.data))
		if s.git {
			if body == "" && len(s.extended) == 0 {
				continue
			}
			b.WriteString(s.gitLine + "\n")
			for _, e := range s.extended {
				b.WriteString(e + "\n")
			}
		}
		b.WriteString(body)
	}
	return b.String(), written, ""
}

// sectionPaths returns the tree paths a section reads from and writes to;
// "" for /dev/null. For a plain diff, GNU patch patches whichever named
// file exists; backport picks the same one.
func (a *attempt) sectionPaths(s section) (string, string) {
	strip := a.p.Strip
	if s.git {
		oldRel := firstNonEmpty(safeRel(s.renameFrom), stripName(firstNonEmpty(s.gitOld, s.oldName), strip))
		newRel := firstNonEmpty(safeRel(s.renameTo), stripName(firstNonEmpty(s.gitNew, s.newName), strip))
		if s.oldName == devNull {
			oldRel = ""
		}
		if s.newName == devNull {
			newRel = ""
		}
		return oldRel, newRel
	}
	names := []string{stripName(s.newName, strip), stripName(s.oldName, strip), stripName(s.indexName, strip)}
	for _, n := range names {
		if n != "" && a.snap.files[n].exists {
			return n, n
		}
	}
	target := firstNonEmpty(names...)
	if s.oldName == devNull || !a.snap.files[target].exists {
		return "", target
	}
	return target, target
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
