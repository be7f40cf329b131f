package recipe

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseSourcesList(t *testing.T) {
	t.Parallel()
	src := `# Debian main archive
deb http://deb.mirror.example/debian bookworm main contrib   # trailing comment
deb [ arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg ] http://deb.mirror.example/debian bookworm-updates main
	deb-src [trusted=yes]	http://deb.mirror.example/debian bookworm main
#deb http://disabled.example/debian bookworm main

deb http://security.example.org/debian-security bookworm-security main
deb [arch+=i386] file:/srv/local ./
`
	got, err := ParseSourcesList("sources.list", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []AptSource{
		{File: "sources.list", Line: 2, Types: []string{"deb"}, URIs: []string{"http://deb.mirror.example/debian"},
			Suites: []string{"bookworm"}, Components: []string{"main", "contrib"}, Options: map[string]string{}},
		{File: "sources.list", Line: 3, Types: []string{"deb"}, URIs: []string{"http://deb.mirror.example/debian"},
			Suites: []string{"bookworm-updates"}, Components: []string{"main"},
			SignedBy: "/usr/share/keyrings/debian-archive-keyring.gpg",
			Options:  map[string]string{"arch": "amd64,arm64", "signed-by": "/usr/share/keyrings/debian-archive-keyring.gpg"}},
		{File: "sources.list", Line: 4, Types: []string{"deb-src"}, URIs: []string{"http://deb.mirror.example/debian"},
			Suites: []string{"bookworm"}, Components: []string{"main"}, Options: map[string]string{"trusted": "yes"}},
		{File: "sources.list", Line: 7, Types: []string{"deb"}, URIs: []string{"http://security.example.org/debian-security"},
			Suites: []string{"bookworm-security"}, Components: []string{"main"}, Options: map[string]string{}},
		{File: "sources.list", Line: 8, Types: []string{"deb"}, URIs: []string{"file:/srv/local"},
			Suites: []string{"./"}, Components: []string{}, Options: map[string]string{"arch": "i386"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseSourcesListErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"dep http://x.example/debian bookworm main\n", `x.list:1: "dep": expected deb or deb-src`},
		{"\ndeb http://x.example/debian\n", `x.list:2: expected a URI and a suite after deb`},
		{"deb [arch=amd64 http://x.example/debian bookworm main\n", `x.list:1: options: expected ] after [`},
		{"deb [arch] http://x.example/debian bookworm main\n", `x.list:1: option "arch": expected key=value`},
		{"deb http://x.example/debian bookworm\n", `x.list:1: suite bookworm: expected at least one component (like main)`},
	}
	for _, tt := range tests {
		_, err := ParseSourcesList("x.list", []byte(tt.src))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseSourcesList(%q) = %v; want %s", tt.src, err, tt.want)
		}
	}
}

func TestParseDeb822Sources(t *testing.T) {
	t.Parallel()
	src := `# leading comment
Types: deb deb-src
URIs: http://one.example/debian http://two.example/debian
Suites: trixie trixie-updates
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# a comment inside a stanza does not end it
URIs: http://security.example.org/debian-security
Suites: trixie-security
Components: main
Enabled: no

types: deb
uris: http://sec2.example.org/debian-security
suites: trixie-security
components: main
signed-by:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 (key material)
 -----END PGP PUBLIC KEY BLOCK-----
   
Types: deb
URIs: http://flat.example/repo
Suites: ./
`
	got, err := ParseDeb822Sources("x.sources", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d entries, want 3 (the disabled one left out): %+v", len(got), got)
	}
	first := got[0]
	if first.Line != 2 || !reflect.DeepEqual(first.Types, []string{"deb", "deb-src"}) ||
		!reflect.DeepEqual(first.URIs, []string{"http://one.example/debian", "http://two.example/debian"}) ||
		!reflect.DeepEqual(first.Suites, []string{"trixie", "trixie-updates"}) ||
		!reflect.DeepEqual(first.Components, []string{"main", "non-free-firmware"}) ||
		first.SignedBy != "/usr/share/keyrings/debian-archive-keyring.gpg" {
		t.Errorf("first stanza = %+v", first)
	}
	key := got[1]
	if key.Line != 15 || key.URIs[0] != "http://sec2.example.org/debian-security" ||
		key.SignedBy != "-----BEGIN PGP PUBLIC KEY BLOCK-----\n.\n(key material)\n-----END PGP PUBLIC KEY BLOCK-----" {
		t.Errorf("stanza with lower-case fields and an embedded key = %+v", key)
	}
	if flat := got[2]; flat.Line != 25 || flat.Suites[0] != "./" || len(flat.Components) != 0 {
		t.Errorf("flat repository = %+v", flat)
	}
}

func TestParseDeb822SourcesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"Types: deb\nSuites: bookworm\nComponents: main\n", `x.sources:1: stanza without URIs:`},
		{"URIs: http://x.example/debian\nSuites: bookworm\nComponents: main\n", `x.sources:1: stanza without Types:; expected deb and/or deb-src`},
		{"\n\nTypes: deb\nURIs: http://x.example/debian\nSuites: bookworm\n", `x.sources:3: suite bookworm: expected Components: (like main)`},
		{"Types: deb\nURIs: http://x.example/debian\nSuites: bookworm\nComponents: main\nEnabled: maybe\n", `x.sources:1: Enabled: "maybe": expected yes or no`},
		{"Types: rpm\nURIs: http://x.example/\nSuites: a\nComponents: main\n", `x.sources:1: Types: "rpm": expected deb or deb-src`},
		{" continued\n", `x.sources:1: continuation line with no field before it`},
		{"Types deb\n", `x.sources:1: "Types deb": expected Field: value`},
	}
	for _, tt := range tests {
		_, err := ParseDeb822Sources("x.sources", []byte(tt.src))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseDeb822Sources(%q) = %v; want %s", tt.src, err, tt.want)
		}
	}
}

func TestReadAptSourcesOrderAndFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	apt := filepath.Join(root, "etc", "apt")
	writeFile(t, filepath.Join(apt, "sources.list"), "deb http://first.example/debian bookworm main\n")
	writeFile(t, filepath.Join(apt, "sources.list.d", "b.sources"), "Types: deb\nURIs: http://b.example/debian\nSuites: bookworm\nComponents: main\n")
	writeFile(t, filepath.Join(apt, "sources.list.d", "a.list"), "deb http://a.example/debian bookworm main\n")
	// apt ignores other extensions; so must we, broken or not.
	writeFile(t, filepath.Join(apt, "sources.list.d", "c.list.disabled"), "this is not a sources line\n")
	writeFile(t, filepath.Join(apt, "sources.list.d", "d.list.save"), "neither\n")
	got, err := ReadAptSources(root)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, s := range got {
		uris = append(uris, s.URIs...)
	}
	want := []string{"http://first.example/debian", "http://a.example/debian", "http://b.example/debian"}
	if !reflect.DeepEqual(uris, want) {
		t.Errorf("URIs in read order = %q, want %q", uris, want)
	}

	writeFile(t, filepath.Join(apt, "sources.list.d", "e.list"), "deb\n")
	_, err = ReadAptSources(root)
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != filepath.Join(apt, "sources.list.d", "e.list") || fe.Line != 1 {
		t.Errorf("a broken .list: error = %v", err)
	}
}
