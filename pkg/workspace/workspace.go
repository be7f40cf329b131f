// Package workspace manages .backport/work/<name>-<version>-<target>/: the
// verified sources, the unpacked tree, one log per build attempt and a
// state file. A workspace is locked while a command uses it, so two
// backports never interleave writes in one tree.
package workspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"
)

// DefaultRoot is where workspaces live, relative to the current directory.
const DefaultRoot = ".backport/work"

// Workspace is one locked workspace directory.
type Workspace struct {
	Dir  string
	lock *flock.Flock
}

// Key names a workspace.
type Key struct{ Name, Version, Target string }

func (k Key) String() string { return k.Name + "-" + k.Version + "-" + k.Target }

// Open creates the workspace for k under root if needed and locks it. A
// workspace already locked by another process is an error naming the
// holder, not a wait: builds take minutes.
func Open(root string, k Key) (*Workspace, error) {
	for _, part := range []string{k.Name, k.Version, k.Target} {
		if part == "" || strings.ContainsAny(part, `/\`) || part == "." || part == ".." {
			return nil, fmt.Errorf("workspace name part %q: expected a non-empty name without slashes", part)
		}
	}
	dir, err := filepath.Abs(filepath.Join(root, k.String()))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lockPath := filepath.Join(dir, ".lock")
	l := flock.New(lockPath)
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("%s: locking: %w", dir, err)
	}
	if !ok {
		holder, _ := os.ReadFile(lockPath + ".pid")
		msg := fmt.Sprintf("workspace %s is in use by another backport", dir)
		if pid := strings.TrimSpace(string(holder)); pid != "" {
			msg += " (pid " + pid + ")"
		}
		return nil, errors.New(msg)
	}
	// The pid is for the message above only; the flock is what excludes.
	_ = os.WriteFile(lockPath+".pid", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	return &Workspace{Dir: dir, lock: l}, nil
}

// Close releases the lock.
func (w *Workspace) Close() error {
	_ = os.Remove(filepath.Join(w.Dir, ".lock.pid"))
	return w.lock.Unlock()
}

// Sources is the directory of verified downloads.
func (w *Workspace) Sources() string { return filepath.Join(w.Dir, "sources") }

// Tree is the directory the sources are unpacked into.
func (w *Workspace) Tree() string { return filepath.Join(w.Dir, "tree") }

// Logs is the directory of per-attempt logs.
func (w *Workspace) Logs() string { return filepath.Join(w.Dir, "logs") }

// LogPath is the log file of build attempt n (1-based).
func (w *Workspace) LogPath(n int) string {
	return filepath.Join(w.Logs(), fmt.Sprintf("attempt-%02d.log", n))
}

// Reset empties subdirectory sub (e.g. the tree before a fresh unpack),
// refusing anything that is not a direct child of the workspace.
func (w *Workspace) Reset(sub string) error {
	if sub == "" || strings.ContainsAny(sub, `/\`) || strings.HasPrefix(sub, ".") {
		return fmt.Errorf("workspace: refusing to reset %q", sub)
	}
	p := filepath.Join(w.Dir, sub)
	if err := os.RemoveAll(p); err != nil {
		return err
	}
	return os.MkdirAll(p, 0o755)
}

// SaveState writes v as the workspace's state file, atomically.
func (w *Workspace) SaveState(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return renameio.WriteFile(filepath.Join(w.Dir, name+".json"), append(data, '\n'), 0o644)
}

// RemoveState deletes a state file, so that a step that fails part way
// leaves no record claiming its earlier result.
func (w *Workspace) RemoveState(name string) error {
	err := os.Remove(filepath.Join(w.Dir, name+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// LoadState reads a state file into v; ok is false when there is none.
func (w *Workspace) LoadState(name string, v any) (ok bool, err error) {
	p := filepath.Join(w.Dir, name+".json")
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("%s: %w (remove it to start over)", p, err)
	}
	return true, nil
}
