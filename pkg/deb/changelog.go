// Package deb reads and edits Debian source packaging: debian/changelog
// today, and the .dsc, quilt series, .install and symbols files the build
// steps need.
//
// The changelog reader follows dpkg-parsechangelog (Dpkg::Changelog::Debian)
// line by line rather than pault.ag/go/debian/changelog, which rejects
// changelogs dpkg accepts (space-padded days, old-format tails) and cannot
// write. Where dpkg only warns, the reader fails when the warning means a
// field dpkg reports would be wrong, and tolerates the rest.
package deb

import (
	"bytes"
	"fmt"
	"time"
)

// ChangelogEntry is one entry of a debian/changelog.
type ChangelogEntry struct {
	Source        string
	Version       string   // as written
	Distribution  string   // the first distribution
	Distributions []string // every distribution, in header order
	// Urgency is the urgency as dpkg reports it: lower case, without any
	// comment after the word ("HIGH (security)" gives "high"); "medium"
	// when the header has none.
	Urgency string
	// Fields holds the header's other key=value pairs under lower-case keys
	// (binary-only, XB-…); FieldOrder lists them in header order so
	// FormatEntry writes them back as they were.
	Fields     map[string]string
	FieldOrder []string
	// Changes are the lines between header and trailer exactly as written
	// (leading spaces kept, no newline), without the blank lines that
	// separate them from the header and the trailer. Blank lines between
	// changes are kept; comment lines dpkg skips are not.
	Changes    []string
	Maintainer string    // "Name <email>"
	Date       time.Time // the trailer date, in the zone it was written in
	DateText   string    // the trailer date exactly as written
	Line       int       // 1-based line of the header
}

// ChangelogError reports where a changelog breaks dpkg's format and what was
// expected there.
type ChangelogError struct {
	File string
	Line int
	Msg  string
}

func (e *ChangelogError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ReadChangelog parses every entry of a debian/changelog. Parsing stops, as
// dpkg's does, at an Emacs "Local variables:" block, a vim modeline or an
// entry in an ancient format; what follows is not returned. name is used in
// errors ("debian/changelog:3: expected ...").
func ReadChangelog(name string, data []byte) ([]ChangelogEntry, error) {
	return parseChangelog(name, data, 0)
}

// ReadTopEntry parses only the first entry, so it neither spends time on nor
// fails because of the history below it.
func ReadTopEntry(name string, data []byte) (ChangelogEntry, error) {
	entries, err := parseChangelog(name, data, 1)
	if err != nil {
		return ChangelogEntry{}, err
	}
	return entries[0], nil
}

// expectation is the parser's state, named like dpkg's for its messages.
type expectation int

const (
	expectFirstHeading expectation = iota
	expectStartChanges
	expectChangesOrTrailer
	expectNextOrEOF
)

const (
	wantHeader  = "expected a `source (version) distribution; urgency=...` header"
	wantTrailer = "expected a ` -- Name <email>  Date` trailer"
	wantChanges = "expected change lines indented by two spaces"
)

var utf8BOM = []byte("\xef\xbb\xbf")

// changelogParser walks a changelog line by line the way
// Dpkg::Changelog::Debian::parse does.
type changelogParser struct {
	file    string
	limit   int // stop after this many entries; 0 reads all
	lineNo  int
	state   expectation
	entries []ChangelogEntry
	cur     ChangelogEntry
	blanks  []string // blank lines seen inside the changes, kept if more changes follow
}

func parseChangelog(name string, data []byte, limit int) ([]ChangelogEntry, error) {
	p := &changelogParser{file: name, limit: limit}
	if bytes.HasPrefix(data, utf8BOM) {
		// dpkg reads the mark as part of the first line and finds no header.
		return nil, p.errorf(1, "%s, found a UTF-8 byte-order mark (dpkg does not accept one)", wantHeader)
	}
	for raw := range bytes.Lines(data) {
		p.lineNo++
		done, err := p.feed(string(trimLineEnd(raw)))
		if err != nil {
			return nil, err
		}
		if done {
			return p.entries, nil
		}
	}
	if err := p.atEOF(); err != nil {
		return nil, err
	}
	return p.entries, nil
}

// trimLineEnd drops "\n" and one "\r" before it: dpkg reads CRLF files
// without complaint because its patterns allow trailing whitespace.
func trimLineEnd(raw []byte) []byte {
	raw = bytes.TrimSuffix(raw, []byte("\n"))
	return bytes.TrimSuffix(raw, []byte("\r"))
}

// feed handles one line and reports whether parsing is complete. The order
// of the cases is dpkg's: a line can match several patterns.
func (p *changelogParser) feed(line string) (done bool, err error) {
	switch {
	case headerRe.MatchString(line):
		return false, p.header(line)
	case modeLineRe.MatchString(line), ancientRe.MatchString(line):
		// Trailing editor settings or old-format history: dpkg keeps them
		// verbatim and parses no further.
		return true, p.stopAt(line)
	case skippedLineRe.MatchString(line):
		return false, nil
	case startsWithNonSpace(line):
		return false, p.errorf(p.lineNo, "%s, found %s", wantHeader, quote(line))
	case trailerRe.MatchString(line):
		return p.trailer(line)
	case len(line) >= 3 && line[:3] == " --":
		return false, p.errorf(p.lineNo, "%s, found %s", wantTrailer, quote(line))
	case changeLineRe.MatchString(line):
		return false, p.change(line)
	case isBlank(line):
		if p.state == expectChangesOrTrailer {
			p.blanks = append(p.blanks, line)
		}
		// Blank lines around headers and trailers are layout; dpkg drops
		// them (and only warns about ones before the first header).
		return false, nil
	default:
		return false, p.errorf(p.lineNo, "%s, found %s", wantChanges, quote(line))
	}
}

func (p *changelogParser) header(line string) error {
	switch p.state {
	case expectStartChanges:
		return p.errorf(p.lineNo, "%s before the next header", wantChanges)
	case expectChangesOrTrailer:
		return p.errorf(p.lineNo, "%s before the next header", wantTrailer)
	}
	e, err := parseHeader(line)
	if err != nil {
		return p.errorf(p.lineNo, "%s", err)
	}
	e.Line = p.lineNo
	p.cur = e
	p.blanks = nil
	p.state = expectStartChanges
	return nil
}

func (p *changelogParser) change(line string) error {
	if p.state != expectStartChanges && p.state != expectChangesOrTrailer {
		return p.errorf(p.lineNo, "%s before change lines, found %s", wantHeader, quote(line))
	}
	p.cur.Changes = append(p.cur.Changes, p.blanks...)
	p.cur.Changes = append(p.cur.Changes, line)
	p.blanks = nil
	p.state = expectChangesOrTrailer
	return nil
}

func (p *changelogParser) trailer(line string) (done bool, err error) {
	switch p.state {
	case expectFirstHeading:
		return false, p.errorf(p.lineNo, "%s before the trailer", wantHeader)
	case expectStartChanges:
		return false, p.errorf(p.lineNo, "%s before the trailer", wantChanges)
	case expectNextOrEOF:
		return false, p.errorf(p.lineNo, "%s, found a second trailer", wantHeader)
	}
	maintainer, dateText, date, err := parseTrailer(line)
	if err != nil {
		return false, p.errorf(p.lineNo, "%s", err)
	}
	p.cur.Maintainer, p.cur.DateText, p.cur.Date = maintainer, dateText, date
	p.entries = append(p.entries, p.cur)
	p.cur = ChangelogEntry{}
	p.blanks = nil
	p.state = expectNextOrEOF
	return p.limit > 0 && len(p.entries) >= p.limit, nil
}

// stopAt ends parsing at trailing content dpkg keeps but does not parse; the
// entry in progress must be complete by then.
func (p *changelogParser) stopAt(line string) error {
	switch p.state {
	case expectFirstHeading:
		return p.errorf(p.lineNo, "%s, found %s", wantHeader, quote(line))
	case expectStartChanges:
		return p.errorf(p.lineNo, "%s before %s", wantChanges, quote(line))
	case expectChangesOrTrailer:
		return p.errorf(p.lineNo, "%s before %s", wantTrailer, quote(line))
	}
	return nil
}

func (p *changelogParser) atEOF() error {
	line := max(p.lineNo, 1)
	switch p.state {
	case expectFirstHeading:
		return p.errorf(line, "%s, found no changelog entry", wantHeader)
	case expectStartChanges:
		return p.errorf(line, "%s and a trailer after the header, found the end of the file", wantChanges)
	case expectChangesOrTrailer:
		return p.errorf(line, "%s", wantTrailer)
	}
	return nil
}

func (p *changelogParser) errorf(line int, format string, args ...any) error {
	return &ChangelogError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// quote shows an offending line in a one-line message, shortened so a
// runaway line does not flood the terminal.
func quote(line string) string {
	const maxRunes = 72
	if r := []rune(line); len(r) > maxRunes {
		line = string(r[:maxRunes]) + "…"
	}
	return fmt.Sprintf("%q", line)
}
