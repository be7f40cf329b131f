package build

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/backport/backport/pkg/bump"
	"github.com/backport/backport/pkg/deb"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/version"
)

// prepareDeb makes <ws>/build/<src>-<ver>/ a fresh copy of the workspace
// tree (a failed attempt leaves files behind), places the orig tarball
// beside it and gives debian/changelog the hotfix entry.
func prepareDeb(ctx context.Context, a *attempt) error {
	o := a.opts
	cves, err := bump.NormalizeCVEs(o.CVEs)
	if err != nil {
		return err
	}
	if err := o.Workspace.Reset("build"); err != nil {
		return err
	}
	a.buildDir = filepath.Join(o.Workspace.Dir, "build")
	a.tree = filepath.Join(a.buildDir, filepath.Base(o.Sources.Tree))
	if err := copyTree(ctx, o.Sources.Tree, a.tree); err != nil {
		return fmt.Errorf("copying the workspace tree: %w", err)
	}

	changelog := filepath.Join(a.tree, "debian", "changelog")
	data, err := os.ReadFile(changelog)
	if err != nil {
		return err
	}
	top, err := deb.ReadTopEntry(changelog, data)
	if err != nil {
		return err
	}
	a.source = top.Source
	// The hotfix must upgrade what the target has installed, whatever
	// release's packaging it is built from.
	current := o.Sources.TargetVersion
	if current == "" {
		current = o.Sources.DistroVersion
	}
	if current == "" {
		current = top.Version
	}
	vendor := version.Vendor(o.Target.Vendor)
	hf, err := version.HotfixVersion(version.Request{
		Family: version.Deb, Vendor: vendor, Current: current, Upstream: o.version(),
	})
	if err != nil {
		return err
	}

	quiltFormat, err := isQuilt(a.tree)
	if err != nil {
		return err
	}
	if quiltFormat {
		if err := placeOrig(o.Sources, a.source, o.version(), a.buildDir); err != nil {
			return err
		}
	}

	maint, now := o.maintainerAndDate()
	plan, err := bump.Plan(bump.Options{
		Path: a.tree, Version: o.version(), Release: hf.Release, CVEs: cves, Message: o.Message,
		Suite: o.Target.Codename, Vendor: vendor, Maintainer: maint, Now: now,
	})
	if err != nil {
		return err
	}
	if err := plan.Write(); err != nil {
		return err
	}
	a.hotfix = plan.To
	a.res.Version = plan.To
	fmt.Fprintf(a.log, "backport: prepared %s from %s as %s (distro %s)\n", a.tree, o.Sources.Tree, plan.To, current)
	if o.Nocheck {
		a.env = map[string]string{"DEB_BUILD_OPTIONS": "nocheck"}
	}
	// 1.0 packages that use quilt (dh --with quilt) have a series too.
	if _, serr := os.Stat(deb.SeriesPath(a.tree, string(o.Target.Vendor))); quiltFormat || serr == nil {
		err = triageDeb(ctx, a)
		if serr := a.snapshotPrepared(ctx); err == nil {
			err = serr
		}
		return err
	}
	return a.snapshotPrepared(ctx)
}

// preparedDir keeps the packaging as the last attempt prepared it, before
// the build adds its own files to debian/: what packaging.diff shows.
const preparedDir = "prepared"

// snapshotPrepared copies the prepared packaging into <ws>/prepared: the
// debian/ directory, or the spec and the non-tarball sources.
func (a *attempt) snapshotPrepared(ctx context.Context) error {
	ws := a.opts.Workspace
	if err := ws.Reset(preparedDir); err != nil {
		return err
	}
	dst := filepath.Join(ws.Dir, preparedDir)
	if a.opts.Target.Family == recipe.FamilyRPM {
		for _, sub := range []string{"SPECS", "SOURCES"} {
			entries, err := os.ReadDir(filepath.Join(a.buildDir, sub))
			if err != nil {
				return err
			}
			for _, e := range entries {
				if !e.Type().IsRegular() || isTarball(e.Name()) {
					continue
				}
				if err := copyFile(filepath.Join(a.buildDir, sub, e.Name()), filepath.Join(dst, e.Name()), 0o644); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return copyTree(ctx, filepath.Join(a.tree, "debian"), filepath.Join(dst, "debian"))
}

// isQuilt reports whether the tree is a 3.0 (quilt) source package, whose
// build wants the orig tarball beside it.
func isQuilt(tree string) (bool, error) {
	data, err := os.ReadFile(filepath.Join(tree, "debian", "source", "format"))
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(data)) == "3.0 (quilt)", nil
}

// origCompressions are the tarball suffixes dpkg-source accepts, and the
// compression each keeps in the orig name.
var origCompressions = []struct{ suffix, ext string }{
	{".tar.gz", "gz"}, {".tgz", "gz"},
	{".tar.xz", "xz"}, {".txz", "xz"},
	{".tar.bz2", "bz2"}, {".tbz2", "bz2"}, {".tbz", "bz2"},
	{".tar.lzma", "lzma"},
}

// OrigName is the name dpkg-source looks for: <src>_<upstream>.orig.tar.<ext>,
// with the compression of the tarball it is made from.
func OrigName(source, upstream, from string) (string, error) {
	lower := strings.ToLower(from)
	for _, c := range origCompressions {
		if strings.HasSuffix(lower, c.suffix) {
			return source + "_" + upstream + ".orig.tar." + c.ext, nil
		}
	}
	return "", fmt.Errorf("%s: dpkg-source needs a tarball compressed with gzip, xz, bzip2 or lzma", filepath.Base(from))
}

// placeOrig puts the orig tarball (and, for the distro's own version, its
// component tarballs) beside the tree: the verified upstream tarball for a
// new upstream version, the distro's orig otherwise.
func placeOrig(src *sources.Result, source, upstream, dir string) error {
	want := "orig"
	if src.NewUpstream {
		want = "upstream"
	}
	placed := false
	for _, f := range src.Files {
		var name string
		switch {
		case f.Role == want:
			n, err := OrigName(source, upstream, f.Name)
			if err != nil {
				return err
			}
			name, placed = n, true
		case f.Role == "orig-component" && !src.NewUpstream:
			name = f.Name
		default:
			continue
		}
		if err := linkOrCopy(f.Path, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	if !placed {
		return fmt.Errorf("no %s tarball among the fetched files of %s %s", want, source, upstream)
	}
	return nil
}

// linkOrCopy hard-links src to dst, or copies it across file systems; dst
// appears complete or not at all.
func linkOrCopy(src, dst string) error {
	tmp := filepath.Join(filepath.Dir(dst), ".tmp-"+filepath.Base(dst))
	_ = os.Remove(tmp)
	if err := os.Link(src, tmp); err != nil {
		if err := copyFile(src, tmp, 0o644); err != nil {
			return err
		}
	}
	return os.Rename(tmp, dst)
}

// copyTree copies a source tree: directories, regular files with their
// modes and modification times, and symlinks as links. Anything else is
// refused: an unpacked source tree holds nothing else. The times matter:
// make compares them, and a configure that looks older than configure.ac
// sends the build into automake's "missing" script.
func copyTree(ctx context.Context, src, dst string) error {
	type dirTime struct {
		path string
		t    time.Time
	}
	var dirs []dirTime
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch mode := info.Mode(); {
		case mode.IsDir():
			dirs = append(dirs, dirTime{target, info.ModTime()})
			return os.MkdirAll(target, mode.Perm()|0o700)
		case mode.IsRegular():
			if err := copyFile(p, target, mode.Perm()); err != nil {
				return err
			}
			return os.Chtimes(target, info.ModTime(), info.ModTime())
		case mode&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			return fmt.Errorf("%s: not a file, directory or symlink", p)
		}
	})
	if err != nil {
		return err
	}
	// Directories last, deepest first: writing into one changes its time.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(dirs[i].path, dirs[i].t, dirs[i].t); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	// The umask must not strip the exec bits of debian/rules and scripts.
	return os.Chmod(dst, perm)
}
