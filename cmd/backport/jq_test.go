package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

// jqReport is the part of report.json these tests read.
type jqReport struct {
	Status     string
	StopReason string `json:"stop_reason"`
	Hotfix     string `json:"hotfix_version"`
	Packaging  struct{ Suite, Version string }
	Packages   []string
	Patches    []struct {
		Name, Fate, Reason string
		FailedHunks        string `json:"failed_hunks"`
	}
	Attempts []struct {
		Outcome string
		Steps   []struct{ Name string }
	}
	Remedies []struct{ Name, Summary string }
	Files    struct {
		PackagingDiff string `json:"packaging_diff"`
	}
}

// runJSON runs backport with --json in work and decodes the report; code
// is the exit status.
func runJSON(t *testing.T, bin, work string, args ...string) (jqReport, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, append(args, "--json")...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = work, &stdout, &stderr
	_ = cmd.Run()
	var rep jqReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("backport %s: exit %d, no JSON report (%v)\n%s", strings.Join(args, " "), cmd.ProcessState.ExitCode(), err, stderr.String())
	}
	return rep, cmd.ProcessState.ExitCode(), stderr.String()
}

// TestBuildJQ is issue #5's jq target, on this host's mirror: jq's newest
// upstream in unstable (1.8.2) for debian-12.
//   - --packaging auto picks unstable's packaging and goes green with every
//     distro patch applied;
//   - bookworm's 1.6 packaging (29 patches) stops at the first real
//     conflict, in the prepare step, showing its failing hunks;
//   - with --drop-conflicting-patches every patch has a fate (CVE fixed
//     upstream with NEWS.md quoted, upstreamed, or dropped as conflicting),
//     the loop fixes what the old packaging breaks, and stops at the
//     ABI-break guard: upstream removed exported symbols.
//
// The mirror's security pool lacks 1.6-2.1+deb12u3, so bookworm's
// packaging is taken at deb12u2.
func TestBuildJQ(t *testing.T) {
	if testing.Short() {
		t.Skip("builds jq in podman, several times")
	}
	testtool.RequireRoot(t)
	testtool.Require(t, "podman")
	testtool.Require(t, "debootstrap")
	dpkgDeb := testtool.Require(t, "dpkg-deb")
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	work := testWorkdir(t, dir)

	t.Run("auto", func(t *testing.T) {
		rep, code, stderr := runJSON(t, bin, work, "build", "jq", "1.8.2", "--target", "debian-12")
		if code != 0 || rep.Status != "green" || rep.Packaging.Suite != "unstable" || rep.Hotfix != "1.8.2-0~bp1" {
			t.Fatalf("exit %d, report %+v\n%s", code, rep, stderr)
		}
		for _, p := range rep.Patches {
			if p.Fate != "applied" {
				t.Errorf("unstable's patch %s: %s (%s)", p.Name, p.Fate, p.Reason)
			}
		}
		if len(rep.Patches) == 0 {
			t.Error("unstable's jq has patches; the report lists none")
		}
		var jq string
		for _, p := range rep.Packages {
			if strings.HasPrefix(filepath.Base(p), "jq_") {
				jq = p
			}
		}
		if out, err := exec.Command(dpkgDeb, "-f", jq, "Version").Output(); err != nil || strings.TrimSpace(string(out)) != "1.8.2-0~bp1" {
			t.Errorf("dpkg-deb -f %s Version = %q, %v", jq, out, err)
		}
	})

	bookworm := []string{"build", "jq", "1.8.2", "--target", "debian-12", "--packaging", "bookworm", "--distro-version", "1.6-2.1+deb12u2"}
	t.Run("bookworm stops at the first conflict", func(t *testing.T) {
		rep, code, _ := runJSON(t, bin, work, bookworm...)
		if code != 3 || rep.Status != "stopped" || len(rep.Attempts) != 1 {
			t.Fatalf("exit %d, status %s, %d attempts; want 3, stopped, 1", code, rep.Status, len(rep.Attempts))
		}
		last := rep.Patches[len(rep.Patches)-1]
		if last.Fate != "conflict" || !strings.Contains(last.FailedHunks, "@@") || !strings.Contains(rep.StopReason, last.Name) {
			t.Errorf("last patch %+v; stop %q", last, rep.StopReason)
		}
		for _, s := range rep.Attempts[0].Steps {
			if s.Name != "prepare" {
				t.Errorf("a conflict found while preparing ran step %s", s.Name)
			}
		}
	})

	// Every conflict dropped, the loop fixes what the old packaging breaks
	// on the new upstream (a rules step with no input, a refreshed patch
	// that fails upstream's tests, a README no longer shipped) and then
	// stops at a guard: jq 1.8 removed symbols that bookworm's libjq1
	// exported, an ABI break a hotfix must not ship.
	t.Run("bookworm with --drop-conflicting-patches", func(t *testing.T) {
		rep, code, stderr := runJSON(t, bin, work, append(bookworm, "--drop-conflicting-patches")...)
		if code != 3 || rep.Status != "stopped" || !strings.Contains(rep.StopReason, "ABI break") {
			t.Fatalf("exit %d, status %s (%s); want 3 at the ABI-break guard\n%s", code, rep.Status, rep.StopReason, stderr)
		}
		if len(rep.Patches) != 29 {
			t.Errorf("%d patches in the report, want bookworm's 29", len(rep.Patches))
		}
		fates := map[string]int{}
		for _, p := range rep.Patches {
			fates[p.Fate]++
			if p.Reason == "" {
				t.Errorf("patch %s: %s with no reason", p.Name, p.Fate)
			}
		}
		if fates["dropped: CVE fixed upstream"] == 0 || fates["dropped: conflicting"] == 0 || fates["dropped: upstreamed"] == 0 {
			t.Errorf("fates %v: want CVE patches dropped as fixed upstream, upstreamed ones and conflicting ones listed", fates)
		}
		applied := map[string]bool{}
		for _, r := range rep.Remedies {
			applied[r.Name] = true
		}
		for _, want := range []string{"rules-step-obsolete", "patch-breaks-tests", "missing-files"} {
			if !applied[want] {
				t.Errorf("remedy %s not applied; remedies %+v", want, rep.Remedies)
			}
		}
		if len(rep.Packages) != 0 {
			t.Errorf("a stopped build lists packages: %v", rep.Packages)
		}
		diff, err := os.ReadFile(rep.Files.PackagingDiff)
		if err != nil || !strings.Contains(string(diff), "debian/patches/series") || !strings.Contains(string(diff), "# backport:") {
			t.Errorf("packaging.diff does not show the series change and the remedies (%v)", err)
		}
	})
}
