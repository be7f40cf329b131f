package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestPlainWhenNotATerminal(t *testing.T) {
	t.Parallel()
	var out, errw bytes.Buffer
	u := New(&out, &errw, env(nil))
	u.Error("boom %d", 1)
	u.Warn("careful")
	u.Success("done")
	u.Diff("--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n")
	if strings.Contains(errw.String()+out.String(), "\x1b[") {
		t.Fatalf("escape codes in non-terminal output: %q %q", errw.String(), out.String())
	}
	want := "backport: boom 1\nwarning: careful\n✓ done\n"
	if errw.String() != want {
		t.Errorf("stderr = %q, want %q", errw.String(), want)
	}
	if out.String() != "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n" {
		t.Errorf("diff altered: %q", out.String())
	}
	if u.Interactive() {
		t.Error("a buffer is not interactive")
	}
}

// TestNoColorOnTerminal needs a real terminal; /dev/ptmx gives one where
// available, so the NO_COLOR rule is checked against a TTY, not a buffer.
func TestNoColorOnTerminal(t *testing.T) {
	master, tty, err := openPTY()
	if err != nil {
		testtool.SkipOrFail(t, "no pseudo-terminal here: %v", err)
	}
	defer master.Close()
	defer tty.Close()
	if !IsTerminal(tty) {
		t.Fatal("pty slave is not detected as a terminal")
	}
	colored := New(tty, tty, env(map[string]string{"TERM": "xterm"}))
	if !colored.errColor || !colored.outColor {
		t.Error("a terminal without NO_COLOR should get colour")
	}
	plain := New(tty, tty, env(map[string]string{"NO_COLOR": "1", "TERM": "xterm"}))
	if plain.errColor || plain.outColor {
		t.Error("NO_COLOR must turn colour off on a terminal")
	}
	dumb := New(tty, tty, env(map[string]string{"TERM": "dumb"}))
	if dumb.errColor {
		t.Error("TERM=dumb must turn colour off")
	}
	if s := colored.Accent("x"); !strings.Contains(s, "\x1b[") {
		t.Errorf("Accent on a colour terminal = %q, want escape codes", s)
	}
	if s := plain.Accent("x"); s != "x" {
		t.Errorf("Accent with NO_COLOR = %q, want plain", s)
	}
}

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 725606: "708.6 KiB", 10 << 20: "10.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
