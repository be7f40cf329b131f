package deb

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const seriesDir = "testdata/series"

func TestParseSeries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		want []SeriesEntry
	}{
		{"upstream-and-debian.series", []SeriesEntry{
			{Name: "0001-fix-manpage-typo.patch", Strip: 1, Line: 2},
			{Name: "0002-CVE-2015-8863.patch", Strip: 1, Line: 3},
			{Name: "debian/disable-valgrind.patch", Strip: 0, Line: 6},
			{Name: "skip-network-tests.patch", Strip: 1, Line: 7},
			{Name: "0005-indented.patch", Strip: 1, Line: 8},
		}},
		{"crlf-no-eol.series", []SeriesEntry{
			{Name: "a.patch", Strip: 1, Line: 1},
			{Name: "b.patch", Strip: 1, Line: 2},
			{Name: "d.patch", Strip: 1, Line: 4},
		}},
		{"options.series", []SeriesEntry{
			{Name: "strip0.patch", Strip: 0, Line: 1},
			{Name: "strip2.patch", Strip: 2, Line: 2},
			{Name: "quilt-ab.patch", Strip: 1, Line: 3},
			{Name: "name#with-hash.patch", Strip: 1, Line: 4},
		}},
	}
	for _, c := range cases {
		s, err := ReadSeries(filepath.Join(seriesDir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Entries(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Entries() =\n%+v\nwant\n%+v", c.file, got, c.want)
		}
	}
}

func TestParseSeriesErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ text, want string }{
		{"../escape.patch\n", `series:1: patch name "../escape.patch" leaves debian/patches`},
		{"ok.patch\nsub/../../escape.patch\n", `series:2: patch name "sub/../../escape.patch" leaves debian/patches`},
		{"/etc/passwd\n", `series:1: patch name "/etc/passwd" leaves debian/patches`},
		{"a.patch -R\n", `series:1: unsupported option "-R" for a.patch`},
		{"a.patch -px\n", `series:1: bad strip level "-px" for a.patch`},
		{"a.patch -p\n", `series:1: bad strip level "-p" for a.patch`},
		{"a.patch\n# comment\na.patch -p1\n", "series:3: a.patch is listed twice (first at line 1)"},
	}
	for _, c := range cases {
		_, err := ParseSeries("series", []byte(c.text))
		var se *SeriesError
		if !errors.As(err, &se) || err.Error() != c.want && !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("ParseSeries(%q) = %v, want %q", c.text, err, c.want)
		}
	}
	if _, err := ReadSeries(filepath.Join(t.TempDir(), "series")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadSeries of a missing file = %v, want fs.ErrNotExist", err)
	}
}

// TestSeriesDropGolden drops patches and compares with the golden files;
// every line not dropped must survive byte for byte.
func TestSeriesDropGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		drop []string
	}{
		{"upstream-and-debian.series", []string{"0002-CVE-2015-8863.patch", "skip-network-tests.patch"}},
		{"crlf-no-eol.series", []string{"d.patch"}},
		{"options.series", []string{"strip0.patch", "name#with-hash.patch"}},
	}
	for _, c := range cases {
		path := filepath.Join(seriesDir, c.file)
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseSeries(c.file, orig)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.Bytes(), orig) {
			t.Errorf("%s: Bytes() before any edit differs from the file", c.file)
		}
		for _, n := range c.drop {
			if err := s.Drop(n); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Drop(c.drop[0]); err == nil {
			t.Errorf("%s: dropping %s twice succeeded", c.file, c.drop[0])
		}
		got := s.Bytes()
		// The result is the original minus the dropped lines.
		var want bytes.Buffer
		for _, l := range strings.SplitAfter(string(orig), "\n") {
			if f := strings.Fields(stripSeriesComment(l)); len(f) > 0 && contains(c.drop, f[0]) {
				continue
			}
			want.WriteString(l)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: after Drop:\n%q\nwant\n%q", c.file, got, want.Bytes())
		}
		golden := filepath.Join(seriesDir, "golden", c.file+".golden")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		wantGolden, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, wantGolden) {
			t.Errorf("%s: after Drop:\n%s\ngolden %s:\n%s", c.file, got, golden, wantGolden)
		}
		back, err := ParseSeries(c.file, got)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range back.Entries() {
			if contains(c.drop, e.Name) {
				t.Errorf("%s: %s is still listed", c.file, e.Name)
			}
		}
	}
}

func TestSeriesWrite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "series")
	if err := os.WriteFile(path, []byte("a.patch\nb.patch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o664); err != nil { // past the umask
		t.Fatal(err)
	}
	s, err := ReadSeries(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Drop("a.patch"); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(data) != "b.patch\n" || fi.Mode().Perm() != 0o664 {
		t.Errorf("written series %q mode %v, want %q mode 0664", data, fi.Mode().Perm(), "b.patch\n")
	}
}

func TestSeriesPath(t *testing.T) {
	t.Parallel()
	tree := t.TempDir()
	dir := filepath.Join(tree, "debian", "patches")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := SeriesPath(tree, "ubuntu"); got != filepath.Join(dir, "series") {
		t.Errorf("SeriesPath without ubuntu.series = %s", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "ubuntu.series"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := SeriesPath(tree, "Ubuntu"); got != filepath.Join(dir, "ubuntu.series") {
		t.Errorf("SeriesPath with ubuntu.series = %s", got)
	}
}

func TestMarkApplied(t *testing.T) {
	t.Parallel()
	tree := t.TempDir()
	// A stale .pc from an earlier application is replaced.
	writeTestFile(t, filepath.Join(tree, ".pc", "old.patch", "src", "x.c"), "stale")
	if err := MarkApplied(tree, []string{"01-a.patch", "debian/02-b.patch"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		".version": "2\n", ".quilt_patches": "debian/patches\n", ".quilt_series": "series\n",
		"applied-patches": "01-a.patch\ndebian/02-b.patch\n",
	}
	entries, _ := os.ReadDir(filepath.Join(tree, ".pc"))
	if len(entries) != len(want) {
		t.Errorf(".pc holds %d entries, want %d", len(entries), len(want))
	}
	for name, content := range want {
		data, err := os.ReadFile(filepath.Join(tree, ".pc", name))
		if err != nil || string(data) != content {
			t.Errorf(".pc/%s = %q (%v), want %q", name, data, err, content)
		}
	}
	if err := MarkApplied(tree, []string{"bad\nname"}); err == nil {
		t.Error("MarkApplied accepted a name with a newline")
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func FuzzParseSeries(f *testing.F) {
	for _, name := range []string{"upstream-and-debian.series", "crlf-no-eol.series", "options.series"} {
		data, err := os.ReadFile(filepath.Join(seriesDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSeries("series", data)
		if err != nil {
			return
		}
		if !bytes.Equal(s.Bytes(), data) {
			t.Fatalf("Bytes() = %q, want the input %q", s.Bytes(), data)
		}
		entries := s.Entries()
		if len(entries) == 0 {
			return
		}
		drop := entries[len(entries)/2]
		if err := s.Drop(drop.Name); err != nil {
			t.Fatal(err)
		}
		back, err := ParseSeries("series", s.Bytes())
		if err != nil {
			t.Fatalf("after Drop(%s) the series does not parse: %v", drop.Name, err)
		}
		var want []string
		for _, e := range entries {
			if e.Name != drop.Name {
				want = append(want, e.Name)
			}
		}
		var got []string
		for _, e := range back.Entries() {
			got = append(got, e.Name)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after Drop(%s): %q, want %q", drop.Name, got, want)
		}
		// Exactly the dropped line is gone.
		orig := strings.SplitAfter(string(data), "\n")
		after := strings.SplitAfter(string(s.Bytes()), "\n")
		if len(after) != len(orig)-1 && !(len(after) == len(orig) && drop.Line == len(orig)) {
			t.Fatalf("Drop removed %d lines", len(orig)-len(after))
		}
	})
}
