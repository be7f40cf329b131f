package version

import (
	"fmt"
	"regexp"
	"strings"
)

// Representative concrete dist tags for proving a Release that holds a dist
// macro. The proofs do not depend on the number: every comparison against a
// successor is decided before the tag's digits are reached, or at them with
// both sides equal.
const (
	representativeELDist     = ".el9"
	representativeFedoraDist = ".fc40"
)

var (
	fedoraTag = regexp.MustCompile(`^\.fc([0-9]+)$`)
	// elGATag is an EL tag of the main stream, before any z-stream minor
	// (".el7", not ".el7_9").
	elGATag = regexp.MustCompile(`^\.el[0-9]+$`)
)

// rpmRelease is a Release split around its dist tag: pre + dist + post.
type rpmRelease struct {
	pre, post string
}

// with renders the release with the given dist tag in its place.
func (r rpmRelease) with(dist string) string { return r.pre + dist + r.post }

// rpmPlan carries what every RPM hotfix and successor is built from.
type rpmPlan struct {
	vendor  Vendor
	epoch   string
	dist    string // as given: literal tag, macro, or ""
	tag     string // concrete tag for the proof
	current rpmEVR // concrete
}

func rpmHotfix(r Request) (Hotfix, error) {
	vendor, err := rpmVendor(r.Vendor, r.Dist)
	if err != nil {
		return Hotfix{}, err
	}
	if err := field("current", Check(RPM, r.Current)); err != nil {
		return Hotfix{}, err
	}
	if err := field("upstream", CheckUpstream(RPM, r.Upstream)); err != nil {
		return Hotfix{}, err
	}
	if m := rpmMacro.FindString(r.Upstream); m != "" {
		return Hotfix{}, fmt.Errorf("upstream: %q holds the macro %s; give the concrete upstream version", r.Upstream, m)
	}
	cur, _ := checkRPM(r.Current, true)
	if !cur.hasRelease {
		return Hotfix{}, fmt.Errorf("current: version %q has no release; give the installed [E:]V-R", r.Current)
	}
	rel, err := splitDist(cur.release, r.Dist)
	if err != nil {
		return Hotfix{}, err
	}
	p := rpmPlan{vendor: vendor, epoch: cur.epoch, dist: r.Dist, tag: concreteDist(r.Dist, vendor)}
	p.current = rpmEVR{epoch: cur.epoch, version: cur.version, release: rel.with(p.tag), hasRelease: true}
	// Only the dist macro has a stand-in; any other macro leaves nothing to prove with.
	if _, err := checkRPM(p.current.String(), false); err != nil {
		return Hotfix{}, field("current", err)
	}

	// Current is already our hotfix of this upstream: "0.bpN" + dist.
	if r.Upstream == cur.version && rel.post == "" {
		if rest, n, ok := hotfixCounter(rel.pre, "0.bp"); ok && rest == "" {
			return p.newUpstream(r.Upstream, n+1), nil
		}
	}
	switch c := rpmVercmp(r.Upstream, cur.version); {
	case c < 0:
		return Hotfix{}, upstreamLower(r.Upstream, cur.version, r.Current)
	case c > 0:
		return p.newUpstream(r.Upstream, 1), nil
	}
	// Current is already our hotfix of this build: R + ".bpN".
	n := 0
	if r.Dist == "" {
		if base, k, ok := hotfixCounter(rel.pre, ".bp"); ok {
			rel.pre, n = base, k
		}
	} else if base, k, ok := hotfixCounter(rel.post, ".bp"); ok {
		rel.post, n = base, k
	}
	return p.sameVersion(r.Upstream, rel, n+1), nil
}

// newUpstream places the hotfix before the distro's first build of the new
// upstream: "0.bpN" sorts below "1" and below the "0.1" prerelease style
// (a number beats letters).
func (p rpmPlan) newUpstream(upstream string, n int) Hotfix {
	rel := rpmRelease{pre: fmt.Sprintf("0.bp%d", n)}
	successors := []string{
		"1" + p.tag,   // the distro's first build of this upstream
		"0.1" + p.tag, // a prerelease-style build of it ("0.1.rc1")
	}
	return p.hotfix(upstream, rel, successors)
}

// sameVersion appends the hotfix counter to the current build: ".bpN"
// makes a longer release, above it, and letters lose to the numbers every
// distro rebuild adds there.
func (p rpmPlan) sameVersion(upstream string, base rpmRelease, n int) Hotfix {
	rel := rpmRelease{pre: base.pre, post: base.post + fmt.Sprintf(".bp%d", n)}
	current := base.with(p.tag)
	successors := []string{
		nextLeading(base.pre) + p.tag, // the next build: "107.el7"
		current + ".1",                // a rebuild suffix: "106.el7.1"; z-stream "106.el7_9.1" -> "106.el7_9.1.1"
	}
	if next, ok := bumpLast(base.post); ok {
		// The next build after the tag: "106.el7_9.1" -> "106.el7_9.2".
		successors = append(successors, base.pre+p.tag+next)
	}
	switch p.vendor {
	case EL:
		// RHEL 8+ z-stream: the release number grows a ".N" ("189.5.el8_6"),
		// and the next z-stream build bumps it ("189.6.el8_6").
		successors = append(successors, base.pre+".1"+p.tag+base.post)
		if next, ok := bumpLast(base.pre); ok && strings.Contains(base.pre, ".") {
			successors = append(successors, next+p.tag+base.post)
		}
		// RHEL 7 z-stream: the tag becomes ".elN_M" with a ".K" build
		// ("106.el7_9.1"). The minor is not knowable from Current; "_0" stands
		// for any, as '_'+digit against ".bp" is decided before the minor.
		if elGATag.MatchString(p.tag) && base.post == "" {
			successors = append(successors, current+"_0.1")
		}
	case Fedora:
		// The same build rebuilt for the next Fedora release ("106.fc41").
		if m := fedoraTag.FindStringSubmatch(p.tag); m != nil {
			successors = append(successors, base.pre+".fc"+incrementDecimal(m[1])+base.post)
		}
	}
	return p.hotfix(upstream, rel, successors)
}

// hotfix renders the release with the dist as given for the package and
// with the concrete tag for the proof; successors are concrete releases.
func (p rpmPlan) hotfix(version string, rel rpmRelease, successors []string) Hotfix {
	h := Hotfix{
		Epoch:    p.epoch,
		Version:  version,
		Release:  rel.with(p.dist),
		Concrete: withEpoch(p.epoch, version+"-"+rel.with(p.tag)),
		Above:    p.current.String(),
	}
	h.Full = withEpoch(p.epoch, version+"-"+h.Release)
	for _, s := range successors {
		h.Below = appendUnique(h.Below, withEpoch(p.epoch, version+"-"+s))
	}
	return h
}

// rpmVendor resolves the vendor of an RPM request, inferring it from the
// dist tag when not given.
func rpmVendor(v Vendor, dist string) (Vendor, error) {
	switch v {
	case EL, Fedora:
		return v, nil
	case Debian, Ubuntu:
		return "", fmt.Errorf("vendor %q does not ship rpm packages", string(v))
	case "":
		if strings.HasPrefix(dist, ".fc") {
			return Fedora, nil
		}
		return EL, nil
	}
	return "", fmt.Errorf("unknown vendor %q (want %q or %q for rpm)", string(v), EL, Fedora)
}

// concreteDist is the tag the proof uses: the literal tag, or a
// representative one for a macro.
func concreteDist(dist string, vendor Vendor) string {
	if !strings.HasPrefix(dist, "%") {
		return dist
	}
	if vendor == Fedora {
		return representativeFedoraDist
	}
	return representativeELDist
}

// splitDist finds the dist tag in a release; the last occurrence, as the
// tag follows the build number ("106.el7_9.1" has ".el7" then "_9.1").
func splitDist(release, dist string) (rpmRelease, error) {
	if dist == "" {
		return rpmRelease{pre: release}, nil
	}
	if strings.HasPrefix(dist, "%") && rpmMacro.FindString(dist) != dist {
		return rpmRelease{}, fmt.Errorf("dist: %q is not a macro reference like %%{?dist}", dist)
	}
	i := strings.LastIndex(release, dist)
	if i < 0 {
		return rpmRelease{}, fmt.Errorf("dist: tag %q does not appear in the current release %q", dist, release)
	}
	return rpmRelease{pre: release[:i], post: release[i+len(dist):]}, nil
}
