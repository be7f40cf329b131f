package archive

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileCase is an archive that must be refused. "$BASE" in names and link
// targets becomes the absolute test directory that holds dest, so absolute
// paths point at places the test can inspect.
type hostileCase struct {
	name     string
	entries  []entry
	limits   Limits
	want     error
	cpioWant error  // when newc's shape gives a different first refusal
	member   string // the member the error must name, when not the last entry
	tarOnly  bool
	cpioOnly bool
	setup    func(t *testing.T, base, dest string)
	absent   []string // paths relative to base that must not exist afterwards
}

var hostileCases = []hostileCase{
	{name: "dotdot", entries: []entry{{name: "../x", typ: 'f', body: "x"}},
		want: ErrPathEscapes, absent: []string{"work/x"}},
	{name: "nested dotdot", entries: []entry{{name: "a/", typ: 'd'}, {name: "a/../../x", typ: 'f', body: "x"}},
		want: ErrPathEscapes, absent: []string{"work/x"}},
	{name: "dotdot that stays inside", entries: []entry{{name: "a/../b", typ: 'f', body: "x"}},
		want: ErrPathEscapes, absent: []string{"work/dest/b", "work/dest/a"}},
	{name: "absolute", entries: []entry{{name: "$BASE/abs-target", typ: 'f', body: "x"}},
		want: ErrPathEscapes, absent: []string{"abs-target"}},
	{name: "absolute symlink then file through it",
		entries: []entry{{name: "link", typ: 'l', link: "$BASE/outside"}, {name: "link/evil", typ: 'f', body: "x"}},
		want:    ErrLinkEscapes, member: "link", absent: []string{"outside/evil", "work/dest/link"}},
	{name: "relative symlink out then file through it",
		entries: []entry{{name: "link", typ: 'l', link: "../../outside"}, {name: "link/evil", typ: 'f', body: "x"}},
		want:    ErrLinkEscapes, member: "link", absent: []string{"outside/evil"}},
	{name: "file through a symlink that stays inside",
		entries: []entry{{name: "sub/", typ: 'd'}, {name: "link", typ: 'l', link: "sub"}, {name: "link/evil", typ: 'f', body: "x"}},
		want:    ErrThroughSymlink, absent: []string{"work/dest/sub/evil"}},
	{name: "file through a symlink already in dest",
		setup: func(t *testing.T, base, dest string) {
			if err := os.Symlink(filepath.Join(base, "outside"), filepath.Join(dest, "pre")); err != nil {
				t.Fatal(err)
			}
		},
		entries: []entry{{name: "pre/evil", typ: 'f', body: "x"}},
		want:    ErrThroughSymlink, absent: []string{"outside/evil"}},
	{name: "symlink to parent", entries: []entry{{name: "up", typ: 'l', link: ".."}},
		want: ErrLinkEscapes, absent: []string{"work/dest/up"}},
	{name: "symlink dotdot chain", entries: []entry{{name: "a", typ: 'l', link: "."}, {name: "b", typ: 'l', link: "a/.."}},
		want: ErrLinkEscapes, absent: []string{"work/dest/b"}},
	{name: "symlink dotdot chain planted in reverse",
		entries: []entry{{name: "b", typ: 'l', link: "a/.."}, {name: "a", typ: 'l', link: "."}},
		want:    ErrLinkEscapes, member: "b", absent: []string{"work/dest/b"}},
	{name: "symlink dotdot chain in a subdirectory",
		entries: []entry{{name: "d/", typ: 'd'}, {name: "d/l", typ: 'l', link: ".."}, {name: "d/m", typ: 'l', link: "l/.."}},
		want:    ErrLinkEscapes, absent: []string{"work/dest/d/m"}},
	{name: "symlink through a missing dir", entries: []entry{{name: "s", typ: 'l', link: "missing/../.."}},
		want: ErrLinkEscapes},
	{name: "hard link to /etc/passwd", entries: []entry{{name: "evil", typ: 'h', link: "/etc/passwd"}},
		want: ErrLinkEscapes, cpioWant: ErrPathEscapes, member: "-", absent: []string{"work/dest/evil"}},
	{name: "hard link to an absolute sentinel then write through it",
		entries: []entry{{name: "evil", typ: 'h', link: "$BASE/outside/keep"}, {name: "evil", typ: 'f', body: "pwned"}},
		want:    ErrLinkEscapes, cpioWant: ErrPathEscapes, member: "-"},
	{name: "hard link to ../outside", entries: []entry{{name: "evil", typ: 'h', link: "../outside/keep"}},
		want: ErrLinkEscapes, cpioWant: ErrPathEscapes, member: "-", absent: []string{"work/dest/evil"}},
	{name: "hard link through a symlink",
		entries: []entry{{name: "sub/f", typ: 'f', body: "f"}, {name: "l", typ: 'l', link: "sub"}, {name: "h", typ: 'h', link: "l/f"}},
		want:    ErrThroughSymlink, member: "-", tarOnly: true, absent: []string{"work/dest/h"}},
	{name: "char device", entries: []entry{{name: "null", typ: 'c'}},
		want: ErrSpecialFile, absent: []string{"work/dest/null"}},
	{name: "block device", entries: []entry{{name: "loop", typ: 'b'}},
		want: ErrSpecialFile, absent: []string{"work/dest/loop"}},
	{name: "fifo", entries: []entry{{name: "pipe", typ: 'p'}},
		want: ErrSpecialFile, absent: []string{"work/dest/pipe"}},
	{name: "socket", entries: []entry{{name: "sock", typ: 's'}}, cpioOnly: true,
		want: ErrSpecialFile, absent: []string{"work/dest/sock"}},
	{name: "member over the size limit", limits: Limits{MaxMemberSize: 1024},
		entries: []entry{{name: "big", typ: 'f', body: strings.Repeat("A", 2048)}},
		want:    ErrMemberTooLarge, absent: []string{"work/dest/big"}},
	{name: "total size bomb", limits: Limits{MaxTotalSize: 4096},
		entries: repeatEntries(10, func(i int) entry {
			return entry{name: "f" + string(rune('a'+i)), typ: 'f', body: strings.Repeat("Z", 1000)}
		}),
		want: ErrTotalTooLarge, member: "fe", absent: []string{"work/dest/fe"}},
	{name: "too many members", limits: Limits{MaxMembers: 5},
		entries: repeatEntries(10, func(i int) entry { return entry{name: "e" + string(rune('a'+i)), typ: 'f'} }),
		want:    ErrTooManyMembers, member: "ef", absent: []string{"work/dest/ef"}},
}

func repeatEntries(n int, f func(int) entry) []entry {
	out := make([]entry, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func (c hostileCase) expand(base string) []entry {
	out := make([]entry, len(c.entries))
	for i, e := range c.entries {
		e.name = strings.ReplaceAll(e.name, "$BASE", base)
		e.link = strings.ReplaceAll(e.link, "$BASE", base)
		out[i] = e
	}
	return out
}

// hostileLayout makes base/outside (the sentinel tree) and base/work/dest.
func hostileLayout(t testing.TB) (base, dest string) {
	base = t.TempDir()
	dest = filepath.Join(base, "work", "dest")
	for _, d := range []string{filepath.Join(base, "outside", "sub"), dest} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(base, "outside", "keep"), []byte("sentinel"), 0o644); err != nil {
		t.Fatal(err)
	}
	return base, dest
}

func TestExtractRefusesHostileArchives(t *testing.T) {
	t.Parallel()
	for _, c := range hostileCases {
		for _, container := range []string{"tar", "cpio"} {
			if (c.tarOnly && container != "tar") || (c.cpioOnly && container != "cpio") {
				continue
			}
			for _, comp := range compressors {
				t.Run(c.name+"/"+container+"/"+comp.name, func(t *testing.T) {
					t.Parallel()
					checkHostile(t, c, container, comp.fn)
				})
			}
		}
	}
}

func checkHostile(t *testing.T, c hostileCase, container string, compress func(testing.TB, []byte) []byte) {
	base, dest := hostileLayout(t)
	entries := c.expand(base)
	var plain []byte
	want := c.want
	if container == "tar" {
		plain = makeTar(t, entries, 0)
	} else {
		plain = makeCpio(t, entries, false)
		if c.cpioWant != nil {
			want = c.cpioWant
		}
	}
	data := compress(t, plain)
	if c.setup != nil {
		c.setup(t, base, dest)
	}
	before := snapshot(t, base, dest)

	const name = "hostile.archive"
	_, err := Extract(context.Background(), bytes.NewReader(data), name, dest, Options{Limits: c.limits})

	if !errors.Is(err, want) {
		t.Fatalf("Extract error = %v, want %v", err, want)
	}
	var me *MemberError
	if !errors.As(err, &me) {
		t.Fatalf("error %v is not a *MemberError", err)
	}
	wantMember := c.member
	if wantMember == "" {
		wantMember = entries[len(entries)-1].name
	}
	if wantMember != "-" && me.Member != wantMember {
		t.Errorf("error names member %q, want %q", me.Member, wantMember)
	}
	if !strings.HasPrefix(err.Error(), name+": member ") {
		t.Errorf("error %q does not start with the archive name and member", err)
	}
	assertSameSnapshot(t, before, snapshot(t, base, dest))
	for _, p := range c.absent {
		if _, err := os.Lstat(filepath.Join(base, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a refused extraction (err %v)", p, err)
		}
	}
	if c.setup == nil { // the setup may plant an escaping link on purpose
		assertNoEscapingLinks(t, dest)
	}
}

// Found by FuzzExtract (testdata/fuzz/FuzzExtract/57e7207dee099d44): a link
// that only escapes once a later member lands must be removed even when the
// archive then fails, not just on success.
func TestExtractRemovesEscapingLinksOnFailure(t *testing.T) {
	t.Parallel()
	entries := []entry{
		{name: "b", typ: 'l', link: "a/.."},
		{name: "a", typ: 'l', link: "."},
		{name: "../x", typ: 'f', body: "x"},
	}
	for _, container := range []string{"tar", "cpio"} {
		t.Run(container, func(t *testing.T) {
			t.Parallel()
			base, dest := hostileLayout(t)
			_, err := extractEntries(t, container, entries, dest, Options{})
			if !errors.Is(err, ErrPathEscapes) {
				t.Fatalf("err = %v, want ErrPathEscapes for ../x", err)
			}
			if _, err := os.Lstat(filepath.Join(dest, "b")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("escaping link b left behind after a failed extraction (err %v)", err)
			}
			if _, err := os.Lstat(filepath.Join(base, "work", "x")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("../x written (err %v)", err)
			}
			assertNoEscapingLinks(t, dest)
		})
	}
}
