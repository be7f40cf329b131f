package deb

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxDiffSize bounds a decompressed .diff.gz: far above any real one, far
// below what a small gzip bomb would expand to.
const maxDiffSize = 1 << 30

// applyDiff applies the 1.0 .diff.gz at diffPath to tree and returns the
// files it changed, relative to tree, in diff order.
func applyDiff(ctx context.Context, diffPath, tree string) ([]string, error) {
	f, err := os.Open(diffPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := filepath.Base(diffPath)
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	root, err := os.OpenRoot(tree)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	dr := &diffReader{r: bufio.NewReader(&cappedReader{r: zr, left: maxDiffSize, name: name}), name: name}
	var changed []string
	seen := map[string]bool{}
	for {
		if err := ctx.Err(); err != nil {
			return changed, err
		}
		fp, err := dr.next()
		if err == io.EOF {
			return changed, nil
		}
		if err != nil {
			return changed, err
		}
		target, err := patchTarget(root, fp)
		if err == nil {
			err = applyFilePatch(root, target, fp)
		}
		if err != nil {
			return changed, fmt.Errorf("%s:%d: %w", name, fp.line, err)
		}
		if !seen[target] {
			seen[target] = true
			changed = append(changed, target)
		}
	}
}

// cappedReader fails once more than left bytes have been read.
type cappedReader struct {
	r    io.Reader
	left int64
	name string
}

func (c *cappedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.left -= int64(n); c.left < 0 {
		return 0, fmt.Errorf("%s: decompresses to more than %d bytes", c.name, int64(maxDiffSize))
	}
	return n, err
}

// stripFirstComponent is patch -p1 as dpkg-source applies it: the first
// component and the slashes after it go. ok is false for /dev/null and
// for a name with a single component, which -p1 leaves nothing of.
func stripFirstComponent(name string) (string, bool) {
	if name == "/dev/null" {
		return "", false
	}
	_, rest, found := strings.Cut(name, "/")
	rest = strings.TrimLeft(rest, "/")
	return rest, found && rest != ""
}

// patchTarget picks the file a patch changes and checks it is safe to
// write: inside the tree, no ".." anywhere, not through a symlink, and a
// plain file if it exists. When the two headers name different files it
// decides as patch does (Dpkg::Source::Patch::_intuit_file_patched).
func patchTarget(root *os.Root, fp *filePatch) (string, error) {
	if fp.oldName == "/dev/null" && fp.newName == "/dev/null" {
		return "", errors.New("both file names are /dev/null")
	}
	oldRel, oldOK := stripFirstComponent(fp.oldName)
	newRel, newOK := stripFirstComponent(fp.newName)
	for _, c := range []struct {
		name, rel string
		ok        bool
	}{{fp.oldName, oldRel, oldOK}, {fp.newName, newRel, newOK}} {
		if !c.ok {
			continue
		}
		if !safeRelPath(c.rel) {
			return "", fmt.Errorf("%s is not a safe path inside the tree", c.name)
		}
		if strings.HasSuffix(c.rel, ".dpkg-orig") {
			return "", fmt.Errorf("patches %s, whose name ends in .dpkg-orig", c.name)
		}
	}
	var target string
	switch {
	case !oldOK && !newOK:
		return "", fmt.Errorf("neither %s nor %s names a file inside the tree", fp.oldName, fp.newName)
	case !oldOK:
		target = newRel
	case !newOK:
		target = oldRel
	default:
		target = intuitPatchedFile(root, path.Clean(oldRel), path.Clean(newRel))
	}
	target = path.Clean(target)
	if err := checkNoSymlinkOnPath(root, target); err != nil {
		return "", err
	}
	return target, nil
}

func safeRelPath(rel string) bool {
	if rel == "" || strings.HasPrefix(rel, "/") || strings.ContainsRune(rel, 0) {
		return false
	}
	for _, c := range strings.Split(rel, "/") {
		if c == ".." {
			return false
		}
	}
	return filepath.IsLocal(filepath.FromSlash(rel))
}

// intuitPatchedFile chooses between two different names: the one that
// exists, else the one with fewer components, then the shorter base name,
// then the shorter name, then the old one.
func intuitPatchedFile(root *os.Root, oldRel, newRel string) string {
	if oldRel == newRel {
		return newRel
	}
	oldExists, newExists := exists(root, oldRel), exists(root, newRel)
	switch {
	case newExists && !oldExists:
		return newRel
	case oldExists && !newExists:
		return oldRel
	}
	if co, cn := strings.Count(oldRel, "/"), strings.Count(newRel, "/"); co != cn {
		return pick(co < cn, oldRel, newRel)
	}
	if bo, bn := len(path.Base(oldRel)), len(path.Base(newRel)); bo != bn {
		return pick(bo < bn, oldRel, newRel)
	}
	if len(oldRel) != len(newRel) {
		return pick(len(oldRel) < len(newRel), oldRel, newRel)
	}
	return oldRel
}

func pick(first bool, a, b string) string {
	if first {
		return a
	}
	return b
}

func exists(root *os.Root, rel string) bool {
	_, err := root.Lstat(rel)
	return err == nil
}

// checkNoSymlinkOnPath refuses a target that is, or is reached through, a
// symlink, and one that exists but is not a regular file: dpkg-source
// refuses both, since a planted link would redirect the write.
func checkNoSymlinkOnPath(root *os.Root, rel string) error {
	parts := strings.Split(rel, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		fi, err := root.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // created later, below a real directory
		}
		if err != nil {
			return err
		}
		last := i == len(parts)-1
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("patches %s through the symlink %s", rel, p)
		case last && !fi.Mode().IsRegular():
			return fmt.Errorf("patches %s, which is not a plain file", rel)
		case !last && !fi.IsDir():
			return fmt.Errorf("patches %s, but %s is not a directory", rel, p)
		}
	}
	return nil
}

// applyFilePatch applies one file's hunks and writes the result: a new
// file gets mode 0644, an existing one keeps its mode, and a file the
// patch empties with "+++ /dev/null" is removed.
func applyFilePatch(root *os.Root, rel string, fp *filePatch) error {
	var orig []byte
	fi, err := root.Lstat(rel)
	existed := err == nil
	switch {
	case existed:
		if orig, err = root.ReadFile(rel); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	creates := fp.oldName == "/dev/null" || (len(fp.hunks) == 1 && fp.hunks[0].oldCount == 0 && fp.hunks[0].oldStart == 0)
	switch {
	case creates && len(orig) > 0:
		// patch -N skips a creation whose file is already there, and
		// dpkg-source then fails.
		return fmt.Errorf("creates %s, which already exists", rel)
	case !creates && !existed:
		return fmt.Errorf("patches %s, which does not exist", rel)
	}
	out, err := applyHunks(splitKeepNewline(string(orig)), fp.hunks)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	if fp.newName == "/dev/null" {
		if out != "" {
			return fmt.Errorf("removes %s, but the file holds more than the patch removes", rel)
		}
		return root.Remove(rel)
	}
	if dir := path.Dir(rel); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	perm := fs.FileMode(0o644)
	if existed {
		perm = fi.Mode().Perm()
	}
	return root.WriteFile(rel, []byte(out), perm)
}

func splitKeepNewline(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
