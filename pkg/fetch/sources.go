package fetch

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"pault.ag/go/debian/version"
)

// ErrNoSource is wrapped by the errors of FindSource, FindSourceVersion and
// FindOrig when no suite has what was asked for.
var ErrNoSource = errors.New("not found in the archive")

// RemoteFile is a file on a mirror with the hash a signed index gives it.
type RemoteFile struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Expect returns what Cache.Fetch must check the file against.
func (f RemoteFile) Expect() Expect { return Expect{SHA256: f.SHA256, Size: f.Size} }

// SourcePackage is one paragraph of a Sources index. It marshals to JSON,
// so a caller can Remember it and fetch it again without the network.
type SourcePackage struct {
	Package   string       `json:"package"`
	Version   string       `json:"version"`
	Format    string       `json:"format"`
	Directory string       `json:"directory"`
	Files     []RemoteFile `json:"files"` // the .dsc and every file it lists, from Checksums-Sha256
	Suite     SuiteRef     `json:"suite"` // where it was found; Mirror is set
	// ExtraSourceOnly marks a version kept only because binaries were built
	// with it (Built-Using); it is not the suite's current version.
	ExtraSourceOnly bool `json:"extra_source_only,omitempty"`
}

// Dsc returns the package's .dsc file.
func (p SourcePackage) Dsc() (RemoteFile, bool) {
	for _, f := range p.Files {
		if strings.HasSuffix(f.Name, ".dsc") {
			return f, true
		}
	}
	return RemoteFile{}, false
}

func parseSourceParagraph(p paragraph, ref SuiteRef) (SourcePackage, error) {
	pkg := SourcePackage{
		Package:         p.get("Package"),
		Version:         p.get("Version"),
		Format:          p.get("Format"),
		Directory:       p.get("Directory"),
		Suite:           ref,
		ExtraSourceOnly: strings.EqualFold(p.get("Extra-Source-Only"), "yes"),
	}
	if pkg.Package == "" || pkg.Version == "" {
		return pkg, errors.New("paragraph without Package or Version")
	}
	if err := checkRelPath(pkg.Directory); err != nil {
		return pkg, fmt.Errorf("%s %s: Directory: %w", pkg.Package, pkg.Version, err)
	}
	files, err := parseFileLines("Checksums-Sha256", p.get("Checksums-Sha256"))
	if err != nil {
		return pkg, fmt.Errorf("%s %s: %w", pkg.Package, pkg.Version, err)
	}
	for _, f := range files {
		if err := checkFileName(f.Name); err != nil {
			return pkg, fmt.Errorf("%s %s: %w", pkg.Package, pkg.Version, err)
		}
		pkg.Files = append(pkg.Files, RemoteFile{
			Name:   f.Name,
			URL:    ref.Mirror + "/" + pkg.Directory + "/" + f.Name,
			SHA256: f.SHA256,
			Size:   f.Size,
		})
	}
	return pkg, nil
}

// checkFileName refuses a file name from an index or a .dsc that is not a
// plain name in its directory.
func checkFileName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("unsafe file name %q", name)
	}
	return nil
}

// FindSource returns the newest version of source package name across
// suites (e.g. bookworm, bookworm-updates, and bookworm-security on the
// security mirror). Versions kept only for Built-Using are ignored. Among
// equal versions the first suite wins.
func (a *DebianArchive) FindSource(ctx context.Context, suites []SuiteRef, name string) (SourcePackage, error) {
	var best SourcePackage
	var bestVersion version.Version
	found := false
	err := a.eachSource(ctx, suites, name, func(p SourcePackage) error {
		if p.ExtraSourceOnly {
			return nil
		}
		v, err := version.Parse(p.Version)
		if err != nil {
			return fmt.Errorf("%s in %s: version %q: %w", name, p.Suite, p.Version, err)
		}
		if !found || version.Compare(v, bestVersion) > 0 {
			best, bestVersion, found = p, v, true
		}
		return nil
	})
	if err != nil {
		return SourcePackage{}, err
	}
	if !found {
		return SourcePackage{}, fmt.Errorf("source package %s in %s: %w", name, suiteNames(suites), ErrNoSource)
	}
	return best, nil
}

// FindSourceVersion returns source package name at exactly version ver
// (compared as dpkg does, so "0:2.10-3" is "2.10-3"), from the first suite
// that has it.
func (a *DebianArchive) FindSourceVersion(ctx context.Context, suites []SuiteRef, name, ver string) (SourcePackage, error) {
	want, err := version.Parse(ver)
	if err != nil {
		return SourcePackage{}, fmt.Errorf("version %q: %w", ver, err)
	}
	for _, ref := range suites {
		var match *SourcePackage
		err := a.eachSource(ctx, []SuiteRef{ref}, name, func(p SourcePackage) error {
			if v, err := version.Parse(p.Version); err == nil && version.Compare(v, want) == 0 && match == nil {
				match = &p
			}
			return nil
		})
		if err != nil {
			return SourcePackage{}, err
		}
		if match != nil {
			return *match, nil
		}
	}
	return SourcePackage{}, fmt.Errorf("source package %s %s in %s: %w", name, ver, suiteNames(suites), ErrNoSource)
}

// OrigFile is an upstream tarball as a Debian archive carries it, with the
// hash from the archive's signed index.
type OrigFile struct {
	RemoteFile
	// Signature is upstream's detached signature (<name>.asc), when the
	// source package ships it; nil otherwise.
	Signature *RemoteFile `json:"signature,omitempty"`
	Package   string      `json:"package"` // the source package listing it
	Version   string      `json:"version"` // that package's version
	Suite     SuiteRef    `json:"suite"`
}

// FindOrig looks for <source>_<upstream>.orig.tar.* in the suites' Sources
// indexes, so that an upstream release Debian already has (say, in
// unstable) can be downloaded from the mirror and verified through the
// archive's signature chain. The first suite that lists it wins.
func (a *DebianArchive) FindOrig(ctx context.Context, suites []SuiteRef, source, upstream string) (OrigFile, error) {
	if _, after, ok := strings.Cut(upstream, ":"); ok {
		upstream = after // file names carry no epoch
	}
	prefix := source + "_" + upstream + ".orig.tar."
	for _, ref := range suites {
		var orig *OrigFile
		err := a.eachSource(ctx, []SuiteRef{ref}, source, func(p SourcePackage) error {
			if orig == nil {
				orig = findOrigIn(p, prefix)
			}
			return nil
		})
		if err != nil {
			return OrigFile{}, err
		}
		if orig != nil {
			return *orig, nil
		}
	}
	return OrigFile{}, fmt.Errorf("%s*.orig.tar.* in %s: %w", prefix[:len(prefix)-len(".orig.tar.")], suiteNames(suites), ErrNoSource)
}

func findOrigIn(p SourcePackage, prefix string) *OrigFile {
	byName := map[string]RemoteFile{}
	for _, f := range p.Files {
		byName[f.Name] = f
	}
	for _, f := range p.Files {
		if !strings.HasPrefix(f.Name, prefix) || strings.HasSuffix(f.Name, ".asc") {
			continue
		}
		orig := &OrigFile{RemoteFile: f, Package: p.Package, Version: p.Version, Suite: p.Suite}
		if sig, ok := byName[f.Name+".asc"]; ok {
			orig.Signature = &sig
		}
		return orig
	}
	return nil
}

// eachSource calls fn for every paragraph of source package name in the
// suites, in order.
func (a *DebianArchive) eachSource(ctx context.Context, suites []SuiteRef, name string, fn func(SourcePackage) error) error {
	if len(suites) == 0 {
		return errors.New("no suites to search")
	}
	for _, ref := range suites {
		var fnErr error
		err := a.scanSources(ctx, ref, func(pkg string) bool { return pkg == name }, func(p SourcePackage) {
			if fnErr == nil {
				fnErr = fn(p)
			}
		})
		if err != nil {
			return err
		}
		if fnErr != nil {
			return fnErr
		}
	}
	return nil
}

func suiteNames(suites []SuiteRef) string {
	names := make([]string, len(suites))
	for i, s := range suites {
		names[i] = s.Suite
	}
	return strings.Join(names, ", ")
}
