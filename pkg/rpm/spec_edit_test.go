package rpm

import (
	"errors"
	"strings"
	"testing"
)

// TestSetVersionAndRelease covers the editing paths beyond the fixtures:
// each case gives the spec head, the call, the head afterwards, and the
// notes it must produce.
func TestSetVersionAndRelease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		head      string
		version   string // SetVersion when set
		release   string // SetRelease when set
		wantHead  string
		wantNotes []string
	}{
		{name: "major.minor cannot take three parts: literal tag, macros kept",
			head:     "%global major 3\n%global minor 11\nName: x\nVersion: %{major}.%{minor}\nRelease: 1\n",
			version:  "3.12.1",
			wantHead: "%global major 3\n%global minor 11\nName: x\nVersion: 3.12.1\nRelease: 1\n",
			wantNotes: []string{`x.spec:4: Version: %{major}.%{minor} cannot hold 3.12.1 (%{minor} would be "12.1"), so the tag now holds it literally; ` +
				"the macros it used are unchanged (check their other uses, e.g. Source0)"}},
		{name: "major.minor with both parts moving",
			head:      "%global major 3\n%global minor 11\nName: x\nVersion: %{major}.%{minor}\nRelease: 1\n",
			version:   "4.0",
			wantHead:  "%global major 4\n%global minor 0\nName: x\nVersion: %{major}.%{minor}\nRelease: 1\n",
			wantNotes: []string{"x.spec:1: Version: comes from %{major}", "x.spec:2: Version: comes from %{minor}"}},
		{name: "macros with nothing between them are not guessed",
			head:      "%global a 1\n%global b 2\nName: x\nVersion: %{a}%{b}\nRelease: 1\n",
			version:   "13",
			wantHead:  "%global a 1\n%global b 2\nName: x\nVersion: 13\nRelease: 1\n",
			wantNotes: []string{"%{a}%{b} has nothing between the macros"}},
		{name: "nested macros are followed",
			head:      "%global major 2\n%global upstream %{major}.4\nName: x\nVersion: %{upstream}\nRelease: 1\n",
			version:   "3.4",
			wantHead:  "%global major 3\n%global upstream %{major}.4\nName: x\nVersion: %{upstream}\nRelease: 1\n",
			wantNotes: []string{"x.spec:1: Version: comes from %{major}"}},
		{name: "nested macros that cannot hold the value",
			head:      "%global major 2\n%global upstream %{major}.4\nName: x\nVersion: %{upstream}\nRelease: 1\n",
			version:   "3.5",
			wantHead:  "%global major 2\n%global upstream %{major}.4\nName: x\nVersion: 3.5\nRelease: 1\n",
			wantNotes: []string{`x.spec:4: Version: %{upstream} cannot hold 3.5 ("3.5" does not end in ".4")`}},
		{name: "one macro used twice must get one value",
			head:      "%global v 1\nName: x\nVersion: %{v}.%{v}\nRelease: 1\n",
			version:   "1.2",
			wantHead:  "%global v 1\nName: x\nVersion: 1.2\nRelease: 1\n",
			wantNotes: []string{`%{v} would need both "1" and "2"`}},
		{name: "a macro shared with Release is not changed under it",
			head:     "%global snap 20240101\nName: x\nVersion: 0^%{snap}\nRelease: 1.%{snap}%{?dist}\n",
			version:  "0^20240301",
			wantHead: "%global snap 20240101\nName: x\nVersion: 0^20240301\nRelease: 1.%{snap}%{?dist}\n",
			wantNotes: []string{"x.spec:3: Version: now holds 0^20240301 literally, because editing its macros would change another tag " +
				"(Release: changes too, from 1.20240101%{?dist} to 1.20240301%{?dist})"}},
		{name: "Release that uses %{version} follows it, and says so",
			head:      "Name: x\nVersion: 1.0\nRelease: 1.%{version}\n",
			version:   "1.1",
			wantHead:  "Name: x\nVersion: 1.1\nRelease: 1.%{version}\n",
			wantNotes: []string{"Release: changes too, from 1.1.0 to 1.1.1"}},
		{name: "conditional reference to a defined macro",
			head:      "%global rel 3\nName: x\nVersion: 1\nRelease: %{?rel}%{?dist}\n",
			release:   "0.bp1%{?dist}",
			wantHead:  "%global rel 0.bp1\nName: x\nVersion: 1\nRelease: %{?rel}%{?dist}\n",
			wantNotes: []string{"x.spec:1: Release: comes from %{?rel}"}},
		{name: "suffix release that does not fit the pattern",
			head:      "%global rel 4\nName: x\nVersion: 1\nRelease: %{rel}.1%{?dist}\n",
			release:   "4.1%{?dist}.bp1",
			wantHead:  "%global rel 4\nName: x\nVersion: 1\nRelease: 4.1%{?dist}.bp1\n",
			wantNotes: []string{`Release: %{rel}.1%{?dist} cannot hold 4.1%{?dist}.bp1 ("4.1%{?dist}.bp1" does not end in ".1%{?dist}")`}},
		{name: "suffix release whose part would swallow the separator",
			head:      "%global rel 4\nName: x\nVersion: 1\nRelease: %{rel}.1%{?dist}\n",
			release:   "0.bp1.1%{?dist}",
			wantHead:  "%global rel 4\nName: x\nVersion: 1\nRelease: 0.bp1.1%{?dist}\n",
			wantNotes: []string{`%{rel} would be "0.bp1"`}},
		{name: "a release macro that holds the dist macro itself",
			head:      "%global rel 1%{?dist}\nName: x\nVersion: 1\nRelease: %{rel}\n",
			release:   "1%{?dist}.bp1",
			wantHead:  "%global rel 1%{?dist}.bp1\nName: x\nVersion: 1\nRelease: %{rel}\n",
			wantNotes: []string{"x.spec:1: Release: comes from %{rel}"}},
		{name: "%if branches: macro in one, literal in the other",
			head:     "%global up 1.2\nName: x\n%if 0%{?el7}\nVersion: 1.0\n%else\nVersion: %{up}\n%endif\nRelease: 1\n",
			version:  "1.3",
			wantHead: "%global up 1.3\nName: x\n%if 0%{?el7}\nVersion: 1.3\n%else\nVersion: %{up}\n%endif\nRelease: 1\n",
			wantNotes: []string{"x.spec:1: Version: comes from %{up}",
				"x.spec: Version: is set in 2 %if branches (lines 4 and 6); all of them now give 1.3"}},
		{name: "nested %if with %elif",
			head:      "Name: x\n%if 0%{?rhel}\n%if 0%{?rhel} < 8\nVersion: 1\n%elif 0%{?rhel} < 9\nVersion: 2\n%else\nVersion: 3\n%endif\n%else\nVersion: 4\n%endif\nRelease: 1\n",
			version:   "5",
			wantHead:  "Name: x\n%if 0%{?rhel}\n%if 0%{?rhel} < 8\nVersion: 5\n%elif 0%{?rhel} < 9\nVersion: 5\n%else\nVersion: 5\n%endif\n%else\nVersion: 5\n%endif\nRelease: 1\n",
			wantNotes: []string{"x.spec: Version: is set in 4 %if branches (lines 4, 6, 8 and 11)"}},
		{name: "the same version is no edit",
			head:     "%global v 1.0\nName: x\nVersion: %{v}\nRelease: 1\n",
			version:  "1.0",
			wantHead: "%global v 1.0\nName: x\nVersion: %{v}\nRelease: 1\n"},
		{name: "a %define read lazily is edited where it is defined",
			head:      "%define v 1.0\nName: x\nVersion: %v\nRelease: 1\n",
			version:   "1.1",
			wantHead:  "%define v 1.1\nName: x\nVersion: %v\nRelease: 1\n",
			wantNotes: []string{"x.spec:1: Version: comes from %v"}},
		{name: "trailing blanks and CR after the value stay",
			head:     "Name: x\nVersion:\t1.0 \t\r\nRelease:  1%{?dist}  \n",
			version:  "1.1",
			release:  "0.bp1%{?dist}",
			wantHead: "Name: x\nVersion:\t1.1 \t\r\nRelease:  0.bp1%{?dist}  \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustParse(t, "x.spec", []byte(preamble(tt.head)))
			var notes []string
			if tt.version != "" {
				n, err := s.SetVersion(tt.version)
				if err != nil {
					t.Fatalf("SetVersion: %v", err)
				}
				notes = append(notes, n...)
				if got, err := s.Version(); err != nil || got != tt.version {
					t.Errorf("Version() after the edit = %q, %v", got, err)
				}
			}
			if tt.release != "" {
				n, err := s.SetRelease(tt.release)
				if err != nil {
					t.Fatalf("SetRelease: %v", err)
				}
				notes = append(notes, n...)
				if got, err := s.Release(); err != nil || got != tt.release {
					t.Errorf("Release() after the edit = %q, %v", got, err)
				}
			}
			if got, want := string(s.Bytes()), preamble(tt.wantHead); got != want {
				t.Errorf("spec after the edit:\n%s\nwant:\n%s", got, want)
			}
			matchNotes(t, notes, tt.wantNotes)
		})
	}
}

// TestSetRefusals: bad values and specs the editor must not touch leave
// the spec byte for byte as it was.
func TestSetRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, head string
		set        func(*Spec) ([]string, error)
		want       string
	}{
		{"version with a dash", "Name: x\nVersion: 1\nRelease: 1\n",
			func(s *Spec) ([]string, error) { return s.SetVersion("2.0-1") },
			`invalid version "2.0-1": '-' is not allowed (rpm allows letters, digits and . _ + ~ ^)`},
		{"empty version", "Name: x\nVersion: 1\nRelease: 1\n",
			func(s *Spec) ([]string, error) { return s.SetVersion("") },
			`invalid version "": it is empty`},
		{"version with a macro", "Name: x\nVersion: 1\nRelease: 1\n",
			func(s *Spec) ([]string, error) { return s.SetVersion("1%{?dist}") },
			`invalid version "1%{?dist}": '%' is not allowed (rpm allows letters, digits and . _ + ~ ^)`},
		{"release with a macro other than dist", "Name: x\nVersion: 1\nRelease: 1\n",
			func(s *Spec) ([]string, error) { return s.SetRelease("1%{?dist}%{?buildid}") },
			`invalid release "1%{?dist}%{?buildid}": '%' is not allowed (rpm allows letters, digits and . _ + ~ ^)`},
		{"release that is only the dist macro", "Name: x\nVersion: 1\nRelease: 1\n",
			func(s *Spec) ([]string, error) { return s.SetRelease("%{?dist}") },
			`invalid release "%{?dist}": it is empty`},
		{"release with a newline", "Name: x\nVersion: 1\nRelease: 1\n",
			func(s *Spec) ([]string, error) { return s.SetRelease("1\nVersion: 9") },
			`invalid release "1\nVersion: 9": '\n' is not allowed (rpm allows letters, digits and . _ + ~ ^)`},
		{"version from an unknown macro", "Name: x\nVersion: %{upstream}\nRelease: 1\n",
			func(s *Spec) ([]string, error) { return s.SetVersion("2") },
			"x.spec:2: Version uses undefined macro %{upstream}"},
		{"no Release", "Name: x\nVersion: 1\n",
			func(s *Spec) ([]string, error) { return s.SetRelease("1") },
			"x.spec: no Release: tag"},
		{"autorelease", "Name: x\nVersion: 1\nRelease: %autorelease\n",
			func(s *Spec) ([]string, error) { return s.SetRelease("0.bp1%{?dist}") },
			"x.spec:3: the spec uses %autorelease, which rpmautospec computes from git history, so the release cannot be set in the spec"},
		{"autorelease through a macro", "%global baserelease %{autorelease}\nName: x\nVersion: 1\nRelease: %{baserelease}\n",
			func(s *Spec) ([]string, error) { return s.SetRelease("0.bp1") },
			"x.spec:4: the spec uses %autorelease, which rpmautospec computes from git history, so the release cannot be set in the spec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			orig := preamble(tt.head)
			s := mustParse(t, "x.spec", []byte(orig))
			notes, err := tt.set(s)
			if err == nil {
				t.Fatalf("accepted, notes %q", notes)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if got := string(s.Bytes()); got != orig {
				t.Errorf("a refused edit changed the spec:\n%s", got)
			}
			if strings.Contains(tt.name, "autorelease") {
				var auto *AutoreleaseError
				if !errors.As(err, &auto) {
					t.Errorf("error is %T, want *AutoreleaseError", err)
				}
			}
		})
	}
}
