package recipe

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/backport/backport/specs"
)

// recipeWithSummary is validRecipe for name, with a summary that tells
// which copy was loaded.
func recipeWithSummary(name, summary string) string {
	s := strings.ReplaceAll(validRecipe, "hello", name)
	return strings.Replace(s, "summary: GNU Hello", "summary: "+summary, 1)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStoreLookupOrder(t *testing.T) {
	t.Parallel()
	local, config := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(local, "hello.yaml"), recipeWithSummary("hello", "local hello"))
	writeFile(t, filepath.Join(config, "hello.yaml"), recipeWithSummary("hello", "config hello"))
	writeFile(t, filepath.Join(config, "jq.yaml"), recipeWithSummary("jq", "config jq"))
	s := Store{Dirs: []string{local, config}, Embedded: specs.FS}

	tests := []struct {
		name, origin, summary string
	}{
		{"hello", filepath.Join(local, "hello.yaml"), "local hello"}, // ./specs shadows both
		{"jq", filepath.Join(config, "jq.yaml"), "config jq"},        // config dir shadows embedded
		{"httpd", OriginEmbedded, "Apache HTTP Server"},              // only embedded
	}
	for _, tt := range tests {
		r, origin, err := s.Load(tt.name)
		if err != nil {
			t.Fatalf("Load(%s): %v", tt.name, err)
		}
		if origin != tt.origin || r.Summary != tt.summary {
			t.Errorf("Load(%s) = %q from %s; want %q from %s", tt.name, r.Summary, origin, tt.summary, tt.origin)
		}
	}

	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Listing{}
	for _, l := range list {
		got[l.Name] = l
	}
	if l := got["hello"]; l.Origin != filepath.Join(local, "hello.yaml") || l.Summary != "local hello" ||
		!reflect.DeepEqual(l.Shadows, []string{filepath.Join(config, "hello.yaml"), OriginEmbedded}) {
		t.Errorf("List hello = %+v", l)
	}
	if l := got["jq"]; l.Origin != filepath.Join(config, "jq.yaml") || !reflect.DeepEqual(l.Shadows, []string{OriginEmbedded}) {
		t.Errorf("List jq = %+v", l)
	}
	if l := got["httpd"]; l.Origin != OriginEmbedded || l.Shadows != nil || l.Err != nil {
		t.Errorf("List httpd = %+v", l)
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].Name >= list[i].Name {
			t.Errorf("List is not sorted: %s before %s", list[i-1].Name, list[i].Name)
		}
	}
}

func TestStoreBrokenLocalRecipeDoesNotFallBack(t *testing.T) {
	t.Parallel()
	local := t.TempDir()
	path := filepath.Join(local, "hello.yaml")
	writeFile(t, path, validRecipe+"upstrem: x\n")
	s := Store{Dirs: []string{local}, Embedded: specs.FS}
	_, _, err := s.Load("hello")
	want := path + `:10: unknown field "upstrem"`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("Load = %v; want %s…", err, want)
	}

	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list {
		if l.Name == "hello" && (l.Err == nil || l.Origin != path) {
			t.Errorf("List hello = %+v; want the broken local file, with its error", l)
		}
	}
}

func TestStoreNotFound(t *testing.T) {
	t.Parallel()
	s := Store{Dirs: []string{"specs", "/home/u/.config/backport/specs"}, Embedded: specs.FS}
	_, _, err := s.Load("foo")
	want := `no recipe "foo" (looked in ./specs, /home/u/.config/backport/specs, embedded)`
	if err == nil || err.Error() != want {
		t.Fatalf("Load(foo) = %v; want %s", err, want)
	}
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Name != "foo" {
		t.Errorf("error is %T, not a *NotFoundError", err)
	}
	if _, _, err := s.Load("../go"); err == nil || !strings.Contains(err.Error(), "recipe name") {
		t.Errorf("Load(../go) = %v; want the name refused", err)
	}
}

func TestDefaultStore(t *testing.T) {
	t.Parallel()
	s := DefaultStore()
	if len(s.Dirs) == 0 || s.Dirs[0] != "specs" || s.Embedded == nil {
		t.Fatalf("DefaultStore() = %+v", s)
	}
	if len(s.Dirs) > 1 && !strings.HasSuffix(s.Dirs[1], filepath.Join("backport", "specs")) {
		t.Errorf("second dir %q is not the config dir's backport/specs", s.Dirs[1])
	}
}

func TestStoreKeyring(t *testing.T) {
	t.Parallel()
	withKey := strings.Replace(validRecipe, "    distro_index: [unstable]\n",
		"    signature: '{{.URL}}.sig'\n    keyring: keys/hello.asc\n", 1)
	key := "-----BEGIN PGP PUBLIC KEY BLOCK-----\n(test data, not a key)\n"

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "hello.yaml"), withKey)
	writeFile(t, filepath.Join(dir, "keys", "hello.asc"), key)
	embedded := fstest.MapFS{
		"hello.yaml":     {Data: []byte(withKey)},
		"keys/hello.asc": {Data: []byte(key)},
	}
	for name, s := range map[string]Store{
		"directory": {Dirs: []string{dir}},
		"embedded":  {Embedded: embedded},
	} {
		r, _, err := s.Load("hello")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := r.ReadKeyring()
		if err != nil || string(got) != key {
			t.Errorf("%s: ReadKeyring = %q, %v", name, got, err)
		}
	}

	missing := Store{Embedded: fstest.MapFS{"hello.yaml": {Data: []byte(withKey)}}}
	_, _, err := missing.Load("hello")
	want := `embedded:hello.yaml:8: upstream.verify.keyring keys/hello.asc: file does not exist`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Load with a missing keyring = %v; want %s…", err, want)
	}

	r, err := Parse("hello.yaml", []byte(validRecipe))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.ReadKeyring(); got != nil || err != nil {
		t.Errorf("ReadKeyring without keyring: = %q, %v; want nil, nil", got, err)
	}
}

// TestShippedRecipes loads every recipe in the embedded FS the way backport
// does, so a broken shipped recipe fails here rather than for a user.
func TestShippedRecipes(t *testing.T) {
	t.Parallel()
	entries, err := fs.ReadDir(specs.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	s := Store{Embedded: specs.FS}
	seen := map[string]*Recipe{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok {
			continue
		}
		r, origin, err := s.Load(name)
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		if origin != OriginEmbedded || r.Summary == "" {
			t.Errorf("%s: origin %q, summary %q", e.Name(), origin, r.Summary)
		}
		urls, err := r.UpstreamURLs(TemplateData{Version: "1.2.3", DebianMirror: "https://mirror.example/debian"})
		if err != nil || len(urls) != len(r.Upstream.URLs) {
			t.Errorf("%s: UpstreamURLs = %q, %v", e.Name(), urls, err)
		}
		if _, err := r.ReadKeyring(); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
		seen[name] = r
	}

	for _, name := range []string{"hello", "jq", "httpd"} {
		if seen[name] == nil {
			t.Errorf("recipe %s is not shipped", name)
		}
	}
	if r := seen["httpd"]; r != nil {
		if r.DebianSource() != "apache2" || !reflect.DeepEqual(r.Services(FamilyDeb), []string{"apache2"}) ||
			r.RPM == nil || r.RPM.RepoPackage != "httpd" || !reflect.DeepEqual(r.Services(FamilyRPM), []string{"httpd"}) {
			t.Errorf("httpd recipe: deb %+v rpm %+v", r.Deb, r.RPM)
		}
	}
	if r := seen["hello"]; r != nil {
		if r.DebianSource() != "hello" || r.RPM != nil {
			t.Errorf("hello recipe: deb %+v rpm %+v", r.Deb, r.RPM)
		}
		if !reflect.DeepEqual(r.Upstream.Verify.DistroIndex, []string{"unstable", "testing"}) {
			t.Errorf("hello distro_index = %q", r.Upstream.Verify.DistroIndex)
		}
	}
}
