package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes runs Main in-process and checks the exit status and that
// every failure is a single line on stderr with nothing on stdout.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "broken.spec")
	if err := os.WriteFile(spec, []byte("Name: broken\nRelease: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"version"}, 0},
		{[]string{"frobnicate"}, 2},
		{[]string{"version", "--nope"}, 2},
		{[]string{"bump"}, 2},
		{[]string{"bump", spec}, 2},                                         // --version missing
		{[]string{"bump", spec, "--version", "2 0"}, 2},                     // rpm would reject it
		{[]string{"bump", spec, "--version", "2.0", "--cve", "CVE-12"}, 2},  // malformed CVE id
		{[]string{"bump", spec, "--version", "2.0", "--vendor", "suse"}, 2}, // unknown vendor
		{[]string{"bump", filepath.Join(dir, "missing.spec"), "--version", "2.0"}, 1},
		{[]string{"bump", spec, "--version", "2.0"}, 1}, // the spec has no Version
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		got := Main(context.Background(), tt.args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, BuildInfo{})
		if got != tt.want {
			t.Errorf("backport %s: exit %d, want %d (stderr %q)", strings.Join(tt.args, " "), got, tt.want, errb.String())
			continue
		}
		if got == 0 {
			continue
		}
		if out.Len() != 0 {
			t.Errorf("backport %s: stdout %q, want nothing on failure", strings.Join(tt.args, " "), out.String())
		}
		first, _, _ := strings.Cut(errb.String(), "\n")
		if !strings.HasPrefix(first, "backport: ") || strings.Contains(errb.String(), "goroutine") {
			t.Errorf("backport %s: stderr %q, want one 'backport: ' line", strings.Join(tt.args, " "), errb.String())
		}
	}
	if b, _ := os.ReadFile(spec); string(b) != "Name: broken\nRelease: 1\n" {
		t.Errorf("a failed bump changed the file: %q", b)
	}
}
