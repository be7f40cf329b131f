package rpm

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

// These tests hold Patches and DropPatch to the real rpmspec: rpm must
// number the patches as Patches does, and a dropped patch must vanish from
// what %prep applies while the others stay in place and in order.

var patchSpecDefines = map[string][]string{"autosetup.spec": {"fedora 41"}}

// withSourcedir returns rpmspec defines that point SOURCES at a directory
// holding a small file per patch, so that %autopatch expands to the
// commands it would run instead of "Cannot read".
func withSourcedir(t *testing.T, s *Spec, extra []string) []string {
	t.Helper()
	dir := t.TempDir()
	patches, err := s.Patches()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range patches {
		if err := os.WriteFile(filepath.Join(dir, p.File), []byte("--- a/x\n+++ b/x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return append([]string{"_sourcedir " + dir}, extra...)
}

func TestSpecPatchIDsMatchRpm(t *testing.T) {
	bin := testtool.Require(t, "rpmspec")
	for _, name := range []string{"numbered.spec", "autosetup.spec", "autopatch.spec", "multi.spec"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data := readPatchSpec(t, name)
			s := mustParse(t, name, data)
			patches, err := s.Patches()
			if err != nil {
				t.Fatal(err)
			}
			// Ask rpm for %{PATCHn} of every number Patches reports.
			var probe strings.Builder
			for _, p := range patches {
				probe.WriteString("echo backport-check " + p.ID + " %{PATCH" + p.ID + "}\n")
			}
			text := strings.Replace(string(data), "%prep\r\n", "%prep\r\n"+probe.String(), 1)
			text = strings.Replace(text, "%prep\n", "%prep\n"+probe.String(), 1)
			out, stderr := rpmspecRun(t, bin, withSourcedir(t, s, patchSpecDefines[name]), "-P", writeTemp(t, name, []byte(text)))
			if c := rpmComplaints(stderr); len(c) > 0 {
				t.Errorf("rpmspec complains: %q", c)
			}
			got := map[string]string{}
			for _, m := range regexp.MustCompile(`(?m)^echo backport-check (\d+) (\S*)`).FindAllStringSubmatch(out, -1) {
				got[m[1]] = filepath.Base(m[2])
			}
			for _, p := range patches {
				if got[p.ID] != p.File {
					t.Errorf("rpm's %%{PATCH%s} is %q, Patches says %s", p.ID, got[p.ID], p.File)
				}
			}
		})
	}
}

// appliedByPrep returns the patch files %prep applies, in order, from
// rpmspec -P: "rpmuncompress FILE | patch" for %patch and %autopatch, and
// "patch … < FILE" for commands.
func appliedByPrep(out string) []string {
	prep := out[strings.Index(out, "%prep"):]
	if i := strings.Index(prep, "%build"); i >= 0 {
		prep = prep[:i]
	}
	var files []string
	re := regexp.MustCompile(`rpmuncompress (\S+)|patch [^<\n]*< (\S+)`)
	for _, m := range re.FindAllStringSubmatch(prep, -1) {
		files = append(files, filepath.Base(m[1]+m[2]))
	}
	return files
}

func TestDropPatchWithRpmspec(t *testing.T) {
	bin := testtool.Require(t, "rpmspec")
	for _, c := range dropCases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			orig := readPatchSpec(t, c.file)
			s := mustParse(t, c.file, orig)
			defines := withSourcedir(t, s, c.defines)
			patches, _ := s.Patches()
			var dropped []string
			for _, p := range patches {
				if contains(c.drop, p.ID) {
					dropped = append(dropped, p.File)
				}
			}
			before, _ := rpmspecRun(t, bin, defines, "-P", writeTemp(t, c.file, orig))
			golden, err := os.ReadFile(filepath.Join(patchSpecsDir, "golden", c.file+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			after, stderr := rpmspecRun(t, bin, defines, "-P", writeTemp(t, c.file, golden))
			if cm := rpmComplaints(stderr); len(cm) > 0 {
				t.Errorf("rpmspec complains about the edited spec: %q", cm)
			}
			var want []string
			for _, f := range appliedByPrep(before) {
				if !contains(dropped, f) {
					want = append(want, f)
				}
			}
			if got := appliedByPrep(after); !reflect.DeepEqual(got, want) {
				t.Errorf("%%prep applies %q, want %q (before: %q)", got, want, appliedByPrep(before))
			}
			for _, f := range dropped {
				if strings.Contains(after, f) {
					t.Errorf("%s still appears in rpmspec -P output", f)
				}
			}
		})
	}
}
