package version

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

// pair is two versions to order with a real tool.
type pair struct{ a, b string }

// safeForScripts guards the quoting below: the helpers put versions in
// double-quoted Lua strings and single-quoted shell words.
func safeForScripts(t *testing.T, vs ...string) {
	t.Helper()
	for _, v := range vs {
		if strings.ContainsAny(v, "\"'\\\n%") {
			t.Fatalf("version %q cannot be passed to the real tools safely", v)
		}
	}
}

// rpmVercmpAll orders every pair with rpm's own rpm.vercmp (rpmverCmp on
// whole [E:]V[-R] strings), in one rpm process running a Lua loop.
func rpmVercmpAll(t *testing.T, pairs []pair) []int {
	t.Helper()
	rpm := testtool.Require(t, "rpm")
	if len(pairs) == 0 {
		return nil
	}
	var lua strings.Builder
	lua.WriteString("local pairs_ = {\n")
	for _, p := range pairs {
		safeForScripts(t, p.a, p.b)
		fmt.Fprintf(&lua, "{%q, %q},\n", p.a, p.b)
	}
	lua.WriteString("}\nfor _, p in ipairs(pairs_) do io.write(rpm.vercmp(p[1], p[2]), \"\\n\") end\n")
	script := filepath.Join(t.TempDir(), "vercmp.lua")
	if err := os.WriteFile(script, []byte(lua.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, rpm, "--eval", `%{lua: dofile("`+script+`")}`)
	return parseResults(t, "rpm", out, len(pairs))
}

// dpkgConfirmAll asks dpkg --compare-versions whether each pair stands in
// the wanted order (-1 lt, 0 eq, 1 gt), in one shell script with one dpkg
// run per pair (starting a process is the slow part). Any warning dpkg
// prints about a version fails the test.
func dpkgConfirmAll(t *testing.T, pairs []pair, want []int) []bool {
	t.Helper()
	dpkg := testtool.Require(t, "dpkg")
	if len(pairs) == 0 {
		return nil
	}
	ops := map[int]string{-1: "lt", 0: "eq", 1: "gt"}
	var sh strings.Builder
	for i, p := range pairs {
		safeForScripts(t, p.a, p.b)
		// Exit status 0: the relation holds; 1: it does not; else an error.
		fmt.Fprintf(&sh, "'%s' --compare-versions '%s' %s '%s'; echo $?\n", dpkg, p.a, ops[want[i]], p.b)
	}
	out := run(t, "sh", "-c", sh.String())
	statuses := strings.Fields(out)
	if len(statuses) != len(pairs) {
		t.Fatalf("dpkg gave %d results for %d pairs:\n%s", len(statuses), len(pairs), out)
	}
	holds := make([]bool, len(pairs))
	for i, st := range statuses {
		switch st {
		case "0":
			holds[i] = true
		case "1":
		default:
			t.Fatalf("dpkg --compare-versions %q %s %q exited %s", pairs[i].a, ops[want[i]], pairs[i].b, st)
		}
	}
	return holds
}

// dpkgValidate reports whether dpkg --validate-version accepts v without
// error or warning.
func dpkgValidate(t *testing.T, v string) bool {
	t.Helper()
	dpkg := testtool.Require(t, "dpkg")
	cmd := exec.Command(dpkg, "--validate-version", v)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return err == nil && stderr.Len() == 0
}

// rpmspecAccepts reports whether rpmbuild's spec parser accepts value in a
// spec's Version field.
func rpmspecAccepts(t *testing.T, value string) bool {
	t.Helper()
	rpmspec := testtool.Require(t, "rpmspec")
	spec := "Name: probe\nVersion: " + value + "\nRelease: 1\nSummary: probe\nLicense: MIT\n%description\nprobe\n"
	path := filepath.Join(t.TempDir(), "probe.spec")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(rpmspec, "-q", "--qf", "%{version}\n", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return err == nil && !strings.Contains(stderr.String(), "error:")
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("%s wrote to stderr (a version it found invalid?):\n%s", name, stderr.String())
	}
	return stdout.String()
}

func parseResults(t *testing.T, tool, out string, want int) []int {
	t.Helper()
	lines := strings.Fields(out)
	if len(lines) != want {
		t.Fatalf("%s gave %d results for %d pairs:\n%s", tool, len(lines), want, out)
	}
	results := make([]int, want)
	for i, l := range lines {
		n, err := strconv.Atoi(l)
		if err != nil {
			t.Fatalf("%s result %d is %q, not a number", tool, i, l)
		}
		results[i] = sign(n)
	}
	return results
}

// crossCheck requires the real tool of family f to order each pair as
// want says.
func crossCheck(t *testing.T, f Family, pairs []pair, want []int) {
	t.Helper()
	if f == Deb {
		for i, ok := range dpkgConfirmAll(t, pairs, want) {
			if !ok {
				t.Errorf("dpkg disagrees: %s vs %s is not %d", pairs[i].a, pairs[i].b, want[i])
			}
		}
		return
	}
	got := rpmVercmpAll(t, pairs)
	for i, p := range pairs {
		if got[i] != want[i] {
			t.Errorf("rpm orders %s vs %s as %d, want %d", p.a, p.b, got[i], want[i])
		}
	}
}
