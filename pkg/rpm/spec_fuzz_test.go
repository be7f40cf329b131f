package rpm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// maxDiffLines bounds the quadratic line diff the fuzz target runs.
const maxDiffLines = 400

// FuzzSpecEdit: parsing and editing never panic; a successful edit reads
// back as set; and apart from tag and macro definition lines and the new
// changelog entry, every original line survives byte for byte.
func FuzzSpecEdit(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(specsDir, "*.spec"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed specs in %s: %v", specsDir, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "9.9.9", "0.bp1")
	}
	f.Add([]byte("Version: %{a}.%{b}\n%global a 1\n"), "1.2", "1")
	f.Add([]byte("%global a %{b\nVersion: %a\n"), "1", "1")

	f.Fuzz(func(t *testing.T, data []byte, version, release string) {
		s, err := ParseSpec("fuzz.spec", data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		// Reading must not panic either, whatever it returns.
		_, _ = s.Name()
		_, _ = s.Epoch()
		_, _ = s.Version()
		_, _ = s.Release()

		versionSet := false
		if _, err := s.SetVersion(version); err == nil {
			versionSet = true
			requireReadsBack(t, s, (*Spec).Version, version)
		}
		release += s.DistMacro()
		if _, err := s.SetRelease(release); err == nil {
			requireReadsBack(t, s, (*Spec).Release, release)
			if versionSet {
				requireReadsBack(t, s, (*Spec).Version, version)
			}
		}
		_ = s.AddChangelog(ChangelogEntry{
			Date:   time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
			Author: "Fuzz <fuzz@example.com>",
			EVR:    "1-1",
			Lines:  []string{"fuzz"},
		})
		checkUntouchedLines(t, data, s.Bytes())
	})
}

func requireReadsBack(t *testing.T, s *Spec, get func(*Spec) (string, error), want string) {
	t.Helper()
	again, err := ParseSpec("fuzz.spec", s.Bytes())
	if err != nil {
		t.Fatalf("the edited spec does not parse: %v", err)
	}
	if got, err := get(again); err != nil || got != want {
		t.Fatalf("the edited spec reads %q, %v; want %q", got, err, want)
	}
}

// checkUntouchedLines allows only tag lines, macro definition lines and a
// last line that gained its newline to change, and at most one changelog
// entry (with its section header) to be inserted.
func checkUntouchedLines(t *testing.T, before, after []byte) {
	t.Helper()
	a, b := rawLines(before), rawLines(after)
	if len(a) > maxDiffLines || len(b) > maxDiffLines {
		return
	}
	removed, added := lineDiff(a, b)
	for _, line := range removed {
		text := strings.TrimRight(line, "\r\n")
		_, _, _, isTag := parseTag(text)
		_, isDef := parseDefinition(text)
		lastWithoutEOL := line == a[len(a)-1] && !strings.HasSuffix(line, "\n")
		if !isTag && !isDef && !lastWithoutEOL {
			t.Fatalf("line %q changed; only tags and macro definitions may", text)
		}
	}
	// Entry: header, one item, a separator blank; plus "%changelog" and a
	// blank line before it when the section was appended.
	if n := len(added) - len(removed); n < 0 || n > 5 {
		t.Fatalf("%d lines inserted; at most one changelog entry may be", n)
	}
}
