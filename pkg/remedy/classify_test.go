package remedy

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/recipe"
)

// The fixture logs in testdata/logs are real tool output, captured from
// dpkg-buildpackage (debhelper 13.11, dpkg 1.21), rpmbuild 4.18, autoconf
// 2.71, pkgconf, gcc 12 and apt on bookworm, with build paths rewritten to
// the container's /backport/…; each file name starts with its class.
var classifyCases = []struct {
	file   string
	family recipe.Family
	phase  Phase
	class  string
	items  []string
	stop   bool
}{
	{"autoreconf-regression-hello-deb.log", recipe.FamilyDeb, PhaseBuild, ClassAutoreconfRegression,
		[]string{"gl_PTHREADLIB", "gl_WEAK_SYMBOLS", "gl_TYPE_WINT_T_PREREQ"}, false},
	{"autoreconf-regression-hello-rpm.log", recipe.FamilyRPM, PhaseBuild, ClassAutoreconfRegression,
		[]string{"gl_PTHREADLIB", "gl_WEAK_SYMBOLS", "gl_TYPE_WINT_T_PREREQ"}, false},
	{"unpackaged-files-deb.log", recipe.FamilyDeb, PhaseBuild, ClassUnpackagedFiles,
		[]string{"usr/share/frob/extra/README"}, false},
	{"unpackaged-files-rpm.log", recipe.FamilyRPM, PhaseBuild, ClassUnpackagedFiles,
		[]string{"/usr/share/frob/extra/README"}, false},
	{"missing-files-deb.log", recipe.FamilyDeb, PhaseBuild, ClassMissingFiles,
		[]string{"usr/share/frob/gone.txt"}, false},
	{"missing-files-rpm.log", recipe.FamilyRPM, PhaseBuild, ClassMissingFiles,
		[]string{"/usr/share/frob/gone.conf", "/usr/share/doc/frob-1.1/NEWS"}, false},
	{"missing-build-deps-deb.log", recipe.FamilyDeb, PhaseBuild, ClassMissingBuildDeps,
		[]string{"libonig-dev (>= 6.9)", "gperf:native"}, false},
	{"missing-build-deps-rpm.log", recipe.FamilyRPM, PhaseBuild, ClassMissingBuildDeps,
		[]string{"bison", "gcc", "make", "pkgconfig(oniguruma) >= 6.9"}, false},
	{"build-deps-unavailable-deb.log", recipe.FamilyDeb, PhaseDeps, ClassBuildDepsUnavailable,
		[]string{"libonig-nonexistent-dev"}, false},
	{"build-deps-changed-configure-program.log", recipe.FamilyDeb, PhaseBuild, ClassBuildDepsChanged,
		[]string{"usr/bin/gperf|bin/gperf"}, false},
	{"build-deps-changed-configure-header.log", recipe.FamilyDeb, PhaseBuild, ClassBuildDepsChanged,
		[]string{"usr/include/onig.h|usr/include/*/onig.h"}, false},
	{"build-deps-changed-configure-library.log", recipe.FamilyRPM, PhaseBuild, ClassBuildDepsChanged,
		[]string{"usr/lib64/libonig.so"}, false},
	{"build-deps-changed-pkgconf.log", recipe.FamilyDeb, PhaseBuild, ClassBuildDepsChanged,
		[]string{"usr/lib/*/pkgconfig/oniguruma.pc|usr/share/pkgconfig/oniguruma.pc|usr/lib/pkgconfig/oniguruma.pc"}, false},
	{"build-deps-changed-make-exec.log", recipe.FamilyDeb, PhaseBuild, ClassBuildDepsChanged,
		[]string{"usr/bin/gperf|bin/gperf"}, false},
	{"build-deps-changed-make-dash.log", recipe.FamilyDeb, PhaseBuild, ClassBuildDepsChanged,
		[]string{"usr/bin/gperf|bin/gperf"}, false},
	{"build-deps-changed-make-bash.log", recipe.FamilyRPM, PhaseBuild, ClassBuildDepsChanged,
		[]string{"usr/bin/bison"}, false},
	{"build-deps-changed-gcc-colour.log", recipe.FamilyDeb, PhaseBuild, ClassBuildDepsChanged,
		[]string{"usr/include/onig.h|usr/include/*/onig.h"}, false},
	{"build-deps-changed-ld.log", recipe.FamilyDeb, PhaseBuild, ClassBuildDepsChanged,
		[]string{"usr/lib/*/libonig.so|usr/lib/libonig.so"}, false},
	{"symbols-changed-deb.log", recipe.FamilyDeb, PhaseBuild, ClassSymbolsChanged,
		[]string{"debian/libfrob1.symbols libfrob.so.1 frob_new@Base 1.1-1"}, false},
	{"abi-break-deb.log", recipe.FamilyDeb, PhaseBuild, ClassABIBreak,
		[]string{"frob_old@Base 1.0"}, true},
	{"abi-break-new-and-lost-deb.log", recipe.FamilyDeb, PhaseBuild, ClassABIBreak,
		[]string{"frob_old@Base 1.0"}, true},
	{"library-transition-deb.log", recipe.FamilyDeb, PhaseBuild, ClassLibraryTransition,
		[]string{"libfrob.so.1"}, true},
	{"tests-failed-deb.log", recipe.FamilyDeb, PhaseBuild, ClassTestsFailed, nil, false},
	{"tests-failed-rpm.log", recipe.FamilyRPM, PhaseBuild, ClassTestsFailed, nil, false},
	{"source-renamed-prep-rpm.log", recipe.FamilyRPM, PhaseBuild, ClassSourceRenamed,
		[]string{"frob-1.1.tar.xz"}, false},
	{"source-renamed-srpm-rpm.log", recipe.FamilyRPM, PhaseBuild, ClassSourceRenamed,
		[]string{"frob-1.1.tar.xz"}, false},
	{"source-renamed-deb.log", recipe.FamilyDeb, PhasePrepare, ClassSourceRenamed,
		[]string{"hello_2.10.orig.tar"}, false},
	{"unknown-compile-error-deb.log", recipe.FamilyDeb, PhaseBuild, ClassUnknown, nil, false},
	{"missing-files-docs-deb.log", recipe.FamilyDeb, PhaseBuild, ClassMissingFiles,
		[]string{"usr/share/doc/jq/README"}, false},
	{"rules-step-obsolete-deb.log", recipe.FamilyDeb, PhaseBuild, ClassRulesStepObsolete,
		[]string{"13", "override_dh_auto_configure"}, false},
}

func TestClassifyFixtures(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, tc := range classifyCases {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", "logs", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tc.file, tc.class) {
				t.Fatalf("fixture %s should be named for its class %s", tc.file, tc.class)
			}
			c := ClassifyLog(tc.family, tc.phase, 2, string(data))
			if c.Class != tc.class || !reflect.DeepEqual(c.Items, tc.items) || c.Stop != tc.stop {
				t.Fatalf("got class %s items %q stop %v, want %s %q %v\nsummary: %s\nevidence: %q",
					c.Class, c.Items, c.Stop, tc.class, tc.items, tc.stop, c.Summary, c.Evidence)
			}
			if c.Summary == "" || strings.Contains(c.Summary, "\n") {
				t.Errorf("summary must be one non-empty line: %q", c.Summary)
			}
			if len(c.Evidence) == 0 || len(c.Evidence) > maxEvidence {
				t.Errorf("evidence has %d lines, want 1..%d", len(c.Evidence), maxEvidence)
			}
			for _, e := range c.Evidence {
				if !strings.Contains(string(data), strings.TrimPrefix(e, "lost: ")) && !strings.Contains(StripANSI(string(data)), e) {
					t.Errorf("evidence line %q is not in the log", e)
				}
			}
			// pure: a second call gives the same cause
			if again := ClassifyLog(tc.family, tc.phase, 2, string(data)); !reflect.DeepEqual(again, c) {
				t.Errorf("second classification differs: %+v", again)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "logs", "*.log"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("fixture %s has no case", f)
		}
	}
}

func TestClassifyExitZero(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "logs", "symbols-changed-deb.log"))
	if err != nil {
		t.Fatal(err)
	}
	if c := ClassifyLog(recipe.FamilyDeb, PhaseBuild, 0, string(data)); c.Class != ClassNone {
		t.Fatalf("exit status 0 gave %s", c.Class)
	}
}

func TestClassifyStripsANSI(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "logs", "build-deps-changed-gcc-colour.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\x1b[01;31m") {
		t.Fatal("the fixture should hold gcc's colour escapes")
	}
	c := ClassifyLog(recipe.FamilyDeb, PhaseBuild, 1, string(data))
	want := "t.c:1:10: fatal error: onig.h: No such file or directory"
	if len(c.Evidence) != 1 || c.Evidence[0] != want {
		t.Fatalf("evidence %q, want %q", c.Evidence, want)
	}
	for in, want := range map[string]string{
		"\x1b[1;31mError\x1b[0m: x":                  "Error: x",
		"\x1b]0;title\x07dh_missing: error":          "dh_missing: error",
		"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ y": "link y",
		"\x1b(B\x1b[mplain\x1b[K":                    "plain",
		"no escapes":                                 "no escapes",
	} {
		if got := StripANSI(in); got != want {
			t.Errorf("StripANSI(%q) = %q, want %q", in, got, want)
		}
	}
}

// Lines a progress display rewrote with \r count as what stayed on screen.
func TestClassifyCarriageReturns(t *testing.T) {
	t.Parallel()
	log := "Progress 10%\rProgress 100%\rdpkg-checkbuilddeps: error: Unmet build dependencies: bison\r\n"
	c := ClassifyLog(recipe.FamilyDeb, PhaseBuild, 3, log)
	if c.Class != ClassMissingBuildDeps || !reflect.DeepEqual(c.Items, []string{"bison"}) {
		t.Fatalf("got %+v", c)
	}
}

// Signals that look like a class but are not: the classifier must not
// invent a remedy for them.
func TestClassifyNearMisses(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		log   string
		class string
	}{
		"local script not found":     {"sh: 1: build-aux/git-version-gen: not found\nmake: *** [all] Error 1\n", ClassUnknown},
		"new symbols only warned":    {"dpkg-gensymbols: warning: some new symbols appeared in the symbols file: see diff output below\ncc: error: x\n", ClassUnknown},
		"checking no, other error":   {"checking for strlcpy... no\nconfigure: error: C compiler cannot create executables\n", ClassUnknown},
		"checking no, named":         {"checking for bison... no\nconfigure: error: You need bison to build this\n", ClassBuildDepsChanged},
		"dh_missing warning only":    {"dh_missing: warning: usr/x exists in debian/tmp but is not installed to anywhere\nmake: *** [binary] Error 2\n", ClassUnknown},
		"cp cannot stat outside tmp": {"cp: cannot stat 'foo': No such file or directory\n", ClassUnknown},
	} {
		if c := ClassifyLog(recipe.FamilyDeb, PhaseBuild, 2, tc.log); c.Class != tc.class {
			t.Errorf("%s: got %s (%q), want %s", name, c.Class, c.Items, tc.class)
		}
	}
}

func FuzzClassifyLog(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "logs", "*.log"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data), 2, true)
	}
	f.Add("dpkg-gensymbols: warning: x doesn't match completely debian/\n+\n-", 1, false)
	f.Fuzz(func(t *testing.T, log string, status int, rpm bool) {
		family := recipe.FamilyDeb
		if rpm {
			family = recipe.FamilyRPM
		}
		c := ClassifyLog(family, PhaseBuild, status, log)
		if c.Class == "" || len(c.Evidence) > maxEvidence {
			t.Fatalf("bad cause %+v", c)
		}
		if again := ClassifyLog(family, PhaseBuild, status, log); !reflect.DeepEqual(again, c) {
			t.Fatalf("not pure: %+v then %+v", c, again)
		}
		if r, ok := For(c, Options{AllowSkipTests: true}); ok && !r.Matches(c) {
			t.Fatalf("For gave %s, which does not match %+v", r.Name(), c)
		}
	})
}
