package bump

import (
	"fmt"
	"strings"

	"github.com/backport/backport/pkg/rpm"
	"github.com/backport/backport/pkg/version"
)

func planSpec(r *Result, o Options) error {
	spec, err := rpm.ParseSpec(r.File, r.Old)
	if err != nil {
		return err
	}
	curVer, err := spec.Version()
	if err != nil {
		return err
	}
	curRel, err := spec.Release()
	if err != nil {
		return err
	}
	epoch, err := spec.Epoch()
	if err != nil {
		return err
	}
	r.From = withEpoch(epoch, curVer+"-"+curRel)
	dist := spec.DistMacro()

	newRel := o.Release
	if newRel == "" {
		hf, err := version.HotfixVersion(version.Request{
			Family: version.RPM, Vendor: o.Vendor, Current: r.From, Upstream: o.Version, Dist: dist,
		})
		if err != nil {
			return err
		}
		newRel = hf.Release
		r.Proof = proof(hf)
	} else if err := version.Check(version.RPM, o.Version+"-"+strings.ReplaceAll(newRel, dist, "")); err != nil {
		return usage("--release: %w", err)
	}
	r.To = withEpoch(epoch, o.Version+"-"+newRel)

	if o.Version != curVer {
		notes, err := spec.SetVersion(o.Version)
		if err != nil {
			return err
		}
		r.Notes = append(r.Notes, notes...)
	}
	notes, err := spec.SetRelease(newRel)
	if err != nil {
		return err
	}
	r.Notes = append(r.Notes, notes...)

	// Changelog entries name versions without the dist tag, as packagers
	// write them by hand.
	if err := spec.AddChangelog(rpm.ChangelogEntry{
		Date:   o.Now,
		Author: o.Maintainer,
		EVR:    withEpoch(epoch, o.Version+"-"+withoutDist(newRel, dist)),
		Lines:  changeItems(o, withEpoch(epoch, curVer+"-"+withoutDist(curRel, dist)), o.Version != curVer),
	}); err != nil {
		return err
	}
	r.New = spec.Bytes()
	return nil
}

// withoutDist drops the dist macro from a release: "5%{?dist}.bp1" → "5.bp1".
func withoutDist(release, dist string) string {
	if dist == "" {
		return release
	}
	before, after, _ := strings.Cut(release, dist)
	if before == "" || after == "" {
		return before + after
	}
	return strings.TrimSuffix(before, ".") + "." + strings.TrimPrefix(after, ".")
}

func withEpoch(epoch, vr string) string {
	if epoch == "" || epoch == "0" {
		return vr
	}
	return epoch + ":" + vr
}

// proof says, for a person, what the chosen version was checked against.
func proof(h version.Hotfix) string {
	return fmt.Sprintf("above %s, below %s", h.Above, strings.Join(h.Below, ", "))
}
