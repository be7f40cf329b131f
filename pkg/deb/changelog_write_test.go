package deb

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/changelogs/golden")

// hotfixDate and hotfixItems make the entry every golden test prepends.
var (
	hotfixDate  = time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3600))
	hotfixItems = []string{
		"Out-of-band hotfix built by backport ahead of the distribution: new upstream release fixing CVE-2024-12345 and CVE-2024-67890, so this item must wrap.",
		"Refresh debian/patches for the new upstream source.",
	}
)

const hotfixMaintainer = "Backport Bot <backport@example.com>"

// hotfixEntry is the entry the golden tests add on top of a fixture.
func hotfixEntry(t testing.TB, data []byte) ChangelogEntry {
	t.Helper()
	top, err := ReadTopEntry("fixture", data)
	if err != nil {
		t.Fatal(err)
	}
	return NewEntry(top.Source, top.Version+"+bp1", "bookworm", "high", hotfixItems, hotfixMaintainer, hotfixDate)
}

func TestPrependEntryGolden(t *testing.T) {
	t.Parallel()
	for name, data := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := hotfixEntry(t, data)
			got := PrependEntry(data, e)
			golden := filepath.Join(fixtureDir, "golden", name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("PrependEntry differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
			if !bytes.HasSuffix(got, data) {
				t.Error("the old content does not follow byte for byte")
			}
			entries, err := ReadChangelog(name, got)
			if err != nil {
				t.Fatalf("the result does not parse: %v", err)
			}
			old, _ := ReadChangelog(name, data)
			if len(entries) != len(old)+1 || entries[0].Version != e.Version || entries[1].Line == 1 {
				t.Errorf("read %d entries, top %s; want %d, top %s", len(entries), entries[0].Version, len(old)+1, e.Version)
			}
		})
	}
}

func TestFormatEntry(t *testing.T) {
	t.Parallel()
	e := NewEntry("hello", "2.10-3+bp1", "bookworm", "high",
		[]string{"line one", "line two"}, "Jane Doe <jane@example.com>",
		time.Date(2006, 12, 9, 10, 0, 0, 0, time.UTC))
	want := "hello (2.10-3+bp1) bookworm; urgency=high\n" +
		"\n" +
		"  * line one\n" +
		"  * line two\n" +
		"\n" +
		" -- Jane Doe <jane@example.com>  Sat, 09 Dec 2006 10:00:00 +0000\n"
	if got := string(FormatEntry(e)); got != want {
		t.Errorf("FormatEntry =\n%s\nwant\n%s", got, want)
	}
}

func TestFormatEntryRoundTrip(t *testing.T) {
	t.Parallel()
	src := "hello (1:2.0-1) frozen unstable; urgency=HIGH (comment), XB-Zeta=z, binary-only=yes\n" +
		"\n" +
		"  * one\n" +
		"\n" +
		"  * two\n" +
		"\n" +
		" -- Jane Doe <jane@example.com>  Sat,  9 Dec 2006 10:00:00 +0100\n"
	e, err := ReadTopEntry("c", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := "hello (1:2.0-1) frozen unstable; urgency=high, xb-zeta=z, binary-only=yes\n" +
		"\n" +
		"  * one\n" +
		"\n" +
		"  * two\n" +
		"\n" +
		" -- Jane Doe <jane@example.com>  Sat,  9 Dec 2006 10:00:00 +0100\n"
	if got := string(FormatEntry(e)); got != want {
		t.Errorf("FormatEntry =\n%s\nwant\n%s", got, want)
	}

	// Edited fields win over what was parsed.
	e.Distribution = "bookworm"
	e.Date = e.Date.Add(time.Hour)
	e.Fields["a-key"] = "v"
	got := string(FormatEntry(e))
	for _, want := range []string{"(1:2.0-1) bookworm; urgency=high, xb-zeta=z, binary-only=yes, a-key=v\n", "  Sat, 09 Dec 2006 11:00:00 +0100\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("FormatEntry after edits =\n%s\nwant it to contain %q", got, want)
		}
	}
}

func TestFormatEntryRepairsLayout(t *testing.T) {
	t.Parallel()
	e := ChangelogEntry{
		Source: "hello", Version: "1.0-1", Maintainer: "J <j@example.com>",
		Date:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("odd", 7)),
		Changes: []string{"", "  ", "* not indented", "  * two\n  * three", ""},
	}
	want := "hello (1.0-1) UNRELEASED; urgency=medium\n\n  * not indented\n  * two\n  * three\n\n" +
		" -- J <j@example.com>  Sun, 31 Dec 2023 23:59:53 +0000\n"
	if got := string(FormatEntry(e)); got != want {
		t.Errorf("FormatEntry =\n%q\nwant\n%q", got, want)
	}
	e.Changes = nil
	if got := string(FormatEntry(e)); !strings.Contains(got, "\n\n  *\n\n") {
		t.Errorf("entry without changes =\n%s\nwant an empty item", got)
	}
}

func TestNewEntryWraps(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 40)
	url := "https://example.org/" + strings.Repeat("x", 100)
	e := NewEntry("hello", "1.0-1", "bookworm bookworm-security", "", []string{
		long,
		"short",
		"fits " + strings.Repeat("y", 80-len("  * fits ")),
		"see " + url + " for details",
		"Übersetzungen " + strings.Repeat("ä", 62),
		"   ",
	}, "J <j@example.com>", time.Now())
	if e.Urgency != "medium" || e.Distribution != "bookworm" || len(e.Distributions) != 2 {
		t.Errorf("NewEntry defaults: urgency %q, distributions %v", e.Urgency, e.Distributions)
	}
	for _, line := range e.Changes {
		if n := utf8.RuneCountInString(line); n > 80 && !strings.Contains(line, url) {
			t.Errorf("line of %d columns: %q", n, line)
		}
		if !strings.HasPrefix(line, "  * ") && !strings.HasPrefix(line, "    ") {
			t.Errorf("line without item or continuation indent: %q", line)
		}
	}
	items := 0
	for _, line := range e.Changes {
		if strings.HasPrefix(line, "  * ") {
			items++
		}
	}
	if items != 5 {
		t.Errorf("%d items, want 5 (the blank one dropped): %q", items, e.Changes)
	}
	if !slices.Contains(e.Changes, "  * see") || !slices.Contains(e.Changes, "    "+url) || !slices.Contains(e.Changes, "    for details") {
		t.Errorf("a word wider than the line must stand whole on its own line: %q", e.Changes)
	}
	if !slices.Contains(e.Changes, "  * fits "+strings.Repeat("y", 80-len("  * fits "))) {
		t.Errorf("an item of exactly 80 columns was wrapped: %q", e.Changes)
	}
	if !slices.Contains(e.Changes, "  * Übersetzungen "+strings.Repeat("ä", 62)) {
		t.Errorf("width must count characters, not bytes: %q", e.Changes)
	}
}

func TestPrependEntry(t *testing.T) {
	t.Parallel()
	e := NewEntry("hello", "1.0-2", "unstable", "low", []string{"x"}, "J <j@example.com>", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	entry := string(FormatEntry(e))
	tests := []struct{ name, old, want string }{
		{"LF", "hello (1.0-1) unstable; urgency=low\n", entry + "\n" + "hello (1.0-1) unstable; urgency=low\n"},
		{"CRLF", "hello (1.0-1) unstable; urgency=low\r\n", strings.ReplaceAll(entry+"\n", "\n", "\r\n") + "hello (1.0-1) unstable; urgency=low\r\n"},
		{"empty", "", entry},
		{"no newline", "x", entry + "\nx"},
	}
	for _, tt := range tests {
		if got := string(PrependEntry([]byte(tt.old), e)); got != tt.want {
			t.Errorf("%s: PrependEntry =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	date := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	good := NewEntry("hello", "1.0-1", "bookworm", "high", []string{"x"}, "J <j@example.com>", date)
	if err := good.Validate(); err != nil {
		t.Errorf("Validate(good) = %v", err)
	}
	tests := []struct {
		name string
		edit func(*ChangelogEntry)
		msg  string
	}{
		{"bad version", func(e *ChangelogEntry) { e.Version = "v1.0" }, "does not start with digit"},
		{"bad source", func(e *ChangelogEntry) { e.Source = "Hello" }, "source name"},
		{"bad distribution", func(e *ChangelogEntry) { e.Distribution, e.Distributions = "a/b", nil }, "header"},
		{"bad urgency", func(e *ChangelogEntry) { e.Urgency = "very high!" }, "urgency"},
		{"no maintainer", func(e *ChangelogEntry) { e.Maintainer = "" }, "trailer"},
		{"maintainer with newline", func(e *ChangelogEntry) { e.Maintainer = "J\n <j@example.com>" }, ""},
		{"zero date", func(e *ChangelogEntry) { e.Date, e.DateText = time.Time{}, "" }, "year from 1900"},
	}
	for _, tt := range tests {
		e := good
		e.Fields = map[string]string{}
		tt.edit(&e)
		err := e.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Validate = %v, want one line containing %q", tt.name, err, tt.msg)
		}
	}
}

func TestMaintainer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
		err  string
	}{
		{"DEBFULLNAME and DEBEMAIL", map[string]string{"DEBFULLNAME": "Jane Doe", "DEBEMAIL": "jane@example.com", "NAME": "X", "EMAIL": "x@example.com"}, "Jane Doe <jane@example.com>", ""},
		{"name inside DEBEMAIL", map[string]string{"DEBEMAIL": "Jane Doe <jane@example.com>"}, "Jane Doe <jane@example.com>", ""},
		{"DEBFULLNAME beats DEBEMAIL's name", map[string]string{"DEBFULLNAME": "Jane Doe", "DEBEMAIL": "J. D. <jane@example.com>"}, "Jane Doe <jane@example.com>", ""},
		{"NAME and EMAIL", map[string]string{"NAME": "Jane Doe", "EMAIL": "jane@example.com"}, "Jane Doe <jane@example.com>", ""},
		{"name inside EMAIL", map[string]string{"EMAIL": "Jane Doe <jane@example.com>"}, "Jane Doe <jane@example.com>", ""},
		{"EMAIL's name beats NAME", map[string]string{"NAME": "Other", "EMAIL": "Jane Doe <jane@example.com>"}, "Jane Doe <jane@example.com>", ""},
		{"DEBEMAIL beats EMAIL", map[string]string{"DEBFULLNAME": "Jane Doe", "DEBEMAIL": "jane@example.com", "EMAIL": "Other <o@example.com>"}, "Jane Doe <jane@example.com>", ""},
		{"UTF-8 name", map[string]string{"DEBFULLNAME": "Jérôme Dupont", "EMAIL": "j@example.fr"}, "Jérôme Dupont <j@example.fr>", ""},
		{"nothing set", map[string]string{}, "", "set DEBFULLNAME and DEBEMAIL (or EMAIL)"},
		{"no address", map[string]string{"DEBFULLNAME": "Jane Doe"}, "", "set DEBFULLNAME and DEBEMAIL (or EMAIL)"},
		{"no name", map[string]string{"DEBEMAIL": "jane@example.com"}, "", "set DEBFULLNAME and DEBEMAIL (or EMAIL)"},
		{"newline", map[string]string{"DEBFULLNAME": "Jane\nDoe", "DEBEMAIL": "jane@example.com"}, "", "one line"},
	}
	for _, tt := range tests {
		got, err := Maintainer(func(k string) string { return tt.env[k] })
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: Maintainer = %q, %v; want %q, %q", tt.name, got, err, tt.want, tt.err)
		}
	}
}
