package archive

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// maxLinkHops bounds symlink expansion while checking a link target, like
// the kernel's ELOOP limit.
const maxLinkHops = 40

var errSymlinkLoop = errors.New("too many levels of symbolic links")

// cleanName turns a member name from an archive into a slash-separated path
// relative to the destination, or "" for the destination itself ("." or
// "./"). It refuses rather than repairs: an absolute name or a ".." anywhere
// is hostile or broken, and silently rewriting it (as tar does) would put the
// file somewhere the archive's author did not say.
func cleanName(name string) (string, error) {
	if name == "" || strings.ContainsRune(name, 0) {
		return "", ErrInvalidName
	}
	if strings.HasPrefix(name, "/") {
		return "", ErrPathEscapes
	}
	var parts []string
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			return "", ErrPathEscapes
		}
		parts = append(parts, c)
	}
	rel := strings.Join(parts, "/")
	if rel != "" && !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", ErrPathEscapes // belt and braces: the loop above should make this unreachable
	}
	return rel, nil
}

// stripComponents drops the first n components of a clean relative path, as
// tar --strip-components does; ok is false when nothing is left.
func stripComponents(rel string, n int) (string, bool) {
	if rel == "" {
		return "", false
	}
	if n == 0 {
		return rel, true
	}
	parts := strings.Split(rel, "/")
	if len(parts) <= n {
		return "", false
	}
	return strings.Join(parts[n:], "/"), true
}

// SymlinkStaysInside reports whether a symlink at rel (slash-separated,
// relative to root) pointing to target resolves inside root. Callers that
// move a tree's root after extraction (stripping a top directory) use it to
// check the links again against the new root.
func SymlinkStaysInside(root *os.Root, rel, target string) (bool, error) {
	return symlinkStaysInside(root, rel, target)
}

// symlinkStaysInside reports whether a symlink at rel pointing to target
// resolves inside root. It resolves like the kernel would — component by
// component, expanding symlinks already in the tree, so "a -> ." plus
// "b -> a/.." is caught — but treats components that do not exist yet
// lexically, which is stricter than the kernel: "x/../.." escapes even while
// x is missing, because x may be created later.
func symlinkStaysInside(root *os.Root, rel, target string) (bool, error) {
	if target == "" || strings.ContainsRune(target, 0) {
		return false, ErrInvalidName
	}
	if strings.HasPrefix(target, "/") {
		return false, nil
	}
	// The link's parents are real directories: extraction made sure of it.
	var stack []string
	if dir := path.Dir(rel); dir != "." {
		stack = strings.Split(dir, "/")
	}
	todo := strings.Split(target, "/")
	hops := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return false, nil
			}
			stack = stack[:len(stack)-1]
			continue
		}
		p := path.Join(path.Join(stack...), c)
		fi, err := root.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
			stack = append(stack, c)
			continue
		case err != nil:
			return false, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			stack = append(stack, c)
			continue
		}
		if hops++; hops > maxLinkHops {
			return false, errSymlinkLoop
		}
		next, err := root.Readlink(p)
		if err != nil {
			return false, err
		}
		if strings.HasPrefix(next, "/") {
			return false, nil
		}
		todo = append(strings.Split(next, "/"), todo...)
	}
	return true, nil
}
