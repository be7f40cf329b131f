package sources

import (
	"context"
	"errors"
	"fmt"
	"strings"

	debversion "pault.ag/go/debian/version"

	"github.com/backport/backport/pkg/fetch"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/version"
)

// PackagingAuto is Request.Packaging's default: choose among the target's
// own suites and its packaging_suites.
const PackagingAuto = "auto"

// How --packaging auto chooses, for a Debian-family target:
//
//  1. Each considered suite (the target's own, then packaging_suites)
//     offers its newest version of the source package.
//  2. Those whose upstream version is not above the requested one are
//     eligible; the closest upstream wins, since its packaging needs the
//     fewest changes.
//  3. Among equal upstreams the target's own suites win: their packaging
//     is what runs on the target. Otherwise the newest Debian revision
//     wins (same code, more fixes: a newer release's security update beats
//     its point release), and among equal versions the suite listed first.
//  4. When no suite is eligible, the target's own newest is used; the
//     downgrade check then says why that cannot be built.
//
// A suite name forces that suite together with its -updates and -security
// suites among the configured ones (the target's codename: all its own
// suites); an archive alias such as sid, stable or oldstable is matched
// against the Suite and Codename of the configured suites' signed Releases.

// suiteGroup is one configured suite, searched in each component.
type suiteGroup struct {
	name string // "bookworm-security"
	own  bool   // one of the target's own suites
	refs []fetch.SuiteRef
}

// base is the suite as --packaging names it: "trixie" for trixie-security.
func (g *suiteGroup) base() string { return suiteBase(g.name) }

func suiteBase(s string) string {
	for _, suffix := range []string{"-security", "-updates"} {
		if b, ok := strings.CutSuffix(s, suffix); ok && b != "" {
			return b
		}
	}
	return s
}

// candidate is one suite's offer.
type candidate struct {
	group    *suiteGroup
	pkg      fetch.SourcePackage
	version  debversion.Version
	upstream debversion.Version // Version alone: upstream ordering
}

func (c *candidate) String() string { return c.group.name + " " + c.pkg.Version }

// packagingChoice is what choosePackaging decided, remembered with the
// resolution so that a cached fetch reports the same.
type packagingChoice struct {
	Source        fetch.SourcePackage `json:"source"`
	TargetVersion string              `json:"target_version,omitempty"`
	TargetSuite   string              `json:"target_suite,omitempty"`
	Suite         string              `json:"packaging_suite"`
	Reason        string              `json:"packaging_reason"`
	Warnings      []string            `json:"warnings,omitempty"`
}

type chooser struct {
	archive *fetch.DebianArchive
	target  recipe.Target
	name    string // source package
	own     []*suiteGroup
	newer   []*suiteGroup
	offers  map[*suiteGroup]*candidate
	absent  map[*suiteGroup]bool // not on the mirror: skipped
	choice  packagingChoice
}

// choosePackaging decides which source package req builds from, and what
// the target runs now.
func choosePackaging(ctx context.Context, archive *fetch.DebianArchive, req Request) (packagingChoice, error) {
	c := &chooser{
		archive: archive, target: req.Target, name: req.Recipe.DebianSource(),
		offers: map[*suiteGroup]*candidate{}, absent: map[*suiteGroup]bool{},
	}
	c.own, c.newer = suiteGroups(req.Target)
	mode := packagingMode(req)
	installed, err := c.newest(ctx, c.own)
	if err != nil {
		return c.choice, err
	}
	if installed != nil {
		c.choice.TargetVersion, c.choice.TargetSuite = installed.pkg.Version, installed.group.name
	}

	considered := append(append([]*suiteGroup(nil), c.own...), c.newer...)
	forced := mode != PackagingAuto
	if forced {
		if considered, err = c.forcedGroups(ctx, mode); err != nil {
			return c.choice, err
		}
	}
	var chosen *candidate
	var why string
	switch {
	case req.DistroVersion != "":
		chosen, why, err = c.exact(ctx, considered, req.DistroVersion)
	case forced:
		chosen, why, err = c.forced(ctx, considered, mode)
	default:
		chosen, why, err = c.auto(ctx, installed, req.Version)
	}
	if err != nil {
		return c.choice, err
	}
	c.choice.Source, c.choice.Reason = chosen.pkg, why
	c.choice.Suite = chosen.group.base()
	if chosen.group.own && c.target.Codename != "" {
		c.choice.Suite = c.target.Codename
	}
	return c.choice, nil
}

// suiteGroups lists the target's own suites and its packaging suites (those
// not already its own), each with one ref per component.
func suiteGroups(t recipe.Target) (own, newer []*suiteGroup) {
	seen := map[string]bool{}
	group := func(name string, isOwn bool) *suiteGroup {
		seen[name] = true
		return &suiteGroup{name: name, own: isOwn, refs: suiteRefs(recipe.Target{
			Suites: []string{name}, Components: t.Components, Mirror: t.Mirror, SecurityMirror: t.SecurityMirror,
		})}
	}
	for _, s := range t.Suites {
		if !seen[s] {
			own = append(own, group(s, true))
		}
	}
	for _, s := range t.PackagingSuites {
		if !seen[s] {
			newer = append(newer, group(s, false))
		}
	}
	return own, newer
}

// offer returns the suite's newest version of the package (Built-Using
// leftovers aside), or nil when it has none. A packaging suite missing
// from the mirror is skipped with a warning; the target's own must exist.
func (c *chooser) offer(ctx context.Context, g *suiteGroup) (*candidate, error) {
	if cand, ok := c.offers[g]; ok || c.absent[g] {
		return cand, nil
	}
	pkg, err := c.archive.FindSource(ctx, g.refs, c.name)
	var nf *fetch.NotFoundError
	switch {
	case errors.Is(err, fetch.ErrNoSource):
		c.offers[g] = nil
		return nil, nil
	case !g.own && errors.As(err, &nf):
		c.absent[g] = true
		c.choice.Warnings = append(c.choice.Warnings,
			fmt.Sprintf("packaging suite %s is not on the mirror (%s); skipped", g.name, nf.Status))
		return nil, nil
	case err != nil:
		return nil, err
	}
	cand, err := newCandidate(g, pkg)
	c.offers[g] = cand
	return cand, err
}

func newCandidate(g *suiteGroup, pkg fetch.SourcePackage) (*candidate, error) {
	v, err := debversion.Parse(pkg.Version)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: version %q: %w", pkg.Package, g.name, pkg.Version, err)
	}
	return &candidate{group: g, pkg: pkg, version: v, upstream: debversion.Version{Version: v.Version}}, nil
}

// newest is the newest offer of the groups; the first wins among equals.
func (c *chooser) newest(ctx context.Context, groups []*suiteGroup) (*candidate, error) {
	var best *candidate
	for _, g := range groups {
		cand, err := c.offer(ctx, g)
		if err != nil {
			return nil, err
		}
		if cand != nil && (best == nil || debversion.Compare(cand.version, best.version) > 0) {
			best = cand
		}
	}
	return best, nil
}

// auto applies the rules at the top of this file.
func (c *chooser) auto(ctx context.Context, installed *candidate, requested string) (*candidate, string, error) {
	want := debversion.Version{Version: noEpoch(requested)}
	// The target's own packaging of the very upstream asked for cannot be
	// beaten (rule 3), so the newer suites' large indexes are not fetched.
	if installed != nil && debversion.Compare(installed.upstream, want) == 0 {
		return installed, fmt.Sprintf("%s has %s %s, upstream %s = requested (the target's own)",
			installed.group.name, c.name, installed.pkg.Version, requested), nil
	}
	var offers []*candidate
	for _, g := range append(append([]*suiteGroup(nil), c.own...), c.newer...) {
		cand, err := c.offer(ctx, g)
		if err != nil {
			return nil, "", err
		}
		if cand != nil {
			offers = append(offers, cand)
		}
	}
	var best *candidate
	for _, cand := range offers {
		if debversion.Compare(cand.upstream, want) > 0 {
			continue
		}
		if best == nil || better(cand, best) {
			best = cand
		}
	}
	if best == nil {
		if installed == nil {
			return nil, "", c.notFound(fmt.Sprintf("source package %s", c.name), offers)
		}
		return installed, fmt.Sprintf("no suite has %s at upstream %s or older; using the target's own %s %s (%s)",
			c.name, requested, installed.group.name, installed.pkg.Version, others(offers, installed, want)), nil
	}
	rel := "= requested"
	if debversion.Compare(best.upstream, want) < 0 {
		rel = "the closest below " + requested
	}
	why := fmt.Sprintf("%s has %s %s, upstream %s %s", best.group.name, c.name, best.pkg.Version, best.upstream.Version, rel)
	if o := others(offers, best, want); o != "" {
		why += "; " + o
	}
	return best, why, nil
}

// better reports whether a beats b among eligible offers; b came first.
func better(a, b *candidate) bool {
	if c := debversion.Compare(a.upstream, b.upstream); c != 0 {
		return c > 0
	}
	if a.group.own != b.group.own {
		return a.group.own
	}
	return debversion.Compare(a.version, b.version) > 0
}

// others lists the offers not chosen, marking those above the request.
func others(offers []*candidate, chosen *candidate, want debversion.Version) string {
	var parts []string
	for _, o := range offers {
		if o == chosen {
			continue
		}
		s := o.String()
		if debversion.Compare(o.upstream, want) > 0 {
			s += " (newer upstream)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// forcedGroups resolves a suite name given as the packaging to the
// configured suites it stands for.
func (c *chooser) forcedGroups(ctx context.Context, name string) ([]*suiteGroup, error) {
	all := append(append([]*suiteGroup(nil), c.own...), c.newer...)
	if name == c.target.Codename {
		return c.own, nil
	}
	pick := func(base string) []*suiteGroup {
		var gs []*suiteGroup
		for _, g := range all {
			if g.name == base || g.base() == base {
				gs = append(gs, g)
			}
		}
		return gs
	}
	if gs := pick(name); len(gs) > 0 {
		return gs, nil
	}
	// An alias (sid, stable, oldstable…): the Release files say which
	// configured suite it is.
	for _, g := range all {
		rel, err := c.archive.Release(ctx, g.refs[0])
		var nf *fetch.NotFoundError
		if errors.As(err, &nf) && !g.own {
			continue
		}
		if err != nil {
			return nil, err
		}
		if name == rel.Suite || name == rel.Codename {
			if g.own {
				return c.own, nil
			}
			return pick(g.base()), nil
		}
	}
	var ownNames, newerNames []string
	for _, g := range c.own {
		ownNames = append(ownNames, g.name)
	}
	for _, g := range c.newer {
		newerNames = append(newerNames, g.name)
	}
	return nil, fmt.Errorf("packaging %q is not a suite of target %s (its own: %s; packaging_suites: %s); use auto, one of these, or add it to packaging_suites in backport.yaml",
		name, c.target.Name, strings.Join(ownNames, ", "), orNone(newerNames))
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// forced takes the newest offer among the forced suites.
func (c *chooser) forced(ctx context.Context, groups []*suiteGroup, name string) (*candidate, string, error) {
	best, err := c.newest(ctx, groups)
	if err != nil {
		return nil, "", err
	}
	if best == nil {
		return nil, "", c.elsewhere(ctx, fmt.Sprintf("source package %s in %s (packaging %s)", c.name, groupNames(groups), name))
	}
	return best, fmt.Sprintf("packaging %s asked for: %s has %s %s", name, best.group.name, c.name, best.pkg.Version), nil
}

// exact finds version ver in the first considered suite that has it.
func (c *chooser) exact(ctx context.Context, groups []*suiteGroup, ver string) (*candidate, string, error) {
	for _, g := range groups {
		if c.absent[g] {
			continue
		}
		pkg, err := c.archive.FindSourceVersion(ctx, g.refs, c.name, ver)
		var nf *fetch.NotFoundError
		switch {
		case errors.Is(err, fetch.ErrNoSource):
			continue
		case !g.own && errors.As(err, &nf):
			c.absent[g] = true
			continue
		case err != nil:
			return nil, "", err
		}
		cand, err := newCandidate(g, pkg)
		if err != nil {
			return nil, "", err
		}
		return cand, fmt.Sprintf("distro version %s asked for: %s has it", ver, g.name), nil
	}
	return nil, "", c.elsewhere(ctx, fmt.Sprintf("source package %s %s in %s", c.name, ver, groupNames(groups)))
}

// elsewhere is the error for a search that found nothing, listing what
// every configured suite has instead.
func (c *chooser) elsewhere(ctx context.Context, what string) error {
	var offers []*candidate
	for _, g := range append(append([]*suiteGroup(nil), c.own...), c.newer...) {
		if cand, err := c.offer(ctx, g); err == nil && cand != nil {
			offers = append(offers, cand)
		}
	}
	return c.notFound(what, offers)
}

func (c *chooser) notFound(what string, offers []*candidate) error {
	avail := make([]string, len(offers))
	for i, o := range offers {
		avail[i] = o.String()
	}
	return fmt.Errorf("%s: %w (available: %s)", what, fetch.ErrNoSource, orNone(avail))
}

func groupNames(groups []*suiteGroup) string {
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.name
	}
	return strings.Join(names, ", ")
}

// checkNoDowngrade refuses an upstream older than what the target runs. One
// older than the packaging's (a newer release's, forced) is allowed with a
// warning: the loop adapts that packaging as it would adapt an older one.
func checkNoDowngrade(req Request, ch packagingChoice, packagingUpstream string, res *Result) error {
	if ch.TargetVersion != "" {
		installed, err := version.Split(version.Deb, ch.TargetVersion)
		if err != nil {
			return fmt.Errorf("%s: the target's version: %w", ch.Source.Package, err)
		}
		if c, err := version.Compare(version.Deb, req.Version, installed.Version); err != nil {
			return err
		} else if c < 0 {
			return fmt.Errorf("%s %s is older than the distro's %s (%s); a hotfix cannot downgrade",
				req.Recipe.Name, req.Version, ch.TargetVersion, ch.TargetSuite)
		}
	}
	if c, err := version.Compare(version.Deb, req.Version, packagingUpstream); err != nil {
		return err
	} else if c < 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the packaging used (%s %s from %s) is for upstream %s, newer than %s",
			ch.Source.Package, ch.Source.Version, ch.Source.Suite.Suite, packagingUpstream, req.Version))
	}
	return nil
}

// packagingMode is req.Packaging with its default filled in.
func packagingMode(req Request) string {
	if m := strings.TrimSpace(req.Packaging); m != "" {
		return m
	}
	return PackagingAuto
}

func noEpoch(v string) string {
	if _, after, ok := strings.Cut(v, ":"); ok {
		return after
	}
	return v
}
