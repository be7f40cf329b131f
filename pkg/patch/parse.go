package patch

import (
	"path"
	"strconv"
	"strings"
)

const devNull = "/dev/null"

// parsedPatch is a patch file cut into its header (the text before the first
// file diff) and one section per file diff. Only what triage needs is read:
// names, git extended headers and hunk extents; GNU patch does the applying.
type parsedPatch struct {
	lines       []string // with their line endings
	preambleEnd int      // index of the first line of the first section
	sections    []section
}

// section is one file's diff: lines [start, end) of the patch.
type section struct {
	start, end int
	git        bool     // starts with "diff --git"
	gitLine    string   // the "diff --git a/x b/y" line, without line ending
	gitOld     string   // names from the diff --git line, as written
	gitNew     string   //
	extended   []string // git extended header lines kept on refresh (modes, renames)
	indexName  string   // from an "Index:" line
	oldName    string   // from "--- ", as written, without timestamp
	newName    string   // from "+++ "
	hunks      int
	context    bool // a context diff (*** / ---), which refresh does not rewrite
	hunkLines  int  // line index of the first hunk, or -1
	renameFrom string
	renameTo   string
}

// parsePatch reads the structure of a patch. It never fails: text it does not
// understand is left to GNU patch, which decides what applies.
func parsePatch(data []byte) *parsedPatch {
	p := &parsedPatch{lines: strings.SplitAfter(string(data), "\n")}
	if n := len(p.lines); n > 0 && p.lines[n-1] == "" {
		p.lines = p.lines[:n-1]
	}
	p.preambleEnd = len(p.lines)
	i := 0
	for i < len(p.lines) {
		if !p.startsSection(i) {
			i++
			continue
		}
		if len(p.sections) == 0 {
			p.preambleEnd = i
		}
		s, next := p.readSection(i)
		p.sections = append(p.sections, s)
		i = next
	}
	return p
}

// line returns line i without its line ending, or "" past the end.
func (p *parsedPatch) line(i int) string {
	if i < 0 || i >= len(p.lines) {
		return ""
	}
	return strings.TrimRight(p.lines[i], "\r\n")
}

// startsSection reports whether a file diff begins at line i.
func (p *parsedPatch) startsSection(i int) bool {
	l := p.line(i)
	switch {
	case strings.HasPrefix(l, "diff "), strings.HasPrefix(l, "Index: "):
		return true
	case strings.HasPrefix(l, "--- ") && strings.HasPrefix(p.line(i+1), "+++ "):
		return true
	case strings.HasPrefix(l, "*** ") && strings.HasPrefix(p.line(i+1), "--- "):
		return true
	}
	return false
}

// readSection reads the section starting at line i and returns it with the
// index of the line after it.
func (p *parsedPatch) readSection(i int) (section, int) {
	s := section{start: i, hunkLines: -1}
	// Header lines: at most one "diff"/"Index:" line, then extended
	// headers, then the ---/+++ pair.
	for i < len(p.lines) {
		l := p.line(i)
		switch {
		case strings.HasPrefix(l, "diff --git ") && i == s.start:
			s.git, s.gitLine = true, l
			s.gitOld, s.gitNew = splitGitNames(strings.TrimPrefix(l, "diff --git "))
		case (strings.HasPrefix(l, "diff ") || strings.HasPrefix(l, "Index: ")) && i == s.start:
			if strings.HasPrefix(l, "Index: ") {
				s.indexName = strings.TrimSpace(strings.TrimPrefix(l, "Index: "))
			}
		case strings.HasPrefix(l, "Index: ") && !s.git && s.indexName == "" && i == s.start+1:
			s.indexName = strings.TrimSpace(strings.TrimPrefix(l, "Index: "))
		case strings.HasPrefix(l, "====") && !s.git:
		case s.git && isGitExtended(l):
			if !strings.HasPrefix(l, "index ") {
				s.extended = append(s.extended, l)
			}
			if v, ok := strings.CutPrefix(l, "rename from "); ok {
				s.renameFrom = unquoteName(v)
			}
			if v, ok := strings.CutPrefix(l, "rename to "); ok {
				s.renameTo = unquoteName(v)
			}
			if v, ok := strings.CutPrefix(l, "copy from "); ok {
				s.renameFrom = unquoteName(v)
			}
			if v, ok := strings.CutPrefix(l, "copy to "); ok {
				s.renameTo = unquoteName(v)
			}
		case strings.HasPrefix(l, "--- ") && strings.HasPrefix(p.line(i+1), "+++ "):
			s.oldName = headerName(strings.TrimPrefix(l, "--- "))
			s.newName = headerName(strings.TrimPrefix(p.line(i+1), "+++ "))
			s.end = p.readHunks(&s, i+2)
			return s, s.end
		case strings.HasPrefix(l, "*** ") && strings.HasPrefix(p.line(i+1), "--- "):
			s.context = true
			s.oldName = headerName(strings.TrimPrefix(l, "*** "))
			s.newName = headerName(strings.TrimPrefix(p.line(i+1), "--- "))
			s.end = p.skipContextHunks(i + 2)
			return s, s.end
		default:
			// A git section without ---/+++ (a pure rename, a mode
			// change, a binary diff) ends here.
			s.end = i
			if s.end == s.start {
				s.end = i + 1
			}
			return s, s.end
		}
		i++
	}
	s.end = i
	return s, i
}

// isGitExtended reports git's extended header lines (git diff docs).
func isGitExtended(l string) bool {
	for _, prefix := range []string{"old mode ", "new mode ", "deleted file mode ", "new file mode ",
		"copy from ", "copy to ", "rename from ", "rename to ", "similarity index ",
		"dissimilarity index ", "index ", "Binary files ", "GIT binary patch"} {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// readHunks consumes unified hunks from line i, counting their lines by the
// ranges in each "@@" line so that a removed line starting "-- " is never
// mistaken for the next file's header. It returns the end of the section.
func (p *parsedPatch) readHunks(s *section, i int) int {
	for i < len(p.lines) {
		oldN, newN, ok := parseHunkHeader(p.line(i))
		if !ok {
			return i
		}
		if s.hunkLines < 0 {
			s.hunkLines = i
		}
		s.hunks++
		i++
		for i < len(p.lines) && (oldN > 0 || newN > 0) {
			l := p.lines[i]
			switch {
			case strings.HasPrefix(l, "\\"):
			case strings.HasPrefix(l, "-"):
				oldN--
			case strings.HasPrefix(l, "+"):
				newN--
			case strings.HasPrefix(l, " "), l == "\n", l == "\r\n":
				// An empty line is a context line whose space was
				// eaten by an editor or a mailer; GNU patch accepts it.
				oldN--
				newN--
			default:
				return i
			}
			i++
		}
		for i < len(p.lines) && strings.HasPrefix(p.lines[i], "\\") {
			i++
		}
	}
	return i
}

// skipContextHunks skips a context diff's hunks up to the next section.
func (p *parsedPatch) skipContextHunks(i int) int {
	for i < len(p.lines) && !p.startsSection(i) {
		i++
	}
	return i
}

// parseHunkHeader reads "@@ -a,b +c,d @@" and returns the old and new line
// counts (a missing count is 1).
func parseHunkHeader(l string) (oldN, newN int, ok bool) {
	rest, found := strings.CutPrefix(l, "@@ -")
	if !found {
		return 0, 0, false
	}
	oldR, rest, found := strings.Cut(rest, " +")
	if !found {
		return 0, 0, false
	}
	newR, _, found := strings.Cut(rest, " @@")
	if !found {
		return 0, 0, false
	}
	oldN, ok1 := rangeCount(oldR)
	newN, ok2 := rangeCount(newR)
	return oldN, newN, ok1 && ok2
}

func rangeCount(r string) (int, bool) {
	start, count, found := strings.Cut(r, ",")
	if _, err := strconv.Atoi(start); err != nil {
		return 0, false
	}
	if !found {
		return 1, true
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 0 || n > 1<<24 {
		return 0, false
	}
	return n, true
}

// headerName returns the file name of a ---/+++ line: up to the tab that
// starts a timestamp, or a git-quoted name.
func headerName(v string) string {
	if strings.HasPrefix(v, `"`) {
		if end := closingQuote(v); end > 0 {
			return unquoteName(v[:end+1])
		}
	}
	if name, _, found := strings.Cut(v, "\t"); found {
		return name
	}
	return strings.TrimRight(v, " ")
}

// closingQuote returns the index of the quote ending a C-quoted string.
func closingQuote(v string) int {
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// unquoteName undoes git's C-style quoting of unusual names.
func unquoteName(v string) string {
	if strings.HasPrefix(v, `"`) {
		if u, err := strconv.Unquote(v); err == nil {
			return u
		}
	}
	return v
}

// splitGitNames splits "a/x b/x" from a diff --git line. Names with spaces
// are ambiguous there; the ---/+++ or rename lines carry them instead.
func splitGitNames(v string) (string, string) {
	if strings.HasPrefix(v, `"`) {
		if end := closingQuote(v); end > 0 {
			return unquoteName(v[:end+1]), unquoteName(strings.TrimSpace(v[end+1:]))
		}
	}
	if i := strings.Index(v, " b/"); i >= 0 {
		return v[:i], v[i+1:]
	}
	old, nw, _ := strings.Cut(v, " ")
	return old, nw
}

// stripName removes strip leading path components the way GNU patch's -p
// does; a negative strip (no -p given) keeps the base name. It returns ""
// for names patch would not use or that would leave the tree.
func stripName(name string, strip int) string {
	if name == "" || name == devNull {
		return ""
	}
	if strip < 0 {
		name = path.Base(name)
	} else {
		for range strip {
			i := strings.IndexByte(name, '/')
			if i < 0 {
				return ""
			}
			name = strings.TrimLeft(name[i+1:], "/")
		}
	}
	return safeRel(name)
}

// safeRel cleans a relative path and refuses absolute ones and ones that
// climb out of the tree (GNU patch ignores such names too).
func safeRel(name string) string {
	if name == "" || strings.HasPrefix(name, "/") {
		return ""
	}
	c := path.Clean(name)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return ""
	}
	return c
}

// candidates returns every tree path the section may touch at a strip level.
func (s *section) candidates(strip int) []string {
	var out []string
	for _, n := range []string{s.oldName, s.newName, s.indexName, s.gitOld, s.gitNew} {
		if r := stripName(n, strip); r != "" {
			out = append(out, r)
		}
	}
	// git's rename/copy lines carry names without the a/ b/ prefixes.
	for _, n := range []string{s.renameFrom, s.renameTo} {
		if r := safeRel(n); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// text returns the section as written.
func (p *parsedPatch) text(s section) string {
	return strings.Join(p.lines[s.start:s.end], "")
}

// preamble returns the header text before the first file diff.
func (p *parsedPatch) preamble() string {
	return strings.Join(p.lines[:p.preambleEnd], "")
}

// sectionAtLine returns the section holding the 1-based input line n.
func (p *parsedPatch) sectionAtLine(n int) (section, bool) {
	for _, s := range p.sections {
		if n-1 >= s.start && n-1 < s.end {
			return s, true
		}
	}
	return section{}, false
}
