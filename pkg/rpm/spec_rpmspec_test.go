package rpm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

// These tests hand the golden outputs to the real rpmspec.
//
// Measured on rpm 4.18 (Debian): "rpmspec -P" does not parse %changelog at
// all. "rpmspec -q" and rpmbuild do, but a bad entry (weekday not matching
// the date, impossible date, no name, entries out of order, no text) only
// prints "error: …" or "warning: bogus date …" on stderr, exits 0, and
// drops or truncates the changelog. So the changelog is proved by querying
// the header and requiring a clean stderr and the expected entries.

// rpmspecRun runs rpmspec with the given defines and arguments and returns
// stdout, failing the test on a non-zero exit.
func rpmspecRun(t *testing.T, bin string, defines []string, args ...string) (stdout, stderr string) {
	t.Helper()
	var full []string
	for _, d := range defines {
		full = append(full, "--define", d)
	}
	full = append(full, args...)
	cmd := exec.Command(bin, full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("rpmspec %s: %v\n%s", strings.Join(full, " "), err, errb.String())
	}
	return out.String(), errb.String()
}

// rpmComplaints returns the lines where rpm reports a problem.
func rpmComplaints(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "error:") || strings.Contains(l, "warning:") {
			out = append(out, l)
		}
	}
	return out
}

// writeTemp writes data to dir/name and returns the path.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// expectedRelease replaces the spec's dist macro in release with dist.
func expectedRelease(release, dist string) string {
	for _, f := range distForms {
		release = strings.ReplaceAll(release, f, dist)
	}
	return release
}

func TestGoldenSpecsWithRpmspec(t *testing.T) {
	bin := testtool.Require(t, "rpmspec")
	for _, c := range goldenCases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			golden, err := os.ReadFile(goldenPath(c.file))
			if err != nil {
				t.Fatal(err)
			}
			orig := mustParse(t, c.file, readFixture(t, c.file))
			edited := mustParse(t, c.file, golden)
			path := writeTemp(t, c.file, golden)

			version := c.version
			if version == "" {
				version, _ = orig.Version()
			}
			release := c.release
			var base []string
			if c.autorelease != "" {
				release = c.autorelease
				base = append(base, "autorelease "+c.autorelease, "autochangelog %{nil}")
			}

			// The version-release rpm computes, with the dist tag set and
			// empty, and under each %if condition the fixture cares about.
			dists := map[string]string{".el9": "dist .el9", "": "dist %{nil}"}
			for dist, define := range dists {
				defineSets := [][]string{append(append([]string{}, base...), define)}
				for _, extra := range c.rpmDefines {
					defineSets = append(defineSets, append(append([]string{}, defineSets[0]...), extra...))
				}
				for _, defines := range defineSets {
					out, stderr := rpmspecRun(t, bin, defines, "-q", "--srpm", "--qf", "%{VERSION}-%{RELEASE}\n", path)
					want := version + "-" + expectedRelease(release, dist)
					if got := strings.TrimSpace(out); got != want {
						t.Errorf("with %q rpmspec says %s, want %s", defines, got, want)
					}
					if p := rpmComplaints(stderr); len(p) > 0 {
						t.Errorf("with %q rpmspec complains:\n%s", defines, strings.Join(p, "\n"))
					}
				}
			}
			// Debian's rpm leaves %{?dist} undefined: it must vanish.
			if edited.DistMacro() == "%{?dist}" {
				out, _ := rpmspecRun(t, bin, base, "-q", "--srpm", "--qf", "%{RELEASE}\n", path)
				if got, want := strings.TrimSpace(out), expectedRelease(release, ""); got != want {
					t.Errorf("without a dist define rpmspec says release %s, want %s", got, want)
				}
			}

			// rpmspec -P parses the whole spec, sections included.
			if _, stderr := rpmspecRun(t, bin, append(base, "dist .el9"), "-P", path); len(rpmComplaints(stderr)) > 0 {
				t.Errorf("rpmspec -P complains:\n%s", stderr)
			}
			if !c.autoChangelog {
				origPath := writeTemp(t, c.file, readFixture(t, c.file))
				for _, p := range changelogProblems(t, bin, append(base, "dist .el9"), origPath, path, c.evr) {
					t.Error(p)
				}
			}
		})
	}
}

// changelogProblems lists what is wrong with the edited spec's changelog as
// rpm reads it: any complaint, a lost entry, or a top entry other than the
// hotfix entry for evr. An empty list proves the entry is valid.
func changelogProblems(t *testing.T, bin string, defines []string, origPath, editedPath, evr string) []string {
	t.Helper()
	var problems []string
	countEntries := func(p string) int {
		out, stderr := rpmspecRun(t, bin, defines, "-q", "--srpm", "--qf", "[%{CHANGELOGTIME}\n]", p)
		for _, c := range rpmComplaints(stderr) {
			problems = append(problems, filepath.Base(p)+": "+c)
		}
		return strings.Count(out, "\n")
	}
	before := countEntries(origPath)
	if after := countEntries(editedPath); after != before+1 {
		problems = append(problems, fmt.Sprintf("rpm sees %d changelog entries, want %d", after, before+1))
	}
	out, _ := rpmspecRun(t, bin, defines, "-q", "--srpm", "--qf",
		"%{CHANGELOGTIME:day}\n%{CHANGELOGNAME}\n%{CHANGELOGTEXT}\n", editedPath)
	// rpm keeps a CRLF file's carriage returns in the header.
	got := strings.ReplaceAll(out, "\r", "")
	e := hotfixEntry(evr)
	want := "Sat Mar 15 2025\n" + e.Author + " - " + evr + "\n- " + strings.Join(e.Lines, "\n- ") + "\n"
	if got != want {
		problems = append(problems, fmt.Sprintf("rpm's top changelog entry:\n%s\nwant:\n%s", got, want))
	}
	return problems
}

// TestRpmspecChangelogCheckCanFail is the control for changelogProblems:
// entries rpm rejects or misreads are flagged, so a clean result means
// something. Measured: an entry without text is not reported at all; rpm
// takes the next entry as its text, which only the entry count reveals.
func TestRpmspecChangelogCheckCanFail(t *testing.T) {
	bin := testtool.Require(t, "rpmspec")
	golden, err := os.ReadFile(goldenPath("plain.spec"))
	if err != nil {
		t.Fatal(err)
	}
	g := string(golden)
	header := "* Sat Mar 15 2025 Jane Doe <jane@example.com> - 2.2.20-0.bp1"
	text := "- Out-of-band hotfix built by backport for CVE-2025-0001\n- Do not expand %%{_libdir} in the installed config file\n"
	variants := map[string]string{
		"unbroken":      g,
		"wrong weekday": strings.Replace(g, header, strings.Replace(header, "Sat", "Fri", 1), 1),
		"out of order":  strings.Replace(g, header, strings.Replace(header, "2025", "2024", 1), 1),
		"bad date":      strings.Replace(g, header, strings.Replace(header, "15", "32", 1), 1),
		"no name":       strings.Replace(g, header, "* Sat Mar 15 2025", 1),
		"no star":       strings.Replace(g, header, header[2:], 1),
		"no text":       strings.Replace(g, text, "", 1),
		"unescaped %":   strings.Replace(g, "%%{_libdir}", "%{_libdir}", 1),
	}
	origPath := writeTemp(t, "plain.spec", readFixture(t, "plain.spec"))
	for name, spec := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name != "unbroken" && spec == g {
				t.Fatal("the replacement did not apply")
			}
			problems := changelogProblems(t, bin, nil, origPath, writeTemp(t, "plain.spec", []byte(spec)), "2.2.20-0.bp1")
			if name == "unbroken" && len(problems) > 0 {
				t.Errorf("the golden output is flagged:\n%s", strings.Join(problems, "\n"))
			}
			if name != "unbroken" && len(problems) == 0 {
				t.Errorf("a changelog with %s passes the check", name)
			}
		})
	}
}

// TestSubpackageVersionsWithRpmspec checks every binary package: the main
// ones follow the hotfix, the Perl binding keeps its own version.
func TestSubpackageVersionsWithRpmspec(t *testing.T) {
	bin := testtool.Require(t, "rpmspec")
	golden, err := os.ReadFile(goldenPath("subpackages.spec"))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := rpmspecRun(t, bin, []string{"dist .el9"}, "-q", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\n",
		writeTemp(t, "subpackages.spec", golden))
	want := "ostrich 4.6.3-0.bp1.el9\nostrich-libs 4.6.3-0.bp1.el9\nostrich-devel 4.6.3-0.bp1.el9\nperl-Ostrich 0.31-2.el9\n"
	if out != want {
		t.Errorf("rpmspec packages:\n%s\nwant:\n%s", out, want)
	}
}
