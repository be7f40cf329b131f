package version

import (
	"fmt"
	"regexp"
	"strings"
)

// Representative release numbers for successor shapes when Current does not
// show which release it belongs to. The proofs do not depend on them: the
// hotfix's "+bp"/"~bp"/".0~bp" is decided against "+deb", "~bpo" or
// "ubuntu0.<YY>" before the number is reached.
const (
	representativeDebianRelease = "13"    // "+deb13u1", "~bpo13+1"
	representativeUbuntuRelease = "24.04" // "ubuntu0.24.04.1"
)

var (
	debianReleaseIn = regexp.MustCompile(`(?:deb|bpo)([0-9]+)`)
	ubuntuReleaseIn = regexp.MustCompile(`ubuntu0\.([0-9]{2}\.[0-9]{2})\.|~([0-9]{2}\.[0-9]{2})`)
	// stableUpdate is Debian's stable/security update counter, after "+"
	// (same upstream) or "~" (a newer upstream backported to stable).
	stableUpdate = regexp.MustCompile(`deb[0-9]+u([0-9]+)`)
	endsInUbuntu = regexp.MustCompile(`ubuntu[0-9]+$`)
	// Rebuilds without source changes: a Debian binNMU ("+b1") or an Ubuntu
	// no-change rebuild ("build1"). The hotfix extends the source version
	// they rebuilt, and sorts above them: a rebuild of the unfixed source
	// must not replace the fix.
	debianBinNMU  = regexp.MustCompile(`\+b[0-9]+$`)
	ubuntuRebuild = regexp.MustCompile(`build[0-9]+$`)
	ubuntuNumber  = regexp.MustCompile(`ubuntu([0-9]+)`)
)

// debPlan carries what every Debian hotfix and successor is built from.
type debPlan struct {
	vendor  Vendor
	current debVersion
	debian  string // Debian release number for "+debNuM" / "~bpoN" shapes
	ubuntu  string // Ubuntu release for "ubuntu0.YY.MM.K" shapes
}

func debHotfix(r Request) (Hotfix, error) {
	if r.Dist != "" {
		return Hotfix{}, fmt.Errorf("dist: %q given, but Debian versions carry no dist tag; leave Dist empty", r.Dist)
	}
	if err := field("current", Check(Deb, r.Current)); err != nil {
		return Hotfix{}, err
	}
	if err := field("upstream", CheckUpstream(Deb, r.Upstream)); err != nil {
		return Hotfix{}, err
	}
	cur, _ := checkDeb(r.Current)
	vendor, err := debVendor(r.Vendor, cur)
	if err != nil {
		return Hotfix{}, err
	}
	p := debPlan{vendor: vendor, current: cur, debian: representativeDebianRelease, ubuntu: representativeUbuntuRelease}
	tail := cur.upstream + "-" + cur.revision
	if m := debianReleaseIn.FindStringSubmatch(tail); m != nil {
		p.debian = m[1]
	}
	if m := ubuntuReleaseIn.FindStringSubmatch(tail); m != nil {
		p.ubuntu = m[1] + m[2]
	}

	if n, ok := newUpstreamCounter(cur, r.Upstream); ok {
		return p.newUpstream(r.Upstream, n+1)
	}
	switch c := compareDebUpstream(r.Upstream, cur.upstream); {
	case c < 0:
		return Hotfix{}, upstreamLower(r.Upstream, cur.upstream, r.Current)
	case c > 0:
		return p.newUpstream(r.Upstream, 1)
	}
	return p.sameVersion(r.Upstream), nil
}

// newUpstreamCounter recognises Current as our own hotfix of upstream
// ("U-0~bpN", or "U~bpN" when native) and returns its counter.
func newUpstreamCounter(cur debVersion, upstream string) (int, bool) {
	if cur.native() {
		base, n, ok := hotfixCounter(cur.upstream, "~bp")
		return n, ok && base == upstream
	}
	base, n, ok := hotfixCounter(cur.revision, "0~bp")
	return n, ok && base == "" && cur.upstream == upstream
}

// newUpstream places the hotfix just before the distro's first upload of
// the new upstream: "0~bpN" (native: "U~bpN") sorts below revision "0"
// and everything after it, because '~' sorts before anything, even the end.
func (p debPlan) newUpstream(upstream string, n int) (Hotfix, error) {
	counter := fmt.Sprintf("~bp%d", n)
	if p.current.native() {
		if strings.IndexByte(upstream, '-') >= 0 {
			return Hotfix{}, fmt.Errorf("upstream: %q holds '-', which a native Debian version cannot", upstream)
		}
		successors := []string{upstream} // the distro's own upload of it
		if p.vendor == Ubuntu {
			successors = append(successors, upstream+"ubuntu1", upstream+"ubuntu0."+p.ubuntu+".1")
		} else {
			successors = append(successors, upstream+"+deb"+p.debian+"u1")
		}
		return p.hotfix(upstream+counter, "", successors), nil
	}
	var revisions []string
	if p.vendor == Ubuntu {
		revisions = []string{
			"1",                           // synced from Debian
			"0ubuntu1",                    // Ubuntu's own first upload
			"0ubuntu0." + p.ubuntu + ".1", // a new-upstream SRU
		}
	} else {
		revisions = []string{
			"1",                       // the first upload
			"0.1",                     // a non-maintainer upload of it
			"0+deb" + p.debian + "u1", // a stable/security update to it
			"1~deb" + p.debian + "u1", // the new upstream backported into stable
			"1~bpo" + p.debian + "+1", // stable-backports
		}
	}
	successors := make([]string, len(revisions))
	for i, rev := range revisions {
		successors[i] = upstream + "-" + rev
	}
	return p.hotfix(upstream, "0"+counter, successors), nil
}

// sameVersion appends the hotfix counter to the current build. Debian:
// "+bpN" sorts above the build and below its "+debNuM" updates ('b' < 'd')
// and any higher revision. Ubuntu: "ubuntu0.0~bpN" sorts below the first
// SRU "ubuntu0.1" and "ubuntu0.YY.MM.1".
func (p debPlan) sameVersion(upstream string) Hotfix {
	// On a native version the whole version is what we extend.
	base := p.current.revision
	if p.current.native() {
		base = p.current.upstream
	}
	var hotfix string
	var successors []string
	if p.vendor == Ubuntu {
		hotfix, successors = p.ubuntuSameVersion(base)
	} else {
		hotfix, successors = p.debianSameVersion(base)
	}
	if p.current.native() {
		return p.hotfix(hotfix, "", successors)
	}
	for i, rev := range successors {
		successors[i] = upstream + "-" + rev
	}
	return p.hotfix(upstream, hotfix, successors)
}

// debianSameVersion returns the hotfix suffix target and successors for a
// Debian revision (or native version) base.
func (p debPlan) debianSameVersion(base string) (string, []string) {
	n := 0
	if b, k, ok := hotfixCounter(base, "+bp"); ok {
		base, n = b, k
	} else if !p.current.native() {
		base = debianBinNMU.ReplaceAllLiteralString(base, "")
	}
	var successors []string
	if i := strings.IndexByte(base, '~'); i > 0 {
		// The version a "~" build was backported from: "1~deb12u2" -> "1".
		successors = append(successors, base[:i])
	}
	if loc := lastMatch(stableUpdate, base); loc != nil {
		// The next stable/security update: "9+deb12u14" -> "9+deb12u15".
		successors = append(successors, base[:loc[2]]+incrementDecimal(base[loc[2]:loc[3]])+base[loc[3]:])
	} else {
		// The first stable/security update: "3" -> "3+deb12u1".
		successors = append(successors, base+"+deb"+p.debian+"u1")
	}
	if strings.Contains(base, "~bpo") {
		// The next backport of the same version: "1~bpo12+1" -> "1~bpo12+2".
		if next, ok := bumpLast(base); ok {
			successors = append(successors, next)
		}
	}
	if p.current.native() {
		if !strings.ContainsAny(base, "+~") {
			successors = append(successors, base+".1") // the next native release
		}
	} else {
		next := nextLeading(base)
		successors = append(successors,
			next,                      // the next upload: "3" -> "4"
			next+"~bpo"+p.debian+"+1", // that upload in stable-backports
		)
		if allDigits(base) {
			successors = append(successors, base+".1") // a non-maintainer upload
		}
	}
	return base + fmt.Sprintf("+bp%d", n+1), appendUnique(nil, successors...)
}

// ubuntuSameVersion returns the hotfix suffix target and successors for an
// Ubuntu revision (or native version) base.
func (p debPlan) ubuntuSameVersion(base string) (string, []string) {
	n := 0
	if b, k, ok := hotfixCounter(base, ".0~bp"); ok {
		base, n = b, k
	} else {
		base = ubuntuRebuild.ReplaceAllLiteralString(base, "")
	}
	ub := base
	if !strings.Contains(ub, "ubuntu") {
		// A package synced from Debian: Ubuntu's changes start at ubuntu0/ubuntu1.
		ub += "ubuntu0"
	}
	successors := []string{ub + ".1"} // the SRU/security form: "3ubuntu0.1", "3ubuntu2.1"
	if endsInUbuntu.MatchString(ub) {
		successors = append(successors, ub+"."+p.ubuntu+".1") // the multi-release SRU form: "3ubuntu0.24.04.1"
	}
	if next, ok := bumpLast(ub); ok {
		successors = append(successors, next) // the next SRU of an SRU: "3ubuntu0.24.04.1" -> ".2"
	}
	if loc := ubuntuNumber.FindStringSubmatchIndex(ub); loc != nil {
		// The next development upload: "3ubuntu0.1" -> "3ubuntu1".
		successors = append(successors, ub[:loc[2]]+incrementDecimal(ub[loc[2]:loc[3]]))
	}
	if !p.current.native() {
		successors = append(successors, nextLeading(ub)) // the next Debian revision, synced: "3" -> "4"
	}
	return ub + fmt.Sprintf(".0~bp%d", n+1), appendUnique(nil, successors...)
}

// hotfix assembles a Debian Hotfix; Debian versions have no macros, so the
// concrete version is the full one.
func (p debPlan) hotfix(version, revision string, successors []string) Hotfix {
	full := withEpoch(p.current.epoch, joinRelease(version, revision))
	h := Hotfix{
		Epoch:    p.current.epoch,
		Version:  version,
		Release:  revision,
		Full:     full,
		Concrete: full,
		Above:    p.current.String(),
	}
	for _, s := range successors {
		h.Below = appendUnique(h.Below, withEpoch(p.current.epoch, s))
	}
	return h
}

// debVendor resolves the vendor of a Debian request: Ubuntu when "ubuntu"
// is in Current's revision (or native version), else Debian.
func debVendor(v Vendor, cur debVersion) (Vendor, error) {
	switch v {
	case Debian, Ubuntu:
		return v, nil
	case EL, Fedora:
		return "", fmt.Errorf("vendor %q does not ship Debian packages", string(v))
	case "":
		s := cur.revision
		if cur.native() {
			s = cur.upstream
		}
		if strings.Contains(s, "ubuntu") {
			return Ubuntu, nil
		}
		return Debian, nil
	}
	return "", fmt.Errorf("unknown vendor %q (want %q or %q for deb)", string(v), Debian, Ubuntu)
}

// lastMatch returns the submatch indexes of re's last match in s, or nil.
func lastMatch(re *regexp.Regexp, s string) []int {
	all := re.FindAllStringSubmatchIndex(s, -1)
	if all == nil {
		return nil
	}
	return all[len(all)-1]
}
