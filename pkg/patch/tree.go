package patch

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// syscallNotDir is what Lstat returns when a parent of the path is a file.
var syscallNotDir error = syscall.ENOTDIR

// fileState is one path's content before or after a patch.
type fileState struct {
	exists bool
	data   []byte
	mode   fs.FileMode // permission bits
}

func (a fileState) equal(b fileState) bool {
	return a.exists == b.exists && (!a.exists || bytes.Equal(a.data, b.data) && a.mode == b.mode)
}

// readState reads a regular file; anything else present there (a directory,
// a symlink) is an error, since patch would not edit it as a file.
func readState(root, rel string) (fileState, error) {
	p := filepath.Join(root, filepath.FromSlash(rel))
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscallNotDir) {
		return fileState{}, nil
	}
	if err != nil {
		return fileState{}, err
	}
	if !fi.Mode().IsRegular() {
		return fileState{}, fmt.Errorf("%s is not a regular file; backport does not patch %s", rel, fi.Mode().Type())
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return fileState{}, err
	}
	return fileState{exists: true, data: data, mode: fi.Mode().Perm()}, nil
}

// snapshot holds the state of the paths a patch may touch, so that a patch
// that fails half-way leaves the tree exactly as it was.
type snapshot struct {
	root  string
	files map[string]fileState
	dirs  []string // directories that did not exist, deepest first
}

func takeSnapshot(root string, rels []string) (*snapshot, error) {
	s := &snapshot{root: root, files: map[string]fileState{}}
	missingDirs := map[string]bool{}
	for _, rel := range rels {
		if _, done := s.files[rel]; done {
			continue
		}
		st, err := readState(root, rel)
		if err != nil {
			return nil, err
		}
		s.files[rel] = st
		if st.exists {
			continue
		}
		for d := filepath.Dir(filepath.FromSlash(rel)); d != "."; d = filepath.Dir(d) {
			if _, err := os.Lstat(filepath.Join(root, d)); err == nil {
				break
			}
			missingDirs[d] = true
		}
	}
	for d := range missingDirs {
		s.dirs = append(s.dirs, d)
	}
	sort.Slice(s.dirs, func(i, j int) bool { return len(s.dirs[i]) > len(s.dirs[j]) })
	return s, nil
}

// paths returns the snapshot's paths, sorted.
func (s *snapshot) paths() []string {
	out := make([]string, 0, len(s.files))
	for rel := range s.files {
		out = append(out, rel)
	}
	sort.Strings(out)
	return out
}

// restore puts every path back as it was and removes directories the patch
// created.
func (s *snapshot) restore() error {
	for _, rel := range s.paths() {
		if err := writeState(s.root, rel, s.files[rel]); err != nil {
			return err
		}
	}
	for _, d := range s.dirs {
		err := os.Remove(filepath.Join(s.root, d))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restoring the tree: %w", err)
		}
	}
	return nil
}

// writeState makes rel hold st, creating parent directories as needed.
func writeState(root, rel string, st fileState) error {
	p := filepath.Join(root, filepath.FromSlash(rel))
	if !st.exists {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscallNotDir) {
			return fmt.Errorf("restoring the tree: %w", err)
		}
		return nil
	}
	cur, err := readState(root, rel)
	if err == nil && cur.equal(st) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("restoring the tree: %w", err)
	}
	if err := os.WriteFile(p, st.data, st.mode); err != nil {
		return fmt.Errorf("restoring the tree: %w", err)
	}
	return os.Chmod(p, st.mode) // WriteFile keeps the mode of an existing file
}

// scratchCopy copies the snapshot's existing files into a new directory, so
// that patch can be tried for real (rejects, fuzz) without touching the tree.
func (s *snapshot) scratchCopy() (string, error) {
	dir, err := os.MkdirTemp("", "backport-patch-")
	if err != nil {
		return "", err
	}
	for rel, st := range s.files {
		if !st.exists {
			continue
		}
		if err := writeState(dir, rel, st); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

// changed returns the snapshot paths whose state in dir differs from the
// snapshot, sorted, and the state in dir of every snapshot path.
func (s *snapshot) changed(dir string) ([]string, map[string]fileState, error) {
	after := map[string]fileState{}
	var out []string
	for _, rel := range s.paths() {
		before := s.files[rel]
		st, err := readState(dir, rel)
		if err != nil {
			return nil, nil, err
		}
		after[rel] = st
		if !st.equal(before) {
			out = append(out, rel)
		}
	}
	return out, after, nil
}

// undoStrays removes .orig and .rej files that appeared next to the
// patched paths (the snapshot holds those names too): patch is run so that
// it never writes them, and a leftover would end up in the built package.
func (s *snapshot) undoStrays(dir string) ([]string, error) {
	var undone []string
	for _, rel := range s.paths() {
		if !strings.HasSuffix(rel, ".orig") && !strings.HasSuffix(rel, ".rej") {
			continue
		}
		st, err := readState(dir, rel)
		if err != nil {
			return nil, err
		}
		if before := s.files[rel]; !st.equal(before) {
			undone = append(undone, rel)
			if err := writeState(dir, rel, before); err != nil {
				return nil, err
			}
		}
	}
	return undone, nil
}

// isBinary reports content refresh would not diff as text.
func isBinary(data []byte) bool { return bytes.IndexByte(data, 0) >= 0 }
