package rpm

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// changelogDate is rpm's %changelog date layout.
const changelogDate = "Mon Jan 02 2006"

// ChangelogEntry is one %changelog entry. Lines are the items without their
// "- " prefix; EVR is written as given.
type ChangelogEntry struct {
	Date   time.Time
	Author string // "Name <email>"
	EVR    string
	Lines  []string
}

// AddChangelog inserts e as the new top entry right after the %changelog
// line, then a blank line, then the previous entries:
//
//	%changelog
//	* Sat Dec 09 2006 Jane Doe <jane@example.com> - 2.2.20-0.bp1
//	- line one
//	- line two
//
//	* Fri Dec 01 2006 … (the previous entries)
//
// A spec without %changelog gets the section appended at its end. The date
// is written in UTC. A spec using %autochangelog gets an *AutoreleaseError.
//
// rpm does not fail a build on a bad entry: it prints "error:" and drops
// or truncates the changelog (bad date, missing name, wrong order). So the
// checks rpm would make are made here, where they can stop the edit.
func (s *Spec) AddChangelog(e ChangelogEntry) error {
	if s.changelog >= 0 {
		for i := s.changelog + 1; i < s.sectionEnd(s.changelog); i++ {
			if usesMacro(s.lines[i].text, "autochangelog") {
				return &AutoreleaseError{File: s.file, Line: i + 1, Macro: "%autochangelog"}
			}
		}
	}
	entry, err := s.formatEntry(e)
	if err != nil {
		return err
	}
	if s.changelog < 0 {
		var add []string
		if last := len(s.lines) - 1; strings.TrimSpace(s.lines[last].text) != "" {
			add = append(add, "")
		}
		add = append(add, "%changelog")
		return s.insertLines(len(s.lines), append(add, entry...))
	}
	if top, date, ok := s.topChangelogDate(s.sectionEnd(s.changelog)); ok && dayOf(e.Date).Before(date) {
		return s.errorf(top, "the new %%changelog entry (%s) is older than the top entry; rpm wants entries newest first",
			e.Date.UTC().Format(changelogDate))
	}
	// Keep the entries apart with one blank line, unless one is there.
	if next := s.changelog + 1; next < len(s.lines) && strings.TrimSpace(s.lines[next].text) != "" {
		entry = append(entry, "")
	}
	return s.insertLines(s.changelog+1, entry)
}

// formatEntry renders e as spec lines. Author and items have '%' doubled:
// rpm expands macros in %changelog, so "%{_libdir}" would otherwise turn
// into a path.
func (s *Spec) formatEntry(e ChangelogEntry) ([]string, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%s: invalid changelog entry: %s", s.file, fmt.Sprintf(format, args...))
	}
	switch {
	case e.Date.IsZero():
		return nil, invalid("no date")
	case strings.TrimSpace(e.Author) == "" || strings.ContainsAny(e.Author, "\r\n"):
		return nil, invalid("author %q must be one non-empty line, \"Name <email>\"", e.Author)
	case e.EVR == "" || strings.ContainsAny(e.EVR, " \t\r\n"):
		return nil, invalid("EVR %q must be one word", e.EVR)
	case len(e.Lines) == 0:
		return nil, invalid("no lines (rpm rejects an entry without a description)")
	}
	out := []string{fmt.Sprintf("* %s %s - %s",
		e.Date.UTC().Format(changelogDate), escapePercent(strings.TrimSpace(e.Author)), e.EVR)}
	for i, l := range e.Lines {
		if strings.TrimSpace(l) == "" || strings.ContainsAny(l, "\r\n") {
			return nil, invalid("line %d (%q) must be one non-empty line", i+1, l)
		}
		out = append(out, "- "+escapePercent(l))
	}
	return out, nil
}

func escapePercent(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// usesMacro reports whether text references the named macro.
func usesMacro(text, name string) bool {
	refs, err := scanMacros(text)
	if err != nil {
		return false
	}
	for _, r := range refs {
		if r.name == name && !r.literal {
			return true
		}
	}
	return false
}

// sectionEnd returns the index of the line after the section starting at i.
func (s *Spec) sectionEnd(i int) int {
	for _, start := range s.sections {
		if start > i {
			return start
		}
	}
	return len(s.lines)
}

// topChangelogDate finds the first entry of the %changelog section and
// parses its date ("* Sat Dec  9 2006 …"). ok is false when there is no
// entry or its date does not parse; rpm will complain about the latter.
func (s *Spec) topChangelogDate(end int) (line int, date time.Time, ok bool) {
	for i := s.changelog + 1; i < end; i++ {
		text := s.lines[i].text
		if !strings.HasPrefix(text, "*") {
			continue
		}
		f := strings.Fields(text[1:])
		if len(f) < 4 {
			return i, time.Time{}, false
		}
		d, err := time.Parse("Jan 2 2006", strings.Join(f[1:4], " "))
		return i, d, err == nil
	}
	return 0, time.Time{}, false
}

// dayOf truncates t to its UTC day, the resolution of changelog dates.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// insertLines inserts texts before line index at and re-parses. A file
// without a final newline keeps lacking one: the new last line gets none.
func (s *Spec) insertLines(at int, texts []string) error {
	lines := make([]specLine, 0, len(s.lines)+len(texts))
	lines = append(lines, s.lines[:at]...)
	for _, t := range texts {
		lines = append(lines, specLine{text: t, eol: s.eol})
	}
	lines = append(lines, s.lines[at:]...)
	if at == len(s.lines) && at > 0 && s.lines[at-1].eol == "" {
		lines[at-1].eol = s.eol
		lines[len(lines)-1].eol = ""
	}
	next, err := ParseSpec(s.file, (&Spec{lines: lines}).Bytes())
	if err != nil {
		var se *SpecError
		if errors.As(err, &se) {
			return fmt.Errorf("%s: adding the changelog entry would break the spec: %s", s.file, se.Msg)
		}
		return err
	}
	*s = *next
	return nil
}
