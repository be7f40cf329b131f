package rpm

import (
	"bytes"
	"fmt"
	"strings"
)

// Spec is an RPM spec file held as its original lines, with an index of the
// parts the editor reads and changes. Every edit rewrites a few lines and
// re-parses the result, so the index never goes stale.
type Spec struct {
	file  string
	lines []specLine
	eol   string // line ending for lines the editor inserts

	// tags maps a lower-case tag name (name, version, release, epoch) to
	// its occurrences in the main package's preamble, in file order.
	tags map[string][]tagLine
	// defs are the macro bindings (%global, %define, %undefine, tag
	// macros such as %{version}) by the names they answer to, each list
	// in file order.
	defs map[string][]*macroDef
	// sections are the line indexes of section starts (%package,
	// %description, %prep, …, %changelog).
	sections  []int
	changelog int // line index of the %changelog line, or -1
}

// specLine is one physical line. text excludes the line ending, which is
// kept apart so that CRLF files stay CRLF and a missing final newline stays
// missing.
type specLine struct {
	text string
	eol  string // "\n", "\r\n", or "" for a last line without one
	path condPath
}

// SpecError is a problem with a spec's content. Line is 1-based, or 0 when
// the problem is not on one line (a missing tag, an empty file).
type SpecError struct {
	File string
	Line int
	Msg  string
}

func (e *SpecError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// AutoreleaseError reports that the spec leaves its release or changelog to
// rpmautospec. Those values are computed from git history at build time, so
// editing the spec cannot set them; the caller has to commit to git instead
// or replace the macro deliberately.
type AutoreleaseError struct {
	File  string
	Line  int    // 1-based line of the Release: tag or the %autochangelog line
	Macro string // "%autorelease" or "%autochangelog"
}

func (e *AutoreleaseError) Error() string {
	what := "the release cannot be set in the spec"
	if e.Macro == "%autochangelog" {
		what = "a changelog entry cannot be added to the spec"
	}
	return fmt.Sprintf("%s:%d: the spec uses %s, which rpmautospec computes from git history, so %s",
		e.File, e.Line, e.Macro, what)
}

// ParseSpec reads a spec. name is used in error messages ("httpd.spec:12: …").
// It fails on input rpm itself would refuse in ways that matter to the
// editor: empty or binary data, unbalanced %if/%endif, a second %changelog,
// or a Name/Version/Release/Epoch tag given twice in the main package.
func ParseSpec(name string, data []byte) (*Spec, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &SpecError{File: name, Msg: "empty file, expected an RPM spec"}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line := 1 + bytes.Count(data[:i], []byte("\n"))
		return nil, &SpecError{File: name, Line: line, Msg: "binary data (a NUL byte), expected an RPM spec"}
	}
	s := &Spec{file: name, lines: splitLines(data), changelog: -1}
	s.eol = dominantEOL(s.lines)
	if err := s.scan(); err != nil {
		return nil, err
	}
	return s, nil
}

// Bytes returns the spec's current content.
func (s *Spec) Bytes() []byte {
	var b bytes.Buffer
	for _, l := range s.lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return b.Bytes()
}

func splitLines(data []byte) []specLine {
	var lines []specLine
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			lines = append(lines, specLine{text: string(data)})
			break
		}
		text, eol := data[:i], "\n"
		if len(text) > 0 && text[len(text)-1] == '\r' {
			text, eol = text[:len(text)-1], "\r\n"
		}
		lines = append(lines, specLine{text: string(text), eol: eol})
		data = data[i+1:]
	}
	return lines
}

// dominantEOL picks the ending for inserted lines: whatever most existing
// lines use, so a CRLF spec gets CRLF entries.
func dominantEOL(lines []specLine) string {
	crlf, lf := 0, 0
	for _, l := range lines {
		switch l.eol {
		case "\r\n":
			crlf++
		case "\n":
			lf++
		}
	}
	if crlf > lf {
		return "\r\n"
	}
	return "\n"
}

// errorf builds a SpecError for the 0-based line index i.
func (s *Spec) errorf(i int, format string, args ...any) *SpecError {
	return &SpecError{File: s.file, Line: i + 1, Msg: fmt.Sprintf(format, args...)}
}

// joinLineNumbers renders 0-based indexes as "7 and 9" or "7, 9 and 12".
func joinLineNumbers(idx []int) string {
	parts := make([]string, len(idx))
	for i, n := range idx {
		parts[i] = fmt.Sprint(n + 1)
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
