package sources_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"

	"github.com/backport/backport/internal/archivetest"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/sources"
)

// Issue 3, "How it is checked": tampering with each file in turn must give
// exit 4, and leave nothing of the failed fetch behind: no tampered bytes
// in the workspace or the cache, no file the cache has not verified, no
// state file.
func TestFetchTamperedFileIsExit4(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// tamper changes the served files after publishing and returns
		// the bytes that must not be kept anywhere.
		tamper func(t *testing.T, f *fixture) [][]byte
		distro bool // a file of the distro's source package: sources/ stays empty
	}{
		{name: "upstream tarball on the site and the mirror", tamper: func(t *testing.T, f *fixture) [][]byte {
			return [][]byte{f.tamper(sitePath(newUpstream)), f.tamper(f.mirrorOrigPath(newUpstream))}
		}},
		{name: "dsc", distro: true, tamper: func(t *testing.T, f *fixture) [][]byte {
			return [][]byte{f.tamper(f.security.Path(f.security.DscName()))}
		}},
		{name: "debian tarball", distro: true, tamper: func(t *testing.T, f *fixture) [][]byte {
			return [][]byte{f.tamper(f.security.Path(f.security.DebianName()))}
		}},
		{name: "distro orig tarball", distro: true, tamper: func(t *testing.T, f *fixture) [][]byte {
			return [][]byte{f.tamper(f.security.Path(f.security.OrigName()))}
		}},
		{name: "dsc swapped for another version's", distro: true, tamper: func(t *testing.T, f *fixture) [][]byte {
			other := f.arch.File("pool/main/h/hello/hello_2.10-3.dsc")
			f.arch.SetFile(f.security.Path(f.security.DscName()), other)
			return nil // the bytes are legitimate elsewhere in the archive
		}},
		{name: "InRelease text", distro: true, tamper: func(t *testing.T, f *fixture) [][]byte {
			p := "dists/stable-security/InRelease"
			bad := bytes.Replace(f.arch.File(p), []byte("Label: Test"), []byte("Label: Evil"), 1)
			f.arch.SetFile(p, bad)
			return [][]byte{bad}
		}},
		{name: "InRelease signed by another key", distro: true, tamper: func(t *testing.T, f *fixture) [][]byte {
			p := "dists/stable/InRelease"
			block, _ := clearsign.Decode(f.arch.File(p))
			bad := archivetest.Clearsign(t, archivetest.NewKey(t, "Mallory"), block.Plaintext)
			f.arch.SetFile(p, bad)
			return [][]byte{bad}
		}},
		{name: "InRelease unsigned", distro: true, tamper: func(t *testing.T, f *fixture) [][]byte {
			p := "dists/stable-updates/InRelease"
			block, _ := clearsign.Decode(f.arch.File(p))
			f.arch.SetFile(p, block.Plaintext)
			return [][]byte{block.Plaintext}
		}},
		{name: "Sources.xz", distro: true, tamper: func(t *testing.T, f *fixture) [][]byte {
			return [][]byte{f.tamper("dists/stable/main/source/Sources.xz")}
		}},
		// The distro_index suite vouches for the new upstream tarball.
		{name: "InRelease of the distro_index suite", tamper: func(t *testing.T, f *fixture) [][]byte {
			return [][]byte{f.tamper("dists/unstable/InRelease")}
		}},
		{name: "Sources.xz of the distro_index suite", tamper: func(t *testing.T, f *fixture) [][]byte {
			return [][]byte{f.tamper("dists/unstable/main/source/Sources.xz")}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			bad := tc.tamper(t, f)
			res, ws, err := f.fetch(t, f.recipe(t, distroIndex), newUpstream, "work")
			if code := exitcode.Of(err); code != exitcode.Verification {
				t.Fatalf("err = %v (exit %d), want exit 4; result %+v", err, code, res)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			requireNotIn(t, ws.Dir, bad...)
			requireCacheVerified(t, f.cache, bad...)
			if slices.Contains(entries(t, ws.Dir), "sources.json") {
				t.Error("a failed fetch saved sources.json")
			}
			srcs := entries(t, ws.Sources())
			if tc.distro && len(srcs) > 0 {
				t.Errorf("sources/ holds %v after the distro's package failed to verify", srcs)
			}
			for _, name := range srcs {
				if strings.HasPrefix(name, "hello-"+newUpstream) || strings.HasPrefix(name, "hello_"+newUpstream) || strings.HasPrefix(name, ".") {
					t.Errorf("sources/ holds %s", name)
				}
			}
			if tree := entries(t, ws.Tree()); len(tree) > 0 {
				t.Errorf("tree/ holds %v", tree)
			}
		})
	}
}

// A fetch that fails in a workspace a fetch already filled must not leave
// a state file that describes files which are gone: a later build reads
// sources.json to find its inputs.
func TestFailedRefetchKeepsStateTrue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.recipe(t, distroIndex)
	if _, _, err := f.fetch(t, r, newUpstream, "work"); err != nil {
		t.Fatal(err)
	}
	f.tamper(sitePath(newUpstream))
	f.tamper(f.mirrorOrigPath(newUpstream))
	_, ws, err := f.fetch(t, r, newUpstream, "work", func(req *sources.Request) {
		req.Refresh, req.Cache = true, newCache(t, t.TempDir())
	})
	if exitcode.Of(err) != exitcode.Verification {
		t.Fatalf("err = %v, want exit 4", err)
	}
	var state sources.Result
	if ok, err := ws.LoadState("sources", &state); err != nil || !ok {
		return // no state is consistent too
	}
	for _, file := range state.Files {
		data, err := os.ReadFile(file.Path)
		if err != nil {
			t.Fatalf("sources.json lists %s, which the failed fetch removed", file.Name)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != file.SHA256 {
			t.Errorf("sources.json lists %s with sha256 %s; the file has %x", file.Name, file.SHA256, sum)
		}
	}
}
