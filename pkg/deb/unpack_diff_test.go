package deb

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

// numbered returns "line from\n" … "line to\n".
func numbered(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

// hunk10 changes line 10 of numbered(1, 20), with three lines of context.
const hunk10 = "--- a/f.txt\n+++ b/f.txt\n@@ -7,7 +7,7 @@\n line 7\n line 8\n line 9\n-line 10\n+line ten\n line 11\n line 12\n line 13\n"

// diffCases are diffs for applyDiff, each marked with whether GNU patch,
// run with the options dpkg-source uses, applies it. Where it does, the two
// results must be identical; where it refuses, applyDiff must refuse too.
var diffCases = []struct {
	name    string
	applies bool // as GNU patch decides
	files   []srcFile
	diff    string
}{
	{"exact", true, []srcFile{{name: "f.txt", body: numbered(1, 20)}}, hunk10},
	{"offset down", true, []srcFile{{name: "f.txt", body: "new a\nnew b\nnew c\n" + numbered(1, 20)}}, hunk10},
	{"offset up", true, []srcFile{{name: "f.txt", body: numbered(4, 20)}}, hunk10},
	{"nearest of two matches", true, []srcFile{{name: "f.txt", body: numbered(1, 13) + "x\n" + numbered(7, 13)}},
		strings.Replace(hunk10, "@@ -7,7 +7,7 @@", "@@ -12,7 +12,7 @@", 1)},
	{"context changed: would need fuzz", false, []srcFile{{name: "f.txt", body: strings.Replace(numbered(1, 20), "line 12\n", "line twelve\n", 1)}}, hunk10},
	{"already applied", false, []srcFile{{name: "f.txt", body: strings.Replace(numbered(1, 20), "line 10\n", "line ten\n", 1)}}, hunk10},
	{"two hunks, second shifted by the first's offset", true, []srcFile{{name: "f.txt", body: "top\n" + numbered(1, 40)}},
		hunk10 + "@@ -27,7 +27,7 @@\n line 27\n line 28\n line 29\n-line 30\n+line thirty\n line 31\n line 32\n line 33\n"},
	{"hunks out of order", false, []srcFile{{name: "f.txt", body: numbered(1, 40)}},
		"--- a/f.txt\n+++ b/f.txt\n@@ -27,7 +27,7 @@\n line 27\n line 28\n line 29\n-line 30\n+line thirty\n line 31\n line 32\n line 33\n" + hunk10[len("--- a/f.txt\n+++ b/f.txt\n"):]},
	{"end of file", true, []srcFile{{name: "f.txt", body: numbered(1, 20)}},
		"--- a/f.txt\n+++ b/f.txt\n@@ -17,4 +17,4 @@\n line 17\n line 18\n line 19\n-line 20\n+line twenty\n"},
	{"short trailing context only matches at the end", false, []srcFile{{name: "f.txt", body: numbered(17, 20) + numbered(1, 20) + "after\n"}},
		"--- a/f.txt\n+++ b/f.txt\n@@ -17,4 +17,4 @@\n line 17\n line 18\n line 19\n-line 20\n+line twenty\n"},
	{"short leading context only matches at the start", false, []srcFile{{name: "f.txt", body: "before\n" + numbered(1, 20)}},
		"--- a/f.txt\n+++ b/f.txt\n@@ -1,4 +1,4 @@\n-line 1\n+line one\n line 2\n line 3\n line 4\n"},
	{"no newline at end, changed", true, []srcFile{{name: "f.txt", body: "a\nb\nc"}},
		"--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n b\n-c\n\\ No newline at end of file\n+C\n\\ No newline at end of file\n"},
	{"final newline added", true, []srcFile{{name: "f.txt", body: "a\nb\nc"}},
		"--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n b\n-c\n\\ No newline at end of file\n+c\n"},
	{"final newline expected but missing", false, []srcFile{{name: "f.txt", body: "a\nb\nc"}},
		"--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n b\n-c\n+C\n"},
	{"new file in a new directory", true, nil,
		"--- pkg.orig/new/dir/f.txt\n+++ pkg/new/dir/f.txt\n@@ -0,0 +1,2 @@\n+one\n+two\n"},
	{"new file from /dev/null", true, nil, "--- /dev/null\n+++ b/g.txt\n@@ -0,0 +1 @@\n+only\n"},
	{"new file that exists", false, []srcFile{{name: "g.txt", body: "there\n"}}, "--- /dev/null\n+++ b/g.txt\n@@ -0,0 +1 @@\n+only\n"},
	{"file removed", true, []srcFile{{name: "f.txt", body: "a\nb\n"}}, "--- a/f.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n"},
	{"missing file", false, nil, hunk10},
	{"two files, descriptions and an Index line", true, []srcFile{{name: "f.txt", body: numbered(1, 20)}, {name: "src/g.c", body: "int x;\n"}},
		"A description\nwith lines\n\nIndex: f.txt\n===\n" + hunk10 +
			"diff -u a/src/g.c b/src/g.c\n--- a/src/g.c\t2024-01-01 00:00:00.000000000 +0000\n+++ b/src/g.c\t2024-01-02 00:00:00.000000000 +0000\n@@ -1 +1,2 @@\n int x;\n+int y;\n"},
	{"same file twice", true, []srcFile{{name: "f.txt", body: numbered(1, 20)}},
		hunk10 + "--- a/f.txt\n+++ b/f.txt\n@@ -9,3 +9,3 @@\n line 9\n-line ten\n+line TEN\n line 11\n"},
	{"empty context line", true, []srcFile{{name: "f.txt", body: "a\n\nb\nc\n"}},
		"--- a/f.txt\n+++ b/f.txt\n@@ -1,4 +1,4 @@\n a\n\n-b\n+B\n c\n"},
	{"CRLF", true, []srcFile{{name: "f.txt", body: "a\r\nb\r\nc\r\n"}},
		"--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\r\n-b\r\n+B\r\n c\r\n"},
	{"pure insertion without context", true, []srcFile{{name: "f.txt", body: numbered(1, 5)}},
		"--- a/f.txt\n+++ b/f.txt\n@@ -2,0 +3 @@\n+inserted\n"},
	{"executable keeps its mode", true, []srcFile{{name: "run.sh", body: "#!/bin/sh\necho a\n", mode: 0o755}},
		"--- a/run.sh\n+++ b/run.sh\n@@ -1,2 +1,2 @@\n #!/bin/sh\n-echo a\n+echo b\n"},
}

// runGNUPatch applies diff to dir as Dpkg::Source::Patch does and reports
// whether patch succeeded.
func runGNUPatch(t *testing.T, dir, diff string) (bool, string) {
	t.Helper()
	cmd := exec.Command("patch", "-t", "-F", "0", "-N", "-p1", "-u", "-V", "never", "--no-backup-if-mismatch", "-r", "-")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(diff)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PATCH_GET=0")
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return err == nil, string(out)
}

func applyDiffText(t *testing.T, dir, diff string) ([]string, error) {
	t.Helper()
	gz := filepath.Join(t.TempDir(), "pkg_1.0-1.diff.gz")
	gzipFile(t, gz, []byte(diff))
	return applyDiff(context.Background(), gz, dir)
}

func TestApplyDiffCases(t *testing.T) {
	t.Parallel()
	for _, c := range diffCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeTree(t, dir, c.files)
			_, err := applyDiffText(t, dir, c.diff)
			switch {
			case c.applies && err != nil:
				t.Fatalf("applyDiff: %v", err)
			case !c.applies && err == nil:
				t.Fatal("applyDiff applied a diff patch refuses")
			case err != nil && (strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "pkg_1.0-1.diff.gz:")):
				t.Errorf("error %q: want one line naming the diff", err)
			}
		})
	}
}

func TestApplyDiffAgreesWithGNUPatch(t *testing.T) {
	testtool.Require(t, "patch")
	t.Parallel()
	for _, c := range diffCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ours, theirs := t.TempDir(), t.TempDir()
			writeTree(t, ours, c.files)
			writeTree(t, theirs, c.files)
			_, err := applyDiffText(t, ours, c.diff)
			ok, out := runGNUPatch(t, theirs, c.diff)
			if ok != c.applies {
				t.Errorf("GNU patch applies it: %v, the case says %v", ok, c.applies)
			}
			switch {
			case ok && err != nil:
				t.Fatalf("patch applies it, applyDiff fails: %v\npatch said:\n%s", err, out)
			case !ok && err == nil:
				t.Fatalf("patch fails, applyDiff applies it; patch said:\n%s", out)
			case ok:
				if strings.Contains(out, "fuzz") {
					t.Fatalf("patch needed fuzz:\n%s", out)
				}
				compareTrees(t, ours, theirs)
			}
		})
	}
}

func TestApplyDiffReportsChangedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, []srcFile{{name: "f.txt", body: numbered(1, 20)}})
	changed, err := applyDiffText(t, dir, hunk10+"--- a/debian/rules\n+++ b/debian/rules\n@@ -0,0 +1 @@\n+x\n"+hunk10[:24]+"@@ -9,1 +9,1 @@\n-line 9\n+line nine\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"f.txt", "debian/rules"}; strings.Join(changed, ",") != strings.Join(want, ",") {
		t.Errorf("changed = %v, want %v", changed, want)
	}
}

// TestApplyDiffRefusesHostileDiffs: a diff may not reach outside the tree,
// write through a symlink, or hide its target, and what it refuses it must
// not half-do.
func TestApplyDiffRefusesHostileDiffs(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, diff, want string }{
		{"dot-dot", "--- a/../outside.txt\n+++ b/../outside.txt\n@@ -0,0 +1 @@\n+x\n", "is not a safe path"},
		{"dot-dot inside", "--- a/sub/../../outside.txt\n+++ b/sub/../../outside.txt\n@@ -0,0 +1 @@\n+x\n", "is not a safe path"},
		{"through a symlinked directory", "--- a/linkdir/f.txt\n+++ b/linkdir/f.txt\n@@ -0,0 +1 @@\n+x\n", "through the symlink linkdir"},
		{"onto a symlink", "--- a/link.txt\n+++ b/link.txt\n@@ -1 +1 @@\n-a\n+b\n", "through the symlink link.txt"},
		{"onto a directory", "--- a/sub\n+++ b/sub\n@@ -1 +1 @@\n-a\n+b\n", "not a plain file"},
		{"backup name", "--- a/f.dpkg-orig\n+++ b/f.dpkg-orig\n@@ -0,0 +1 @@\n+x\n", "ends in .dpkg-orig"},
		{"quoted name", "--- \"a/f\\txt\"\n+++ \"b/f\\txt\"\n@@ -0,0 +1 @@\n+x\n", "C-style quoted"},
		{"no component to strip", "--- f.txt\n+++ f.txt\n@@ -0,0 +1 @@\n+x\n", "names a file inside the tree"},
		{"both /dev/null", "--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+x\n", "both file names are /dev/null"},
		{"+++ missing", "--- a/f.txt\n@@ -0,0 +1 @@\n+x\n", `expected a "+++ " line`},
		{"no hunk", "--- a/f.txt\n+++ b/f.txt\nnot a hunk\n", `expected a "@@" hunk header`},
		{"hunk longer than its header", "--- a/f.txt\n+++ b/f.txt\n@@ -1,1 +1,2 @@\n a\n-b\n+c\n", "more lines than its header says"},
		{"garbage in hunk", "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\n*b\n", "expected a line starting with"},
		{"ends inside a hunk", "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n", "diff ends inside the hunk"},
		{"stray +++", "+++ b/f.txt\n", `expected a "--- " file header`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			tree := filepath.Join(parent, "tree")
			writeTree(t, tree, []srcFile{
				{name: "f.txt", body: "a\nb\n"}, {name: "sub/x", body: "x\n"},
				{name: "link.txt", link: "f.txt"}, {name: "linkdir", link: "sub"},
			})
			before := snapshotTree(t, tree)
			_, err := applyDiffText(t, tree, c.diff)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line containing %q", err, c.want)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 1 {
				t.Errorf("something was written beside the tree: %v", entries)
			}
			if after := snapshotTree(t, tree); len(after) != len(before) {
				t.Errorf("the tree changed: %d paths before, %d after", len(before), len(after))
			}
		})
	}
}
