package workspace

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenLocksAgainstAnotherProcess(t *testing.T) {
	root := t.TempDir()
	k := Key{"hello", "2.12.3", "debian-12"}
	w, err := Open(root, k)
	if err != nil {
		t.Fatal(err)
	}
	if w.Dir != filepath.Join(root, "hello-2.12.3-debian-12") {
		t.Errorf("Dir = %s", w.Dir)
	}
	// flock excludes other processes; run one that tries the lock.
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "WS_ROOT="+root)
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "is in use by another backport (pid ") {
		t.Fatalf("second process could open a locked workspace:\n%s", out)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w2, err := Open(root, k)
	if err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
	w2.Close()
}

// TestMain doubles as the second process of
// TestOpenLocksAgainstAnotherProcess: with WS_ROOT set it tries the lock
// and prints the error.
func TestMain(m *testing.M) {
	if root := os.Getenv("WS_ROOT"); root != "" {
		if _, err := Open(root, Key{"hello", "2.12.3", "debian-12"}); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestStateRoundTripAndReset(t *testing.T) {
	t.Parallel()
	w, err := Open(t.TempDir(), Key{"jq", "1.7.1", "debian-12"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	type state struct{ Attempts int }
	var s state
	if ok, err := w.LoadState("state", &s); ok || err != nil {
		t.Fatalf("LoadState on a new workspace = %v, %v", ok, err)
	}
	if err := w.SaveState("state", state{3}); err != nil {
		t.Fatal(err)
	}
	if ok, err := w.LoadState("state", &s); !ok || err != nil || s.Attempts != 3 {
		t.Fatalf("LoadState = %v, %v, %+v", ok, err, s)
	}
	if err := os.WriteFile(filepath.Join(w.Dir, "state.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := w.LoadState("state", &s); err == nil || !strings.Contains(err.Error(), "state.json") {
		t.Errorf("corrupt state: error %v, want one naming the file", err)
	}
	if err := os.MkdirAll(filepath.Join(w.Tree(), "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := w.Reset("tree"); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(w.Tree()); len(entries) != 0 {
		t.Errorf("tree not empty after Reset: %v", entries)
	}
	for _, bad := range []string{"", "..", "../x", ".lock", "a/b"} {
		if err := w.Reset(bad); err == nil {
			t.Errorf("Reset(%q) succeeded", bad)
		}
	}
}

func TestOpenRefusesBadKeys(t *testing.T) {
	t.Parallel()
	for _, k := range []Key{{"", "1", "t"}, {"a/b", "1", "t"}, {"a", "..", "t"}, {"a", "1", ""}} {
		if _, err := Open(t.TempDir(), k); err == nil {
			t.Errorf("Open(%+v) succeeded", k)
		}
	}
}
