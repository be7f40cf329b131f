package recipe

import (
	"io/fs"
	"testing"

	"github.com/backport/backport/specs"
)

// FuzzParseRecipe feeds arbitrary bytes to Parse: a recipe is user input,
// so it must come back as a recipe or an error, never a panic. A recipe
// that parses must also render its URLs without panicking.
func FuzzParseRecipe(f *testing.F) {
	f.Add([]byte(validRecipe))
	f.Add([]byte(renderRecipe))
	f.Add([]byte("name: hello\nupstream: {urls: [\"{{.Version\"]}\n"))
	f.Add([]byte("&a [*a, *a]"))
	f.Add([]byte("name: hello\n---\n- x\n"))
	if entries, err := fs.ReadDir(specs.FS, "."); err == nil {
		for _, e := range entries {
			if data, err := fs.ReadFile(specs.FS, e.Name()); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse("specs/hello.yaml", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		d := TemplateData{Version: "1.0", DebianMirror: "https://mirror.example/debian", URL: "https://upstream.example/x-1.0.tar.gz"}
		if _, err := r.UpstreamURLs(d); err != nil {
			t.Fatalf("a recipe that validated does not render: %v", err)
		}
		_, _ = r.SignatureURL(d)
		_, _ = r.ChecksumsURL(d)
		_, _ = r.SRPMURL(d)
	})
}

// FuzzParseAptSources does the same for both apt sources formats, which
// backport reads from whatever the host has.
func FuzzParseAptSources(f *testing.F) {
	f.Add([]byte("deb [arch=amd64] http://x.example/debian bookworm main\n"))
	f.Add([]byte("Types: deb\nURIs: http://x.example/debian\nSuites: bookworm\nComponents: main\n\n# c\n x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseSourcesList("x.list", data)
		_, _ = ParseDeb822Sources("x.sources", data)
	})
}
