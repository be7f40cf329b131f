package rpm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const specsDir = "../../testdata/specs"

// hotfixEntry is the changelog entry every golden case adds. The time is
// late evening in UTC-7, already the next day in UTC, so the goldens prove
// the date is written in UTC (Sat Mar 15, not Fri Mar 14).
func hotfixEntry(evr string) ChangelogEntry {
	return ChangelogEntry{
		Date:   time.Date(2025, 3, 14, 20, 30, 0, 0, time.FixedZone("UTC-7", -7*3600)),
		Author: "Jane Doe <jane@example.com>",
		EVR:    evr,
		Lines: []string{
			"Out-of-band hotfix built by backport for CVE-2025-0001",
			"Do not expand %{_libdir} in the installed config file",
		},
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(specsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustParse(t testing.TB, name string, data []byte) *Spec {
	t.Helper()
	s, err := ParseSpec(name, data)
	if err != nil {
		t.Fatalf("ParseSpec: %v", err)
	}
	return s
}

// rawLines splits data into lines that keep their line endings, so that
// comparing them compares every byte.
func rawLines(data []byte) []string {
	return strings.SplitAfter(string(data), "\n")
}

// lineDiff returns the lines of a missing from b and the lines of b new
// relative to a, by longest common subsequence. Quadratic, for test-sized
// inputs only.
func lineDiff(a, b []string) (removed, added []string) {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			removed = append(removed, a[i])
			i++
		default:
			added = append(added, b[j])
			j++
		}
	}
	removed = append(removed, a[i:]...)
	added = append(added, b[j:]...)
	return removed, added
}

// matchNotes fails unless got has one note per want, in order, each
// containing its want.
func matchNotes(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d notes, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("note %d = %q, want it to contain %q", i, got[i], want[i])
		}
	}
}
