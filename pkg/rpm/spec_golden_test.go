package rpm

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/specs/golden/*.golden from the editor's output")

// goldenCase is one fixture and the hotfix edits applied to it.
type goldenCase struct {
	file    string
	version string // "" leaves the version alone
	release string // as the spec writes it; "" when the spec uses %autorelease
	evr     string // for the changelog entry
	// autoChangelog: the spec uses %autochangelog, AddChangelog must refuse.
	autoChangelog bool
	// changed are the original lines (prefixes, without line ending) that
	// the edits must rewrite; every other original line must survive
	// byte for byte.
	changed []string
	// inserted is how many lines AddChangelog adds.
	inserted int
	notes    []string // one substring per expected note
	// rpmDefines are extra rpmspec --define sets, each checked on its own,
	// for fixtures whose result depends on %if conditions.
	rpmDefines [][]string
	// autorelease is a stand-in for rpmautospec's %autorelease, which
	// Debian's rpm lacks, so the edited spec can still be parsed.
	autorelease string
}

var goldenCases = []goldenCase{
	{file: "plain.spec", version: "2.2.20", release: "0.bp1%{?dist}", evr: "2.2.20-0.bp1",
		changed: []string{"Version:", "Release:"}, inserted: 4},
	// A patch on the same version: only the release moves.
	{file: "dist-braces.spec", release: "3%{dist}.bp1", evr: "1.7-3.bp1",
		changed: []string{"Release:"}, inserted: 4},
	{file: "dist-bare.spec", version: "0.8.5", release: "0.bp1%dist", evr: "0.8.5-0.bp1",
		changed: []string{"Version:", "Release:"}, inserted: 4},
	{file: "global-version.spec", version: "1.4.3", release: "0.bp1%{?dist}", evr: "1.4.3-0.bp1",
		changed: []string{"%global upstream_ver", "Release:"}, inserted: 4,
		notes: []string{"global-version.spec:2: Version: comes from %{upstream_ver}"}},
	{file: "define-version.spec", version: "0.9.8", release: "0.bp1%{?dist}", evr: "0.9.8-0.bp1",
		changed: []string{"%define ver", "Release:"}, inserted: 4,
		notes: []string{"define-version.spec:1: Version: comes from %ver"}},
	{file: "major-minor.spec", version: "3.12", release: "0.bp1%{?dist}", evr: "3.12-0.bp1",
		changed: []string{"%global minor", "Release:"}, inserted: 4,
		notes: []string{"major-minor.spec:2: Version: comes from %{minor}"}},
	{file: "baserelease.spec", version: "5.0.3", release: "0.bp1%{?dist}", evr: "5.0.3-0.bp1",
		changed: []string{"Version:", "%global baserelease"}, inserted: 4,
		notes: []string{"baserelease.spec:2: Release: comes from %{baserelease}"}},
	{file: "release-suffix.spec", release: "5.1%{?dist}", evr: "2.3.0-5.1",
		changed: []string{"%global rel"}, inserted: 4,
		notes: []string{"release-suffix.spec:1: Release: comes from %{rel}"}},
	{file: "epoch.spec", version: "1.8.1", release: "0.bp1%{?dist}", evr: "2:1.8.1-0.bp1",
		changed: []string{"Version:", "Release:"}, inserted: 4},
	{file: "crlf.spec", version: "4.1.2", release: "0.bp1%{?dist}", evr: "4.1.2-0.bp1",
		changed: []string{"Version:", "Release:"}, inserted: 4},
	{file: "tabs.spec", version: "1.0.4", release: "0.bp1%{?dist}", evr: "1.0.4-0.bp1",
		changed: []string{"Version:", "Release:"}, inserted: 4},
	{file: "lowercase.spec", version: "0.3.2", release: "0.bp1%{?dist}", evr: "0.3.2-0.bp1",
		changed: []string{"version:", "release:"}, inserted: 4},
	{file: "if-branches.spec", version: "2.1.1", release: "0.bp1%{?dist}", evr: "2.1.1-0.bp1",
		changed: []string{"Version:        1.9.6", "Version:        2.1.0", "Release:"}, inserted: 4,
		notes:      []string{"if-branches.spec: Version: is set in 2 %if branches (lines 4 and 6)"},
		rpmDefines: [][]string{{"rhel 8"}, {"rhel 9"}}},
	{file: "if-macro.spec", version: "0.12.1", release: "0.bp1%{?dist}", evr: "0.12.1-0.bp1",
		changed: []string{"Version:", "%global baserelease 3", "%global baserelease 1"}, inserted: 4,
		notes: []string{
			"if-macro.spec:4: Release: comes from %{baserelease}",
			"if-macro.spec:2: Release: comes from %{baserelease}",
		},
		rpmDefines: [][]string{{"fedora 41"}}},
	{file: "autorelease.spec", version: "3.2.2", evr: "3.2.2-1",
		changed: []string{"Version:"}, inserted: 4, autorelease: "1%{?dist}"},
	{file: "autochangelog.spec", version: "0.5.1", autoChangelog: true,
		changed: []string{"Version:"}, autorelease: "1%{?dist}"},
	// The file has no final newline: its last line gains one, and the
	// appended section ends without one.
	{file: "no-changelog.spec", version: "1.1.1", release: "0.bp1%{?dist}", evr: "1.1.1-0.bp1",
		changed: []string{"Version:", "Release:", "%{_bindir}/sundew"}, inserted: 5},
	{file: "no-eol.spec", version: "2.0.1", release: "0.bp1%{?dist}", evr: "2.0.1-0.bp1",
		changed: []string{"Version:", "Release:"}, inserted: 4},
	{file: "subpackages.spec", version: "4.6.3", release: "0.bp1%{?dist}", evr: "4.6.3-0.bp1",
		changed: []string{"Version:        4.6.2", "Release:        8"}, inserted: 4},
	{file: "continued-global.spec", version: "6.0.2", release: "0.bp1%{?dist}", evr: "6.0.2-0.bp1",
		changed: []string{"Version:        6", "Release:"}, inserted: 4},
}

// applyHotfix runs the edits of c on its fixture, checking the errors that
// must happen, and returns the edited spec and the notes.
func applyHotfix(t *testing.T, c goldenCase) ([]byte, []string) {
	t.Helper()
	s := mustParse(t, c.file, readFixture(t, c.file))
	var notes []string
	if c.version != "" {
		n, err := s.SetVersion(c.version)
		if err != nil {
			t.Fatalf("SetVersion(%q): %v", c.version, err)
		}
		notes = append(notes, n...)
	}
	if c.release != "" {
		n, err := s.SetRelease(c.release)
		if err != nil {
			t.Fatalf("SetRelease(%q): %v", c.release, err)
		}
		notes = append(notes, n...)
	} else {
		before := s.Bytes()
		var auto *AutoreleaseError
		if _, err := s.SetRelease("0.bp1%{?dist}"); !errors.As(err, &auto) || auto.Macro != "%autorelease" {
			t.Fatalf("SetRelease on a %%autorelease spec: got %v, want an *AutoreleaseError", err)
		}
		if !bytes.Equal(before, s.Bytes()) {
			t.Fatal("a refused SetRelease changed the spec")
		}
	}
	err := s.AddChangelog(hotfixEntry(c.evr))
	if c.autoChangelog {
		var auto *AutoreleaseError
		if !errors.As(err, &auto) || auto.Macro != "%autochangelog" {
			t.Fatalf("AddChangelog on a %%autochangelog spec: got %v, want an *AutoreleaseError", err)
		}
	} else if err != nil {
		t.Fatalf("AddChangelog: %v", err)
	}
	return s.Bytes(), notes
}

func goldenPath(file string) string {
	return filepath.Join(specsDir, "golden", file+".golden")
}

func TestSpecGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.file, func(t *testing.T) {
			got, notes := applyHotfix(t, c)
			matchNotes(t, notes, c.notes)
			path := goldenPath(c.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/rpm -run TestSpecGolden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				removed, added := lineDiff(rawLines(want), rawLines(got))
				t.Errorf("output differs from %s\n--- golden\n%s+++ got\n%s", path,
					strings.Join(removed, ""), strings.Join(added, ""))
			}
		})
	}
}

// TestSpecEditTouchesOnlyChangedLines proves the editor's promise: apart
// from the lines a case names and the inserted changelog entry, every byte
// of the input, line endings included, is still there and in order.
func TestSpecEditTouchesOnlyChangedLines(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			orig := readFixture(t, c.file)
			got, _ := applyHotfix(t, c)
			removed, added := lineDiff(rawLines(orig), rawLines(got))

			unmatched := append([]string(nil), c.changed...)
			for _, line := range removed {
				text := strings.TrimRight(line, "\r\n")
				k := -1
				for i, prefix := range unmatched {
					if strings.HasPrefix(text, prefix) {
						k = i
						break
					}
				}
				if k < 0 {
					t.Errorf("line %q changed, but the case does not expect it to", text)
					continue
				}
				unmatched = append(unmatched[:k], unmatched[k+1:]...)
			}
			for _, prefix := range unmatched {
				t.Errorf("no changed line starts with %q", prefix)
			}
			if n := len(added) - len(removed); n != c.inserted {
				t.Errorf("%d lines inserted, want %d:\n%s", n, c.inserted, strings.Join(added, ""))
			}
			if crlf := bytes.Count(orig, []byte("\r\n")); crlf > 0 && bytes.Count(got, []byte("\r\n")) != bytes.Count(got, []byte("\n")) {
				t.Error("a CRLF file gained LF-only lines")
			}
			if !bytes.HasSuffix(orig, []byte("\n")) && bytes.HasSuffix(got, []byte("\n")) {
				t.Error("a file without a final newline gained one")
			}
		})
	}
}

// TestSpecGoldenFixturesCovered keeps the table and testdata in step: a
// fixture without a case would escape every check.
func TestSpecGoldenFixturesCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(specsDir, "*.spec"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{}
	for _, c := range goldenCases {
		cases[c.file] = true
	}
	for _, f := range files {
		if !cases[filepath.Base(f)] {
			t.Errorf("%s has no golden case", f)
		}
	}
	if len(files) < 16 {
		t.Errorf("only %d fixtures, want at least 16", len(files))
	}
}
