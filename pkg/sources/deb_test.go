package sources_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/sources"
)

// distroIndex verifies new upstream versions by unstable's signed index.
const distroIndex = "distro_index: [unstable]"

func TestFetchSameVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, ws, err := f.fetch(t, f.recipe(t, distroIndex), oldUpstream, "work")
	if err != nil {
		t.Fatal(err)
	}
	if res.DistroSource != "hello" || res.DistroVersion != securityVer || res.DistroSuite != "stable-security" || res.NewUpstream {
		t.Errorf("distro %s %s from %s, new upstream %v; want hello %s from stable-security, the newest of the target's suites",
			res.DistroSource, res.DistroVersion, res.DistroSuite, res.NewUpstream, securityVer)
	}
	if res.Family != "deb" || res.Target != targetName || res.Insecure || len(res.Warnings) > 0 {
		t.Errorf("result %+v", res)
	}

	// The tree: upstream with the distro's debian/, the patch series not
	// applied (backport applies and accounts for it itself).
	if want := filepath.Join(ws.Tree(), "hello-"+oldUpstream); res.Tree != want {
		t.Errorf("tree %s, want %s", res.Tree, want)
	}
	requireFile(t, filepath.Join(res.Tree, "README"), readmeOld)
	requireFile(t, filepath.Join(res.Tree, "debian/patches/series"), "fix-readme.patch\n")
	if !strings.Contains(readFile(t, filepath.Join(res.Tree, "debian/changelog")), securityVer) {
		t.Error("debian/changelog is not the security update's")
	}
	if _, err := os.Stat(filepath.Join(res.Tree, ".pc")); err == nil {
		t.Error("the tree has quilt state: patches were applied")
	}
	if fi, err := os.Stat(filepath.Join(res.Tree, "configure")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("configure: %v, %v; want mode 0755", fi, err)
	}
	// packaging/: the distro's source untouched.
	if want := filepath.Join(ws.Dir, "packaging", "hello-"+oldUpstream); res.Packaging != want {
		t.Errorf("packaging %s, want %s", res.Packaging, want)
	}
	requireFile(t, filepath.Join(res.Packaging, "debian/source/format"), "3.0 (quilt)\n")

	// Every file of the source package, verified by the signed index and
	// copied into sources/.
	roles := map[string]string{}
	for _, file := range res.Files {
		roles[file.Role] = file.Name
		if !strings.Contains(file.VerifiedBy, "signed Sources index of stable-security") {
			t.Errorf("%s verified by %q", file.Name, file.VerifiedBy)
		}
		if file.Path != filepath.Join(ws.Sources(), file.Name) || file.URL != f.arch.URL()+"/"+f.security.Path(file.Name) {
			t.Errorf("%s: path %s, url %s", file.Name, file.Path, file.URL)
		}
		if got := readFile(t, file.Path); got != string(f.arch.File(f.security.Path(file.Name))) {
			t.Errorf("%s differs from the archive's", file.Path)
		}
		if file.Size != int64(len(readFile(t, file.Path))) || len(file.SHA256) != 64 {
			t.Errorf("%s: size %d, sha256 %q", file.Name, file.Size, file.SHA256)
		}
	}
	want := map[string]string{"dsc": f.security.DscName(), "orig": f.security.OrigName(), "debian": f.security.DebianName()}
	if len(res.Files) != 3 || roles["dsc"] != want["dsc"] || roles["orig"] != want["orig"] || roles["debian"] != want["debian"] {
		t.Errorf("files by role %v, want %v", roles, want)
	}

	// The state file is the result.
	var saved sources.Result
	if ok, err := ws.LoadState("sources", &saved); !ok || err != nil {
		t.Fatalf("sources.json: %v %v", ok, err)
	}
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(saved)
	if string(a) != string(b) {
		t.Errorf("sources.json:\n%s\nwant\n%s", b, a)
	}
	requireCacheVerified(t, f.cache)
}

func TestFetchNewUpstreamFromDistroIndex(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, ws, err := f.fetch(t, f.recipe(t, distroIndex), newUpstream, "work")
	if err != nil {
		t.Fatal(err)
	}
	if !res.NewUpstream || res.DistroVersion != securityVer {
		t.Errorf("new upstream %v, distro %s", res.NewUpstream, res.DistroVersion)
	}
	up := fileByRole(t, res, "upstream")
	// The upstream site is tried first; the index's hash decides.
	if up.URL != f.siteURL(newUpstream) || up.Name != "hello-"+newUpstream+".tar.gz" ||
		!strings.Contains(up.VerifiedBy, "hello_2.12.orig.tar.gz in the signed Sources index of unstable") {
		t.Errorf("upstream file %+v", up)
	}
	if up.Path != filepath.Join(ws.Sources(), up.Name) || readFile(t, up.Path) != string(f.arch.File(sitePath(newUpstream))) {
		t.Errorf("upstream file not in sources/ as fetched: %s", up.Path)
	}

	// New upstream content, the distro's (old) debian/.
	if want := filepath.Join(ws.Tree(), "hello-"+newUpstream); res.Tree != want {
		t.Fatalf("tree %s, want %s", res.Tree, want)
	}
	requireFile(t, filepath.Join(res.Tree, "README"), readmeNew)
	requireFile(t, filepath.Join(res.Tree, "NEWS"), "* Noteworthy changes in release "+newUpstream+"\n")
	requireFile(t, filepath.Join(res.Tree, "debian/patches/series"), "fix-readme.patch\n")
	if !strings.Contains(readFile(t, filepath.Join(res.Tree, "debian/changelog")), securityVer) {
		t.Error("debian/changelog is not the target's (old) one")
	}
	// packaging/ stays the distro's old version.
	requireFile(t, filepath.Join(res.Packaging, "README"), readmeOld)
	requireCacheVerified(t, f.cache)
}

// When the upstream site serves other bytes, the mirror's copy, which the
// index's hash matches, is used instead.
func TestFetchFallsBackToTheMirrorWhenTheSiteIsTampered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bad := f.tamper(sitePath(newUpstream))
	res, ws, err := f.fetch(t, f.recipe(t, distroIndex), newUpstream, "work")
	if err != nil {
		t.Fatal(err)
	}
	if up := fileByRole(t, res, "upstream"); up.URL != f.arch.URL()+"/"+f.mirrorOrigPath(newUpstream) {
		t.Errorf("upstream from %s, want the mirror's copy", up.URL)
	}
	requireFile(t, filepath.Join(res.Tree, "README"), readmeNew)
	requireNotIn(t, ws.Dir, bad)
	requireCacheVerified(t, f.cache, bad)
}

// DESIGN §2, issue 3: a second fetch of the same inputs makes no network
// request, whether the tree is kept or unpacked again.
func TestFetchAgainMakesNoRequest(t *testing.T) {
	t.Parallel()
	for _, ver := range []string{oldUpstream, newUpstream} {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			r := f.recipe(t, distroIndex)
			first, _, err := f.fetch(t, r, ver, "work")
			if err != nil {
				t.Fatal(err)
			}
			if f.arch.Requests() == 0 {
				t.Fatal("the first fetch made no request")
			}

			f.arch.ResetRequests()
			again, _, err := f.fetch(t, r, ver, "work")
			if err != nil {
				t.Fatal(err)
			}
			if n := f.arch.Requests(); n != 0 {
				t.Errorf("the same fetch again made %d requests, want 0", n)
			}
			if !again.TreeKept || again.Tree != first.Tree {
				t.Errorf("second fetch: tree %s kept %v; want %s kept", again.Tree, again.TreeKept, first.Tree)
			}

			// A new workspace: the tree is unpacked from the cache alone.
			other, ws, err := f.fetch(t, r, ver, "other-work")
			if err != nil {
				t.Fatal(err)
			}
			if n := f.arch.Requests(); n != 0 {
				t.Errorf("a fetch into a new workspace made %d requests, want 0", n)
			}
			if other.TreeKept || !strings.HasPrefix(other.Tree, ws.Dir) {
				t.Errorf("tree %s (kept %v), want a new one in %s", other.Tree, other.TreeKept, ws.Dir)
			}
			requireFile(t, filepath.Join(other.Tree, "README"), "GNU Hello "+ver+"\n")
			if len(other.Files) != len(first.Files) {
				t.Errorf("files %+v, want %+v", other.Files, first.Files)
			}
		})
	}
}

// A blob changed on disk is never used: it is downloaded again, or the
// fetch fails with exit 4 when the server's copy is bad too.
func TestFetchReplacesACorruptCacheBlob(t *testing.T) {
	t.Parallel()
	for _, serverTampered := range []bool{false, true} {
		name := "server good"
		if serverTampered {
			name = "server tampered"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			r := f.recipe(t, distroIndex)
			first, _, err := f.fetch(t, r, newUpstream, "work")
			if err != nil {
				t.Fatal(err)
			}
			up := fileByRole(t, first, "upstream")
			blob := filepath.Join(f.cache.Dir(), "sha256", up.SHA256[:2], up.SHA256)
			junk := []byte(strings.Repeat("x", int(up.Size)))
			if err := os.WriteFile(blob, junk, 0o644); err != nil {
				t.Fatal(err)
			}
			var bad [][]byte
			if serverTampered {
				bad = append(bad, f.tamper(sitePath(newUpstream)), f.tamper(f.mirrorOrigPath(newUpstream)))
			}

			f.arch.ResetRequests()
			again, ws, err := f.fetch(t, r, newUpstream, "work2")
			if serverTampered {
				if code := exitcode.Of(err); code != exitcode.Verification {
					t.Fatalf("err = %v (exit %d), want exit 4", err, code)
				}
				if _, err := os.Stat(blob); !os.IsNotExist(err) {
					t.Errorf("the corrupt blob is still in the cache: %v", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if f.arch.Requests() != 1 {
					t.Errorf("%d requests, want 1 (the upstream tarball again)", f.arch.Requests())
				}
				if readFile(t, blob) != string(f.arch.File(sitePath(newUpstream))) {
					t.Error("the blob was not restored")
				}
				requireFile(t, filepath.Join(again.Tree, "README"), readmeNew)
			}
			requireNotIn(t, ws.Dir, append(bad, junk)...)
			requireCacheVerified(t, f.cache, append(bad, junk)...)
		})
	}
}

// Two fetches of the same request at once, sharing a cache, both succeed.
func TestConcurrentFetchesShareTheCache(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.recipe(t, distroIndex)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		ws := f.workspace(t, "work"+string(rune('a'+i)), newUpstream)
		wg.Go(func() {
			defer ws.Close()
			_, errs[i] = sources.Fetch(context.Background(), f.request(r, newUpstream, ws))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	requireCacheVerified(t, f.cache)
}
