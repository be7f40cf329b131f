package deb

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// changeWidth is the widest line NewEntry writes; lintian flags changelog
// lines longer than 80 columns.
const changeWidth = 80

// NewEntry builds an entry whose changes are the given items, each written
// as "  * item" and wrapped at 80 columns with a four-space continuation, as
// dch does. dist may name several distributions separated by spaces; an
// empty urgency means "medium".
func NewEntry(source, version, dist, urgency string, items []string, maintainer string, date time.Time) ChangelogEntry {
	e := ChangelogEntry{
		Source:        source,
		Version:       version,
		Distributions: strings.Fields(dist),
		Urgency:       urgency,
		Fields:        map[string]string{},
		Maintainer:    maintainer,
		Date:          date,
		DateText:      formatChangelogDate(date),
	}
	if len(e.Distributions) > 0 {
		e.Distribution = e.Distributions[0]
	}
	if e.Urgency == "" {
		e.Urgency = "medium"
	}
	for _, item := range items {
		e.Changes = append(e.Changes, wrapItem(item)...)
	}
	return e
}

// wrapItem fills an item's words into lines of at most changeWidth runes.
// A word longer than a line (a URL) stays whole rather than being cut.
func wrapItem(item string) []string {
	words := strings.Fields(item)
	if len(words) == 0 {
		return nil
	}
	var lines []string
	line := "  * " + words[0]
	for _, w := range words[1:] {
		if utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > changeWidth {
			lines = append(lines, line)
			line = "    " + w
			continue
		}
		line += " " + w
	}
	return append(lines, line)
}

// FormatEntry renders e in dch's layout:
//
//	hello (2.10-3+bp1) bookworm; urgency=high
//
//	  * line one
//
//	 -- Jane Doe <jane@example.com>  Sat, 09 Dec 2006 10:00:00 +0000
//
// Distributions names the distributions unless Distribution was changed to
// something else, which then stands alone; with neither it is UNRELEASED.
// The urgency comes first, then Fields in FieldOrder, then any other Fields
// sorted by key. DateText is written when it still denotes Date, so a parsed
// entry keeps its date as written; otherwise Date is formatted. Change lines
// missing the two-space indent get it, so the result always parses.
func FormatEntry(e ChangelogEntry) []byte {
	var b bytes.Buffer
	b.WriteString(formatHeader(e))
	b.WriteString("\n\n")
	for _, line := range formatChanges(e.Changes) {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\n -- %s  %s\n", e.Maintainer, trailerDate(e))
	return b.Bytes()
}

func formatHeader(e ChangelogEntry) string {
	dists := e.Distributions
	if e.Distribution != "" && (len(dists) == 0 || dists[0] != e.Distribution) {
		dists = []string{e.Distribution}
	}
	if len(dists) == 0 {
		dists = []string{"UNRELEASED"}
	}
	urgency := e.Urgency
	if urgency == "" {
		urgency = "medium"
	}
	var h strings.Builder
	fmt.Fprintf(&h, "%s (%s) %s; urgency=%s", e.Source, e.Version, strings.Join(dists, " "), urgency)
	for _, key := range fieldKeys(e) {
		fmt.Fprintf(&h, ", %s=%s", key, e.Fields[key])
	}
	return h.String()
}

// fieldKeys orders the keys of e.Fields: FieldOrder first, the rest sorted.
// urgency is left out as the header writes it from e.Urgency.
func fieldKeys(e ChangelogEntry) []string {
	var keys []string
	seen := map[string]bool{"urgency": true}
	for _, k := range e.FieldOrder {
		if _, ok := e.Fields[k]; ok && !seen[k] {
			keys = append(keys, k)
			seen[k] = true
		}
	}
	var rest []string
	for k := range e.Fields {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(keys, rest...)
}

// formatChanges drops the blank lines at either end (FormatEntry writes its
// own), empties whitespace-only lines and indents lines dpkg would not read
// as change lines. An entry without changes gets an empty item, as dch
// writes, because dpkg requires a change line.
func formatChanges(changes []string) []string {
	var lines []string
	for _, c := range changes {
		for _, line := range strings.Split(c, "\n") {
			line = strings.TrimSuffix(line, "\r")
			switch {
			case isBlank(line):
				line = ""
			case !changeLineRe.MatchString(line):
				line = "  " + line
			}
			lines = append(lines, line)
		}
	}
	first := slices.IndexFunc(lines, func(l string) bool { return l != "" })
	if first < 0 {
		return []string{"  *"}
	}
	last := len(lines) - 1
	for lines[last] == "" {
		last--
	}
	return lines[first : last+1]
}

func trailerDate(e ChangelogEntry) string {
	if t, err := parseChangelogDate(e.DateText); err == nil && t.Equal(e.Date) {
		return e.DateText
	}
	return formatChangelogDate(e.Date)
}

// PrependEntry returns data with e as the new top entry, followed by one
// blank line and the old content byte for byte. The new entry uses the
// file's line ending, so a CRLF changelog stays CRLF throughout.
func PrependEntry(data []byte, e ChangelogEntry) []byte {
	entry := FormatEntry(e)
	if len(data) == 0 {
		return entry
	}
	out := make([]byte, 0, len(entry)+2+len(data))
	out = append(out, entry...)
	out = append(out, '\n')
	if usesCRLF(data) {
		out = bytes.ReplaceAll(out, []byte("\n"), []byte("\r\n"))
	}
	return append(out, data...)
}

// usesCRLF reports whether the first line of data ends in CRLF.
func usesCRLF(data []byte) bool {
	i := bytes.IndexByte(data, '\n')
	return i > 0 && data[i-1] == '\r'
}

// Validate reports whether FormatEntry(e) gives an entry that reads back
// with the same values, so a caller can refuse a bad version, urgency or
// maintainer before writing a changelog dpkg would reject.
func (e ChangelogEntry) Validate() error {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("changelog entry %s (%s): %s", e.Source, e.Version, fmt.Sprintf(format, args...))
	}
	got, err := ReadTopEntry("entry", FormatEntry(e))
	if err != nil {
		var ce *ChangelogError
		if errors.As(err, &ce) {
			return invalid("%s", ce.Msg)
		}
		return invalid("%v", err)
	}
	urgency := cmp.Or(e.Urgency, "medium")
	switch {
	case got.Source != e.Source || got.Version != e.Version:
		return invalid("expected the source name and version on one line, without spaces or parentheses")
	case !strings.EqualFold(got.Urgency, urgency):
		return invalid("urgency %q is invalid: expected one word such as low, medium, high, critical or emergency", urgency)
	case got.Maintainer != e.Maintainer:
		return invalid("maintainer %q is invalid: expected \"Name <email>\"", e.Maintainer)
	case !got.Date.Equal(e.Date):
		return invalid("date %s cannot be written in a changelog: expected a year from 1900 to 9999", e.Date)
	}
	return nil
}
