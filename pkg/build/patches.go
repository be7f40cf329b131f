package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/backport/backport/pkg/archive"
	"github.com/backport/backport/pkg/deb"
	"github.com/backport/backport/pkg/patch"
	"github.com/backport/backport/pkg/rpm"
	"github.com/backport/backport/pkg/sources"
)

// UnaccountedPatchError is a build in which a distro patch was neither
// applied, refreshed nor dropped with a reason: never a success.
type UnaccountedPatchError struct {
	Patches  []string
	Evidence []string
}

func (e *UnaccountedPatchError) Error() string {
	return fmt.Sprintf("patch(es) %s unaccounted for: the build did not apply them; refusing a build that may be unpatched", strings.Join(e.Patches, ", "))
}

// triageDeb applies the quilt series of a 3.0 (quilt) tree itself, patch
// by patch, instead of leaving it to dpkg-source (which silently builds
// unpatched when the first patch needs fuzz). Dropped patches leave the
// series, refreshed ones are rewritten in debian/patches, and the tree is
// marked as patched so that dpkg-source applies nothing again.
func triageDeb(ctx context.Context, a *attempt) error {
	o := a.opts
	dir := filepath.Join(a.tree, "debian", "patches")
	seriesPath := deb.SeriesPath(a.tree, string(o.Target.Vendor))
	if _, err := os.Stat(seriesPath); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(a.log, "backport: no debian/patches/series: no distro patches to apply")
		return nil
	}
	// A workspace tree with patches pushed (quilt push, then an edit) would
	// make each of them look upstreamed.
	if data, err := os.ReadFile(filepath.Join(o.Sources.Tree, ".pc", "applied-patches")); err == nil && strings.TrimSpace(string(data)) != "" {
		return fmt.Errorf("%s has quilt patches applied (.pc/applied-patches); run quilt pop -a there first: backport applies the series itself", o.Sources.Tree)
	}
	series, err := deb.ReadSeries(seriesPath)
	if err != nil {
		return err
	}
	var patches []patch.Patch
	for _, e := range series.Entries() {
		patches = append(patches, patch.Patch{Name: e.Name, Path: filepath.Join(dir, e.Name), Strip: e.Strip})
	}
	results, err := a.triage(ctx, a.tree, patches)
	a.res.Patches = append(patchReports(results), removedByHand(o.Sources.Packaging, series)...)
	if err != nil {
		return err
	}
	var applied []string
	for _, r := range results {
		if r.Fate.Dropped() {
			if err := series.Drop(r.Patch.Name); err != nil {
				return err
			}
			if err := os.Remove(r.Patch.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			continue
		}
		applied = append(applied, r.Patch.Name)
	}
	if err := series.Write(seriesPath); err != nil {
		return err
	}
	fmt.Fprintf(a.log, "backport: %d distro patch(es): %d applied or refreshed, %d dropped\n", len(results), len(applied), len(results)-len(applied))
	return deb.MarkApplied(a.tree, applied)
}

// triageRPM tries the spec's patches on the unpacked Source0 before
// rpmbuild runs: upstreamed and CVE-fixed ones leave the spec, refreshed
// ones are rewritten in SOURCES/. rpmbuild's %prep then applies the rest
// with fuzz 0, and checkRPMPatches verifies in the log that it did.
func triageRPM(ctx context.Context, a *attempt, spec *rpm.Spec) error {
	specPatches, err := spec.Patches()
	if err != nil {
		return err
	}
	if len(specPatches) == 0 {
		return nil
	}
	src, err := upstreamTarball(a)
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp(a.buildDir, ".triage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	members, err := archive.ExtractFile(ctx, filepath.Join(a.buildDir, "SOURCES", src), scratch, archive.Options{})
	if err != nil {
		return fmt.Errorf("unpacking %s to try the patches: %w", filepath.Base(src), err)
	}
	tree := scratch
	if top := archive.TopDir(members); top != "" {
		tree = filepath.Join(scratch, top)
	}
	var patches []patch.Patch
	for _, p := range specPatches {
		if !p.Applied {
			continue // declared but not applied by %prep: not part of the build
		}
		patches = append(patches, patch.Patch{Name: p.File, Path: filepath.Join(a.buildDir, "SOURCES", p.File), Strip: p.Strip, ID: p.ID})
	}
	results, err := a.triage(ctx, tree, patches)
	a.res.Patches = patchReports(results)
	if err != nil {
		return err
	}
	var drop []string
	for _, r := range results {
		if r.Fate.Dropped() {
			drop = append(drop, r.Patch.ID)
			continue
		}
		a.expectPatches = append(a.expectPatches, r.Patch.Name)
	}
	// All at once: dropping an unnumbered patch renumbers those after it.
	if err := spec.DropPatches(drop); err != nil {
		return err
	}
	return os.WriteFile(a.tree, spec.Bytes(), 0o644)
}

// removedByHand reports the distro's patches that the workspace series no
// longer lists (an engineer's edit before --resume): each still needs a
// fate in the report.
func removedByHand(packaging string, now *deb.Series) []PatchReport {
	if packaging == "" {
		return nil
	}
	orig, err := deb.ReadSeries(filepath.Join(packaging, "debian", "patches", "series"))
	if err != nil {
		return nil
	}
	listed := map[string]bool{}
	for _, e := range now.Entries() {
		listed[e.Name] = true
	}
	var out []PatchReport
	for _, e := range orig.Entries() {
		if !listed[e.Name] {
			out = append(out, PatchReport{Name: e.Name, Fate: "dropped: removed in the workspace", Reason: "the distro's series lists it; the workspace's series no longer does (edited by hand)"})
		}
	}
	return out
}

// triage runs patch.Triage on tree, except for the patches an earlier
// attempt decided to drop (Options.DropPatches), which keep their place in
// the results with that reason.
func (a *attempt) triage(ctx context.Context, tree string, patches []patch.Patch) ([]patch.Result, error) {
	o := a.opts
	var keep []patch.Patch
	for _, p := range patches {
		if _, drop := o.DropPatches[p.Name]; !drop {
			keep = append(keep, p)
		}
	}
	results, err := patch.Triage(ctx, patch.Options{
		Tree: tree, NewVersion: o.version(), DropConflicting: o.DropConflictingPatches, Log: a.log,
	}, keep)
	if len(keep) == len(patches) {
		return results, err
	}
	merged := make([]patch.Result, 0, len(patches))
	k := 0
	for _, p := range patches {
		if why, drop := o.DropPatches[p.Name]; drop {
			fmt.Fprintf(a.log, "backport: %s dropped: %s\n", p.Name, why)
			merged = append(merged, patch.Result{Patch: p, Fate: patch.DroppedConflicting, Reason: why})
			continue
		}
		if k < len(results) {
			merged = append(merged, results[k])
			k++
		}
	}
	return merged, err
}

// upstreamTarball is the tarball the spec's patches apply to, in SOURCES:
// the new upstream one, else the only tarball, else the one whose name
// holds the version.
func upstreamTarball(a *attempt) (string, error) {
	if n := upstreamName(a.opts.Sources); n != "" {
		return n, nil
	}
	entries, err := os.ReadDir(filepath.Join(a.buildDir, "SOURCES"))
	if err != nil {
		return "", err
	}
	var tarballs, versioned []string
	for _, e := range entries {
		if isTarball(e.Name()) {
			tarballs = append(tarballs, e.Name())
			if strings.Contains(e.Name(), a.opts.version()) {
				versioned = append(versioned, e.Name())
			}
		}
	}
	switch {
	case len(tarballs) == 1:
		return tarballs[0], nil
	case len(versioned) == 1:
		return versioned[0], nil
	}
	return "", fmt.Errorf("cannot tell which of %d tarballs in the SRPM the patches apply to (%s)", len(tarballs), strings.Join(tarballs, ", "))
}

// upstreamName is the file name of the fetched new upstream tarball, ""
// when the build keeps the distro's upstream version.
func upstreamName(src *sources.Result) string {
	if src == nil || !src.NewUpstream {
		return ""
	}
	for _, f := range src.Files {
		if f.Role == "upstream" {
			return f.Name
		}
	}
	return ""
}

// rpmPatchLine is what rpmbuild's %patch prints for each patch it
// applies; %autopatch prints only the command that feeds the file to
// patch (rpmuncompress or cat of SOURCES/<file>, or patch -i), under set -x.
var (
	rpmPatchLine  = regexp.MustCompile(`(?m)^Patch #?\d+ \(([^)]+)\):`)
	rpmPatchFeeds = regexp.MustCompile(`^\+ .*(?:rpmuncompress|/cat |^\+ cat |patch .*-i |git (?:apply|am) )`)
)

// checkRPMPatches makes sure rpmbuild's %prep applied every patch the
// triage kept: a spec that applies patches conditionally, or only copies
// them, must not pass for a patched build.
func checkRPMPatches(a *attempt) error {
	if len(a.expectPatches) == 0 {
		return nil
	}
	data, err := os.ReadFile(a.logPath)
	if err != nil {
		return err
	}
	prep := string(data)
	if i := strings.Index(prep, "Executing(%prep)"); i >= 0 {
		prep = prep[i:]
		if j := strings.Index(prep[1:], "Executing("); j >= 0 {
			prep = prep[:j+1]
		}
	}
	seen := map[string]bool{}
	for _, m := range rpmPatchLine.FindAllStringSubmatch(prep, -1) {
		seen[filepath.Base(m[1])] = true
	}
	for _, line := range strings.Split(prep, "\n") {
		if !rpmPatchFeeds.MatchString(line) {
			continue
		}
		for _, field := range strings.Fields(line) {
			if strings.Contains(field, "/SOURCES/") {
				seen[filepath.Base(field)] = true
			}
		}
	}
	var missing []string
	for _, p := range a.expectPatches {
		if !seen[filepath.Base(p)] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return &UnaccountedPatchError{Patches: missing, Evidence: []string{"rpmbuild's %prep printed no \"Patch #N (" + missing[0] + ")\" line"}}
	}
	return nil
}
