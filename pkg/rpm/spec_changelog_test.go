package rpm

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAddChangelogPlacement(t *testing.T) {
	t.Parallel()
	entry := ChangelogEntry{
		Date:   time.Date(2024, 5, 6, 12, 0, 0, 0, time.UTC),
		Author: "Jane Doe <jane@example.com>",
		EVR:    "1.1-0.bp1",
		Lines:  []string{"Fix 100% CPU in %{name}d"},
	}
	const top = "* Mon May 06 2024 Jane Doe <jane@example.com> - 1.1-0.bp1\n- Fix 100%% CPU in %%{name}d\n"
	tests := []struct{ name, tail, want string }{
		{"before the previous entries, one blank line between",
			"%changelog\n* Sun May 05 2024 A <a@b> - 1.0-1\n- old\n",
			"%changelog\n" + top + "\n* Sun May 05 2024 A <a@b> - 1.0-1\n- old\n"},
		{"a blank line already after %changelog is reused",
			"%changelog\n\n* Sun May 05 2024 A <a@b> - 1.0-1\n- old\n",
			"%changelog\n" + top + "\n* Sun May 05 2024 A <a@b> - 1.0-1\n- old\n"},
		{"same day as the top entry is fine",
			"%changelog\n* Mon May 06 2024 A <a@b> - 1.0-1\n- old\n",
			"%changelog\n" + top + "\n* Mon May 06 2024 A <a@b> - 1.0-1\n- old\n"},
		{"empty section",
			"%changelog\n",
			"%changelog\n" + top},
		{"empty section without a final newline",
			"%changelog",
			"%changelog\n" + strings.TrimSuffix(top, "\n")},
		{"a section after %changelog",
			"%changelog\n%files extra\n",
			"%changelog\n" + top + "\n%files extra\n"},
		{"no section: appended after a blank line",
			"%files\n/x\n",
			"%files\n/x\n\n%changelog\n" + top},
		{"no section, file already ends with a blank line",
			"%files\n/x\n\n",
			"%files\n/x\n\n%changelog\n" + top},
		{"case-insensitive section name",
			"%ChangeLog\n* Sun May 05 2024 A <a@b> - 1.0-1\n- old\n",
			"%ChangeLog\n" + top + "\n* Sun May 05 2024 A <a@b> - 1.0-1\n- old\n"},
	}
	const head = "Name: x\nVersion: 1.1\nRelease: 1\nSummary: t\nLicense: MIT\n%description\nd\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustParse(t, "x.spec", []byte(head+tt.tail))
			if err := s.AddChangelog(entry); err != nil {
				t.Fatal(err)
			}
			if got := string(s.Bytes()); got != head+tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, head+tt.want)
			}
		})
	}
}

func TestAddChangelogRefusals(t *testing.T) {
	t.Parallel()
	good := ChangelogEntry{
		Date:   time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC),
		Author: "Jane Doe <jane@example.com>",
		EVR:    "1.1-0.bp1",
		Lines:  []string{"hotfix"},
	}
	const head = "Name: x\nVersion: 1.1\nRelease: 1\nSummary: t\nLicense: MIT\n%description\nd\n"
	const older = "%changelog\n* Tue May 07 2024 A <a@b> - 1.0-1\n- newer than the hotfix\n"
	tests := []struct {
		name, tail string
		edit       func(*ChangelogEntry)
		want       string
	}{
		{"autochangelog", "%changelog\n%autochangelog\n", nil,
			"x.spec:9: the spec uses %autochangelog, which rpmautospec computes from git history, so a changelog entry cannot be added to the spec"},
		{"autochangelog in braces", "%changelog\n%{autochangelog}\n", nil,
			"x.spec:9: the spec uses %autochangelog, which rpmautospec computes from git history, so a changelog entry cannot be added to the spec"},
		{"older than the top entry", older, nil,
			"x.spec:9: the new %changelog entry (Mon May 06 2024) is older than the top entry; rpm wants entries newest first"},
		{"no lines", "", func(e *ChangelogEntry) { e.Lines = nil },
			"x.spec: invalid changelog entry: no lines (rpm rejects an entry without a description)"},
		{"blank line", "", func(e *ChangelogEntry) { e.Lines = []string{"ok", "  "} },
			`x.spec: invalid changelog entry: line 2 ("  ") must be one non-empty line`},
		{"line with a newline", "", func(e *ChangelogEntry) { e.Lines = []string{"a\n* Mon May 06 2024 forged"} },
			`x.spec: invalid changelog entry: line 1 ("a\n* Mon May 06 2024 forged") must be one non-empty line`},
		{"no author", "", func(e *ChangelogEntry) { e.Author = " " },
			`x.spec: invalid changelog entry: author " " must be one non-empty line, "Name <email>"`},
		{"no date", "", func(e *ChangelogEntry) { e.Date = time.Time{} },
			"x.spec: invalid changelog entry: no date"},
		{"EVR with a blank", "", func(e *ChangelogEntry) { e.EVR = "1.1 0" },
			`x.spec: invalid changelog entry: EVR "1.1 0" must be one word`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			orig := head + tt.tail
			s := mustParse(t, "x.spec", []byte(orig))
			e := good
			if tt.edit != nil {
				tt.edit(&e)
			}
			err := s.AddChangelog(e)
			if err == nil {
				t.Fatalf("accepted:\n%s", s.Bytes())
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			var auto *AutoreleaseError
			if strings.HasPrefix(tt.name, "autochangelog") != errors.As(err, &auto) {
				t.Errorf("error type %T", err)
			}
			if string(s.Bytes()) != orig {
				t.Error("a refused entry changed the spec")
			}
		})
	}
}

// TestAddChangelogUsesUTC: a hotfix built late in the evening west of UTC
// is already dated the next day, as rpm, reading UTC, would expect.
func TestAddChangelogUsesUTC(t *testing.T) {
	t.Parallel()
	s := mustParse(t, "x.spec", []byte(preamble("Name: x\nVersion: 1\nRelease: 1\n")+"%changelog\n"))
	err := s.AddChangelog(ChangelogEntry{
		Date:   time.Date(2006, 12, 8, 23, 0, 0, 0, time.FixedZone("EST", -5*3600)),
		Author: "Jane Doe <jane@example.com>",
		EVR:    "2.2.20-0.bp1",
		Lines:  []string{"line one", "line two"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "%changelog\n* Sat Dec 09 2006 Jane Doe <jane@example.com> - 2.2.20-0.bp1\n- line one\n- line two\n"
	if got := string(s.Bytes()); !strings.HasSuffix(got, want) {
		t.Errorf("got:\n%s\nwant it to end in:\n%s", got, want)
	}
}
