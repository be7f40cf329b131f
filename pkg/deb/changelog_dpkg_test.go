package deb

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

// These tests hold the reader to dpkg-parsechangelog itself.

// requireDpkg skips under -short, as these tests start dpkg-parsechangelog
// a few hundred times, and otherwise needs the tool (testtool.Require).
func requireDpkg(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the comparison with dpkg-parsechangelog")
	}
	testtool.Require(t, "dpkg-parsechangelog")
}

// runDpkgParsechangelog runs dpkg-parsechangelog -l file args… in the C
// locale and returns its output, its warnings and whether it succeeded.
func runDpkgParsechangelog(t *testing.T, file string, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	cmd := exec.Command("dpkg-parsechangelog", append([]string{"-l", file}, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("dpkg-parsechangelog: %v", err)
	}
	return out.String(), errOut.String(), err == nil
}

// dpkgShow is `dpkg-parsechangelog -l file -S field`; the changelog must
// parse without a warning.
func dpkgShow(t *testing.T, file, field string) string {
	t.Helper()
	out, warnings, ok := runDpkgParsechangelog(t, file, "-S", field)
	if !ok || warnings != "" {
		t.Fatalf("dpkg-parsechangelog -S %s %s: ok=%v\n%s", field, file, ok, warnings)
	}
	return strings.TrimSuffix(out, "\n")
}

// dpkgEntries parses dpkg-parsechangelog's rfc822 output for file, one
// field map per entry (args "--all" for every entry, none for the top one).
// The changelog must parse without a warning.
func dpkgEntries(t *testing.T, file string, args ...string) []map[string]string {
	t.Helper()
	out, warnings, ok := runDpkgParsechangelog(t, file, append(args, "--format", "rfc822")...)
	if !ok || warnings != "" {
		t.Fatalf("dpkg-parsechangelog %v %s: ok=%v\n%s", args, file, ok, warnings)
	}
	var entries []map[string]string
	var cur map[string]string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			cur = nil
		case strings.HasPrefix(line, " "): // continuation of Changes
		default:
			if cur == nil {
				cur = map[string]string{}
				entries = append(entries, cur)
			}
			k, v, _ := strings.Cut(line, ":")
			// Only the separator: -S prints " <a@b>" for an empty name.
			cur[k] = strings.TrimPrefix(v, " ")
		}
	}
	return entries
}

// ourFields are an entry's values in dpkg-parsechangelog's terms.
func ourFields(e ChangelogEntry) map[string]string {
	return map[string]string{
		"Source":       e.Source,
		"Version":      e.Version,
		"Distribution": strings.Join(e.Distributions, " "),
		"Urgency":      e.Urgency,
		"Maintainer":   e.Maintainer,
		"Date":         e.DateText,
		"Timestamp":    strconv.FormatInt(e.Date.Unix(), 10),
	}
}

var comparedFields = []string{"Source", "Version", "Distribution", "Urgency", "Maintainer", "Date", "Timestamp"}

// agreeWithDpkg checks that ReadTopEntry agrees with dpkg-parsechangelog's
// report of the top entry, and every entry of ReadChangelog with its --all
// report.
func agreeWithDpkg(t *testing.T, file string, data []byte) {
	t.Helper()
	top, err := ReadTopEntry(file, data)
	if err != nil {
		t.Fatalf("ReadTopEntry: %v", err)
	}
	theirTop := dpkgEntries(t, file)
	if len(theirTop) != 1 {
		t.Fatalf("dpkg-parsechangelog reported %d top entries", len(theirTop))
	}
	compareWithDpkg(t, "top entry", top, theirTop[0])

	entries, err := ReadChangelog(file, data)
	if err != nil {
		t.Fatalf("ReadChangelog: %v", err)
	}
	theirs := dpkgEntries(t, file, "--all")
	if len(entries) != len(theirs) {
		t.Fatalf("ReadChangelog read %d entries, dpkg-parsechangelog --all %d", len(entries), len(theirs))
	}
	for i, e := range entries {
		compareWithDpkg(t, fmt.Sprintf("entry %d (line %d)", i, e.Line), e, theirs[i])
	}
}

func compareWithDpkg(t *testing.T, what string, e ChangelogEntry, theirs map[string]string) {
	t.Helper()
	ours := ourFields(e)
	for _, field := range comparedFields {
		if ours[field] != theirs[field] {
			t.Errorf("%s: %s = %q, dpkg-parsechangelog says %q", what, field, ours[field], theirs[field])
		}
	}
}

func TestFixturesAgreeWithDpkg(t *testing.T) {
	requireDpkg(t)
	t.Parallel()
	for name, data := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			agreeWithDpkg(t, filepath.Join(fixtureDir, name+".changelog"), data)
		})
	}
}

func TestGoldenOutputsAgreeWithDpkg(t *testing.T) {
	requireDpkg(t)
	t.Parallel()
	for name, data := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			golden := filepath.Join(fixtureDir, "golden", name+".golden")
			e := hotfixEntry(t, data)
			want := map[string]string{
				"Version":      e.Version,
				"Distribution": "bookworm",
				"Urgency":      "high",
				"Maintainer":   hotfixMaintainer,
				"Date":         "Thu, 02 Jan 2025 03:04:05 +0100",
			}
			for field, value := range want {
				if got := dpkgShow(t, golden, field); got != value {
					t.Errorf("dpkg-parsechangelog -S %s = %q, want %q", field, got, value)
				}
			}
			goldenData, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			// With TestFixturesAgreeWithDpkg and TestPrependEntryGolden this
			// also holds dpkg's entry count to the fixture's plus one.
			agreeWithDpkg(t, golden, goldenData)
		})
	}
}

func writeTemp(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "changelog")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAcceptedCasesAgreeWithDpkg(t *testing.T) {
	requireDpkg(t)
	t.Parallel()
	for _, tt := range acceptedCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			agreeWithDpkg(t, writeTemp(t, tt.data), []byte(tt.data))
		})
	}
}

// TestDpkgAlsoWarns keeps the reader honest in the other direction: it
// refuses only what dpkg-parsechangelog warns about or fails on, apart from
// the deliberate dpkgSilent cases, and dpkg does warn about what it tolerates.
func TestDpkgAlsoWarns(t *testing.T) {
	requireDpkg(t)
	t.Parallel()
	for _, tt := range malformedCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, warnings, ok := runDpkgParsechangelog(t, writeTemp(t, tt.data), "--all")
			complained := !ok || strings.Contains(warnings, "warning")
			switch {
			case tt.dpkgSilent == "" && !complained:
				t.Errorf("we reject it but dpkg-parsechangelog accepts it silently")
			case tt.dpkgSilent != "" && complained:
				t.Errorf("marked dpkgSilent (%s) but dpkg complains:\n%s", tt.dpkgSilent, warnings)
			}
		})
	}
	for _, tt := range toleratedCases {
		t.Run("tolerated "+tt.name, func(t *testing.T) {
			t.Parallel()
			_, warnings, ok := runDpkgParsechangelog(t, writeTemp(t, tt.data), "--all")
			if ok && !strings.Contains(warnings, "warning") {
				t.Errorf("dpkg accepts it silently: move it to acceptedCases")
			}
		})
	}
}
