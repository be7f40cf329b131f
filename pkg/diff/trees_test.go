package diff

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTreesAppliesWithPatch checks the diff against the real patch: applied
// with -p1 to a copy of the old tree it gives the new tree.
func TestTreesAppliesWithPatch(t *testing.T) {
	t.Parallel()
	patchTool := testtool.Require(t, "patch")
	root := t.TempDir()
	oldDir, newDir := filepath.Join(root, "old"), filepath.Join(root, "new")
	writeTree(t, oldDir, map[string]string{
		"debian/changelog":         "hello (2.10-3) unstable; urgency=low\n",
		"debian/rules":             "#!/usr/bin/make -f\n%:\n\tdh $@\n",
		"debian/patches/series":    "fix.patch\nold.patch\n",
		"debian/patches/old.patch": "--- a/x\n+++ b/x\n",
		"debian/same":              "unchanged\n",
		"debian/no-newline":        "last",
		".pc/applied-patches":      "fix.patch\n",
	})
	writeTree(t, newDir, map[string]string{
		"debian/changelog":      "hello (2.12.3-0~bp1) bookworm; urgency=medium\n\nhello (2.10-3) unstable; urgency=low\n",
		"debian/rules":          "#!/usr/bin/make -f\n%:\n\tdh $@\n\noverride_dh_autoreconf:\n",
		"debian/patches/series": "fix.patch\n",
		"debian/same":           "unchanged\n",
		"debian/no-newline":     "last\n",
		"debian/new/file":       "added\n",
		".pc/applied-patches":   "other\n",
	})
	skip := func(rel string) bool { return rel == ".pc" }
	d, err := Trees(oldDir, newDir, skip)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--- /dev/null\n+++ b/debian/new/file\n", "--- a/debian/patches/old.patch\n+++ /dev/null\n", "+override_dh_autoreconf:\n"} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
	if strings.Contains(d, "debian/same") || strings.Contains(d, ".pc") {
		t.Errorf("diff names an unchanged or skipped file:\n%s", d)
	}
	// Apply it to a copy of the old tree, without the skipped directory.
	work := filepath.Join(root, "work")
	writeTree(t, work, map[string]string{
		"debian/changelog":         "hello (2.10-3) unstable; urgency=low\n",
		"debian/rules":             "#!/usr/bin/make -f\n%:\n\tdh $@\n",
		"debian/patches/series":    "fix.patch\nold.patch\n",
		"debian/patches/old.patch": "--- a/x\n+++ b/x\n",
		"debian/same":              "unchanged\n",
		"debian/no-newline":        "last",
	})
	cmd := exec.Command(patchTool, "-p1", "-E", "--batch", "--no-backup-if-mismatch")
	cmd.Dir, cmd.Stdin = work, strings.NewReader(d)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch: %v\n%s", err, out)
	}
	again, err := Trees(work, newDir, skip)
	if err != nil || again != "" {
		t.Errorf("after patch -p1, the trees still differ (%v):\n%s", err, again)
	}
}

func TestTreesEqualAndAbsent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a": "1\n", "b/c": "2\n"})
	if d, err := Trees(dir, dir, nil); err != nil || d != "" {
		t.Errorf("Trees(dir, dir) = %q, %v", d, err)
	}
	d, err := Trees("", dir, nil)
	if err != nil || strings.Count(d, "--- /dev/null") != 2 {
		t.Errorf("Trees(\"\", dir) = %q, %v", d, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin"), []byte("x\x00y"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, _ := Trees("", dir, nil); !strings.Contains(d, "Binary files /dev/null and b/bin differ") {
		t.Errorf("binary file not named:\n%s", d)
	}
}
