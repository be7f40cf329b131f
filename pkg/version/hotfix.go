package version

import (
	"errors"
	"fmt"
)

// HotfixVersion chooses the hotfix version for r and proves it: strictly
// above Current and strictly below every plausible successor the distro
// could ship. The proof uses Compare; when it fails, the error (a
// *ProofError) names the offending version.
//
// The hotfix counter sits where a distro never puts anything: before the
// first distro build of a new upstream ("0.bp1" + dist, "-0~bp1", native
// "~bp1"), or after the current build of the same upstream (".bp1",
// "+bp1", "ubuntu0.0~bp1"). A Current that already is such a hotfix gets
// its counter bumped. The successors are derived from Current's shape:
// next builds, rebuild suffixes and z-streams for EL, the next release's
// rebuild for Fedora, stable/security updates (+debNuM), backports
// (~bpoN) and non-maintainer uploads for Debian, SRUs (ubuntu0.1,
// ubuntu0.YY.MM.1) and the next Ubuntu upload for Ubuntu.
func HotfixVersion(r Request) (Hotfix, error) {
	var (
		h   Hotfix
		err error
	)
	switch r.Family {
	case RPM:
		h, err = rpmHotfix(r)
	case Deb:
		h, err = debHotfix(r)
	default:
		return Hotfix{}, unknownFamily(r.Family)
	}
	if err != nil {
		return Hotfix{}, err
	}
	if err := prove(r.Family, h); err != nil {
		return Hotfix{}, err
	}
	return h, nil
}

// prove checks the relations Hotfix promises and that the parts add up to
// Full, so no caller gets a version that parses differently than meant.
func prove(f Family, h Hotfix) error {
	if err := Check(f, h.Full); err != nil {
		return fmt.Errorf("computed hotfix version is invalid: %w", err)
	}
	if want := withEpoch(h.Epoch, joinRelease(h.Version, h.Release)); want != h.Full {
		return fmt.Errorf("computed hotfix version %q does not match its parts %q", h.Full, want)
	}
	if err := checkParts(f, h); err != nil {
		return err
	}
	c, err := Compare(f, h.Concrete, h.Above)
	if err != nil {
		return err
	}
	if c <= 0 {
		return &ProofError{Hotfix: h.Concrete, Other: h.Above}
	}
	if len(h.Below) == 0 {
		return errors.New("no distro successors to prove the hotfix against")
	}
	for _, s := range h.Below {
		c, err := Compare(f, h.Concrete, s)
		if err != nil {
			return fmt.Errorf("successor: %w", err)
		}
		if c >= 0 {
			return &ProofError{Hotfix: h.Concrete, Other: s, Successor: true}
		}
	}
	return nil
}

// checkParts re-splits Full the way the tool will and requires the same
// epoch, version and release: a '-' or ':' carried in from Upstream would
// otherwise move the split.
func checkParts(f Family, h Hotfix) error {
	var epoch, ver, rel string
	switch f {
	case RPM:
		evr, err := checkRPM(h.Full, true)
		if err != nil {
			return err
		}
		epoch, ver, rel = evr.epoch, evr.version, evr.release
	case Deb:
		d, err := checkDeb(h.Full)
		if err != nil {
			return err
		}
		epoch, ver, rel = d.epoch, d.upstream, d.revision
	}
	if epoch != h.Epoch || ver != h.Version || rel != h.Release {
		return fmt.Errorf("hotfix version %q would be read as epoch %q, version %q, release %q", h.Full, epoch, ver, rel)
	}
	return nil
}

// upstreamLower is the error for a hotfix that would downgrade upstream.
func upstreamLower(upstream, currentUpstream, current string) error {
	return fmt.Errorf("upstream version %s is lower than the current upstream version %s (in %s); a hotfix cannot downgrade", upstream, currentUpstream, current)
}

// field prefixes an error from checking one Request field with its name.
func field(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", name, err)
}
