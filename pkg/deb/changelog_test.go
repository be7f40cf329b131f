package deb

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const fixtureDir = "../../testdata/changelogs"

// fixtures returns the changelog fixtures by base name.
func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.changelog"))
	if err != nil || len(paths) < 12 {
		t.Fatalf("want at least 12 fixtures in %s, got %d (%v)", fixtureDir, len(paths), err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".changelog")] = data
	}
	return out
}

func TestReadChangelogFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture   string
		entries   int
		version   string
		dists     []string
		urgency   string
		dateText  string
		lastLine  int // header line of the last entry read
		firstBody string
	}{
		{"single", 1, "1.4.2-1", []string{"unstable"}, "medium", "Tue, 04 Mar 2025 09:15:00 +0000", 1, "  * Initial release. (Closes: #100001)"},
		{"multiple", 5, "0.9.3-2", []string{"unstable"}, "high", "Fri, 14 Jun 2024 18:02:11 +0200", 27, "  * Fix heap overflow in frob_parse() (CVE-2024-99001). Closes: #100002"},
		{"padded-day", 4, "2.2-3", []string{"unstable"}, "low", "Sat,  9 Dec 2006 17:00:14 +0100", 19, "  * Space-padded day of the month in the trailer, as date(1) once wrote."},
		{"multi-dist", 3, "2.4.62-1~deb12u2", []string{"bookworm-security", "bookworm"}, "high", "Thu, 18 Jul 2024 11:00:00 +0000", 13, "  * Security update for CVE-2024-40725 and CVE-2024-40898."},
		{"extra-fields", 3, "1.2.13.dfsg-1+b1", []string{"unstable"}, "low", "Sun, 12 May 2024 04:12:33 +0000", 14, "  * Binary-only non-maintainer upload for amd64; no source changes."},
		{"epoch", 4, "1:3.4.2-1~deb12u1", []string{"bookworm"}, "medium", "Wed, 08 May 2024 14:20:00 +0000", 19, "  * Rebuild for bookworm, keeping the epoch."},
		{"native", 3, "2024.11", []string{"unstable"}, "medium", "Mon, 18 Nov 2024 12:00:00 +0000", 14, "  * Add the 2025 signing key."},
		{"ubuntu", 3, "2.10-3ubuntu0.1", []string{"jammy-security"}, "medium", "Tue, 21 May 2024 09:30:00 -0400", 15, "  * SECURITY UPDATE: buffer overflow in greeting formatter"},
		{"trailing-blank", 1, "0.3-1", []string{"unstable"}, "low", "Thu, 02 Feb 2023 02:02:02 +0000", 1, "  * Entry followed by trailing blank lines, one of them only spaces."},
		{"local-variables", 2, "4.1-2", []string{"unstable"}, "medium", "Fri, 01 Mar 2024 10:00:00 +0000", 8, "  * The file ends in an Emacs local-variables block; an entry after it is"},
		{"vim-modeline", 1, "5.0-1", []string{"unstable"}, "medium", "Fri, 01 Mar 2024 10:00:00 +0000", 1, "  * The file ends in a vim modeline."},
		{"crlf", 2, "1.0-2", []string{"unstable"}, "medium", "Sat, 09 Dec 2006 10:00:00 +0000", 7, "  * This changelog was saved with CRLF line endings."},
		{"long-lines", 1, "3.0-1", []string{"unstable"}, "medium", "Wed, 15 Jan 2025 13:14:15 +0000", 1, ""},
		{"utf8-maintainer", 3, "1.0-3", []string{"unstable"}, "medium", "Sun, 12 Jan 2025 08:00:00 +0100", 14, "  * Übersetzung ins Deutsche aktualisiert."},
		{"old-format", 2, "1.5-2", []string{"unstable"}, "low", "Mon, 02 Sep 2002 10:00:00 +0200", 8, "  * The history below predates the current changelog format; dpkg stops"},
		{"comments-and-zones", 4, "3.2-1", []string{"unstable"}, "medium", "Wed, 01 May 2024 18:30:00 +0530", 25, "  * Eastern zone with half-hour offset."},
		{"hello-2.10-3", 37, "2.10-3", []string{"unstable"}, "medium", "Mon, 26 Dec 2022 16:30:00 +0100", 345, "  * Add some autopkgtests. Closes: #871622."},
	}
	all := fixtures(t)
	if len(all) != len(tests) {
		t.Errorf("%d fixtures on disk, %d in this table: keep them in step", len(all), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			data, ok := all[tt.fixture]
			if !ok {
				t.Fatalf("fixture %s.changelog is missing", tt.fixture)
			}
			entries, err := ReadChangelog(tt.fixture, data)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != tt.entries {
				t.Fatalf("read %d entries, want %d", len(entries), tt.entries)
			}
			top := entries[0]
			if top.Version != tt.version || !slices.Equal(top.Distributions, tt.dists) ||
				top.Distribution != tt.dists[0] || top.Urgency != tt.urgency || top.DateText != tt.dateText {
				t.Errorf("top entry = %s %v/%s %s %q, want %s %v %s %q",
					top.Version, top.Distributions, top.Distribution, top.Urgency, top.DateText,
					tt.version, tt.dists, tt.urgency, tt.dateText)
			}
			if top.Line != 1 && tt.fixture != "comments-and-zones" {
				t.Errorf("top entry at line %d, want 1", top.Line)
			}
			if got := entries[len(entries)-1].Line; got != tt.lastLine {
				t.Errorf("last entry at line %d, want %d", got, tt.lastLine)
			}
			if tt.firstBody != "" && top.Changes[0] != tt.firstBody {
				t.Errorf("first change line = %q, want %q", top.Changes[0], tt.firstBody)
			}
			first, err := ReadTopEntry(tt.fixture, data)
			if err != nil {
				t.Fatalf("ReadTopEntry: %v", err)
			}
			if !entriesEqual(first, top) {
				t.Errorf("ReadTopEntry = %+v\nReadChangelog[0] = %+v", first, top)
			}
		})
	}
}

func entriesEqual(a, b ChangelogEntry) bool {
	return a.Source == b.Source && a.Version == b.Version && a.Distribution == b.Distribution &&
		slices.Equal(a.Distributions, b.Distributions) && a.Urgency == b.Urgency &&
		slices.Equal(a.FieldOrder, b.FieldOrder) && slices.Equal(a.Changes, b.Changes) &&
		a.Maintainer == b.Maintainer && a.Date.Equal(b.Date) && a.DateText == b.DateText && a.Line == b.Line
}

func TestReadChangelogDetails(t *testing.T) {
	t.Parallel()
	all := fixtures(t)

	padded, err := ReadTopEntry("padded-day", all["padded-day"])
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2006, 12, 9, 16, 0, 14, 0, time.UTC); !padded.Date.Equal(want) {
		t.Errorf("padded day: Date = %v, want %v", padded.Date, want)
	}

	extra, err := ReadChangelog("extra-fields", all["extra-fields"])
	if err != nil {
		t.Fatal(err)
	}
	if extra[0].Fields["binary-only"] != "yes" || !slices.Equal(extra[0].FieldOrder, []string{"binary-only"}) {
		t.Errorf("binary-only entry: Fields = %v, order %v", extra[0].Fields, extra[0].FieldOrder)
	}
	if extra[1].Urgency != "high" {
		t.Errorf("urgency=HIGH (comment) read as %q, want high", extra[1].Urgency)
	}
	if extra[2].Fields["xs-testsuite-triggers"] != "pkg-a" {
		t.Errorf("XS- field: Fields = %v", extra[2].Fields)
	}

	utf8, err := ReadChangelog("utf8-maintainer", all["utf8-maintainer"])
	if err != nil {
		t.Fatal(err)
	}
	if got := utf8[2].Maintainer; got != "渡辺 健 <watanabe@example.jp>" {
		t.Errorf("UTF-8 maintainer = %q", got)
	}

	multi, err := ReadChangelog("multiple", all["multiple"])
	if err != nil {
		t.Fatal(err)
	}
	wantBody := []string{
		"  * New upstream release.",
		"  * Drop 02-cve-2023-1111.patch, applied upstream.",
		"",
		"  * Bump Standards-Version to 4.6.2, no changes needed.",
	}
	if !slices.Equal(multi[1].Changes, wantBody) {
		t.Errorf("body with an inner blank line = %q, want %q", multi[1].Changes, wantBody)
	}

	comments, err := ReadTopEntry("comments-and-zones", all["comments-and-zones"])
	if err != nil {
		t.Fatal(err)
	}
	if comments.Line != 3 || len(comments.Changes) != 3 {
		t.Errorf("comments skipped wrongly: line %d, changes %q", comments.Line, comments.Changes)
	}
}

// acceptedCases are changelogs dpkg-parsechangelog reads without a warning
// (changelog_dpkg_test.go checks that and compares every field) but that a
// stricter reader would refuse.
var acceptedCases = []struct {
	name, data string
}{
	{"padded day", entry("hello (1.0-1) unstable; urgency=low", "Sat,  9 Dec 2006 10:00:00 +0000")},
	{"no week day", entry("hello (1.0-1) unstable; urgency=low", "9 Dec 2006 10:00:00 +0000")},
	{"no space after comma", entry("hello (1.0-1) unstable; urgency=low", "Sat,9 Dec 2006 10:00:00 +0000")},
	{"wrong week day", entry("hello (1.0-1) unstable; urgency=low", "Fri, 09 Dec 2006 10:00:00 +0000")},
	{"day zero", entry("hello (1.0-1) unstable; urgency=low", "Sat, 00 Dec 2006 10:00:00 +0000")},
	{"31 February", entry("hello (1.0-1) unstable; urgency=low", "Sat, 31 Feb 2006 10:00:00 +0000")},
	{"odd zone", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +9999")},
	{"lower-case month", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 dec 2006 10:00:00 +0000")},
	{"one-digit hour", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 9:00:00 +0000")},
	{"runs of blanks in date", entry("hello (1.0-1) unstable; urgency=low", "Sat,  09 \tDec  2006  10:00:00  +0000 \t")},
	{"trailing blanks on header", entry("hello (1.0-1) unstable; urgency=low  \t", "Sat, 09 Dec 2006 10:00:00 +0000")},
	{"upper-case distribution", entry("hello (1.0-1) UNRELEASED; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000")},
	{"capitalised urgency", entry("hello (1.0-1) unstable; Urgency=Critical", "Sat, 09 Dec 2006 10:00:00 +0000")},
	{"trailing comma in options", entry("hello (1.0-1) unstable; urgency=low,", "Sat, 09 Dec 2006 10:00:00 +0000")},
	{"XB field", entry("hello (1.0-1) unstable; urgency=low, XB-Foo=bar baz", "Sat, 09 Dec 2006 10:00:00 +0000")},
	{"source with + and .", entry("libx11-xcb1.0+git (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000")},
	{"colon in upstream", entry("hello (1:2.0:3-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000")},
	{"hyphen in upstream", entry("hello (2.0-beta-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000")},
	{"empty maintainer name", "hello (1.0-1) unstable; urgency=low\n\n  * x\n\n --  <j@example.com>  Sat, 09 Dec 2006 10:00:00 +0000\n"},
	{"angle brackets in name", "hello (1.0-1) unstable; urgency=low\n\n  * x\n\n -- J <x> Doe <j@example.com>  Sat, 09 Dec 2006 10:00:00 +0000\n"},
	{"no blank lines", "hello (1.0-2) unstable; urgency=low\n  * x\n -- J <j@example.com>  Sat, 09 Dec 2006 10:00:00 +0000\nhello (1.0-1) unstable; urgency=low\n  * y\n -- J <j@example.com>  Fri, 08 Dec 2006 10:00:00 +0000\n"},
	{"tab-indented change", "hello (1.0-1) unstable; urgency=low\n\n \t* x\n\t\t  y\n\n -- J <j@example.com>  Sat, 09 Dec 2006 10:00:00 +0000\n"},
	{"no final newline", strings.TrimSuffix(entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), "\n")},
	{"CRLF", strings.ReplaceAll(entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), "\n", "\r\n")},
	{"Latin-1 bytes", "hello (1.0-1) unstable; urgency=low\n\n  * caf\xe9\n\n -- J\xe9r\xf4me <j@example.com>  Sat, 09 Dec 2006 10:00:00 +0000\n"},
	{"bare word ends parsing", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000") + "\nHistory:\nanything at all\n"},
	{"header without options ends parsing", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000") + "\nhello (0.9-1) stable/updates; urgency=low\n\n  * y\n"},
	{"GNU entry ends parsing", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000") + "\nSat Dec  9 10:00:00 2006  Jane Doe  <jane@example.com>\n\n\t* x\n"},
	{"Changes from version", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000") + "\nChanges from version 0.8 to 0.9:\n\n garbage\n"},
	{"mode line right after trailer", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000") + ";; Local Variables:\n;; mode: debian-changelog\n;; End:\n"},
}

// entry is a one-change changelog entry with the given header and date.
func entry(header, date string) string {
	return header + "\n\n  * A change.\n\n -- Jane Doe <jane@example.com>  " + date + "\n"
}

func TestReadChangelogAccepts(t *testing.T) {
	t.Parallel()
	for _, tt := range acceptedCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			entries, err := ReadChangelog("debian/changelog", []byte(tt.data))
			if err != nil {
				t.Fatalf("rejected a changelog dpkg accepts: %v", err)
			}
			if len(entries) == 0 || entries[0].Source == "" {
				t.Fatalf("read %+v", entries)
			}
		})
	}
}

func TestReadChangelogDates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		date string
		want time.Time
	}{
		{"Sat,  9 Dec 2006 10:00:00 +0000", time.Date(2006, 12, 9, 10, 0, 0, 0, time.UTC)},
		{"Sat, 00 Dec 2006 10:00:00 +0000", time.Date(2006, 11, 30, 10, 0, 0, 0, time.UTC)},
		{"Sat, 31 Feb 2006 10:00:00 +0000", time.Date(2006, 3, 3, 10, 0, 0, 0, time.UTC)},
		{"Sat, 09 Dec 2006 10:00:00 +0530", time.Date(2006, 12, 9, 4, 30, 0, 0, time.UTC)},
		{"Sat, 09 Dec 2006 10:00:00 -0000", time.Date(2006, 12, 9, 10, 0, 0, 0, time.UTC)},
		{"Sat, 09 Dec 2006 10:00:00 +9999", time.Date(2006, 12, 9, 10, 0, 0, 0, time.UTC).Add(-(99*time.Hour + 99*time.Minute))},
		{"Mon, 01 Jan 1900 00:00:00 +0000", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		e, err := ReadTopEntry("c", []byte(entry("hello (1.0-1) unstable; urgency=low", tt.date)))
		if err != nil {
			t.Errorf("%q: %v", tt.date, err)
			continue
		}
		if !e.Date.Equal(tt.want) || e.DateText != tt.date {
			t.Errorf("%q: Date = %v (text %q), want %v", tt.date, e.Date, e.DateText, tt.want)
		}
	}
}

// tolerated are changelogs dpkg warns about but reads correctly; the
// reader accepts them (changelog_dpkg_test.go checks that dpkg does warn).
var toleratedCases = []struct {
	name, data string
	check      func(ChangelogEntry) bool
}{
	{"leading blank lines", "\n\n" + entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"),
		func(e ChangelogEntry) bool { return e.Line == 3 }},
	{"invalid week day name", entry("hello (1.0-1) unstable; urgency=low", "Xyz, 09 Dec 2006 10:00:00 +0000"),
		func(e ChangelogEntry) bool { return e.Date.Equal(time.Date(2006, 12, 9, 10, 0, 0, 0, time.UTC)) }},
	{"unknown key", entry("hello (1.0-1) unstable; urgency=low, foo=bar", "Sat, 09 Dec 2006 10:00:00 +0000"),
		func(e ChangelogEntry) bool { return e.Fields["foo"] == "bar" }},
	// dpkg reports urgency "unknown" here; dch's default is the useful one.
	{"no urgency", entry("hello (1.0-1) unstable;", "Sat, 09 Dec 2006 10:00:00 +0000"),
		func(e ChangelogEntry) bool { return e.Urgency == "medium" && len(e.Fields) == 0 }},
}

func TestReadChangelogTolerates(t *testing.T) {
	t.Parallel()
	for _, tt := range toleratedCases {
		e, err := ReadTopEntry("c", []byte(tt.data))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !tt.check(e) {
			t.Errorf("%s: read %+v", tt.name, e)
		}
	}
}

// malformedCases must fail with a message naming the line. dpkgSilent marks
// the few that dpkg-parsechangelog lets through; each says why we do not.
var malformedCases = []struct {
	name       string
	data       string
	line       int
	msg        string
	dpkgSilent string
}{
	{"no trailer", "hello (1.0-1) unstable; urgency=low\n\n  * x\n", 3, "expected a ` -- Name <email>  Date` trailer", ""},
	{"nothing after header", "hello (1.0-1) unstable; urgency=low\n\n", 2, "expected change lines indented by two spaces and a trailer", ""},
	{"version starts with letter", entry("hello (a1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, `version "a1.0-1" is invalid: version number does not start with digit`, ""},
	{"empty revision", entry("hello (1.0-) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, "revision cannot be empty", ""},
	{"illegal character in version", entry("hello (1.0_1-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, "illegal character '_'", ""},
	{"epoch not a number", entry("hello (x:1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, "epoch part of the version number is not a number", ""},
	{"colon without epoch", entry("hello (1.0:3) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, `not a number: "1.0"`, ""},
	{"epoch too big", entry("hello (99999999999999999999:1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, "epoch in version is too big", "dpkg's C parser (dpkg -i, apt) refuses it"},
	{"colon in revision", entry("hello (1:2.0-1:2) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, "invalid character in revision number", "dpkg's C parser refuses it"},
	{"upper-case source", entry("Hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, `source name "Hello" is invalid`, "dpkg-source refuses to build it"},
	{"one-letter source", entry("h (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, `source name "h" is invalid`, "Debian policy requires two characters"},
	{"underscore in source", entry("hel_lo (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, "expected a `source (version) distribution; urgency=...` header, found \"hel_lo", ""},
	{"no semicolon", entry("hello (1.0-1) unstable", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, "header, found \"hello (1.0-1) unstable\"", ""},
	{"slash in distribution", entry("hello (1.0-1) stable/updates; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, "header, found", ""},
	{"spaces around =", entry("hello (1.0-1) unstable; urgency = low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, `expected key=value after ';', found "urgency = low"`, ""},
	{"empty value", entry("hello (1.0-1) unstable; urgency=", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, "expected key=value", ""},
	{"repeated key", entry("hello (1.0-1) unstable; urgency=low, Urgency=high", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, `key "urgency" is given twice`, ""},
	{"bad urgency", entry("hello (1.0-1) unstable; urgency=!!", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, `urgency "!!" is invalid`, ""},
	{"binary-only=no", entry("hello (1.0-1) unstable; urgency=low, binary-only=no", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, "expected binary-only=yes", ""},
	{"one space before date", "hello (1.0-1) unstable; urgency=low\n\n  * x\n\n -- J <j@example.com> Sat, 09 Dec 2006 10:00:00 +0000\n", 5, "expected two spaces", ""},
	{"three spaces before date", "hello (1.0-1) unstable; urgency=low\n\n  * x\n\n -- J <j@example.com>   Sat, 09 Dec 2006 10:00:00 +0000\n", 5, "expected a ` -- Name <email>  Date` trailer, found", ""},
	{"tab before date", "hello (1.0-1) unstable; urgency=low\n\n  * x\n\n -- J <j@example.com>\tSat, 09 Dec 2006 10:00:00 +0000\n", 5, "trailer, found", ""},
	{"named zone", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 GMT"), 5, "trailer, found", ""},
	{"no seconds", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00 +0000"), 5, "trailer, found", ""},
	{"full month name", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 December 2006 10:00:00 +0000"), 5, `expected a three-letter month name (Jan, Feb, ... Dec), found "December"`, ""},
	{"hour 24", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 24:00:00 +0000"), 5, "expected a time from 00:00:00 to 23:59:59", ""},
	{"leap second", entry("hello (1.0-1) unstable; urgency=low", "Sat, 31 Dec 2016 23:59:60 +0000"), 5, "expected a time", ""},
	{"day 32", entry("hello (1.0-1) unstable; urgency=low", "Sat, 32 Dec 2006 10:00:00 +0000"), 5, "day of the month up to 31", ""},
	{"year 1899", entry("hello (1.0-1) unstable; urgency=low", "Sun, 31 Dec 1899 10:00:00 +0000"), 5, "year from 1900", ""},
	{"trailer without changes", "hello (1.0-1) unstable; urgency=low\n\n -- J <j@example.com>  Sat, 09 Dec 2006 10:00:00 +0000\n", 3, "expected change lines indented by two spaces before the trailer", ""},
	{"one-space change", "hello (1.0-1) unstable; urgency=low\n\n * x\n\n -- J <j@example.com>  Sat, 09 Dec 2006 10:00:00 +0000\n", 3, `expected change lines indented by two spaces, found " * x"`, ""},
	{"tab-only indent", "hello (1.0-1) unstable; urgency=low\n\n\t* x\n\n -- J <j@example.com>  Sat, 09 Dec 2006 10:00:00 +0000\n", 3, "expected change lines indented by two spaces, found", ""},
	{"second trailer", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000") + " -- J <j@example.com>  Sat, 09 Dec 2006 10:00:00 +0000\n", 6, "found a second trailer", ""},
	{"change after trailer", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000") + "\n  * stray\n", 7, "header before change lines", ""},
	{"header where trailer expected", "hello (1.0-2) unstable; urgency=low\n\n  * x\n\n" + entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 5, "trailer before the next header", ""},
	{"header right after header", "hello (1.0-2) unstable; urgency=low\n" + entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 2, "expected change lines indented by two spaces before the next header", ""},
	{"prose between entries", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000") + "\nsome words here\n", 7, `header, found "some words here"`, ""},
	{"comment without space", "#comment\n" + entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, `found "#comment"`, ""},
	{"byte-order mark", "\xef\xbb\xbf" + entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, "byte-order mark", ""},
	{"empty file", "", 1, "found no changelog entry", ""},
	{"only blank lines", "\n\n", 2, "found no changelog entry", ""},
	{"mode line before trailer", "hello (1.0-1) unstable; urgency=low\n\n  * x\n\nLocal variables:\nmode: debian-changelog\nEnd:\n", 5, "trailer before \"Local variables:\"", ""},
	{"mode line first", "vim: ft=debchangelog\n" + entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000"), 1, `header, found "vim: ft=debchangelog"`, ""},
	{"indented mode line", entry("hello (1.0-1) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000") + "\n # vim: set ft=debchangelog:\n", 7, "expected change lines indented by two spaces, found", ""},
	{"trailer first", " -- J <j@example.com>  Sat, 09 Dec 2006 10:00:00 +0000\n", 1, "header before the trailer", ""},
	{"change line first", "  * x\n", 1, "header before change lines", ""},
	{"broken trailer", "hello (1.0-1) unstable; urgency=low\n\n  * x\n -- weird\n", 4, `trailer, found " -- weird"`, ""},
	{"error on a later entry", entry("hello (1.0-2) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000") + "\n" + entry("hello (.0-1) unstable; urgency=low", "Fri, 08 Dec 2006 10:00:00 +0000"), 7, `version ".0-1" is invalid`, ""},
}

func TestReadChangelogRejects(t *testing.T) {
	t.Parallel()
	for _, tt := range malformedCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadChangelog("debian/changelog", []byte(tt.data))
			var ce *ChangelogError
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v, want a *ChangelogError", err)
			}
			if ce.Line != tt.line || !strings.Contains(ce.Msg, tt.msg) {
				t.Errorf("error = %q, want line %d and %q", err, tt.line, tt.msg)
			}
			if want := "debian/changelog:"; !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line starting with %q", err, want)
			}
		})
	}
}

func TestReadTopEntryIgnoresLaterEntries(t *testing.T) {
	t.Parallel()
	data := entry("hello (1.0-2) unstable; urgency=low", "Sat, 09 Dec 2006 10:00:00 +0000") +
		"\nhello (broken) unstable; urgency=low\n\nthis is not a changelog\n"
	e, err := ReadTopEntry("c", []byte(data))
	if err != nil || e.Version != "1.0-2" {
		t.Errorf("ReadTopEntry = %s, %v; want 1.0-2 and no error", e.Version, err)
	}
	if _, err := ReadChangelog("c", []byte(data)); err == nil {
		t.Error("ReadChangelog accepted the broken second entry")
	}
}
