package bundle

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenInputs are the install.sh golden cases: a deb bundle, and an rpm
// bundle with a debuginfo and a source package, a quote in the health
// check and no signer.
func goldenInputs() map[string]struct {
	in   Input
	pkgs []Package
	fpr  string
} {
	deb := Input{
		Name: "hello", Version: "2.10-3+bp1", Target: "debian-12", Family: "deb", ToolVersion: "v1.0.0",
		Services: []string{"hello", "hello-worker@1"}, HealthCheck: `hello --version | grep -q '2.10'`,
	}
	rpm := Input{
		Name: "httpd", Version: "2.4.62-1.el9.bp1", Target: "el9", Family: "rpm", ToolVersion: "v1.0.0 (it's a test)",
		Services: []string{"httpd"}, HealthCheck: `curl -fsS http://127.0.0.1/ >/dev/null`, HealthRetries: 10, HealthDelaySeconds: 3,
	}
	return map[string]struct {
		in   Input
		pkgs []Package
		fpr  string
	}{
		"install-deb.sh": {deb, []Package{
			{File: "packages/hello_2.10-3+bp1_amd64.deb", Name: "hello", Version: "2.10-3+bp1", Arch: "amd64", Kind: KindBinary},
			{File: "packages/hello-dbgsym_2.10-3+bp1_amd64.deb", Name: "hello-dbgsym", Version: "2.10-3+bp1", Arch: "amd64", Kind: KindDebug},
		}, "0123456789abcdef0123456789abcdef01234567"},
		"install-rpm.sh": {rpm, []Package{
			{File: "packages/httpd-2.4.62-1.el9.bp1.src.rpm", Name: "httpd", Version: "2.4.62-1.el9.bp1", Arch: "src", Kind: KindSource},
			{File: "packages/httpd-2.4.62-1.el9.bp1.x86_64.rpm", Name: "httpd", Version: "2.4.62-1.el9.bp1", Arch: "x86_64", Kind: KindBinary},
			{File: "packages/mod_ssl-2.4.62-1.el9.bp1.x86_64.rpm", Name: "mod_ssl", Version: "1:2.4.62-1.el9.bp1", Arch: "x86_64", Kind: KindBinary},
			{File: "packages/httpd-debuginfo-2.4.62-1.el9.bp1.x86_64.rpm", Name: "httpd-debuginfo", Version: "2.4.62-1.el9.bp1", Arch: "x86_64", Kind: KindDebug},
		}, ""},
	}
}

func TestInstallScriptGolden(t *testing.T) {
	t.Parallel()
	for name, c := range goldenInputs() {
		got, err := renderInstall(c.in, c.in.Name+"-"+c.in.Version+"."+c.in.Target, c.pkgs, c.fpr)
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s; run go test ./pkg/bundle -update and review the diff", name, golden)
		}
	}
}

// Every shell the script must run under parses it.
func TestInstallScriptSyntax(t *testing.T) {
	t.Parallel()
	for name, c := range goldenInputs() {
		script, err := renderInstall(c.in, "b", c.pkgs, c.fpr)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, script, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, sh := range shells(t) {
			out, err := exec.Command(sh[0], append(sh[1:], "-n", path)...).CombinedOutput()
			if err != nil {
				t.Errorf("%s -n %s: %v\n%s", strings.Join(sh, " "), name, err, out)
			}
		}
	}
	if !strings.HasPrefix(installTemplate, "#!/bin/sh\n") {
		t.Error("the template does not start with #!/bin/sh")
	}
	if strings.Contains(installTemplate, "[[") || strings.Contains(installTemplate, "local ") || strings.Contains(installTemplate, "function ") {
		t.Error("the template uses a bashism ([[, local or function)")
	}
}

// shells are the POSIX shells install.sh is tested under: dash and
// busybox sh.
func shells(t *testing.T) [][]string {
	t.Helper()
	return [][]string{{testtool.Require(t, "dash")}, {testtool.Require(t, "busybox"), "sh"}}
}

func TestRenderRefusesOnlySourcePackages(t *testing.T) {
	t.Parallel()
	_, err := renderInstall(Input{Name: "x", Family: "rpm"}, "x", []Package{{File: "packages/x.src.rpm", Kind: KindSource}}, "")
	if err == nil {
		t.Error("rendered an install.sh with nothing to install")
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":               `''`,
		"plain":          `'plain'`,
		"it's":           `'it'\''s'`,
		"$(rm -rf /)":    `'$(rm -rf /)'`,
		"a\nb":           "'a\nb'",
		`back\slash "q"`: `'back\slash "q"'`,
		"''":             `''\'''\'''`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzShellQuote checks with a real shell that a quoted value comes back
// unchanged: no input can escape its quotes.
func FuzzShellQuote(f *testing.F) {
	dash, err := exec.LookPath("dash")
	if err != nil {
		f.Skip("dash not on PATH")
	}
	for _, s := range []string{"", "it's", "$(id)", "`id`", "a\nb", "'\"\\", "${x:-y}", "\t*?[a]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, 0) {
			return // refused by Write: a shell word cannot hold NUL
		}
		out, err := exec.Command(dash, "-c", "printf '%s' "+shellQuote(s)).Output()
		if err != nil {
			t.Fatalf("dash on %q: %v", s, err)
		}
		if string(out) != s {
			t.Fatalf("quoted %q came back as %q", s, out)
		}
	})
}
