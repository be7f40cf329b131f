package deb

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"pault.ag/go/debian/version"
)

// The patterns are Dpkg::Changelog::Entry::Debian's and
// Dpkg::Changelog::Debian's, translated to RE2. Perl's \s on bytes also
// matches a vertical tab, which Go's \s does not, hence the explicit classes.
const (
	ws    = `[\t\n\v\f\r ]`
	nonWS = `[^\t\n\v\f\r ]`

	// datePattern is the trailer date: an optional week day, then the
	// day, month, year, time and a numeric zone, with runs of blanks.
	datePattern = `(?:\w+,` + ws + `*)?\d{1,2}` + ws + `+\w+` + ws + `+\d{4}` + ws +
		`+\d{1,2}:\d\d:\d\d` + ws + `+[-+]\d{4}`
)

var (
	headerRe = regexp.MustCompile(`(?i)^(\w[-+0-9a-z.]*) \(([^() \t]+)\)((?:` + ws +
		`+[-+0-9a-z.]+)+);(.*?)` + ws + `*$`)
	trailerRe    = regexp.MustCompile(`^ -- (.*) <(.*)>(  ?)(` + datePattern + `)` + ws + `*$`)
	dateFieldsRe = regexp.MustCompile(`^(?:(\w+),` + ws + `*)?(\d{1,2})` + ws + `+(\w+)` + ws +
		`+(\d{4})` + ws + `+(\d{1,2}):(\d\d):(\d\d)` + ws + `+([-+])(\d\d)(\d\d)$`)
	changeLineRe = regexp.MustCompile(`^` + ws + `{2,}` + nonWS)

	// modeLineRe matches editor settings at the end of a changelog.
	modeLineRe = regexp.MustCompile(`(?i)^(?:(?:;;` + ws + `*)?Local variables:|vim:)`)
	// skippedLineRe matches RCS keywords and comments, which dpkg skips
	// wherever they appear.
	skippedLineRe = regexp.MustCompile(`^(?:\$\w+:.*\$|# |/\*.*\*/)`)
	// ancientRe matches the first line of history written in an older
	// changelog format; dpkg stops parsing there.
	ancientRe = regexp.MustCompile(`(?i)^(?:` +
		// GNU style with an expanded date, time and zone
		`\w+` + ws + `+\w+` + ws + `+\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}` + ws + `+[\w\t\n\v\f\r ]*\d{4}` +
		ws + `+.*` + ws + `+[<(].*[)>]` +
		// GNU style with an expanded date
		`|\w+` + ws + `+\w+` + ws + `+\d{1,2},?` + ws + `*\d{4}` + ws + `+.*` + ws + `+[<(].*[)>]` +
		// a header without distribution and key=value options
		`|\w[-+0-9a-z.]* \([^() \t]+\);?` +
		// "hello 1.3 Debian 3"
		`|[\w.+-]+[- ]` + nonWS + `+ Debian ` + nonWS + `+` +
		`|Changes from version .* to .*:` +
		`|Changes for [\w.+-]+-[\w.+-]+:?` + ws + `*$` +
		`|Old Changelog:` + ws + `*$` +
		`|(?:\d+:)?\w[\w.+~-]*:?` + ws + `*$` +
		`)`)

	optionSepRe  = regexp.MustCompile(ws + `*,` + ws + `*`)
	optionRe     = regexp.MustCompile(`(?i)^([-0-9a-z]+)=` + ws + `*(.*` + nonWS + `)$`)
	urgencyRe    = regexp.MustCompile(`(?i)^([-0-9a-z]+)(?:` + ws + `+.*)?$`)
	sourceNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
)

func startsWithNonSpace(line string) bool {
	return line != "" && !strings.ContainsRune("\t\n\v\f\r ", rune(line[0]))
}

func isBlank(line string) bool {
	return strings.Trim(line, "\t\n\v\f\r ") == ""
}

// parseHeader reads "source (version) dist1 dist2; key=value, key=value".
func parseHeader(line string) (ChangelogEntry, error) {
	m := headerRe.FindStringSubmatch(line)
	if m == nil {
		return ChangelogEntry{}, fmt.Errorf("%s, found %s", wantHeader, quote(line))
	}
	e := ChangelogEntry{Source: m[1], Version: m[2], Urgency: "medium", Fields: map[string]string{}}
	if !sourceNameRe.MatchString(e.Source) {
		// dpkg-parsechangelog lets this pass, but dpkg-source refuses to
		// build such a package, so say so now.
		return e, fmt.Errorf("source name %q is invalid: expected lower-case letters, digits and + . - (at least two characters, starting with a letter or digit)", e.Source)
	}
	if err := checkVersion(e.Version); err != nil {
		return e, fmt.Errorf("version %q is invalid: %v", e.Version, err)
	}
	e.Distributions = strings.Fields(m[3])
	e.Distribution = e.Distributions[0]
	if err := e.parseOptions(m[4]); err != nil {
		return e, err
	}
	return e, nil
}

// parseOptions reads the key=value list after the semicolon. Keys dpkg does
// not know are kept (it only warns about them); malformed or repeated pairs
// and bad urgency or binary-only values are errors, as dpkg's output would
// be wrong for them.
func (e *ChangelogEntry) parseOptions(text string) error {
	text = strings.TrimLeft(text, "\t\n\v\f\r ")
	if text == "" {
		return nil
	}
	parts := optionSepRe.Split(text, -1)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1] // Perl's split drops trailing empty fields
	}
	seen := map[string]bool{}
	for _, part := range parts {
		m := optionRe.FindStringSubmatch(part)
		if m == nil {
			return fmt.Errorf("expected key=value after ';', found %s", quote(part))
		}
		key, value := strings.ToLower(m[1]), m[2]
		if seen[key] {
			return fmt.Errorf("key %q is given twice; expected each key once", key)
		}
		seen[key] = true
		switch key {
		case "urgency":
			u := urgencyRe.FindStringSubmatch(value)
			if u == nil {
				return fmt.Errorf("urgency %q is invalid: expected a word such as low, medium, high, critical or emergency", value)
			}
			e.Urgency = strings.ToLower(u[1])
			continue
		case "binary-only":
			if value != "yes" {
				return fmt.Errorf("binary-only=%s is invalid: expected binary-only=yes", value)
			}
		}
		e.Fields[key] = value
		e.FieldOrder = append(e.FieldOrder, key)
	}
	return nil
}

// checkVersion applies the checks dpkg-parsechangelog makes
// (Dpkg::Version::version_check), worded like dpkg's messages, then those
// of dpkg's C parser that pault.ag/go/debian/version and a range check add,
// so a version that passes can also be installed.
func checkVersion(v string) error {
	if v == "" {
		return errors.New("version number cannot be empty")
	}
	for _, r := range v {
		if !isVersionChar(r) {
			return fmt.Errorf("version number contains illegal character %q", r)
		}
	}
	epoch, rest, hasEpoch := strings.Cut(v, ":")
	if !hasEpoch {
		epoch, rest = "", v
	}
	if hasEpoch && epoch == "" {
		return errors.New("epoch part of the version number cannot be empty")
	}
	if strings.Trim(epoch, "0123456789") != "" {
		return fmt.Errorf("epoch part of the version number is not a number: %q", epoch)
	}
	upstream := rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		if i == len(rest)-1 {
			return errors.New("revision cannot be empty")
		}
		upstream = rest[:i]
	}
	if upstream == "" {
		return errors.New("upstream version cannot be empty")
	}
	if upstream[0] < '0' || upstream[0] > '9' {
		return errors.New("version number does not start with digit")
	}
	if hasEpoch {
		if n, err := strconv.ParseUint(epoch, 10, 64); err != nil || n > math.MaxInt32 {
			return errors.New("epoch in version is too big")
		}
	}
	if _, err := version.Parse(v); err != nil {
		return err
	}
	return nil
}

func isVersionChar(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("-+:.~", r)
}

// parseTrailer reads " -- Name <email>  Date".
func parseTrailer(line string) (maintainer, dateText string, date time.Time, err error) {
	m := trailerRe.FindStringSubmatch(line)
	if m == nil {
		return "", "", time.Time{}, fmt.Errorf("%s, found %s", wantTrailer, quote(line))
	}
	if m[3] != "  " {
		return "", "", time.Time{}, errors.New("expected two spaces between the maintainer's <email> and the date")
	}
	date, err = parseChangelogDate(m[4])
	if err != nil {
		return "", "", time.Time{}, err
	}
	return m[1] + " <" + m[2] + ">", m[4], date, nil
}

var monthAbbrev = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March, "apr": time.April,
	"may": time.May, "jun": time.June, "jul": time.July, "aug": time.August,
	"sep": time.September, "oct": time.October, "nov": time.November, "dec": time.December,
}

// parseChangelogDate reads a trailer date the way dpkg does (Time::Piece's
// strptime "%d %b %Y %T %z"). The week day is ignored, as dpkg ignores it;
// day 0 and 29-31 roll over into the neighbouring month; the zone is any
// four digits, +HHMM.
func parseChangelogDate(text string) (time.Time, error) {
	m := dateFieldsRe.FindStringSubmatch(text)
	if m == nil {
		return time.Time{}, fmt.Errorf("date %s is invalid: expected RFC 2822, like \"Sat, 09 Dec 2006 10:00:00 +0000\"", quote(text))
	}
	month, ok := monthAbbrev[strings.ToLower(m[3])]
	if !ok {
		return time.Time{}, fmt.Errorf("date %s is invalid: expected a three-letter month name (Jan, Feb, ... Dec), found %q", quote(text), m[3])
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v } // the pattern admits digits only
	day, year, hour, minute, second := n(m[2]), n(m[4]), n(m[5]), n(m[6]), n(m[7])
	switch {
	case day > 31:
		return time.Time{}, fmt.Errorf("date %s is invalid: expected a day of the month up to 31", quote(text))
	case year < 1900:
		return time.Time{}, fmt.Errorf("date %s is invalid: expected a year from 1900", quote(text))
	case hour > 23 || minute > 59 || second > 59:
		return time.Time{}, fmt.Errorf("date %s is invalid: expected a time from 00:00:00 to 23:59:59", quote(text))
	}
	offset := n(m[9])*3600 + n(m[10])*60
	if m[8] == "-" {
		offset = -offset
	}
	return time.Date(year, month, day, hour, minute, second, 0, time.FixedZone("", offset)), nil
}

// formatChangelogDate writes t like `date -R`. A zone that the four-digit
// form cannot express exactly is written as UTC instead.
func formatChangelogDate(t time.Time) string {
	if _, offset := t.Zone(); offset%60 != 0 || offset <= -100*3600 || offset >= 100*3600 {
		t = t.UTC()
	}
	return t.Format("Mon, 02 Jan 2006 15:04:05 -0700")
}
