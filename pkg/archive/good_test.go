package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var (
	longDir  = "hello-2.12/" + strings.Repeat("long-directory-name-", 6) // > 100 bytes: needs PAX or GNU long names
	longName = longDir + "/" + strings.Repeat("f", 120) + ".c"
)

// goodEntries is a small upstream tree with the shapes real tarballs have.
var goodEntries = []entry{
	{name: "hello-2.12/", typ: 'd'},
	{name: "hello-2.12/configure", typ: 'f', body: "#!/bin/sh\necho ok\n", mode: 0o755},
	{name: "hello-2.12/README", typ: 'f', body: "hello\n", mode: 0o644},
	{name: "hello-2.12/ro.txt", typ: 'f', body: "read only\n", mode: 0o444},
	{name: "hello-2.12/suid", typ: 'f', body: "x", mode: 0o4755},
	{name: "hello-2.12/sgid-sticky", typ: 'f', body: "x", mode: 0o3640},
	{name: "hello-2.12/src/lib/deep.c", typ: 'f', body: "int deep;\n"},
	{name: "hello-2.12/src/main.c", typ: 'f', body: "int main(void){return 0;}\n"},
	{name: "hello-2.12/src/link.c", typ: 'l', link: "main.c"},
	{name: "hello-2.12/top-link", typ: 'l', link: "src/lib/../lib/deep.c"},
	{name: "hello-2.12/dirlink", typ: 'l', link: "src"},
	{name: "hello-2.12/dangling", typ: 'l', link: "not-yet"},
	{name: "hello-2.12/hard.c", typ: 'h', link: "hello-2.12/src/main.c"},
	{name: "hello-2.12/locked/", typ: 'd', mode: dirMode0},
	{name: "hello-2.12/locked/inside", typ: 'f', body: "in a mode 0 dir\n"},
	{name: "./hello-2.12/dotted", typ: 'f', body: "dot prefix\n"},
	{name: longDir + "/", typ: 'd'},
	{name: longName, typ: 'f', body: "long\n"},
}

type wantNode struct {
	typ  fs.FileMode // 0 regular, ModeDir, ModeSymlink
	perm fs.FileMode
	body string
	link string
}

var goodWant = map[string]wantNode{
	"hello-2.12":                {typ: fs.ModeDir, perm: 0o755},
	"hello-2.12/configure":      {perm: 0o755, body: "#!/bin/sh\necho ok\n"},
	"hello-2.12/README":         {perm: 0o644, body: "hello\n"},
	"hello-2.12/ro.txt":         {perm: 0o444, body: "read only\n"},
	"hello-2.12/suid":           {perm: 0o755, body: "x"},
	"hello-2.12/sgid-sticky":    {perm: 0o640, body: "x"},
	"hello-2.12/src":            {typ: fs.ModeDir, perm: 0o755},
	"hello-2.12/src/lib":        {typ: fs.ModeDir, perm: 0o755},
	"hello-2.12/src/lib/deep.c": {perm: 0o644, body: "int deep;\n"},
	"hello-2.12/src/main.c":     {perm: 0o644, body: "int main(void){return 0;}\n"},
	"hello-2.12/src/link.c":     {typ: fs.ModeSymlink, link: "main.c"},
	"hello-2.12/top-link":       {typ: fs.ModeSymlink, link: "src/lib/../lib/deep.c"},
	"hello-2.12/dirlink":        {typ: fs.ModeSymlink, link: "src"},
	"hello-2.12/dangling":       {typ: fs.ModeSymlink, link: "not-yet"},
	"hello-2.12/hard.c":         {perm: 0o644, body: "int main(void){return 0;}\n"},
	"hello-2.12/locked":         {typ: fs.ModeDir, perm: 0o700},
	"hello-2.12/locked/inside":  {perm: 0o644, body: "in a mode 0 dir\n"},
	"hello-2.12/dotted":         {perm: 0o644, body: "dot prefix\n"},
	longDir:                     {typ: fs.ModeDir, perm: 0o755},
	longName:                    {perm: 0o644, body: "long\n"},
}

// goodArchives builds goodEntries in every container flavour we read.
func goodArchives(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"tar-pax":   makeTar(t, goodEntries, tar.FormatPAX),
		"tar-gnu":   makeTar(t, goodEntries, tar.FormatGNU),
		"cpio-newc": makeCpio(t, goodEntries, false),
		"cpio-crc":  makeCpio(t, goodEntries, true),
	}
}

func TestExtractGoodArchives(t *testing.T) {
	t.Parallel()
	for flavour, plain := range goodArchives(t) {
		for _, comp := range compressors {
			t.Run(flavour+"/"+comp.name, func(t *testing.T) {
				t.Parallel()
				data := comp.fn(t, plain)
				dest := filepath.Join(t.TempDir(), "not", "yet", "there")
				members, err := Extract(context.Background(), bytes.NewReader(data), "hello-2.12.tar", dest, Options{})
				if err != nil {
					t.Fatal(err)
				}
				checkTree(t, dest, goodWant)
				if got := TopDir(members); got != "hello-2.12" {
					t.Errorf("TopDir(%q) = %q", members, got)
				}
				if !slices.Contains(members, longName) || !slices.Contains(members, "hello-2.12/hard.c") {
					t.Errorf("members %q miss the long name or the hard link", members)
				}
				checkSameFile(t, filepath.Join(dest, "hello-2.12/hard.c"), filepath.Join(dest, "hello-2.12/src/main.c"))
				fi, err := os.Stat(filepath.Join(dest, "hello-2.12/README"))
				if err != nil || !fi.ModTime().Equal(testMtime) {
					t.Errorf("README mtime = %v (%v), want %v", fi.ModTime(), err, testMtime)
				}
				if fi, err := os.Stat(filepath.Join(dest, "hello-2.12")); err != nil || !fi.ModTime().Equal(testMtime) {
					t.Errorf("directory mtime = %v (%v), want %v", fi.ModTime(), err, testMtime)
				}
			})
		}
	}
}

// checkTree compares the whole tree under dest with want: nothing missing,
// nothing extra.
func checkTree(t *testing.T, dest string, want map[string]wantNode) {
	t.Helper()
	got := map[string]bool{}
	err := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dest {
			return err
		}
		rel, _ := filepath.Rel(dest, p)
		rel = filepath.ToSlash(rel)
		got[rel] = true
		w, ok := want[rel]
		if !ok {
			t.Errorf("unexpected %s", rel)
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode().Type() != w.typ {
			t.Errorf("%s: type %v, want %v", rel, fi.Mode().Type(), w.typ)
			return nil
		}
		switch w.typ {
		case fs.ModeSymlink:
			if link, _ := os.Readlink(p); link != w.link {
				t.Errorf("%s -> %q, want -> %q", rel, link, w.link)
			}
			return nil
		case 0:
			if body, _ := os.ReadFile(p); string(body) != w.body {
				t.Errorf("%s holds %q, want %q", rel, body, w.body)
			}
		}
		// Mode() carries setuid etc. outside Perm(): compare both.
		if fi.Mode()&^fs.ModeType != w.perm {
			t.Errorf("%s: mode %v, want %v", rel, fi.Mode()&^fs.ModeType, w.perm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range want {
		if !got[rel] {
			t.Errorf("missing %s", rel)
		}
	}
}

func checkSameFile(t *testing.T, a, b string) {
	t.Helper()
	fa, errA := os.Lstat(a)
	fb, errB := os.Lstat(b)
	if errA != nil || errB != nil || !os.SameFile(fa, fb) {
		t.Errorf("%s and %s are not one hard-linked file (%v, %v)", a, b, errA, errB)
	}
}

func extractEntries(t *testing.T, container string, entries []entry, dest string, opt Options) ([]string, error) {
	t.Helper()
	data := makeTar(t, entries, 0)
	if container == "cpio" {
		data = makeCpio(t, entries, false)
	}
	return Extract(context.Background(), bytes.NewReader(data), "test.archive", dest, opt)
}

func TestExtractLaterMemberWinsWithoutFollowing(t *testing.T) {
	t.Parallel()
	entries := []entry{
		{name: "a", typ: 'f', body: "one"},
		{name: "a", typ: 'f', body: "two"},
		{name: "orig", typ: 'f', body: "orig"},
		{name: "hard", typ: 'h', link: "orig"},
		{name: "hard", typ: 'f', body: "replaced"}, // must not rewrite orig through the link
		{name: "target", typ: 'f', body: "target"},
		{name: "sym", typ: 'l', link: "target"},
		{name: "sym", typ: 'f', body: "file now"}, // must not rewrite target through the link
		{name: "d", typ: 'l', link: "target"},
		{name: "d/", typ: 'd'},
		{name: "pre", typ: 'f', body: "pre"},
	}
	for _, container := range []string{"tar", "cpio"} {
		t.Run(container, func(t *testing.T) {
			t.Parallel()
			base, dest := hostileLayout(t)
			// A symlink already in dest at a member's name is replaced, not followed.
			if err := os.Symlink(filepath.Join(base, "outside", "keep"), filepath.Join(dest, "pre")); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, base, dest)
			members, err := extractEntries(t, container, entries, dest, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkTree(t, dest, map[string]wantNode{
				"a":      {perm: 0o644, body: "two"},
				"orig":   {perm: 0o644, body: "orig"},
				"hard":   {perm: 0o644, body: "replaced"},
				"target": {perm: 0o644, body: "target"},
				"sym":    {perm: 0o644, body: "file now"},
				"d":      {typ: fs.ModeDir, perm: 0o755},
				"pre":    {perm: 0o644, body: "pre"},
			})
			assertSameSnapshot(t, before, snapshot(t, base, dest))
			if want := []string{"a", "orig", "hard", "target", "sym", "d", "pre"}; !slices.Equal(members, want) {
				t.Errorf("members = %q, want %q (each once, in archive order)", members, want)
			}
		})
	}
}

func TestExtractStripComponents(t *testing.T) {
	t.Parallel()
	entries := []entry{
		{name: "hello-2.12/", typ: 'd'},
		{name: "hello-2.12/README", typ: 'f', body: "r"},
		{name: "hello-2.12/src/main.c", typ: 'f', body: "m"},
		{name: "hello-2.12/src/copy.c", typ: 'h', link: "hello-2.12/src/main.c"},
		{name: "top-file", typ: 'f', body: "stripped away"},
	}
	for _, container := range []string{"tar", "cpio"} {
		t.Run(container, func(t *testing.T) {
			t.Parallel()
			dest := t.TempDir()
			members, err := extractEntries(t, container, entries, dest, Options{StripComponents: 1})
			if err != nil {
				t.Fatal(err)
			}
			checkTree(t, dest, map[string]wantNode{
				"README":     {perm: 0o644, body: "r"},
				"src":        {typ: fs.ModeDir, perm: 0o755},
				"src/main.c": {perm: 0o644, body: "m"},
				"src/copy.c": {perm: 0o644, body: "m"},
			})
			checkSameFile(t, filepath.Join(dest, "src/copy.c"), filepath.Join(dest, "src/main.c"))
			if want := []string{"README", "src/main.c", "src/copy.c"}; !slices.Equal(members, want) {
				t.Errorf("members = %q, want %q", members, want)
			}
		})
	}
	if _, err := Extract(context.Background(), bytes.NewReader(nil), "x.tar", t.TempDir(), Options{StripComponents: -1}); err == nil {
		t.Error("negative StripComponents accepted")
	}
}

func TestTopDir(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		members []string
		want    string
	}{
		{nil, ""},
		{[]string{"hello-2.12", "hello-2.12/README", "hello-2.12/src/main.c"}, "hello-2.12"},
		{[]string{"hello-2.12/README"}, "hello-2.12"},
		{[]string{"./hello-2.12/README", "hello-2.12/x"}, "hello-2.12"},
		{[]string{"hello-2.12/README", "other/README"}, ""},
		{[]string{"hello-2.12/README", "stray-file"}, ""},
		{[]string{"README"}, ""},
		{[]string{"empty-dir"}, ""},
		{[]string{"debian", "debian/control", "debian/rules"}, "debian"},
	} {
		if got := TopDir(tc.members); got != tc.want {
			t.Errorf("TopDir(%q) = %q, want %q", tc.members, got, tc.want)
		}
	}
}

func TestExtractMakesDestAbsolute(t *testing.T) {
	base := t.TempDir()
	t.Chdir(base) // not parallel: changes the working directory
	data := makeTar(t, []entry{{name: "f", typ: 'f', body: "x"}}, 0)
	if _, err := Extract(context.Background(), bytes.NewReader(data), "x.tar", "rel/dest", Options{}); err != nil {
		t.Fatal(err)
	}
	if body, err := os.ReadFile(filepath.Join(base, "rel", "dest", "f")); err != nil || string(body) != "x" {
		t.Errorf("rel/dest/f = %q, %v", body, err)
	}
}

func TestExtractSkipsPaxGlobalHeader(t *testing.T) {
	t.Parallel()
	// git archive writes the commit id in a pax global header first.
	entries := []entry{{name: "pax_global_header", typ: 'g'}, {name: "proj/a", typ: 'f', body: "a"}}
	dest := t.TempDir()
	members, err := extractEntries(t, "tar", entries, dest, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"proj/a"}; !slices.Equal(members, want) {
		t.Errorf("members = %q, want %q", members, want)
	}
}

func TestExtractContextCancelled(t *testing.T) {
	t.Parallel()
	data := makeTar(t, []entry{{name: "f", typ: 'f', body: "x"}}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Extract(ctx, bytes.NewReader(data), "x.tar", t.TempDir(), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before start: err = %v", err)
	}

	// Cancelled in the middle of a member: the copy stops.
	big := makeTar(t, []entry{{name: "a", typ: 'f', body: "a"}, {name: "big", typ: 'f', body: strings.Repeat("B", 1<<20)}}, 0)
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	r := &cancelAfter{r: bytes.NewReader(big), n: 64 << 10, cancel: cancel}
	if _, err := Extract(ctx, r, "x.tar", t.TempDir(), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled mid-member: err = %v", err)
	}
}

// cancelAfter cancels its context once n bytes have been read.
type cancelAfter struct {
	r      *bytes.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if len(p) > 4096 {
		p = p[:4096]
	}
	n, err := c.r.Read(p)
	if c.n -= n; c.n <= 0 {
		c.cancel()
	}
	return n, err
}
