package archive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Default limits, used for every Limits field left at zero. They are far
// above any source package we build and far below a full disk.
const (
	DefaultMaxMemberSize int64 = 2 << 30
	DefaultMaxTotalSize  int64 = 8 << 30
	DefaultMaxMembers          = 200_000
)

// Limits bound what one archive may write. A zero or negative field means
// its default.
type Limits struct {
	MaxMemberSize int64 // bytes in one member
	MaxTotalSize  int64 // bytes in all members together
	MaxMembers    int   // entries of any type, including directories and links
}

func (l Limits) withDefaults() Limits {
	if l.MaxMemberSize <= 0 {
		l.MaxMemberSize = DefaultMaxMemberSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultMaxTotalSize
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = DefaultMaxMembers
	}
	return l
}

// Options tune an extraction.
type Options struct {
	Limits Limits
	// StripComponents drops that many leading path components from every
	// member, like tar --strip-components; members left with no name are
	// skipped.
	StripComponents int
}

// memberSource yields the members of one container format; it returns
// io.EOF after the last.
type memberSource interface {
	next() (*member, error)
}

// Extract unpacks the archive read from r into dest and returns the
// slash-separated paths, relative to dest, of the members it wrote, in
// archive order. name is used only in error messages. The compression and the
// container (tar, or newc cpio 070701/070702) are detected from the content.
//
// dest is made absolute and created when missing. Extract never writes
// outside dest, even on error; on error it returns what it wrote so far and
// the caller should remove dest (or the partial tree in it).
func Extract(ctx context.Context, r io.Reader, name, dest string, opt Options) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if opt.StripComponents < 0 {
		return nil, fmt.Errorf("%s: negative StripComponents %d", name, opt.StripComponents)
	}
	root, err := openDest(dest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer root.Close()

	stream, _, err := Decompress(&contextReader{ctx: ctx, r: r})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer stream.Close()
	limits := opt.Limits.withDefaults()
	src, err := detectContainer(stream, name, limits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}

	x := newExtractor(ctx, name, root, opt)
	if err := extractAll(ctx, name, src, x); err != nil {
		// Links checked when written can escape once later members land.
		_ = x.dropEscapingLinks()
		return x.written, err
	}
	return x.written, x.finish()
}

// openDest makes dest absolute, creates it when missing, and opens it as the
// root every later file operation is confined to.
func openDest(dest string) (*os.Root, error) {
	dest, err := filepath.Abs(dest)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, err
	}
	return os.OpenRoot(dest)
}

func extractAll(ctx context.Context, name string, src memberSource, x *extractor) error {
	for {
		m, err := src.next()
		if err == io.EOF {
			return nil
		}
		if err == nil {
			err = x.extract(m)
		}
		if err == nil {
			continue
		}
		// Cancellation surfaces from deep inside a reader; report it as such.
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%s: %w", name, cerr)
		}
		if me := (*MemberError)(nil); errors.As(err, &me) {
			return err
		}
		return fmt.Errorf("%s: %w", name, err)
	}
}

// ExtractFile is Extract on the file at path, named in errors by its base
// name.
func ExtractFile(ctx context.Context, path, dest string, opt Options) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Extract(ctx, f, filepath.Base(path), dest, opt)
}

// detectContainer picks tar or cpio by the first bytes of the decompressed
// stream. Anything that is not cpio is handed to the tar reader, since old
// tar headers carry no magic; it reports garbage on the first Next.
func detectContainer(r io.Reader, name string, limits Limits) (memberSource, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(6)
	switch {
	case len(magic) == 0 && err == io.EOF:
		return nil, fmt.Errorf("empty archive")
	case err != nil && err != io.EOF:
		return nil, err
	}
	switch string(magic) {
	case cpioNewcMagic, cpioCRCMagic:
		return newCpioSource(br, name, limits.MaxMembers), nil
	case "070707":
		return nil, fmt.Errorf("%w: old portable (odc) cpio; only newc is supported", ErrUnsupportedArchive)
	}
	return newTarSource(br, name), nil
}

// TopDir returns the single top-level directory that every member of a
// member list (as returned by Extract) is in, or "" when there are several
// top-level entries or none has anything beneath it. It finds the unpacked
// upstream tree, such as "hello-2.12" in hello-2.12.tar.gz.
func TopDir(members []string) string {
	top, nested := "", false
	for _, m := range members {
		first, rest, _ := strings.Cut(strings.TrimPrefix(path.Clean(m), "/"), "/")
		if first == "" || first == "." {
			continue
		}
		if top != "" && first != top {
			return ""
		}
		top = first
		nested = nested || rest != ""
	}
	if !nested {
		return ""
	}
	return top
}
