package diff

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Trees returns the unified diff from directory oldDir to newDir, file by
// file in path order, as `diff -ruN` would print it with a/ and b/ labels:
// what `patch -p1` applies to a copy of oldDir to get newDir. A file only
// on one side is diffed against /dev/null; a binary file that changed is
// named in a "Binary files … differ" line. Either directory may be ""
// (absent: everything is added or removed). skip, when not nil, leaves out
// the files and directories it returns true for (slash-separated paths
// relative to the roots).
func Trees(oldDir, newDir string, skip func(rel string) bool) (string, error) {
	oldFiles, err := listFiles(oldDir, skip)
	if err != nil {
		return "", err
	}
	newFiles, err := listFiles(newDir, skip)
	if err != nil {
		return "", err
	}
	paths := make([]string, 0, len(oldFiles)+len(newFiles))
	for p := range oldFiles {
		paths = append(paths, p)
	}
	for p := range newFiles {
		if _, ok := oldFiles[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var sb strings.Builder
	for _, p := range paths {
		a, inOld := oldFiles[p]
		b, inNew := newFiles[p]
		if inOld && inNew && bytes.Equal(a, b) {
			continue
		}
		from, to := "a/"+p, "b/"+p
		if !inOld {
			from = "/dev/null"
		}
		if !inNew {
			to = "/dev/null"
		}
		if isBinary(a) || isBinary(b) {
			fmt.Fprintf(&sb, "Binary files %s and %s differ\n", from, to)
			continue
		}
		sb.WriteString(Unified(from, to, string(a), string(b)))
	}
	return sb.String(), nil
}

// listFiles reads every regular file under root (symlinks as their target
// text, so that a changed link shows), keyed by slash-separated path.
func listFiles(root string, skip func(string) bool) (map[string][]byte, error) {
	files := map[string][]byte{}
	if root == "" {
		return files, nil
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[rel] = data
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			files[rel] = []byte("symlink to " + target + "\n")
		}
		return nil
	})
	return files, err
}

// isBinary is diff's rule: a NUL byte in the first few KB.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}
