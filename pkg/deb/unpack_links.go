package deb

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/backport/backport/pkg/archive"
)

// pkg/archive checks every symlink against the directory it extracts into.
// Stripping a tarball's top directory afterwards moves the root one level
// down, so a link such as "top/a -> ../top/b", inside when extracted, would
// leave the tree. The tree's links are therefore checked again against the
// tree itself.

// checkLinksInside returns an error wrapping archive.ErrLinkEscapes for
// the first symlink under tree that resolves outside it; tarball names the
// archive the tree came from.
func checkLinksInside(tree, tarball string) error {
	root, err := os.OpenRoot(tree)
	if err != nil {
		return err
	}
	defer root.Close()
	return filepath.WalkDir(tree, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.Type()&fs.ModeSymlink == 0 {
			return err
		}
		rel, err := filepath.Rel(tree, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		target, err := root.Readlink(rel)
		if err != nil {
			return err
		}
		inside, err := archive.SymlinkStaysInside(root, rel, target)
		if err != nil {
			return err
		}
		if !inside {
			return fmt.Errorf("%s: symlink %s -> %s leaves the tree once the top directory is stripped: %w",
				filepath.Base(tarball), rel, target, archive.ErrLinkEscapes)
		}
		return nil
	})
}
