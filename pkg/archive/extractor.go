package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"
)

// memberKind is what a member asks to create, whatever the container.
type memberKind int

const (
	kindFile memberKind = iota
	kindDir
	kindSymlink
	kindHardLink
	kindSpecial // device, fifo or socket: always refused
	kindSkip    // metadata such as a pax global header: nothing to write
)

// member is one entry of a tar or cpio archive, normalised so that one
// extractor enforces the rules for both containers.
type member struct {
	name     string // as stored in the archive
	kind     memberKind
	linkname string      // symlink target, or hard link target as an archive name
	perm     fs.FileMode // permission bits only; special bits are never carried
	size     int64
	mtime    time.Time // zero when unknown
	body     io.Reader // file content for kindFile
}

// dirTime is a directory mtime to restore once its children are written,
// since writing them changes it.
type dirTime struct {
	rel   string
	mtime time.Time
}

// extractor writes members under root, enforcing limits and path rules.
type extractor struct {
	ctx     context.Context
	archive string
	root    *os.Root
	limits  Limits
	strip   int

	count     int
	total     int64
	written   []string
	seen      map[string]bool
	dirs      map[string]bool   // directories known to be real, for fewer Lstat calls
	symlinks  map[string]string // rel -> member name, for the final re-check
	linkOrder []string          // symlinks in creation order: finish stays deterministic
	dirTimes  []dirTime
}

func newExtractor(ctx context.Context, archive string, root *os.Root, opt Options) *extractor {
	return &extractor{
		ctx:      ctx,
		archive:  archive,
		root:     root,
		limits:   opt.Limits.withDefaults(),
		strip:    opt.StripComponents,
		seen:     map[string]bool{},
		dirs:     map[string]bool{},
		symlinks: map[string]string{},
	}
}

func (x *extractor) fail(m *member, err error) error {
	return &MemberError{Archive: x.archive, Member: m.name, Err: err}
}

// extract writes one member, or returns a *MemberError saying why not.
func (x *extractor) extract(m *member) error {
	if err := x.ctx.Err(); err != nil {
		return err // reported with the archive name by extractAll
	}
	if x.count++; x.count > x.limits.MaxMembers {
		return x.fail(m, fmt.Errorf("%w (%d)", ErrTooManyMembers, x.limits.MaxMembers))
	}
	if m.kind == kindSkip {
		return nil
	}
	rel, err := cleanName(m.name)
	if err != nil {
		return x.fail(m, err)
	}
	switch {
	case m.kind == kindSpecial:
		return x.fail(m, ErrSpecialFile)
	case m.size < 0 || m.size > x.limits.MaxMemberSize:
		return x.fail(m, fmt.Errorf("%w (%d > %d bytes)", ErrMemberTooLarge, m.size, x.limits.MaxMemberSize))
	}
	if x.total += m.size; x.total > x.limits.MaxTotalSize {
		return x.fail(m, fmt.Errorf("%w (%d bytes)", ErrTotalTooLarge, x.limits.MaxTotalSize))
	}
	rel, ok := stripComponents(rel, x.strip)
	if !ok {
		return nil // the destination itself, or stripped away entirely
	}
	if err := x.ensureParents(rel, true); err != nil {
		return x.fail(m, err)
	}
	switch m.kind {
	case kindDir:
		err = x.writeDir(rel, m)
	case kindFile:
		err = x.writeFile(rel, m)
	case kindSymlink:
		err = x.writeSymlink(rel, m)
	case kindHardLink:
		err = x.writeHardLink(rel, m)
	default:
		err = ErrUnsupportedMember
	}
	if err != nil {
		return x.fail(m, err)
	}
	if !x.seen[rel] {
		x.seen[rel] = true
		x.written = append(x.written, rel)
	}
	return nil
}

// ensureParents checks that every parent of rel is a real directory,
// creating missing ones when create is set. A parent that is a symlink is
// refused even when it points inside: following it would let one member
// decide where a later one lands.
func (x *extractor) ensureParents(rel string, create bool) error {
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		p := strings.Join(parts[:i], "/")
		if x.dirs[p] {
			continue
		}
		fi, err := x.root.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist) && create:
			if err := x.root.Mkdir(p, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%w (%s)", ErrThroughSymlink, p)
		case !fi.IsDir():
			return fmt.Errorf("parent %s is not a directory", p)
		}
		x.dirs[p] = true
	}
	return nil
}

// clearTarget makes room for a new member at rel: later members win, so an
// existing file or link is removed, never opened or followed. A directory is
// kept when the new member is one too, and otherwise removed only if empty.
func (x *extractor) clearTarget(rel string, kind memberKind) error {
	fi, err := x.root.Lstat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() && kind == kindDir {
		return nil
	}
	delete(x.dirs, rel)
	delete(x.symlinks, rel)
	if err := x.root.Remove(rel); err != nil {
		return fmt.Errorf("cannot replace the existing %s: %w", typeName(fi.Mode()), err)
	}
	return nil
}

func typeName(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "directory"
	case mode&fs.ModeSymlink != 0:
		return "symlink"
	case mode.IsRegular():
		return "file"
	}
	return "special file"
}

func (x *extractor) writeDir(rel string, m *member) error {
	if err := x.clearTarget(rel, kindDir); err != nil {
		return err
	}
	if err := x.root.Mkdir(rel, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	// Owner rwx stays so the rest of the archive, the build and the cleanup
	// can use the directory even if the archive says 0 or 0555.
	if err := x.root.Chmod(rel, m.perm|0o700); err != nil {
		return err
	}
	x.dirs[rel] = true
	if !m.mtime.IsZero() {
		x.dirTimes = append(x.dirTimes, dirTime{rel, m.mtime})
	}
	return nil
}

func (x *extractor) writeFile(rel string, m *member) error {
	if err := x.clearTarget(rel, kindFile); err != nil {
		return err
	}
	// O_EXCL after clearTarget: if anything reappeared at rel (a symlink
	// above all) the open fails instead of writing through it.
	f, err := x.root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, &contextReader{ctx: x.ctx, r: io.LimitReader(m.body, x.limits.MaxMemberSize+1)})
	if err == nil && n > x.limits.MaxMemberSize {
		err = ErrMemberTooLarge // the container lied about the size
	}
	if err == nil {
		err = f.Chmod(m.perm) // on the descriptor: exact bits, no umask, no path lookup
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return x.setMtime(rel, m.mtime)
}

func (x *extractor) writeSymlink(rel string, m *member) error {
	inside, err := symlinkStaysInside(x.root, rel, m.linkname)
	if err != nil {
		return err
	}
	if !inside {
		return fmt.Errorf("%w (-> %s)", ErrLinkEscapes, m.linkname)
	}
	if err := x.clearTarget(rel, kindSymlink); err != nil {
		return err
	}
	if err := x.root.Symlink(m.linkname, rel); err != nil {
		return err
	}
	if _, ok := x.symlinks[rel]; !ok {
		x.linkOrder = append(x.linkOrder, rel)
	}
	x.symlinks[rel] = m.name
	return nil
}

func (x *extractor) writeHardLink(rel string, m *member) error {
	target, err := cleanName(m.linkname)
	if errors.Is(err, ErrPathEscapes) {
		return fmt.Errorf("%w (=> %s)", ErrLinkEscapes, m.linkname)
	}
	if err != nil {
		return err
	}
	target, ok := stripComponents(target, x.strip)
	if !ok {
		return fmt.Errorf("%w (=> %s is stripped away)", ErrBadHardLinkTarget, m.linkname)
	}
	if err := x.ensureParents(target, false); err != nil {
		if errors.Is(err, ErrThroughSymlink) {
			return err
		}
		return fmt.Errorf("%w (=> %s)", ErrBadHardLinkTarget, m.linkname)
	}
	fi, err := x.root.Lstat(target)
	if err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("%w (=> %s)", ErrBadHardLinkTarget, m.linkname)
	}
	if target == rel {
		return nil // a link to itself: the file is already there
	}
	if err := x.clearTarget(rel, kindHardLink); err != nil {
		return err
	}
	if err := x.root.Link(target, rel); err == nil {
		return nil
	}
	return x.copyFile(target, rel, fi)
}

// copyFile stands in for a hard link the file system refuses (EMLINK, or a
// file system without links); the copy counts towards the total size.
func (x *extractor) copyFile(from, to string, fi fs.FileInfo) error {
	if x.total += fi.Size(); x.total > x.limits.MaxTotalSize {
		return fmt.Errorf("%w (%d bytes)", ErrTotalTooLarge, x.limits.MaxTotalSize)
	}
	src, err := x.root.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	return x.writeFile(to, &member{perm: fi.Mode().Perm(), size: fi.Size(), mtime: fi.ModTime(), body: src})
}

func (x *extractor) setMtime(rel string, mtime time.Time) error {
	if mtime.IsZero() {
		return nil
	}
	// A zero atime leaves the access time alone.
	return x.root.Chtimes(rel, time.Time{}, mtime)
}

// finish re-checks the symlinks against the final tree and restores
// directory mtimes, deepest first.
func (x *extractor) finish() error {
	if err := x.dropEscapingLinks(); err != nil {
		return err
	}
	sort.SliceStable(x.dirTimes, func(i, j int) bool {
		return strings.Count(x.dirTimes[i].rel, "/") > strings.Count(x.dirTimes[j].rel, "/")
	})
	for _, d := range x.dirTimes {
		if fi, err := x.root.Lstat(d.rel); err != nil || !fi.IsDir() {
			continue
		}
		if err := x.setMtime(d.rel, d.mtime); err != nil {
			return fmt.Errorf("%s: %s: %w", x.archive, d.rel, err)
		}
	}
	return nil
}

// dropEscapingLinks re-checks every symlink written, because a later member
// can change what an earlier link resolves to ("b -> a/.." written before
// "a -> ."). It removes each one that now escapes, so that not even a failed
// extraction leaves a way out behind, and reports the first.
func (x *extractor) dropEscapingLinks() error {
	var first error
	for _, rel := range x.linkOrder {
		name, ok := x.symlinks[rel]
		if !ok {
			continue // replaced by a later member
		}
		target, err := x.root.Readlink(rel)
		if err == nil {
			var inside bool
			inside, err = symlinkStaysInside(x.root, rel, target)
			if err == nil && !inside {
				err = fmt.Errorf("%w (-> %s)", ErrLinkEscapes, target)
			}
		}
		if err == nil {
			continue
		}
		_ = x.root.Remove(rel)
		delete(x.symlinks, rel)
		if first == nil {
			first = &MemberError{Archive: x.archive, Member: name, Err: err}
		}
	}
	return first
}

// contextReader stops a long copy when the context is cancelled.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
