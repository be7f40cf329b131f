package deb

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// A 1.0 source package carries the distro's changes as one unified diff
// (.diff.gz). dpkg-source checks it (Dpkg::Source::Patch::analyze) and
// hands it to `patch -p1 -F0 -N -t`. We read and apply it ourselves, with
// the same checks and the same rules for where a hunk may land, so build
// hosts need neither dpkg nor patch and no hunk is ever applied with fuzz.

// diffLine is one line of a hunk: op is ' ', '-' or '+'; text is the line
// as it is in the file, with its newline unless "\ No newline at end of
// file" followed it.
type diffLine struct {
	op   byte
	text string
}

// diffHunk is one "@@ -a,b +c,d @@" section.
type diffHunk struct {
	oldStart, oldCount int
	newCount           int
	lines              []diffLine
	line               int // of the @@ header in the diff
}

// filePatch is the ---/+++ header pair for one file and its hunks.
type filePatch struct {
	oldName, newName string // as written, without timestamps
	hunks            []diffHunk
	line             int // of the --- header
}

var hunkHeaderRe = regexp.MustCompile(`^@@ -([0-9]+)(?:,([0-9]+))? \+([0-9]+)(?:,([0-9]+))? @@(?: .*)?$`)

// diffReader reads a unified diff one file patch at a time, so a large
// diff is never held whole.
type diffReader struct {
	r      *bufio.Reader
	name   string // of the diff, for errors
	lineNo int
	held   *string // a line read ahead and given back
}

func (dr *diffReader) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", dr.name, line, fmt.Sprintf(format, args...))
}

// readLine returns the next line with its line ending; ok is false at the
// end of the diff.
func (dr *diffReader) readLine() (line string, ok bool, err error) {
	if dr.held != nil {
		line, dr.held = *dr.held, nil
		dr.lineNo++
		return line, true, nil
	}
	line, err = dr.r.ReadString('\n')
	if err == io.EOF {
		if line == "" {
			return "", false, nil
		}
		err = nil
	}
	if err != nil {
		return "", false, err
	}
	dr.lineNo++
	return line, true, nil
}

func (dr *diffReader) unreadLine(line string) {
	dr.held = &line
	dr.lineNo--
}

// chomp drops the line ending, as dpkg's analysis does.
func chomp(line string) string {
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
}

// next returns the next file patch, or io.EOF after the last. Text before
// a --- header (a patch description) is skipped, as patch does.
func (dr *diffReader) next() (*filePatch, error) {
	var line string
	for {
		l, ok, err := dr.readLine()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, io.EOF
		}
		if strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "+++ ") || strings.HasPrefix(l, "@@ -") {
			line = chomp(l)
			break
		}
	}
	fp := &filePatch{line: dr.lineNo}
	rest, ok := strings.CutPrefix(line, "--- ")
	if !ok {
		return nil, dr.errorf(dr.lineNo, "expected a \"--- \" file header, found %q", truncate(line, 60))
	}
	var err error
	if fp.oldName, err = dr.headerName(rest); err != nil {
		return nil, err
	}
	l, ok, err := dr.readLine()
	if err != nil {
		return nil, err
	}
	rest, plus := strings.CutPrefix(chomp(l), "+++ ")
	if !ok || !plus {
		return nil, dr.errorf(dr.lineNo, "expected a \"+++ \" line after the \"--- \" line")
	}
	if fp.newName, err = dr.headerName(rest); err != nil {
		return nil, err
	}
	for {
		l, ok, err := dr.readLine()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if !strings.HasPrefix(l, "@@ ") {
			dr.unreadLine(l)
			break
		}
		h, err := dr.hunk(chomp(l))
		if err != nil {
			return nil, err
		}
		fp.hunks = append(fp.hunks, h)
	}
	if len(fp.hunks) == 0 {
		return nil, dr.errorf(dr.lineNo+1, "expected a \"@@\" hunk header after the file header on line %d", fp.line)
	}
	return fp, nil
}

// headerName takes the file name from a ---/+++ header: up to a tab, else
// up to the first space (the timestamp follows), as dpkg-source reads it.
func (dr *diffReader) headerName(rest string) (string, error) {
	rest = strings.TrimLeft(rest, " \t")
	if strings.HasPrefix(rest, `"`) {
		return "", dr.errorf(dr.lineNo, "C-style quoted file names are not supported: %s", truncate(rest, 60))
	}
	if i := strings.IndexByte(rest, '\t'); i >= 0 {
		rest = rest[:i]
	} else if i := strings.IndexAny(rest, " \v\f"); i >= 0 {
		rest = rest[:i]
	}
	if rest == "" {
		return "", dr.errorf(dr.lineNo, "file header without a file name")
	}
	return rest, nil
}

// hunk reads the body of the hunk whose header is header.
func (dr *diffReader) hunk(header string) (diffHunk, error) {
	h := diffHunk{line: dr.lineNo}
	m := hunkHeaderRe.FindStringSubmatch(header)
	if m == nil {
		return h, dr.errorf(dr.lineNo, "malformed hunk header %q", truncate(header, 60))
	}
	var err error
	h.oldStart, h.oldCount, err = hunkRange(m[1], m[2])
	if err == nil {
		_, h.newCount, err = hunkRange(m[3], m[4])
	}
	if err != nil {
		return h, dr.errorf(dr.lineNo, "hunk header %q: %v", header, err)
	}
	oldLeft, newLeft := h.oldCount, h.newCount
	for oldLeft > 0 || newLeft > 0 {
		l, ok, err := dr.readLine()
		if err != nil {
			return h, err
		}
		if !ok {
			return h, dr.errorf(dr.lineNo, "diff ends inside the hunk that starts on line %d", h.line)
		}
		if strings.HasPrefix(l, `\ `) {
			if err := dr.noNewline(&h); err != nil {
				return h, err
			}
			continue
		}
		op := l[0]
		text := l[1:]
		if chomp(l) == "" {
			// An empty line is context whose leading space was lost, as
			// both patch and dpkg-source accept.
			op, text = ' ', l
		}
		switch op {
		case ' ':
			oldLeft--
			newLeft--
		case '-':
			oldLeft--
		case '+':
			newLeft--
		default:
			return h, dr.errorf(dr.lineNo, "expected a line starting with ' ', '-' or '+' in the hunk that starts on line %d", h.line)
		}
		if oldLeft < 0 || newLeft < 0 {
			return h, dr.errorf(dr.lineNo, "the hunk that starts on line %d has more lines than its header says", h.line)
		}
		h.lines = append(h.lines, diffLine{op: op, text: text})
	}
	// "\ No newline at end of file" may follow the last line of the hunk.
	for {
		l, ok, err := dr.readLine()
		if err != nil || !ok {
			return h, err
		}
		if !strings.HasPrefix(l, `\ `) {
			dr.unreadLine(l)
			return h, nil
		}
		if err := dr.noNewline(&h); err != nil {
			return h, err
		}
	}
}

// noNewline applies a "\ No newline at end of file" marker to the line
// before it.
func (dr *diffReader) noNewline(h *diffHunk) error {
	if len(h.lines) == 0 {
		return dr.errorf(dr.lineNo, "\"\\ No newline at end of file\" before any line of the hunk")
	}
	last := &h.lines[len(h.lines)-1]
	last.text = strings.TrimSuffix(last.text, "\n")
	return nil
}

// hunkRange parses "start[,count]"; a missing count means 1.
func hunkRange(start, count string) (int, int, error) {
	s, err := strconv.Atoi(start)
	if err != nil {
		return 0, 0, errors.New("line number out of range")
	}
	n := 1
	if count != "" {
		if n, err = strconv.Atoi(count); err != nil {
			return 0, 0, errors.New("line count out of range")
		}
	}
	return s, n, nil
}
