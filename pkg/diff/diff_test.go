package diff

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

var cases = []struct{ name, a, b string }{
	{"equal", "x\ny\n", "x\ny\n"},
	{"change middle", "a\nb\nc\nd\ne\nf\ng\nh\ni\n", "a\nb\nc\nd\nE\nf\ng\nh\ni\n"},
	{"insert top", "a\nb\n", "new\n\na\nb\n"},
	{"two hunks", strings.Repeat("l\n", 3) + "x\n" + strings.Repeat("m\n", 10) + "y\n" + strings.Repeat("n\n", 3),
		strings.Repeat("l\n", 3) + "X\n" + strings.Repeat("m\n", 10) + "y\nY2\nY3\n" + strings.Repeat("n\n", 3)},
	{"no newline at end, changed", "x\ny", "x\nz\n"},
	{"no newline both", "x\ny", "x\nz"},
	{"append to no-newline", "x", "x\ny\n"},
	{"from empty", "", "a\nb\n"},
	{"to empty", "a\nb\n", ""},
	{"delete all but one", "a\nb\nc\n", "b\n"},
	{"crlf", "a\r\nb\r\n", "a\r\nc\r\n"},
}

// TestRoundTripWithPatch proves each diff applies with the real patch(1)
// and reproduces b exactly, and that hunk headers match diff -u's.
func TestRoundTripWithPatch(t *testing.T) {
	testtool.Require(t, "patch")
	testtool.Require(t, "diff")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Unified("a/f", "b/f", c.a, c.b)
			if c.a == c.b {
				if d != "" {
					t.Fatalf("diff of equal texts = %q", d)
				}
				return
			}
			dir := t.TempDir()
			f := filepath.Join(dir, "f")
			write(t, f, c.a)
			write(t, filepath.Join(dir, "p.diff"), d)
			cmd := exec.Command("patch", "-s", "-p1", "-i", "p.diff")
			cmd.Dir = dir
			// patch finds "f" from the b/f name after stripping one level.
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("patch: %v\n%s\ndiff:\n%s", err, out, d)
			}
			got, err := os.ReadFile(f)
			if err != nil && c.b != "" {
				t.Fatal(err)
			}
			if string(got) != c.b {
				t.Fatalf("patched = %q, want %q\ndiff:\n%s", got, c.b, d)
			}
			write(t, filepath.Join(dir, "a"), c.a)
			write(t, filepath.Join(dir, "b"), c.b)
			ref, _ := exec.Command("diff", "-u", filepath.Join(dir, "a"), filepath.Join(dir, "b")).Output()
			if gotH, wantH := headers(d), headers(string(ref)); gotH != wantH {
				t.Errorf("hunk headers %q, diff -u gives %q", gotH, wantH)
			}
		})
	}
}

func headers(d string) string {
	var hs []string
	for _, l := range strings.Split(d, "\n") {
		if strings.HasPrefix(l, "@@") {
			hs = append(hs, l)
		}
	}
	return strings.Join(hs, " ")
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
