package deb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/backport/backport/pkg/archive"
)

// Unpacked describes a source tree Unpack produced.
type Unpacked struct {
	Tree string // dest/<source>-<upstream version>
	Dsc  *Dsc
	// Used lists the .dsc's files that built the tree, in the order they
	// were applied. Upstream signatures (.asc) are verified with the rest
	// but not used.
	Used []string
	// UpstreamChanges lists the files outside debian/ that a 1.0 .diff.gz
	// changes, relative to Tree: distro changes that no patch series
	// accounts for. Empty for the 3.0 formats.
	UpstreamChanges []string
}

// UnpackSource unpacks the source package described by dscPath (its files
// beside it) into dest/<source>-<upstream version>/ and returns that tree.
// See Unpack.
func UnpackSource(ctx context.Context, dscPath, dest string) (tree string, err error) {
	u, err := Unpack(ctx, dscPath, dest)
	if err != nil {
		return "", err
	}
	return u.Tree, nil
}

// Unpack verifies the files of the .dsc at dscPath and unpacks them into
// dest/<source>-<upstream version>/ as `dpkg-source -x --skip-patches`
// would, without needing dpkg (build hosts may be EL machines):
//
//   - 3.0 (quilt): the orig tarball with its top directory stripped,
//     whatever it is called, and any .pc/ in it dropped; each
//     orig-<component> tarball into <component>/; then the debian tarball
//     in place of any upstream debian/. The patch series is not applied:
//     backport applies and accounts for it itself.
//   - 3.0 (native): the one tarball.
//   - 1.0: the orig tarball with the .diff.gz applied, or the native
//     tarball.
//
// Then, as dpkg-source does, debian/source/format is written when the
// format is not 1.0 and the file is missing, and debian/rules is made
// executable. File modes are normalised to what dpkg-source leaves under
// umask 022: 0755 for directories and anything executable, 0644 otherwise.
//
// Every tarball goes through pkg/archive, so hostile members are refused,
// and so are links that would leave the tree once a top directory is
// stripped. The tree is assembled beside its final name and renamed into place, so a
// failure leaves nothing in dest; an existing tree is an error, never
// overwritten, because it may hold an engineer's edits.
func Unpack(ctx context.Context, dscPath, dest string) (*Unpacked, error) {
	d, dir, err := loadVerifiedDsc(dscPath)
	if err != nil {
		return nil, err
	}
	plan, err := planSource(d, dir)
	if err != nil {
		return nil, err
	}
	u := &Unpacked{Dsc: d}
	u.Tree, err = buildTree(dest, d.Source+"-"+plan.upstream, func(scratch, tree string) error {
		used, changes, err := plan.build(ctx, scratch, tree)
		u.Used, u.UpstreamChanges = used, changes
		if err != nil {
			return err
		}
		return finishTree(tree, d.Format)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dscPath, err)
	}
	return u, nil
}

// maxDscSize bounds the .dsc read into memory; real ones are a few KB.
const maxDscSize = 4 << 20

// loadVerifiedDsc reads and parses the .dsc and verifies its files, which
// are expected in the same directory.
func loadVerifiedDsc(dscPath string) (*Dsc, string, error) {
	if fi, err := os.Stat(dscPath); err != nil {
		return nil, "", err
	} else if !fi.Mode().IsRegular() || fi.Size() > maxDscSize {
		return nil, "", fmt.Errorf("%s: not a regular file of at most %d bytes", dscPath, maxDscSize)
	}
	data, err := os.ReadFile(dscPath)
	if err != nil {
		return nil, "", err
	}
	d, err := ParseDsc(dscPath, data)
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Dir(dscPath)
	if err := d.VerifyFiles(dir); err != nil {
		return nil, "", err
	}
	return d, dir, nil
}

// buildTree runs fill on a scratch directory inside dest, then renames the
// tree fill made to dest/name and returns that path. Scratch space lives in
// dest so the rename stays on one file system.
func buildTree(dest, name string, fill func(scratch, tree string) error) (string, error) {
	target := filepath.Join(dest, name)
	if _, err := os.Lstat(target); err == nil {
		return "", fmt.Errorf("%s already exists; remove it to unpack again", target)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return "", err
	}
	scratch, err := os.MkdirTemp(dest, "."+name+".unpack-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(scratch)
	tree := filepath.Join(scratch, name)
	if err := fill(scratch, tree); err != nil {
		return "", err
	}
	if err := os.Rename(tree, target); err != nil {
		return "", err
	}
	return target, nil
}

// build assembles the tree from the planned files and returns the files it
// used and, for a 1.0 diff, the upstream files the diff changed.
func (pl *sourcePlan) build(ctx context.Context, scratch, tree string) (used, upstreamChanges []string, err error) {
	use := func(name string) string {
		used = append(used, name)
		return filepath.Join(pl.dir, name)
	}
	switch {
	case pl.native != "":
		return used, nil, extractTree(ctx, use(pl.native), tree, scratch, false)
	case pl.debianTar != "":
		// dpkg-source drops .pc/ from the orig tarball so that a planted
		// quilt state cannot steer the patch series applied later.
		if err := extractTree(ctx, use(pl.orig), tree, scratch, true); err != nil {
			return used, nil, err
		}
		for _, c := range pl.components {
			if err := replaceWithTarball(ctx, use(c.file), filepath.Join(tree, c.name), scratch); err != nil {
				return used, nil, err
			}
		}
		if err := os.RemoveAll(filepath.Join(tree, "debian")); err != nil {
			return used, nil, err
		}
		_, err := archive.ExtractFile(ctx, use(pl.debianTar), tree, archive.Options{})
		return used, nil, err
	default: // 1.0 with an orig tarball
		if err := extractTree(ctx, use(pl.orig), tree, scratch, false); err != nil {
			return used, nil, err
		}
		if pl.diff == "" {
			return used, nil, nil
		}
		changed, err := applyDiff(ctx, use(pl.diff), tree)
		for _, f := range changed {
			if !strings.HasPrefix(f, "debian/") {
				upstreamChanges = append(upstreamChanges, f)
			}
		}
		return used, upstreamChanges, err
	}
}

// extractTree extracts a tarball to target, which must not exist, the way
// Dpkg::Source::Archive does: when the tarball holds exactly one top-level
// directory, that directory becomes target, whatever it is called;
// otherwise everything in the tarball does. dropPC removes the .pc/ quilt
// state dpkg-source excludes from orig tarballs (".pc" and "*/.pc").
func extractTree(ctx context.Context, tarball, target, scratch string, dropPC bool) error {
	tmp, err := os.MkdirTemp(scratch, "extract-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if _, err := archive.ExtractFile(ctx, tarball, tmp, archive.Options{}); err != nil {
		return err
	}
	if dropPC {
		if err := removeQuiltState(tmp); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	// DirEntry.IsDir is false for a symlink to a directory, which dpkg
	// does not treat as a top directory either.
	if len(entries) != 1 || !entries[0].IsDir() {
		return os.Rename(tmp, target)
	}
	top := filepath.Join(tmp, entries[0].Name())
	if err := checkLinksInside(top, tarball); err != nil {
		return err
	}
	return os.Rename(top, target)
}

func removeQuiltState(dir string) error {
	pcs, err := filepath.Glob(filepath.Join(dir, "*", ".pc"))
	if err != nil {
		return err
	}
	for _, pc := range append(pcs, filepath.Join(dir, ".pc")) {
		if err := os.RemoveAll(pc); err != nil {
			return err
		}
	}
	return nil
}

// replaceWithTarball puts an orig-<component> tarball at dir, removing
// whatever the main tarball had there, as dpkg-source does.
func replaceWithTarball(ctx context.Context, tarball, dir, scratch string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return extractTree(ctx, tarball, dir, scratch, false)
}

// finishTree does what dpkg-source does after unpacking, and normalises
// modes the way its fixperms does for the usual umask.
func finishTree(tree, format string) error {
	root, err := os.OpenRoot(tree)
	if err != nil {
		return err
	}
	defer root.Close()
	fi, err := root.Lstat("debian")
	if err != nil || !fi.IsDir() {
		return errors.New("the unpacked tree has no debian/ directory")
	}
	// dpkg-buildpackage reads the format from debian/source/format; without
	// it a 3.0 tree would be built as 1.0.
	if format != FormatOriginal {
		if _, err := root.Lstat("debian/source/format"); errors.Is(err, fs.ErrNotExist) {
			if err := root.MkdirAll("debian/source", 0o755); err != nil {
				return err
			}
			if err := root.WriteFile("debian/source/format", []byte(format+"\n"), 0o644); err != nil {
				return err
			}
		}
	}
	// A 1.0 diff cannot carry modes, so dpkg-source makes rules executable.
	if fi, err := root.Lstat("debian/rules"); err == nil && fi.Mode().IsRegular() {
		if err := root.Chmod("debian/rules", fi.Mode().Perm()|0o111); err != nil {
			return err
		}
	}
	return normaliseModes(tree)
}

// normaliseModes gives directories 0755 and files 0755 or 0644 by whether
// anyone may execute them: dpkg-source's fixperms under umask 022. The
// build must not depend on the modes of whoever made the tarball, nor on
// the umask of whoever unpacks it.
func normaliseModes(tree string) error {
	return filepath.WalkDir(tree, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var want fs.FileMode
		switch {
		case e.IsDir():
			want = 0o755
		case e.Type().IsRegular():
			fi, err := e.Info()
			if err != nil {
				return err
			}
			want = 0o644
			if fi.Mode()&0o111 != 0 {
				want = 0o755
			}
			if fi.Mode().Perm() == want {
				return nil
			}
		default:
			return nil // symlinks have no mode of their own
		}
		return os.Chmod(path, want)
	})
}
