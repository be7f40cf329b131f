package bump

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
	"github.com/backport/backport/pkg/exitcode"
)

var fixedNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// copyFixture copies a file from the repository's testdata into a temp
// dir, at rel inside it, and returns the temp dir.
func copyFixture(t *testing.T, src, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", src))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dst := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o640); err != nil {
		t.Fatal(err)
	}
	return dir
}

func opts(path, ver string) Options {
	return Options{Path: path, Version: ver, Maintainer: "Test Packager <packager@example.org>", Now: fixedNow}
}

// TestChangelogBumps bumps real and project-written changelogs and asks
// dpkg-parsechangelog what it now reads.
func TestChangelogBumps(t *testing.T) {
	testtool.Require(t, "dpkg-parsechangelog")
	tests := []struct {
		fixture string
		mod     func(*Options)
		version string
		dist    string
		urgency string
	}{
		{"changelogs/hello-2.10-3.changelog", func(o *Options) { o.Suite = "bookworm"; o.CVEs = []string{"CVE-2024-10001"} }, "2.12.3-0~bp1", "bookworm", "high"},
		{"changelogs/hello-2.10-3.changelog", func(o *Options) { o.Version = "2.10" }, "2.10-3+bp1", "unstable", "medium"},
		{"changelogs/hello-2.10-3.changelog", func(o *Options) { o.Version = "2.10"; o.Vendor = "ubuntu" }, "2.10-3ubuntu0.0~bp1", "unstable", "medium"},
		{"changelogs/hello-2.10-3.changelog", func(o *Options) { o.Release = "0~custom1" }, "2.12.3-0~custom1", "unstable", "medium"},
		{"changelogs/epoch.changelog", func(o *Options) { o.Version = "3.4.3" }, "1:3.4.3-0~bp1", "", "medium"},
	}
	for _, tt := range tests {
		dir := copyFixture(t, tt.fixture, "src/debian/changelog")
		o := opts(filepath.Join(dir, "src"), "2.12.3")
		if tt.mod != nil {
			tt.mod(&o)
		}
		res, err := Plan(o)
		if err != nil {
			t.Fatalf("%s: %v", tt.fixture, err)
		}
		if tt.version != "" && res.To != tt.version {
			t.Errorf("%s: To = %q, want %q", tt.fixture, res.To, tt.version)
		}
		if err := res.Write(); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "src", "debian", "changelog")
		if got := parsechangelog(t, file, "Version"); got != res.To {
			t.Errorf("%s: dpkg reads version %q, bump said %q", tt.fixture, got, res.To)
		}
		if tt.dist != "" {
			if got := parsechangelog(t, file, "Distribution"); got != tt.dist {
				t.Errorf("%s: distribution %q, want %q", tt.fixture, got, tt.dist)
			}
		}
		if got := parsechangelog(t, file, "Urgency"); got != tt.urgency {
			t.Errorf("%s: urgency %q, want %q", tt.fixture, got, tt.urgency)
		}
		changes := parsechangelog(t, file, "Changes")
		if !strings.Contains(changes, "Out-of-band hotfix built by backport") {
			t.Errorf("%s: entry does not say it is a backport hotfix:\n%s", tt.fixture, changes)
		}
		for _, id := range o.CVEs {
			if !strings.Contains(changes, id) {
				t.Errorf("%s: entry does not name %s", tt.fixture, id)
			}
		}
		if !strings.HasSuffix(string(readFile(t, file)), string(res.Old)) {
			t.Errorf("%s: the old changelog is not kept byte for byte after the new entry", tt.fixture)
		}
		if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v after write, want 0640 kept", tt.fixture, fi.Mode().Perm())
		}
	}
}

// TestSpecBumps bumps project-written specs and asks rpmspec what it reads.
func TestSpecBumps(t *testing.T) {
	testtool.Require(t, "rpmspec")
	tests := []struct {
		fixture, version, release string
		cves                      []string
		want                      string // VERSION-RELEASE with dist .el9
	}{
		{"specs/plain.spec", "2.2.20", "", []string{"CVE-2011-3192"}, "2.2.20-0.bp1.el9"},
		{"specs/plain.spec", "2.2.19", "", nil, "2.2.19-10.el9.bp1"},
		{"specs/plain.spec", "2.2.20", "7%{?dist}", nil, "2.2.20-7.el9"},
		{"specs/global-version.spec", "", "", nil, ""},
		{"specs/major-minor.spec", "", "", nil, ""},
		{"specs/baserelease.spec", "", "", nil, ""},
		{"demo/httpd.spec", "2.4.58", "", nil, "2.4.58-0.bp1.el9"},
	}
	for _, tt := range tests {
		dir := copyFixture(t, tt.fixture, "x.spec")
		file := filepath.Join(dir, "x.spec")
		before := rpmspecVR(t, file)
		ver := tt.version
		if ver == "" { // a new upstream: bump the last number of the current one
			cur := strings.SplitN(before, "-", 2)[0]
			i := strings.LastIndex(cur, ".")
			ver = cur[:i+1] + "99"
		}
		o := opts(file, ver)
		o.Release, o.CVEs = tt.release, tt.cves
		res, err := Plan(o)
		if err != nil {
			t.Fatalf("%s: %v", tt.fixture, err)
		}
		if err := res.Write(); err != nil {
			t.Fatal(err)
		}
		got := rpmspecVR(t, file)
		if tt.want != "" && got != tt.want {
			t.Errorf("%s: rpmspec reads %s, want %s", tt.fixture, got, tt.want)
		}
		if !strings.HasPrefix(got, ver+"-") {
			t.Errorf("%s: rpmspec reads %s, want version %s", tt.fixture, got, ver)
		}
		log := rpmChangelog(t, file)
		if !strings.Contains(log, "Out-of-band hotfix built by backport") {
			t.Errorf("%s: %%changelog top entry does not name the hotfix:\n%s", tt.fixture, log)
		}
		for _, id := range tt.cves {
			if !strings.Contains(log, id) {
				t.Errorf("%s: %%changelog does not name %s", tt.fixture, id)
			}
		}
	}
}

func TestDryRunWritesNothingAndDiffApplies(t *testing.T) {
	testtool.Require(t, "patch")
	dir := copyFixture(t, "specs/plain.spec", "a.spec")
	file := filepath.Join(dir, "a.spec")
	before := readFile(t, file)
	res, err := Plan(opts(file, "2.2.20"))
	if err != nil {
		t.Fatal(err)
	}
	if string(readFile(t, file)) != string(before) {
		t.Fatal("Plan changed the file")
	}
	d := res.Diff()
	if !strings.Contains(d, "+Version:        2.2.20") {
		t.Errorf("diff lacks the Version change:\n%s", d)
	}
	cmd := exec.Command("patch", "-s", file)
	cmd.Stdin = strings.NewReader(d)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch: %v\n%s", err, out)
	}
	if string(readFile(t, file)) != string(res.New) {
		t.Error("applying the dry-run diff does not give what bump would write")
	}
}

func TestLocate(t *testing.T) {
	t.Parallel()
	deb := copyFixture(t, "changelogs/single.changelog", "debian/changelog")
	rpmTree := copyFixture(t, "specs/plain.spec", "SPECS/foo.spec")
	two := copyFixture(t, "specs/plain.spec", "a.spec")
	if err := os.WriteFile(filepath.Join(two, "b.spec"), readFile(t, filepath.Join(two, "a.spec")), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		path     string
		kind     Kind
		wantErr  string
		wantCode int
	}{
		{deb, DebianChangelog, "", 0},
		{filepath.Join(deb, "debian", "changelog"), DebianChangelog, "", 0},
		{rpmTree, Spec, "", 0},
		{filepath.Join(two, "a.spec"), Spec, "", 0},
		{two, "", "2 spec files found", exitcode.Failure},
		{empty, "", "no debian/changelog or .spec file", exitcode.Failure},
		{filepath.Join(empty, "nope"), "", "no such file or directory", exitcode.Failure},
		{filepath.Join(deb, "debian"), "", "no debian/changelog", exitcode.Failure},
	}
	for _, tt := range tests {
		_, kind, err := Locate(tt.path)
		if tt.wantErr == "" {
			if err != nil || kind != tt.kind {
				t.Errorf("Locate(%s) = %s, %v; want %s", tt.path, kind, err, tt.kind)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitcode.Of(err) != tt.wantCode {
			t.Errorf("Locate(%s) error = %v (exit %d), want %q (exit %d)", tt.path, err, exitcode.Of(err), tt.wantErr, tt.wantCode)
		}
	}
}

func TestBadInputLeavesFileAlone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture, rel string
		mod          func(*Options)
		want         string
		code         int
	}{
		{"specs/plain.spec", "x.spec", func(o *Options) { o.Version = "2.2 20" }, "whitespace", exitcode.Usage},
		{"specs/plain.spec", "x.spec", func(o *Options) { o.Version = "2.2.18" }, "2.2.18", exitcode.Failure},
		{"specs/plain.spec", "x.spec", func(o *Options) { o.Release = "1-2" }, "--release", exitcode.Usage},
		{"specs/autorelease.spec", "x.spec", nil, "%autorelease", exitcode.Failure},
		{"changelogs/single.changelog", "debian/changelog", func(o *Options) { o.Version = "a.b" }, "--version", exitcode.Usage},
		{"changelogs/single.changelog", "debian/changelog", func(o *Options) { o.Release = "x_y" }, "--release", exitcode.Usage},
		{"changelogs/single.changelog", "debian/changelog", func(o *Options) { o.Version = "" }, "--version is required", exitcode.Usage},
	}
	for _, tt := range tests {
		dir := copyFixture(t, tt.fixture, tt.rel)
		file := filepath.Join(dir, tt.rel)
		before := readFile(t, file)
		o := opts(file, "9.0")
		if tt.mod != nil {
			tt.mod(&o)
		}
		_, err := Plan(o)
		if err == nil || !strings.Contains(err.Error(), tt.want) || exitcode.Of(err) != tt.code {
			t.Errorf("%s %+v: error %v (exit %d), want %q (exit %d)", tt.fixture, o, err, exitcode.Of(err), tt.want, tt.code)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", tt.fixture, err)
		}
		if string(readFile(t, file)) != string(before) {
			t.Errorf("%s: file changed after an error", tt.fixture)
		}
	}
}

func TestBrokenChangelogNamesLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "changelog")
	if err := os.WriteFile(file, []byte("hello (2.10-3) unstable; urgency=medium\n\n  * x\n\n -- Someone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Plan(opts(file, "2.12"))
	if err == nil || !strings.HasPrefix(err.Error(), file+":") {
		t.Fatalf("error %v, want one naming %s and its line", err, file)
	}
}

func TestNormalizeCVEs(t *testing.T) {
	t.Parallel()
	got, err := NormalizeCVEs([]string{"cve-2024-12345", "CVE-2024-12345", " CVE-2023-4911 "})
	if err != nil || strings.Join(got, ",") != "CVE-2024-12345,CVE-2023-4911" {
		t.Errorf("NormalizeCVEs = %v, %v", got, err)
	}
	for _, bad := range []string{"CVE-24-1234", "2024-1234", "CVE-2024-12", "CVE-2024-1234x"} {
		if _, err := NormalizeCVEs([]string{bad}); exitcode.Of(err) != exitcode.Usage {
			t.Errorf("NormalizeCVEs(%q) error %v, want a usage error", bad, err)
		}
	}
}

func parsechangelog(t *testing.T, file, field string) string {
	t.Helper()
	out, err := exec.Command("dpkg-parsechangelog", "-l", file, "-S", field).Output()
	if err != nil {
		t.Fatalf("dpkg-parsechangelog -S %s: %v", field, err)
	}
	return strings.TrimSpace(string(out))
}

func rpmspecVR(t *testing.T, file string) string {
	t.Helper()
	out, err := exec.Command("rpmspec", "-q", "--srpm", "--define", "dist .el9", "--qf", "%{VERSION}-%{RELEASE}", file).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmspec %s: %v\n%s", file, err, out)
	}
	return strings.TrimSpace(string(out))
}

func rpmChangelog(t *testing.T, file string) string {
	t.Helper()
	out, err := exec.Command("rpmspec", "-q", "--srpm", "--qf", "[%{CHANGELOGNAME}\n%{CHANGELOGTEXT}\n]", file).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmspec changelog %s: %v\n%s", file, err, out)
	}
	if strings.Contains(string(out), "error:") || strings.Contains(string(out), "warning:") {
		t.Fatalf("rpmspec complains about the changelog of %s:\n%s", file, out)
	}
	return string(out)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
