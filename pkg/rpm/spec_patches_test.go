package rpm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const patchSpecsDir = "testdata/patches"

func readPatchSpec(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(patchSpecsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSpecPatches(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file  string
		want  []SpecPatch
		strip int // SetupStrip; -2 when %prep uses neither %autosetup nor %autopatch
	}{
		{file: "numbered.spec", strip: -2, want: []SpecPatch{
			{ID: "0", File: "calc-overflow.patch", Source: "calc-overflow.patch", TagLine: 10, Applied: true, Strip: 1, ApplyLine: 21},
			{ID: "1", File: "calc-CVE-2024-11111.patch", Source: "calc-CVE-2024-11111.patch", TagLine: 11, Applied: true, Strip: 1, ApplyLine: 22},
			{ID: "2", File: "calc-p0-style.patch", Source: "https://example.org/calc/commit/4d2f1a9.patch#/calc-p0-style.patch", TagLine: 12, Applied: true, Strip: 0, ApplyLine: 23},
			{ID: "3", File: "calc-1.4-manpage.patch", Source: "calc-1.4-manpage.patch", TagLine: 13, Applied: true, Strip: 0, ApplyLine: 25},
			{ID: "10", File: "calc-unused.patch", Source: "calc-unused.patch", TagLine: 14},
		}},
		{file: "autosetup.spec", strip: 1, want: []SpecPatch{
			{ID: "0", File: "0001-Fix-build-with-gcc-14.patch", Source: "0001-Fix-build-with-gcc-14.patch", TagLine: 7, Applied: true, Strip: 1, ApplyLine: 18, Auto: true},
			{ID: "1", File: "0002-CVE-2025-0001.patch", Source: "0002-CVE-2025-0001.patch", TagLine: 8, Applied: true, Strip: 1, ApplyLine: 18, Auto: true},
			{ID: "2", File: "0003-fedora-only.patch", Source: "0003-fedora-only.patch", TagLine: 10, Applied: true, Strip: 1, ApplyLine: 18, Auto: true},
			{ID: "3", File: "0004-docs.patch", Source: "0004-docs.patch", TagLine: 12, Applied: true, Strip: 1, ApplyLine: 18, Auto: true},
		}},
		{file: "autopatch.spec", strip: 1, want: []SpecPatch{
			{ID: "0", File: "fern-a.patch", Source: "fern-a.patch", TagLine: 7, Applied: true, Strip: 1, ApplyLine: 17, Auto: true},
			{ID: "1", File: "fern-b.patch", Source: "fern-b.patch", TagLine: 8, Applied: true, Strip: 1, ApplyLine: 17, Auto: true},
			{ID: "50", File: "fern-c.patch", Source: "fern-c.patch", TagLine: 9, Applied: true, Strip: 1, ApplyLine: 17, Auto: true},
			{ID: "100", File: "fern-late.patch", Source: "fern-late.patch", TagLine: 10, Applied: true, Strip: 2, ApplyLine: 19, Auto: true},
		}},
		{file: "multi.spec", strip: -2, want: []SpecPatch{
			{ID: "1", File: "moss-one.patch", Source: "moss-one.patch", TagLine: 7, Applied: true, Strip: 2, ApplyLine: 22},
			{ID: "5", File: "moss-five.patch", Source: "moss-five.patch", TagLine: 11, Applied: true, Strip: 1, ApplyLine: 23},
			{ID: "2", File: "moss-two.patch", Source: "moss-two.patch", TagLine: 8, Applied: true, Strip: 1, ApplyLine: 23},
			{ID: "3", File: "moss-three.patch", Source: "moss-three.patch", TagLine: 9, Applied: true, Strip: 1, ApplyLine: 24},
			{ID: "4", File: "moss-four.patch", Source: "moss-four.patch", TagLine: 10, Applied: true, Strip: 1, ApplyLine: 24},
			{ID: "6", File: "moss-listed-a.patch", Source: "moss-listed-a.patch", TagLine: 14, Applied: true, Strip: 1, ApplyLine: 25},
			{ID: "7", File: "moss-listed-b.patch", Source: "moss-listed-b.patch", TagLine: 15, Applied: true, Strip: 1, ApplyLine: 25},
		}},
	}
	for _, c := range cases {
		s := mustParse(t, c.file, readPatchSpec(t, c.file))
		got, err := s.Patches()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Patches() =\n%+v\nwant\n%+v", c.file, got, c.want)
		}
		strip, ok := s.SetupStrip()
		if !ok {
			strip = -2
		}
		if strip != c.strip {
			t.Errorf("%s: SetupStrip() = %d, %v; want %d", c.file, strip, ok, c.strip)
		}
	}
}

func TestSpecPatchesErrors(t *testing.T) {
	t.Parallel()
	head := "Name: x\nVersion: 1\nRelease: 1\nSummary: x\nLicense: MIT\n"
	cases := []struct{ body, want string }{
		{"Patch0: a.patch\n%description\nx\n%prep\n%patch0 -R -p1\n", "x.spec:10: %patch -R applies a patch in reverse"},
		{"Patch0: a.patch\n%description\nx\n%prep\n%patch 3 -p1\n", "x.spec:10: %patch applies patch 3, which the spec does not declare"},
		{"Patch0: a.patch\n%description\nx\n%prep\n%patch -P %{n} -p1\n", "x.spec:10: %patch -P %{n}: backport reads only literal patch numbers"},
		{"Patch1: a.patch\nPatch01: b.patch\n", "x.spec:7: patch 1 is declared twice (first at line 6)"},
		{"Patch1: %{undefined_macro}.patch\n", "x.spec:6: patch 1 uses undefined macro %{undefined_macro}"},
		{"Patch1: a.patch\n%description\nx\n%prep\n%autosetup -p %{strip}\n", "x.spec:10: option -p %{strip}: backport reads only literal numbers"},
	}
	for _, c := range cases {
		s := mustParse(t, "x.spec", []byte(head+c.body))
		_, err := s.Patches()
		var se *SpecError
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Patches() of\n%s\n= %v, want %q", c.body, err, c.want)
		}
	}
}

// dropCase drops patches from a fixture; removed and rewritten are the
// original lines (without line ending) the drop must remove or rewrite, and
// added the lines it writes instead. Everything else stays byte for byte.
type dropCase struct {
	file    string
	drop    []string
	removed []string
	added   []string
	defines []string // for rpmspec
}

var dropCases = []dropCase{
	{file: "numbered.spec", drop: []string{"1", "3"},
		removed: []string{"Patch1:         calc-CVE-2024-11111.patch", "Patch03:        calc-%{version}-manpage.patch", "%patch 1 -p1", "%patch -P3"}},
	{file: "autosetup.spec", drop: []string{"0", "1"}, defines: []string{"fedora 41"},
		removed: []string{"Patch:          0001-Fix-build-with-gcc-14.patch", "Patch:          0002-CVE-2025-0001.patch"}},
	{file: "autopatch.spec", drop: []string{"50", "100"},
		removed: []string{"Patch50:        fern-c.patch", "Patch100:       fern-late.patch", "%autopatch -p2 100"}},
	{file: "multi.spec", drop: []string{"1", "2", "3", "7"},
		removed: []string{"Patch1:         moss-one.patch", "Patch2:         moss-two.patch", "Patch3:         moss-three.patch",
			"moss-listed-b.patch", "patch -p2 -s < %{PATCH1}", "%patch -P 5 -P 2 -p1", "%patch3 -P 4 -p1", "%patch 6 7 -p1"},
		added: []string{"%patch -P 5 -p1", "%patch -P 4 -p1", "%patch 6 -p1"}},
}

func applyDrops(t *testing.T, c dropCase) []byte {
	t.Helper()
	s := mustParse(t, c.file, readPatchSpec(t, c.file))
	if err := s.DropPatches(c.drop); err != nil {
		t.Fatalf("%s: DropPatches(%q): %v", c.file, c.drop, err)
	}
	return s.Bytes()
}

func TestDropPatchGolden(t *testing.T) {
	t.Parallel()
	for _, c := range dropCases {
		orig := readPatchSpec(t, c.file)
		got := applyDrops(t, c)
		golden := filepath.Join(patchSpecsDir, "golden", c.file+".golden")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: after DropPatches:\n%s\ngolden:\n%s", c.file, got, want)
		}
		eol := "\n"
		if bytes.Contains(orig, []byte("\r\n")) {
			eol = "\r\n"
		}
		removed, added := lineDiff(rawLines(orig), rawLines(got))
		if !reflect.DeepEqual(trimEOL(removed), c.removed) || !reflect.DeepEqual(trimEOL(added), c.added) {
			t.Errorf("%s: removed %q added %q; want removed %q added %q", c.file, removed, added, c.removed, c.added)
		}
		for _, l := range added {
			if !strings.HasSuffix(l, eol) {
				t.Errorf("%s: rewritten line %q lost its %q", c.file, l, eol)
			}
		}
		// The dropped patches are gone, the others are unchanged.
		before := mustParse(t, c.file, orig)
		after := mustParse(t, c.file, got)
		bp, _ := before.Patches()
		ap, err := after.Patches()
		if err != nil {
			t.Fatal(err)
		}
		var wantFiles, gotFiles []string
		for _, p := range bp {
			if !contains(c.drop, p.ID) {
				wantFiles = append(wantFiles, p.File)
			}
		}
		for _, p := range ap {
			gotFiles = append(gotFiles, p.File)
		}
		if !reflect.DeepEqual(gotFiles, wantFiles) {
			t.Errorf("%s: patches after the drop %q, want %q", c.file, gotFiles, wantFiles)
		}
	}
}

func TestDropPatchRefusals(t *testing.T) {
	t.Parallel()
	// Dropping the first unnumbered patch renumbers the second, which a
	// %patch line applies by number: that would apply the wrong file.
	spec := "Name: x\nVersion: 1\nRelease: 1\nSummary: x\nLicense: MIT\nPatch: a.patch\nPatch: b.patch\n" +
		"%description\nx\n%prep\n%patch 0 -p1\n%patch 1 -p1\n"
	s := mustParse(t, "x.spec", []byte(spec))
	err := s.DropPatch("0")
	if err == nil || !strings.Contains(err.Error(), "x.spec:6: dropping patch 0 gives a spec whose patches cannot be read: x.spec:10: %patch applies patch 1") {
		t.Errorf("DropPatch(0) = %v, want a refusal", err)
	}
	if string(s.Bytes()) != spec {
		t.Error("a refused drop changed the spec")
	}
	// With a third patch, the renumbered one is still declared but a
	// different file would be applied under its number.
	spec = "Name: x\nVersion: 1\nRelease: 1\nSummary: x\nLicense: MIT\nPatch: a.patch\nPatch: b.patch\nPatch: c.patch\n" +
		"%description\nx\n%prep\n%patch 0 -p1\n%patch 1 -p1\n"
	s = mustParse(t, "x.spec", []byte(spec))
	err = s.DropPatch("0")
	if err == nil || !strings.Contains(err.Error(), "cannot drop patch 0: b.patch (applied true, -p1) as patch 1 would become c.patch") {
		t.Errorf("DropPatch(0) = %v, want a refusal naming b.patch", err)
	}
	// Dropping an explicitly numbered Patch5 renumbers the %patchlist
	// entries after it, which "%patch 6 7" applies by number.
	multi := mustParse(t, "multi.spec", readPatchSpec(t, "multi.spec"))
	if err := multi.DropPatch("5"); err == nil || !strings.Contains(err.Error(), "multi.spec:11: dropping patch 5 gives a spec") {
		t.Errorf("DropPatch(5) on multi.spec = %v, want a refusal", err)
	}
	if err := s.DropPatch("7"); err == nil || err.Error() != "x.spec: no patch 7 to drop" {
		t.Errorf("DropPatch(7) = %v", err)
	}
}

func trimEOL(lines []string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, strings.TrimRight(l, "\r\n"))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func FuzzSpecPatches(f *testing.F) {
	for _, name := range []string{"numbered.spec", "autosetup.spec", "autopatch.spec", "multi.spec"} {
		f.Add(readPatchSpec(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec("fuzz.spec", data)
		if err != nil {
			return
		}
		patches, err := s.Patches()
		if err != nil {
			return
		}
		n := len(s.lines)
		for _, p := range patches {
			if p.TagLine < 1 || p.TagLine > n || p.ApplyLine < 0 || p.ApplyLine > n || p.File == "" {
				t.Fatalf("patch %+v out of range (%d lines)", p, n)
			}
		}
		if len(patches) == 0 {
			return
		}
		id := patches[len(patches)-1].ID
		before := string(s.Bytes())
		if err := s.DropPatch(id); err != nil {
			if string(s.Bytes()) != before {
				t.Fatalf("a failed DropPatch changed the spec")
			}
			return
		}
		after, err := s.Patches()
		if err != nil || len(after) != len(patches)-1 {
			t.Fatalf("after DropPatch(%s): %d patches (%v), want %d", id, len(after), err, len(patches)-1)
		}
	})
}
