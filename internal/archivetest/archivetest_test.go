package archivetest_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/backport/backport/internal/archivetest"
	"github.com/backport/backport/pkg/deb"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/fetch"
)

// The archive must be one that the real readers accept end to end: the
// signed index, the pool, and a .dsc that unpacks.
func TestArchiveServesAVerifiableSourcePackage(t *testing.T) {
	t.Parallel()
	a := archivetest.New(t)
	src := a.AddSource("stable", archivetest.Source{
		Name: "hello", Version: "1:2.10-3",
		Files:  map[string]string{"README": "hello\n", "configure": "#!/bin/sh\n"},
		Debian: map[string]string{"patches/series": "x.patch\n", "patches/x.patch": "--- a/README\n+++ b/README\n"},
	})
	native := a.AddSource("stable", archivetest.Source{Name: "libtool-bin", Version: "3.1", Format: "3.0 (native)",
		Files: map[string]string{"main.c": "int main(void) { return 0; }\n"}})
	a.AddSuite("stable-updates")
	a.Publish()
	if src.Format != "3.0 (quilt)" || src.Dir() != "pool/main/h/hello" || src.OrigName() != "hello_2.10.orig.tar.gz" ||
		src.DscName() != "hello_2.10-3.dsc" || native.Dir() != "pool/main/libt/libtool-bin" {
		t.Fatalf("names: %+v %s %s %s %s", src, src.Dir(), src.OrigName(), src.DscName(), native.Dir())
	}

	cache, err := fetch.NewCache(t.TempDir(), fetch.NewClient(fetch.ClientOptions{Retries: -1}))
	if err != nil {
		t.Fatal(err)
	}
	arch := &fetch.DebianArchive{Mirror: a.URL(), Keyring: a.Keyring(t), Cache: cache}
	ctx := context.Background()
	suites := []fetch.SuiteRef{{Suite: "stable"}, {Suite: "stable-updates"}}
	for _, tc := range []struct {
		name string
		want archivetest.Source
		tree string
	}{{"hello", src, "hello-2.10"}, {"libtool-bin", native, "libtool-bin-3.1"}} {
		pkg, err := arch.FindSource(ctx, suites, tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if pkg.Version != tc.want.Version || pkg.Directory != tc.want.Dir() {
			t.Fatalf("FindSource = %+v", pkg)
		}
		dir := t.TempDir()
		paths, err := arch.FetchSource(ctx, pkg, dir)
		if err != nil {
			t.Fatal(err)
		}
		tree, err := deb.UnpackSource(ctx, paths[0], filepath.Join(dir, "tree"))
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(tree) != tc.tree {
			t.Errorf("tree %s, want %s", tree, tc.tree)
		}
		for _, f := range []string{"debian/control", "debian/changelog", "debian/rules", "debian/source/format"} {
			if _, err := os.Stat(filepath.Join(tree, f)); err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
	}

	// Tampering after Publish is caught by the signed index (with a fresh
	// cache: the one above holds the good copy).
	a.SetFile(src.Path(src.DebianName()), archivetest.Corrupt(a.File(src.Path(src.DebianName()))))
	if arch.Cache, err = fetch.NewCache(t.TempDir(), fetch.NewClient(fetch.ClientOptions{Retries: -1})); err != nil {
		t.Fatal(err)
	}
	pkg, err := arch.FindSource(ctx, suites, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := arch.FetchSource(ctx, pkg, t.TempDir()); exitcode.Of(err) != exitcode.Verification {
		t.Errorf("tampered debian tarball: %v (exit %d), want exit 4", err, exitcode.Of(err))
	}
}

func TestArchiveCountsRequestsAndServesRawFiles(t *testing.T) {
	t.Parallel()
	a := archivetest.New(t)
	a.AddRaw("/upstream/x-1.tar.gz", []byte("tarball"))
	get := func(p string) (int, string) {
		resp, err := http.Get(a.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/upstream/x-1.tar.gz"); code != 200 || body != "tarball" {
		t.Errorf("raw file: %d %q", code, body)
	}
	if code, _ := get("/upstream/x-2.tar.gz"); code != 404 {
		t.Errorf("missing file: %d, want 404", code)
	}
	if n := a.Requests(); n != 2 {
		t.Errorf("Requests() = %d, want 2", n)
	}
	a.ResetRequests()
	a.Remove("upstream/x-1.tar.gz")
	if code, _ := get("/upstream/x-1.tar.gz"); code != 404 || a.Requests() != 1 {
		t.Errorf("removed file: %d, %d requests", code, a.Requests())
	}
}

func TestTarballsAreDeterministic(t *testing.T) {
	t.Parallel()
	files := map[string]string{"a/b/c": "x", "run": "#!/bin/sh\n"}
	one := archivetest.TarGz(t, "top", files)
	time.Sleep(time.Millisecond)
	if two := archivetest.TarGz(t, "top", files); string(one) != string(two) {
		t.Error("the same files made two different tarballs")
	}
}
