package deb

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/renameio/v2"
)

// Series is a quilt series file (debian/patches/series) held as its lines,
// so that dropping a patch leaves comments, blank lines and every other
// line byte for byte as they were.
type Series struct {
	file  string
	lines []seriesLine
}

type seriesLine struct {
	text  string // without the line ending
	eol   string // "\n", "\r\n" or "" for a last line without one
	entry *SeriesEntry
}

// SeriesEntry is one patch of a series.
type SeriesEntry struct {
	Name  string // relative to debian/patches
	Strip int    // the -p level: 1 unless the line says -p0, -p2…
	Line  int    // 1-based line in the series file
}

// SeriesError is a series line backport cannot honour.
type SeriesError struct {
	File string
	Line int
	Msg  string
}

func (e *SeriesError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ReadSeries reads a series file. A missing file is an error satisfying
// errors.Is(err, fs.ErrNotExist): a package without patches has none.
func ReadSeries(path string) (*Series, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSeries(path, data)
}

// ParseSeries reads a series the way dpkg-source and quilt do: blank lines
// and "#" comments (at the start or after a blank) are ignored, the first
// word names the patch, and the only options are quilt's -pN and -pab.
// Options quilt knows but backport would apply differently (-R), unknown
// options, names leaving debian/patches and repeated names are errors.
func ParseSeries(name string, data []byte) (*Series, error) {
	s := &Series{file: name}
	seen := map[string]int{}
	for n, raw := range splitKeepEOL(data) {
		text, eol := raw, ""
		if strings.HasSuffix(text, "\n") {
			text, eol = text[:len(text)-1], "\n"
			if strings.HasSuffix(text, "\r") {
				text, eol = text[:len(text)-1], "\r\n"
			}
		}
		l := seriesLine{text: text, eol: eol}
		fields := strings.Fields(stripSeriesComment(text))
		if len(fields) > 0 {
			e, err := parseSeriesEntry(fields, n+1)
			if err != nil {
				return nil, &SeriesError{File: name, Line: n + 1, Msg: err.Error()}
			}
			if first, dup := seen[e.Name]; dup {
				return nil, &SeriesError{File: name, Line: n + 1, Msg: fmt.Sprintf("%s is listed twice (first at line %d)", e.Name, first)}
			}
			seen[e.Name] = n + 1
			l.entry = e
		}
		s.lines = append(s.lines, l)
	}
	return s, nil
}

func splitKeepEOL(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// stripSeriesComment drops a comment: "#" at the start of the line or
// after a blank, as dpkg-source's (?:^|\s+)#.*$.
func stripSeriesComment(text string) string {
	for i := 0; i < len(text); i++ {
		if text[i] == '#' && (i == 0 || text[i-1] == ' ' || text[i-1] == '\t') {
			return text[:i]
		}
	}
	return text
}

func parseSeriesEntry(fields []string, line int) (*SeriesEntry, error) {
	name := fields[0]
	if clean := path.Clean(name); strings.HasPrefix(name, "/") || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(name, "/../") {
		return nil, fmt.Errorf("patch name %q leaves debian/patches", name)
	}
	e := &SeriesEntry{Name: name, Strip: 1, Line: line}
	opts := fields[1:]
	for i := 0; i < len(opts); i++ {
		o := opts[i]
		switch {
		case o == "-pab":
			e.Strip = 1 // quilt's a/ b/ prefixes: the same as -p1
		case o == "-p" && i+1 < len(opts):
			n, err := strconv.Atoi(opts[i+1])
			if err != nil || n < 0 || n > 64 {
				return nil, fmt.Errorf("bad strip level %q for %s", opts[i+1], name)
			}
			e.Strip = n
			i++
		case strings.HasPrefix(o, "-p"):
			n, err := strconv.Atoi(o[2:])
			if err != nil || n < 0 || n > 64 {
				return nil, fmt.Errorf("bad strip level %q for %s", o, name)
			}
			e.Strip = n
		default:
			return nil, fmt.Errorf("unsupported option %q for %s (backport applies patches with -pN only)", o, name)
		}
	}
	return e, nil
}

// Entries returns the patches in order.
func (s *Series) Entries() []SeriesEntry {
	var out []SeriesEntry
	for _, l := range s.lines {
		if l.entry != nil {
			out = append(out, *l.entry)
		}
	}
	return out
}

// Drop removes a patch's line, with any comment on it. Every other line
// stays byte for byte; the remaining entries' Line numbers follow.
func (s *Series) Drop(name string) error {
	for i, l := range s.lines {
		if l.entry == nil || l.entry.Name != name {
			continue
		}
		s.lines = append(s.lines[:i:i], s.lines[i+1:]...)
		for j := range s.lines {
			if s.lines[j].entry != nil {
				s.lines[j].entry.Line = j + 1
			}
		}
		return nil
	}
	return fmt.Errorf("%s: no patch %s in the series", s.file, name)
}

// Bytes returns the series file's content.
func (s *Series) Bytes() []byte {
	var b bytes.Buffer
	for _, l := range s.lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return b.Bytes()
}

// Write replaces the file at path with the series, atomically.
func (s *Series) Write(path string) error {
	perm := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		perm = fi.Mode().Perm()
	}
	return renameio.WriteFile(path, s.Bytes(), perm)
}

// SeriesPath returns the series file dpkg-source reads for a vendor
// ("debian", "ubuntu"): debian/patches/<vendor>.series when it exists, else
// debian/patches/series.
func SeriesPath(tree, vendor string) string {
	dir := filepath.Join(tree, "debian", "patches")
	if vendor != "" {
		p := filepath.Join(dir, strings.ToLower(vendor)+".series")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return filepath.Join(dir, "series")
}

// MarkApplied records in the tree's quilt state (.pc, format 2, as quilt
// and dpkg-source write it) that the named patches are applied, in order.
// dpkg-source --before-build then applies nothing itself: backport applies
// and accounts for the series, because dpkg-source, when the next patch does
// not apply, silently assumes the tree is already patched. An existing .pc
// is replaced: its backups describe patches as they were before triage.
func MarkApplied(tree string, names []string) error {
	pc := filepath.Join(tree, ".pc")
	if err := os.RemoveAll(pc); err != nil {
		return fmt.Errorf("resetting the quilt state: %w", err)
	}
	if err := os.Mkdir(pc, 0o755); err != nil {
		return fmt.Errorf("writing the quilt state: %w", err)
	}
	var applied strings.Builder
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, "\n\r") {
			return errors.New("writing the quilt state: a patch name is empty or has a newline")
		}
		applied.WriteString(n + "\n")
	}
	files := []struct{ name, data string }{
		{".version", "2\n"},
		{".quilt_patches", "debian/patches\n"},
		{".quilt_series", "series\n"},
		{"applied-patches", applied.String()},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(pc, f.name), []byte(f.data), 0o644); err != nil {
			return fmt.Errorf("writing the quilt state: %w", err)
		}
	}
	return nil
}
