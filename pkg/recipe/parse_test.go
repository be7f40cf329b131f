package recipe

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// validRecipe is the smallest recipe that parses; cases below break it one
// way at a time.
const validRecipe = `name: hello
summary: GNU Hello
upstream:
  urls:
    - https://upstream.example/hello-{{.Version}}.tar.gz
  verify:
    distro_index: [unstable]
deb:
  source: hello
`

func TestParseValid(t *testing.T) {
	t.Parallel()
	r, err := Parse("specs/hello.yaml", []byte(validRecipe))
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "hello" || r.Summary != "GNU Hello" || r.Deb == nil || r.Deb.Source != "hello" || r.RPM != nil {
		t.Errorf("decoded %+v", r)
	}
	if got := r.Upstream.Verify.DistroIndex; len(got) != 1 || got[0] != "unstable" {
		t.Errorf("distro_index = %q", got)
	}
	if r.File() != "specs/hello.yaml" {
		t.Errorf("File() = %q", r.File())
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		src  string
		want string // the whole message
	}{
		{
			name: "typo'd key",
			src: `name: hello
summary: GNU Hello
upstream:
  urls: ["https://upstream.example/hello-{{.Version}}.tar.gz"]
  verify: {distro_index: [unstable]}
deb: {}
upstrem: x
`,
			want: `specs/hello.yaml:7: unknown field "upstrem" (known: name, summary, upstream, deb, rpm)`,
		},
		{
			name: "unknown verification kind",
			src: strings.Replace(validRecipe, "    distro_index: [unstable]\n",
				"    distro_index: [unstable]\n    gpg: key.asc\n", 1),
			want: `specs/hello.yaml:8: unknown field "gpg" (known: sha256, checksums, signature, keyring, distro_index)`,
		},
		{
			name: "unknown target family",
			src:  validRecipe + "dpkg:\n  source: hello\n",
			want: `specs/hello.yaml:10: unknown field "dpkg" (known: name, summary, upstream, deb, rpm)`,
		},
		{
			name: "list where a string goes",
			src:  strings.Replace(validRecipe, "summary: GNU Hello", "summary: [GNU, Hello]", 1),
			want: `specs/hello.yaml:2: summary: expected a string, got a list`,
		},
		{
			name: "string where a list goes",
			src:  strings.Replace(validRecipe, "    distro_index: [unstable]", "    distro_index: unstable", 1),
			want: `specs/hello.yaml:7: upstream.verify.distro_index: expected a list of strings, got a string`,
		},
		{
			name: "mapping where a string goes",
			src:  strings.Replace(validRecipe, "  source: hello", "  source: {name: hello}", 1),
			want: `specs/hello.yaml:9: deb.source: expected a string, got a mapping`,
		},
		{
			name: "duplicate key",
			src:  validRecipe + "name: again\n",
			want: `specs/hello.yaml:10: duplicate key "name" (first at line 1)`,
		},
		{
			name: "YAML syntax",
			src:  "name: hello\n\tsummary: x\n",
			want: `specs/hello.yaml:2: found a tab character that violates indentation`,
		},
		{
			name: "empty file",
			src:  "# nothing yet\n",
			want: `specs/hello.yaml: empty; expected a recipe (name:, upstream:, deb: or rpm:)`,
		},
		{
			name: "two documents",
			src:  validRecipe + "---\nname: other\n",
			want: `specs/hello.yaml:10: a second YAML document (---); expected one`,
		},
		{
			name: "template does not parse",
			src:  strings.Replace(validRecipe, "hello-{{.Version}}.tar.gz", "hello-{{.Version.tar.gz", 1),
			want: `specs/hello.yaml:5: upstream.urls[0]: bad template: unclosed action`,
		},
		{
			name: "template names an unknown field",
			src:  strings.Replace(validRecipe, "{{.Version}}", "{{.Versoin}}", 1),
			want: `specs/hello.yaml:5: upstream.urls[0]: bad template: unknown field .Versoin (known: .Name, .Version, .Target, .DebianMirror, .URL)`,
		},
		{
			name: "template ignores the version",
			src:  strings.Replace(validRecipe, "{{.Version}}", "latest", 1),
			want: `specs/hello.yaml:5: upstream.urls[0]: does not depend on the version (use {{.Version}}); every version would fetch the same file`,
		},
		{
			name: "template is no URL",
			src:  strings.Replace(validRecipe, "https://upstream.example/", "upstream.example/", 1),
			want: `specs/hello.yaml:5: upstream.urls[0]: renders to "upstream.example/hello-1.2.3.tar.gz"; expected an http, https or file URL`,
		},
		{
			name: "URL outside verify",
			src:  strings.Replace(validRecipe, "https://upstream.example/hello-{{.Version}}.tar.gz", "'{{.URL}}.{{.Version}}'", 1),
			want: `specs/hello.yaml:5: upstream.urls[0]: .URL is set only in verify.checksums and verify.signature`,
		},
		{
			name: "missing urls",
			src:  strings.Replace(validRecipe, "  urls:\n    - https://upstream.example/hello-{{.Version}}.tar.gz\n", "", 1),
			want: `specs/hello.yaml:3: upstream.urls: missing; expected at least one URL template`,
		},
		{
			name: "name mismatch",
			src:  strings.Replace(validRecipe, "name: hello", "name: helo", 1),
			want: `specs/hello.yaml:1: name "helo" does not match the file name; expected "hello"`,
		},
		{
			name: "name missing",
			src:  strings.Replace(validRecipe, "name: hello\n", "", 1),
			want: `specs/hello.yaml:1: name: missing; expected "hello"`,
		},
		{
			name: "no verification",
			src:  strings.Replace(validRecipe, "    distro_index: [unstable]\n", "    distro_index: []\n", 1),
			want: `specs/hello.yaml:6: upstream.verify: expected at least one of sha256, checksums, signature, distro_index`,
		},
		{
			name: "bad pinned hash",
			src:  strings.Replace(validRecipe, "    distro_index: [unstable]\n", "    sha256: {\"2.10\": abc}\n", 1),
			want: `specs/hello.yaml:7: upstream.verify.sha256 "2.10": expected 64 hex digits, got "abc"`,
		},
		{
			name: "keyring without signature",
			src:  strings.Replace(validRecipe, "    distro_index: [unstable]\n", "    distro_index: [unstable]\n    keyring: keys/hello.asc\n", 1),
			want: `specs/hello.yaml:8: upstream.verify.keyring is set but signature is not; expected both`,
		},
		{
			name: "keyring outside the recipe dir",
			src:  strings.Replace(validRecipe, "    distro_index: [unstable]\n", "    signature: '{{.URL}}.sig'\n    keyring: ../hello.asc\n", 1),
			want: `specs/hello.yaml:8: upstream.verify.keyring "../hello.asc": expected a path relative to the recipe, inside its directory (like keys/hello.asc)`,
		},
		{
			name: "bad suite",
			src:  strings.Replace(validRecipe, "[unstable]", "[Unstable]", 1),
			want: `specs/hello.yaml:7: upstream.verify.distro_index: "Unstable": expected a Debian suite such as unstable or bookworm`,
		},
		{
			name: "no family section",
			src:  strings.Replace(validRecipe, "deb:\n  source: hello\n", "", 1),
			want: `specs/hello.yaml:1: no deb: or rpm: section; expected at least one (the target families the recipe builds for)`,
		},
		{
			name: "shell in a service name",
			src:  validRecipe + "  services: [\"httpd; rm -rf /\"]\n",
			want: `specs/hello.yaml:10: deb.services: "httpd; rm -rf /": expected a systemd unit name such as httpd or apache2.service`,
		},
		{
			name: "rpm with neither srpm nor repo_package",
			src:  validRecipe + "rpm:\n  services: [httpd]\n",
			want: `specs/hello.yaml:10: rpm: expected srpm (a URL template) or repo_package (a package name)`,
		},
		{
			name: "rpm with both",
			src:  validRecipe + "rpm:\n  srpm: https://srpm.example/hello-{{.Version}}.src.rpm\n  repo_package: hello\n",
			want: `specs/hello.yaml:12: rpm: set srpm or repo_package, not both`,
		},
		{
			name: "name is checked against a bare file name too",
			file: "other",
			src:  validRecipe,
			want: `other:1: name "hello" does not match the file name; expected "other"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := tt.file
			if file == "" {
				file = "specs/hello.yaml"
			}
			_, err := Parse(file, []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded; want %s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Errorf("error is %T, not a *FileError", err)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	t.Parallel()
	src := `name: helo
upstream:
  urls: ["https://upstream.example/{{.Nope}}"]
  verify: {}
`
	_, err := Parse("specs/hello.yaml", []byte(src))
	want := []string{
		`specs/hello.yaml:1: name "helo" does not match the file name; expected "hello"`,
		`specs/hello.yaml:3: upstream.urls[0]: bad template: unknown field .Nope`,
		`specs/hello.yaml:4: upstream.verify: expected at least one of`,
		`specs/hello.yaml:1: no deb: or rpm: section`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d messages, want %d:\n%s", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("message %d:\n got %s\nwant %s…", i, lines[i], w)
		}
	}
}

func TestParseCapsTheProblemsListed(t *testing.T) {
	t.Parallel()
	var pins strings.Builder
	for i := 10; i < 25; i++ {
		fmt.Fprintf(&pins, "      \"1.%d\": bad\n", i)
	}
	src := strings.Replace(validRecipe, "    distro_index: [unstable]\n", "    sha256:\n"+pins.String(), 1)
	_, err := Parse("specs/hello.yaml", []byte(src))
	lines := strings.Split(fmt.Sprint(err), "\n")
	if len(lines) != maxErrors+1 || lines[maxErrors] != "specs/hello.yaml: and 5 more problems" {
		t.Fatalf("got %d lines, ending %q", len(lines), lines[len(lines)-1])
	}
	// Problems come in a stable order, whatever the map order.
	if want := `specs/hello.yaml:8: upstream.verify.sha256 "1.10": expected 64 hex digits, got "bad"`; lines[0] != want {
		t.Errorf("first problem %s; want %s", lines[0], want)
	}
}

func TestParseEmptySectionMeansDefaults(t *testing.T) {
	t.Parallel()
	src := strings.Replace(validRecipe, "deb:\n  source: hello\n", "deb:\n", 1)
	r, err := Parse("hello.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if r.Deb == nil {
		t.Fatal("deb: with no value should mean: builds for deb targets")
	}
	if r.DebianSource() != "hello" {
		t.Errorf("DebianSource() = %q, want the recipe name", r.DebianSource())
	}
}

func TestParseKeepsVersionKeysAsWritten(t *testing.T) {
	t.Parallel()
	// Unquoted, 2.10 is a YAML float; it must not turn into "2.1".
	hash := strings.Repeat("ab", 32)
	src := strings.Replace(validRecipe, "    distro_index: [unstable]\n", "    sha256:\n      2.10: "+strings.ToUpper(hash)+"\n", 1)
	r, err := Parse("hello.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := r.PinnedSHA256("2.10"); !ok || got != hash {
		t.Errorf("PinnedSHA256(2.10) = %q, %v; want %q (lower-cased)", got, ok, hash)
	}
	if _, ok := r.PinnedSHA256("2.1"); ok {
		t.Error("2.1 is pinned too; the key was read as a number")
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"hello", "libxml2", "g++", "python3.12", "a_b-c"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Hello", "../etc/passwd", "a/b", ".hidden", "-x", "a b"} {
		if err := CheckName(bad); err == nil {
			t.Errorf("CheckName(%q) accepted it", bad)
		}
	}
}

func TestScaffoldParses(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"foo", "libxml2", "g++"} {
		data := Scaffold(name)
		r, err := Parse("specs/"+name+".yaml", data)
		if err != nil {
			t.Fatalf("Scaffold(%q) does not parse:\n%v\n%s", name, err, data)
		}
		if r.Name != name || r.Deb == nil || r.Deb.Source != name {
			t.Errorf("Scaffold(%q) decoded to %+v", name, r)
		}
	}
	if s := string(Scaffold("libxml2")); !strings.Contains(s, "/pool/main/libx/libxml2/libxml2_{{.Version}}") {
		t.Errorf("Scaffold(libxml2) has the wrong pool path:\n%s", s)
	}
}
