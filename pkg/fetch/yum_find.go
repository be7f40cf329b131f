package fetch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/backport/backport/pkg/version"
)

// FindSRPM returns the newest source package called name, by rpm's
// ordering of epoch, version and release. A miss wraps ErrNoSource.
func (r *YumRepo) FindSRPM(ctx context.Context, name string) (RepoPackage, error) {
	return r.findSRPM(ctx, name, "")
}

// FindSRPMVersion returns the newest release of upstream version ver of
// the source package called name. A miss wraps ErrNoSource.
func (r *YumRepo) FindSRPMVersion(ctx context.Context, name, ver string) (RepoPackage, error) {
	if ver == "" {
		return RepoPackage{}, errors.New("FindSRPMVersion: empty version")
	}
	return r.findSRPM(ctx, name, ver)
}

// FindSRPMIn searches repos in order (base, then updates, say) for the
// newest source package called name. The newest across all of them wins,
// as with dnf, so that an updates repository is never shadowed by the
// release one; when two hold the same version the earlier repo wins. It
// returns the repository to fetch the package from. A repository that
// cannot be read is an error, not a miss: skipping it could pick a version
// its updates have replaced.
func FindSRPMIn(ctx context.Context, repos []*YumRepo, name string) (RepoPackage, *YumRepo, error) {
	return findSRPMIn(ctx, repos, name, "")
}

// FindSRPMVersionIn is FindSRPMIn for the newest release of upstream
// version ver.
func FindSRPMVersionIn(ctx context.Context, repos []*YumRepo, name, ver string) (RepoPackage, *YumRepo, error) {
	if ver == "" {
		return RepoPackage{}, nil, errors.New("FindSRPMVersionIn: empty version")
	}
	return findSRPMIn(ctx, repos, name, ver)
}

func findSRPMIn(ctx context.Context, repos []*YumRepo, name, ver string) (RepoPackage, *YumRepo, error) {
	var best RepoPackage
	var from *YumRepo
	var hints []string
	for _, repo := range repos {
		p, err := repo.findSRPM(ctx, name, ver)
		var miss *srpmMiss
		if errors.As(err, &miss) {
			if miss.hint != "" {
				hints = append(hints, repo.String()+": "+miss.hint)
			}
			continue
		}
		if err != nil {
			return RepoPackage{}, nil, err
		}
		if from != nil {
			newer, err := newerEVR(p, best)
			if err != nil {
				return RepoPackage{}, nil, fmt.Errorf("%s: %w", repo, err)
			}
			if !newer {
				continue
			}
		}
		best, from = p, repo
	}
	if from == nil {
		var names []string
		for _, repo := range repos {
			names = append(names, repo.String())
		}
		if len(names) == 0 {
			names = append(names, "no yum repository")
		}
		return RepoPackage{}, nil, &srpmMiss{where: strings.Join(names, ", "), name: name, version: ver,
			hint: strings.Join(hints, "; ")}
	}
	return best, from, nil
}

func (r *YumRepo) findSRPM(ctx context.Context, name, ver string) (RepoPackage, error) {
	pkgs, err := r.Packages(ctx)
	if err != nil {
		return RepoPackage{}, err
	}
	var best RepoPackage
	found, binaries := false, false
	var others []string // versions there are, for the message when ver is not among them
	for _, p := range pkgs {
		if p.Name != name {
			continue
		}
		if p.Arch != "src" {
			binaries = true
			continue
		}
		if ver != "" && p.Version != ver {
			others = append(others, p.EVR())
			continue
		}
		if !found {
			// Compare refuses what rpm could not order; check the first
			// candidate too, since it may be the only one.
			if _, err := newerEVR(p, p); err != nil {
				return RepoPackage{}, fmt.Errorf("%s: %w", r, err)
			}
			best, found = p, true
			continue
		}
		newer, err := newerEVR(p, best)
		if err != nil {
			return RepoPackage{}, fmt.Errorf("%s: %w", r, err)
		}
		if newer {
			best = p
		}
	}
	if found {
		return best, nil
	}
	miss := &srpmMiss{where: r.String(), name: name, version: ver}
	switch {
	case len(others) > 0:
		slices.Sort(others)
		miss.hint = "it has " + strings.Join(slices.Compact(others), ", ")
	case binaries:
		// EL and Fedora publish sources in separate repositories
		// (…/source/tree, …/SRPMS); this one only has binaries.
		miss.hint = "it has only binary packages of that name; source packages are usually in a separate source repository"
	}
	return RepoPackage{}, miss
}

// newerEVR reports whether a sorts above b in rpm's order.
func newerEVR(a, b RepoPackage) (bool, error) {
	c, err := version.Compare(version.RPM, a.EVR(), b.EVR())
	if err != nil {
		return false, fmt.Errorf("%s: %w", a, err)
	}
	return c > 0, nil
}

// srpmMiss says which package is in none of which repositories. It wraps
// ErrNoSource, so that callers treat yum and Debian misses alike.
type srpmMiss struct {
	where, name, version, hint string
}

func (e *srpmMiss) Error() string {
	what := "source package " + e.name
	if e.version != "" {
		what += " " + e.version
	}
	msg := fmt.Sprintf("%s in %s: %s", what, e.where, ErrNoSource)
	if e.hint != "" {
		msg += " (" + e.hint + ")"
	}
	return msg
}

func (e *srpmMiss) Unwrap() error { return ErrNoSource }
