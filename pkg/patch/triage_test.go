package patch

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/backport/backport/internal/testtool"
)

// A case is testdata/triage/<name>.txtar: tree/ is the new source, patches/
// the patches in order (patches/series, when present, gives the order and
// -p levels), want/ the whole tree after triage.
type triageCase struct {
	name       string
	newVersion string
	drop       bool
	fates      []Fate
	conflict   bool     // Triage returns a *ConflictError
	reason     []string // substrings of the last result's Reason
	evidence   []string // substrings that some Evidence line of the last result holds
	failed     []string // substrings of the last result's FailedHunks
	modes      map[string]fs.FileMode
	// focus names the patch whose result reason, evidence and failed
	// are about; "" for the last one.
	focus string
	// rewritten are substrings of the refreshed patch file.
	rewritten []string
}

var triageCases = []triageCase{
	{name: "strict", fates: []Fate{Applied}, reason: []string{"fuzz 0"}},
	{name: "offset", fates: []Fate{Refreshed}, evidence: []string{"calc.c: Hunk #1 succeeded at 9 (offset 4 lines)."}},
	{name: "fuzz", fates: []Fate{Refreshed}, evidence: []string{"calc.c: Hunk #1 succeeded at 5 with fuzz 1."}},
	{name: "upstreamed", fates: []Fate{DroppedUpstreamed}, reason: []string{"applies in reverse"},
		evidence: []string{"Origin: upstream, https://example.org/calc/commit/4d2f1a9", "Hunk #1 FAILED"}},
	{name: "applied-upstream", newVersion: "1.4", fates: []Fate{DroppedAppliedUpstream},
		reason:   []string{"applied it in 1.3 (not after 1.4)"},
		evidence: []string{"Applied-Upstream: 1.3, https://example.org/calc/commit/4d2f1a9"}},
	{name: "applied-upstream", newVersion: "1.3", fates: []Fate{DroppedAppliedUpstream}},
	{name: "applied-upstream-later", newVersion: "1.4", fates: []Fate{Conflict}, conflict: true,
		reason: []string{"1 of 1 hunk(s) fail"}, failed: []string{"+\t\tabort();"}},
	{name: "applied-upstream-commit", newVersion: "1.4", fates: []Fate{Refreshed},
		reason: []string{"Applied-Upstream commit:4d2f1a9c, which backport cannot place against 1.4"}},
	{name: "cve-news", fates: []Fate{DroppedCVEFixed}, reason: []string{"CVE-2024-11111", "NEWS"},
		evidence: []string{"NEWS:3: * Security: fix an integer overflow in add() (CVE-2024-11111)."}},
	{name: "cve-news-applies", fates: []Fate{Applied}},
	{name: "cve-header", fates: []Fate{DroppedCVEFixed}, reason: []string{"CVE-2024-22222", "ChangeLog"},
		evidence: []string{"ChangeLog:3: * calc.c (add): check for overflow, fixes cve-2024-22222."}},
	{name: "conflict", fates: []Fate{Conflict}, conflict: true,
		reason:   []string{"1 of 3 hunk(s) fail"},
		evidence: []string{"calc.c: Hunk #2 FAILED at 17."},
		failed:   []string{"--- calc.c", "+\tif (a != 0 && b > __INT_MAX__ / a)"}},
	{name: "conflict-drop", drop: true, fates: []Fate{DroppedConflicting, Applied}, focus: "checks.patch",
		reason: []string{"--drop-conflicting-patches", "1 of 3 hunk(s) fail"},
		failed: []string{"+\tif (a != 0 && b > __INT_MAX__ / a)"}},
	{name: "create-delete", fates: []Fate{Applied}, modes: map[string]fs.FileMode{"scripts/run.sh": 0o755}},
	{name: "p0", fates: []Fate{Applied}},
	{name: "quilt-series", fates: []Fate{Applied, Applied}},
	{name: "refresh-git", fates: []Fate{Refreshed}, modes: map[string]fs.FileMode{"scripts/run.sh": 0o755},
		rewritten: []string{"diff --git a/calc.c b/calc.c\n--- a/calc.c\n+++ b/calc.c\n@@ -5,6 +5,8 @@\n /* adder */\n",
			"diff --git a/scripts/run.sh b/scripts/run.sh\nnew file mode 100755\n--- /dev/null\n+++ b/scripts/run.sh\n@@ -0,0 +1,2 @@\n"}},
	{name: "missing-file", fates: []Fate{Conflict}, conflict: true,
		evidence: []string{"can't find file to patch"}, failed: []string{"--- a/src/util.c", "+\treturn 2;"}},
	{name: "empty", fates: []Fate{Applied}, reason: []string{"no file changes"}},
	{name: "created-upstream", fates: []Fate{DroppedUpstreamed}},
}

func TestTriage(t *testing.T) {
	testtool.Require(t, "patch")
	for _, c := range triageCases {
		t.Run(c.name+"/"+c.newVersion, func(t *testing.T) {
			t.Parallel()
			fx := loadFixture(t, c.name)
			var log bytes.Buffer
			results, err := Triage(context.Background(), Options{
				Tree: fx.tree, NewVersion: c.newVersion, DropConflicting: c.drop, Log: &log,
			}, fx.patches)
			defer func() {
				if t.Failed() {
					t.Logf("attempt log:\n%s", log.String())
				}
			}()
			var ce *ConflictError
			if c.conflict != errors.As(err, &ce) {
				t.Fatalf("Triage error = %v, want a ConflictError: %v", err, c.conflict)
			}
			if err != nil && !c.conflict {
				t.Fatal(err)
			}
			var fates []Fate
			for _, r := range results {
				fates = append(fates, r.Fate)
			}
			if !equalFates(fates, c.fates) {
				t.Fatalf("fates = %q, want %q", fates, c.fates)
			}
			last := results[len(results)-1]
			for _, r := range results {
				if r.Patch.Name == c.focus {
					last = r
				}
			}
			if ce != nil {
				if ce.Result.Fate != Conflict || ce.Result.Patch.Name != results[len(results)-1].Patch.Name {
					t.Errorf("ConflictError holds %+v, want the last result", ce.Result)
				}
				if msg := ce.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, last.Patch.Name) {
					t.Errorf("ConflictError %q: want one line naming the patch", msg)
				}
			}
			if strings.Contains(last.Reason, "\n") || last.Reason == "" {
				t.Errorf("Reason %q: want one non-empty line", last.Reason)
			}
			for _, want := range c.reason {
				if !strings.Contains(last.Reason, want) {
					t.Errorf("Reason %q does not contain %q", last.Reason, want)
				}
			}
			for _, want := range c.evidence {
				if !anyContains(last.Evidence, want) {
					t.Errorf("Evidence %q has no line containing %q", last.Evidence, want)
				}
			}
			for _, want := range c.failed {
				if !strings.Contains(last.FailedHunks, want) {
					t.Errorf("FailedHunks does not contain %q:\n%s", want, last.FailedHunks)
				}
			}
			if (last.Fate == Conflict || last.Fate == DroppedConflicting) != (last.FailedHunks != "") {
				t.Errorf("FailedHunks = %q for fate %s", last.FailedHunks, last.Fate)
			}
			checkTree(t, fx.tree, fx.want, c.modes)
			for i, r := range results {
				checkPatchFile(t, fx, i, r)
			}
			for _, want := range c.rewritten {
				data, _ := os.ReadFile(last.Patch.Path)
				if !strings.Contains(string(data), want) {
					t.Errorf("refreshed patch does not contain %q:\n%s", want, data)
				}
			}
		})
	}
}

// fixture is a case unpacked into a temporary directory.
type fixture struct {
	dir      string
	tree     string
	orig     string // a pristine copy of tree/
	patches  []Patch
	original map[string][]byte // patch name → content before triage
	want     map[string][]byte
}

func loadFixture(t *testing.T, name string) *fixture {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "triage", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fx := &fixture{dir: dir, tree: filepath.Join(dir, "tree"), orig: filepath.Join(dir, "orig"),
		original: map[string][]byte{}, want: map[string][]byte{}}
	var order []string
	strips := map[string]int{}
	for _, f := range ar.Files {
		kind, rel, _ := strings.Cut(f.Name, "/")
		switch kind {
		case "tree":
			writeFile(t, filepath.Join(fx.tree, rel), f.Data)
			writeFile(t, filepath.Join(fx.orig, rel), f.Data)
		case "want":
			fx.want[rel] = f.Data
		case "patches":
			if rel == "series" {
				order = order[:0]
				for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
					fields := strings.Fields(l)
					order = append(order, fields[0])
					if len(fields) > 1 {
						strips[fields[0]], _ = strconv.Atoi(strings.TrimPrefix(fields[1], "-p"))
					}
				}
				continue
			}
			writeFile(t, filepath.Join(dir, "patches", rel), f.Data)
			fx.original[rel] = f.Data
			if _, ok := strips[rel]; !ok {
				order = append(order, rel)
				strips[rel] = 1
			}
		}
	}
	for _, n := range order {
		fx.patches = append(fx.patches, Patch{Name: n, Path: filepath.Join(dir, "patches", n), Strip: strips[n]})
	}
	return fx
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readTree returns every file under root; directories must hold files.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if entries, _ := os.ReadDir(p); len(entries) == 0 {
				t.Errorf("empty directory %s left in the tree", rel)
			}
			return nil
		}
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkTree fails unless root holds exactly want: a stray .orig or .rej, a
// leftover file or a missing one all count.
func checkTree(t *testing.T, root string, want map[string][]byte, modes map[string]fs.FileMode) {
	t.Helper()
	got := readTree(t, root)
	var names []string
	for n := range got {
		names = append(names, n)
	}
	for n := range want {
		if _, ok := got[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		g, inGot := got[n]
		w, inWant := want[n]
		switch {
		case !inWant:
			t.Errorf("tree has %s, which should not be there", n)
		case !inGot:
			t.Errorf("tree lacks %s", n)
		case !bytes.Equal(g, w):
			t.Errorf("%s =\n%s\nwant\n%s", n, g, w)
		}
	}
	for n, mode := range modes {
		fi, err := os.Stat(filepath.Join(root, n))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v (%v), want %v", n, fi.Mode().Perm(), err, mode)
		}
	}
}

// checkPatchFile checks that only refreshed patches were rewritten, that a
// rewrite keeps the header, and that it applies with fuzz 0 and no offset
// to the tree as it was before that patch.
func checkPatchFile(t *testing.T, fx *fixture, i int, r Result) {
	t.Helper()
	p := fx.patches[i]
	data, err := os.ReadFile(p.Path)
	if err != nil {
		t.Fatal(err)
	}
	orig := fx.original[p.Name]
	if r.Fate != Refreshed {
		if !bytes.Equal(data, orig) {
			t.Errorf("%s (%s) was rewritten", p.Name, r.Fate)
		}
		return
	}
	if bytes.Equal(data, orig) {
		t.Fatalf("%s is refreshed but its file is unchanged", p.Name)
	}
	head := parsePatch(orig).preamble()
	if !bytes.HasPrefix(data, []byte(head)) {
		t.Errorf("refreshed %s lost its header %q:\n%s", p.Name, head, data)
	}
	// Apply the earlier patches (as they are now) and then this one to a
	// fresh copy, strictly.
	tree := filepath.Join(t.TempDir(), "tree")
	if err := os.CopyFS(tree, os.DirFS(fx.orig)); err != nil {
		t.Fatal(err)
	}
	for _, q := range fx.patches[:i+1] {
		out, err := exec.Command("patch", "-d", tree, "-p"+strconv.Itoa(q.Strip), "-F0", "--no-backup-if-mismatch", "-i", q.Path).CombinedOutput()
		if err != nil || strings.Contains(string(out), "offset") || strings.Contains(string(out), "fuzz") {
			t.Fatalf("refreshed %s does not apply strictly: %v\n%s\n%s", q.Name, err, out, data)
		}
	}
	if i == len(fx.patches)-1 {
		checkTree(t, tree, fx.want, nil)
	}
}

func equalFates(a, b []Fate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func anyContains(lines []string, want string) bool {
	for _, l := range lines {
		if strings.Contains(l, want) {
			return true
		}
	}
	return false
}
