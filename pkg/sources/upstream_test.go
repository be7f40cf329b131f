package sources_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/backport/backport/internal/archivetest"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/sources"
)

// Each way of verifying an upstream tarball, in the order resolveUpstream
// tries them, with the good case and the one that must be refused.
func TestFetchUpstreamVerification(t *testing.T) {
	t.Parallel()
	const pinnedWrong = "sha256:\n  \"2.12\": 0000000000000000000000000000000000000000000000000000000000000000"
	for _, tc := range []struct {
		name     string
		verify   string
		version  string
		setup    func(t *testing.T, f *fixture) [][]byte // changes the served files; returns bytes that must not be kept
		want     int                                     // exit code
		verified string                                  // in VerifiedBy when it succeeds; in the error when it fails
	}{
		{
			name:     "pinned sha256",
			verify:   "sha256:\n  \"2.12\": %s",
			version:  newUpstream,
			verified: "sha256 pinned in specs/hello.yaml",
		},
		{
			// A wrong pin is not rescued by the distro index that would
			// have verified the tarball: the pin is the stronger claim.
			name:     "pinned sha256 wrong",
			verify:   pinnedWrong + "\ndistro_index: [unstable]",
			version:  newUpstream,
			want:     exitcode.Verification,
			verified: "sha256 mismatch",
		},
		{
			name:     "checksums file",
			verify:   `checksums: "{{.URL}}.sha256"`,
			version:  siteOnly,
			verified: sitePath(siteOnly) + ".sha256",
		},
		{
			name:    "checksums file, tarball tampered",
			verify:  `checksums: "{{.URL}}.sha256"`,
			version: siteOnly,
			setup: func(t *testing.T, f *fixture) [][]byte {
				return [][]byte{f.tamper(sitePath(siteOnly))}
			},
			want:     exitcode.Verification,
			verified: "sha256 mismatch",
		},
		{
			name:    "checksums file without the tarball",
			verify:  `checksums: "{{.URL}}.sha256"`,
			version: siteOnly,
			setup: func(t *testing.T, f *fixture) [][]byte {
				f.arch.SetFile(sitePath(siteOnly)+".sha256", []byte("0123  hello-9.9.tar.gz\n"))
				return nil
			},
			want:     exitcode.Verification,
			verified: "does not list hello-2.13.tar.gz",
		},
		{
			// Not in unstable, so distro_index passes it on to the
			// signature, checked with the distro's signing-key.asc.
			name:     "signature with the distro's signing key",
			verify:   "distro_index: [unstable]\nsignature: \"{{.URL}}.sig\"",
			version:  siteOnly,
			verified: "key from the distro's debian/upstream/signing-key.asc",
		},
		{
			name:    "signature by another key",
			verify:  `signature: "{{.URL}}.sig"`,
			version: siteOnly,
			setup: func(t *testing.T, f *fixture) [][]byte {
				sig := archivetest.DetachSign(t, archivetest.NewKey(t, "Mallory"), f.arch.File(sitePath(siteOnly)))
				f.arch.SetFile(sitePath(siteOnly)+".sig", sig)
				return nil
			},
			want:     exitcode.Verification,
			verified: "signature of",
		},
		{
			name:    "signature, tarball tampered",
			verify:  `signature: "{{.URL}}.sig"`,
			version: siteOnly,
			setup: func(t *testing.T, f *fixture) [][]byte {
				return [][]byte{f.tamper(sitePath(siteOnly))}
			},
			want:     exitcode.Verification,
			verified: "signature of",
		},
		{
			// A pin for another version only: nothing can verify 2.13.
			name:     "nothing verifies this version",
			verify:   "sha256:\n  \"2.10\": %s",
			version:  siteOnly,
			want:     exitcode.Verification,
			verified: "pass --insecure",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			verify := tc.verify
			if strings.Contains(verify, "%s") {
				verify = fmt.Sprintf(verify, fmt.Sprintf("%x", sha256.Sum256(f.arch.File(sitePath(newUpstream)))))
			}
			var bad [][]byte
			if tc.setup != nil {
				bad = tc.setup(t, f)
			}
			res, ws, err := f.fetch(t, f.recipe(t, verify), tc.version, "work")
			if code := exitcode.Of(err); code != tc.want {
				t.Fatalf("err = %v (exit %d), want exit %d", err, code, tc.want)
			}
			requireNotIn(t, ws.Dir, bad...)
			requireCacheVerified(t, f.cache, bad...)
			if tc.want != 0 {
				if !strings.Contains(err.Error(), tc.verified) {
					t.Errorf("error %q does not say %q", err, tc.verified)
				}
				if slices.Contains(entries(t, ws.Dir), "sources.json") {
					t.Error("a failed fetch saved sources.json")
				}
				return
			}
			up := fileByRole(t, res, "upstream")
			if !strings.Contains(up.VerifiedBy, tc.verified) || res.Insecure {
				t.Errorf("upstream verified by %q (insecure %v), want it to say %q", up.VerifiedBy, res.Insecure, tc.verified)
			}
			requireFile(t, filepath.Join(res.Tree, "README"), "GNU Hello "+tc.version+"\n")
		})
	}
}

// DESIGN §9: unverified input is refused unless --insecure, and then the
// result says so.
func TestFetchInsecure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.recipe(t, "sha256:\n  \"2.10\": "+strings.Repeat("ab", 32))
	_, _, err := f.fetch(t, r, siteOnly, "work")
	if code := exitcode.Of(err); code != exitcode.Verification || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("without --insecure: %v (exit %d), want exit 4 naming --insecure", err, code)
	}

	res, _, err := f.fetch(t, r, siteOnly, "work", func(req *sources.Request) { req.Insecure = true })
	if err != nil {
		t.Fatal(err)
	}
	up := fileByRole(t, res, "upstream")
	if !res.Insecure || !strings.HasPrefix(up.VerifiedBy, "NOT VERIFIED") || up.URL != f.siteURL(siteOnly) {
		t.Errorf("insecure %v, upstream %+v", res.Insecure, up)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "hello-2.13.tar.gz is NOT verified") {
		t.Errorf("warnings %q", res.Warnings)
	}
	requireFile(t, filepath.Join(res.Tree, "README"), "GNU Hello "+siteOnly+"\n")

	// The insecure resolution is not reused for a secure request.
	f.arch.ResetRequests()
	if _, _, err := f.fetch(t, r, siteOnly, "work"); exitcode.Of(err) != exitcode.Verification {
		t.Errorf("secure fetch after an insecure one: %v, want exit 4", err)
	}
}

// A version nobody has is a plain failure naming the problem, not a
// verification failure.
func TestFetchVersionNobodyHas(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		verify   string
		insecure bool
	}{
		{"distro_index and signature", "distro_index: [unstable]\nsignature: \"{{.URL}}.sig\"", false},
		{"checksums", `checksums: "{{.URL}}.sha256"`, false},
		{"pinned", "sha256:\n  \"2.99\": " + strings.Repeat("ab", 32), false},
		{"insecure", "distro_index: [unstable]", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			_, ws, err := f.fetch(t, f.recipe(t, tc.verify), "2.99", "work",
				func(req *sources.Request) { req.Insecure = tc.insecure })
			if code := exitcode.Of(err); code != exitcode.Failure || !strings.Contains(err.Error(), "no upstream tarball for hello 2.99") {
				t.Fatalf("err = %v (exit %d), want exit 1 with \"no upstream tarball\"", err, code)
			}
			if !strings.Contains(err.Error(), "404") {
				t.Errorf("error %q does not say what the URLs answered", err)
			}
			if slices.Contains(entries(t, ws.Dir), "sources.json") {
				t.Error("a failed fetch saved sources.json")
			}
			requireCacheVerified(t, f.cache)
		})
	}
}

// DESIGN §9: a hostile upstream tarball that verifies (its hash is pinned)
// is still refused when unpacked, and nothing lands outside the workspace.
func TestFetchHostileUpstreamTarball(t *testing.T) {
	t.Parallel()
	const ver = "2.14"
	top := "hello-" + ver + "/"
	for _, tc := range []struct {
		name    string
		members []tar.Header
	}{
		{"traversal", []tar.Header{{Name: top + "README"}, {Name: "../../evil"}}},
		{"traversal inside the top directory", []tar.Header{{Name: top + "README"}, {Name: top + "../../../evil"}}},
		{"absolute path", []tar.Header{{Name: top + "README"}, {Name: "ABS/evil"}}},
		{"symlink then file", []tar.Header{
			{Name: top + "README"},
			{Name: top + "link", Typeflag: tar.TypeSymlink, Linkname: "../../../../../.."},
			{Name: top + "link/evil"},
		}},
		{"hard link to outside", []tar.Header{{Name: top + "README"}, {Name: top + "passwd", Typeflag: tar.TypeLink, Linkname: "../../../../../../etc/passwd"}}},
		{"device", []tar.Header{{Name: top + "README"}, {Name: top + "evil", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			outside := t.TempDir() // where an absolute member points
			var members []tar.Header
			for _, h := range tc.members {
				h.Name = strings.Replace(h.Name, "ABS", outside, 1)
				members = append(members, h)
			}
			tarball := hostileTarGz(t, members)
			f.arch.AddRaw(sitePath(ver), tarball)
			r := f.recipe(t, fmt.Sprintf("sha256:\n  %q: %x", ver, sha256.Sum256(tarball)))

			res, ws, err := f.fetch(t, r, ver, "deep/er/work")
			if err == nil {
				t.Fatalf("a hostile tarball was unpacked: %+v", res)
			}
			if exitcode.Of(err) == exitcode.OK || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %q (exit %d)", err, exitcode.Of(err))
			}
			for _, dir := range []string{f.dir, outside} {
				filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
					if err == nil && d.Name() == "evil" {
						t.Errorf("the tarball wrote %s", p)
					}
					return nil
				})
			}
			if tree := entries(t, ws.Tree()); len(tree) > 0 {
				t.Errorf("tree/ holds %v after the failure", tree)
			}
			if slices.Contains(entries(t, ws.Dir), "sources.json") {
				t.Error("a failed fetch saved sources.json")
			}
		})
	}
}

// hostileTarGz writes members as given, regular files holding "evil\n"
// unless another type is set.
func hostileTarGz(t *testing.T, members []tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range members {
		body := "evil\n"
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			body = ""
		}
		h.Mode, h.Size = 0o644, int64(len(body))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
