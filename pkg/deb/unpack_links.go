package deb

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/backport/backport/pkg/archive"
)

// pkg/archive checks every symlink against the directory it extracts into.
// Stripping a tarball's top directory afterwards moves the root one level
// down, so a link such as "top/a -> ../top/b", inside when extracted, would
// leave the tree. The tree's links are therefore checked again against the
// tree itself.

// maxLinkHops bounds symlink expansion, like the kernel's ELOOP limit.
const maxLinkHops = 40

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
		escapes, err := linkEscapes(root, rel, target)
		if err != nil {
			return err
		}
		if escapes {
			return fmt.Errorf("%s: symlink %s -> %s leaves the tree once the top directory is stripped: %w",
				filepath.Base(tarball), rel, target, archive.ErrLinkEscapes)
		}
		return nil
	})
}

// linkEscapes reports whether a symlink at rel pointing to target resolves
// outside root. It resolves component by component like the kernel,
// expanding symlinks already in the tree, but takes a missing component
// lexically, which is stricter: it may be created later.
func linkEscapes(root *os.Root, rel, target string) (bool, error) {
	if strings.HasPrefix(target, "/") {
		return true, nil
	}
	var resolved []string // real directories from the root down
	if dir := path.Dir(rel); dir != "." {
		resolved = strings.Split(dir, "/")
	}
	todo := strings.Split(target, "/")
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(resolved) == 0 {
				return true, nil
			}
			resolved = resolved[:len(resolved)-1]
			continue
		}
		p := path.Join(path.Join(resolved...), c)
		fi, err := root.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			resolved = append(resolved, c)
			continue
		}
		if hops++; hops > maxLinkHops {
			return true, nil // a loop cannot be shown to stay inside
		}
		next, err := root.Readlink(p)
		if err != nil {
			return false, err
		}
		if strings.HasPrefix(next, "/") {
			return true, nil
		}
		todo = append(strings.Split(next, "/"), todo...)
	}
	return false, nil
}
