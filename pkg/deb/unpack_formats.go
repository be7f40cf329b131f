package deb

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// sourcePlan says which of a .dsc's files make the tree, and how. Exactly
// one of native, debianTar (3.0 quilt) and the 1.0 orig layout applies.
type sourcePlan struct {
	dir        string // where the .dsc and its files are
	upstream   string // upstream version: no epoch, no revision
	orig       string // the main upstream tarball
	components []component
	debianTar  string // 3.0 (quilt)
	diff       string // 1.0, optional
	native     string // 3.0 (native), or a 1.0 native tarball
}

// component is an orig-<name> tarball of a 3.0 (quilt) package.
type component struct{ name, file string }

// tarExt is the compression suffixes dpkg-source accepts for tarballs
// (Dpkg::Compression); 1.0 packages only know gzip.
const tarExt = `(?:gz|bz2|lzma|xz)`

var compressionSuffixRe = regexp.MustCompile(`\.` + tarExt + `(\.asc)?$`)

// planSource classifies the .dsc's files by the rules dpkg-source applies
// to its format (Dpkg::Source::Package::V1, V2, V3::Native), so a package
// dpkg-source would refuse is refused here too, with its reason.
func planSource(d *Dsc, dir string) (*sourcePlan, error) {
	v, err := parseDebVersion(d.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: version %q: %v", d.Path, d.Version, err)
	}
	withRevision := v.Version
	if v.Revision != "" {
		withRevision += "-" + v.Revision
	}
	names := fileNames{
		base:    regexp.QuoteMeta(d.Source + "_" + v.Version),
		baseRev: regexp.QuoteMeta(d.Source + "_" + withRevision),
	}
	pl := &sourcePlan{dir: dir, upstream: v.Version}
	switch d.Format {
	case FormatQuilt:
		err = pl.planQuilt(d, names)
	case FormatNative:
		err = pl.planNative(d, names, FormatNative)
	case FormatOriginal:
		err = pl.planOriginal(d, names)
	default:
		err = fmt.Errorf("source format %q is not supported; backport unpacks %s, %s and %s",
			d.Format, FormatQuilt, FormatNative, FormatOriginal)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Path, err)
	}
	return pl, nil
}

// fileNames holds the two name stems dpkg-source matches files against,
// quoted for regexps: source_upstream and source_upstream-revision.
type fileNames struct{ base, baseRev string }

func (n fileNames) re(pattern string) *regexp.Regexp {
	pattern = strings.NewReplacer("BASEREV", n.baseRev, "BASE", n.base, "EXT", tarExt).Replace(pattern)
	return regexp.MustCompile("^" + pattern + "$")
}

func (pl *sourcePlan) planQuilt(d *Dsc, n fileNames) error {
	var (
		orig      = n.re(`BASE\.orig\.tar\.EXT`)
		origSig   = n.re(`BASE\.orig\.tar\.EXT\.asc`)
		comp      = n.re(`BASE\.orig-([A-Za-z0-9-]+)\.tar\.EXT`)
		compSig   = n.re(`BASE\.orig-([A-Za-z0-9-]+)\.tar\.EXT\.asc`)
		debianTar = n.re(`BASEREV\.debian\.tar\.EXT`)
	)
	var sigs []string
	components := map[string]string{}
	seen := map[string]bool{}
	for _, f := range d.Files {
		// The same tarball under two compressions is ambiguous.
		key := compressionSuffixRe.ReplaceAllString(f.Name, ".*$1")
		if seen[key] {
			return fmt.Errorf("lists %s twice under different compressions", key)
		}
		seen[key] = true
		switch {
		case orig.MatchString(f.Name):
			pl.orig = f.Name
		case debianTar.MatchString(f.Name):
			pl.debianTar = f.Name
		case comp.MatchString(f.Name):
			components[comp.FindStringSubmatch(f.Name)[1]] = f.Name
		case origSig.MatchString(f.Name), compSig.MatchString(f.Name):
			sigs = append(sigs, f.Name)
		default:
			return fmt.Errorf("unrecognised file for a %s source package: %s", FormatQuilt, f.Name)
		}
	}
	if pl.orig == "" || pl.debianTar == "" {
		return fmt.Errorf("a %s source package needs an orig tarball and a debian tarball", FormatQuilt)
	}
	for _, sig := range sigs {
		tarball := strings.TrimSuffix(sig, ".asc")
		if _, ok := d.File(tarball); !ok {
			return fmt.Errorf("signature %s has no matching tarball", sig)
		}
	}
	for name, file := range components {
		pl.components = append(pl.components, component{name: name, file: file})
	}
	// Sorted like dpkg-source, so nested components land the same way.
	sort.Slice(pl.components, func(i, j int) bool { return pl.components[i].name < pl.components[j].name })
	return nil
}

// planNative takes the one tarball of a native package; format names the
// rules in errors.
func (pl *sourcePlan) planNative(d *Dsc, n fileNames, format string) error {
	tarball := n.re(`BASEREV\.tar\.EXT`)
	for _, f := range d.Files {
		if !tarball.MatchString(f.Name) {
			return fmt.Errorf("unrecognised file for a %s source package: %s", format, f.Name)
		}
		if pl.native != "" {
			return fmt.Errorf("more than one tarball in a %s source package", format)
		}
		pl.native = f.Name
	}
	if pl.native == "" {
		return fmt.Errorf("no tarball in the %s source package", format)
	}
	return nil
}

func (pl *sourcePlan) planOriginal(d *Dsc, n fileNames) error {
	var (
		tarball = n.re(`(?:BASE\.orig|BASEREV)\.tar\.gz`)
		origSig = n.re(`BASE\.orig\.tar\.gz\.asc`)
		diff    = n.re(`BASEREV\.diff\.gz`)
	)
	var tar string
	for _, f := range d.Files {
		switch {
		case tarball.MatchString(f.Name):
			if tar != "" {
				return fmt.Errorf("more than one tarball in a %s source package", FormatOriginal)
			}
			tar = f.Name
		case origSig.MatchString(f.Name):
		case diff.MatchString(f.Name):
			pl.diff = f.Name
		default:
			return fmt.Errorf("unrecognised file for a %s source package: %s", FormatOriginal, f.Name)
		}
	}
	switch {
	case tar == "":
		return fmt.Errorf("no tarball in the %s source package", FormatOriginal)
	case pl.diff == "" && !strings.HasSuffix(tar, ".orig.tar.gz"):
		pl.native = tar
	default:
		// An orig tarball without a diff is unpacked as it is, as
		// dpkg-source does (with a warning).
		pl.orig = tar
	}
	return nil
}
