package rpm

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// preamble completes a spec head with the tags rpm requires and a body.
func preamble(head string) string {
	return head + "Summary: t\nLicense: MIT\n\n%description\nd\n\n%files\n"
}

func TestSpecReadsTags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec                       string
		wantName, wantEpoch, wantVersion string
		wantRelease, wantDist            string
	}{
		{name: "literals",
			spec:     preamble("Name: httpd\nVersion: 2.2.19\nRelease: 10%{?dist}\n"),
			wantName: "httpd", wantVersion: "2.2.19", wantRelease: "10%{?dist}", wantDist: "%{?dist}"},
		{name: "tags are case-insensitive and may have blanks before the colon",
			spec:     preamble("NAME : httpd\nversion\t:\t2.4\nRELEASE:1%dist\n"),
			wantName: "httpd", wantVersion: "2.4", wantRelease: "1%dist", wantDist: "%dist"},
		{name: "epoch and tag macros in both cases",
			spec:     preamble("Name: x\nEpoch: 3\nVersion: 1.0\nRelease: 2.%{version}.%{EPOCH}%{dist}\n"),
			wantName: "x", wantEpoch: "3", wantVersion: "1.0", wantRelease: "2.1.0.3%{dist}", wantDist: "%{dist}"},
		{name: "bare and conditional references to the spec's own macros",
			spec:     preamble("%define base 4\n%global name_ foo\nName: %{?name_}\nVersion: %base.0\nRelease: %{?base}\n"),
			wantName: "foo", wantVersion: "4.0", wantRelease: "4"},
		{name: "%define expands where it is used, %global where it is defined",
			spec:     preamble("Name: x\n%global a 1\n%define lazy %{a}\n%global eager %{a}\n%global a 2\nVersion: %{lazy}.%{eager}\nRelease: 1\n"),
			wantName: "x", wantVersion: "2.1", wantRelease: "1"},
		{name: "dist reached through a macro",
			spec:     preamble("Name: x\nVersion: 1\n%global rel 3%{?dist}\nRelease: %{rel}\n"),
			wantName: "x", wantVersion: "1", wantRelease: "3%{?dist}", wantDist: "%{?dist}"},
		{name: "%% and %{nil}",
			spec:     preamble("Name: x\nVersion: 1%{nil}.0\nRelease: 1\n"),
			wantName: "x", wantVersion: "1.0", wantRelease: "1"},
		{name: "same value in both %if branches",
			spec:     preamble("Name: x\n%if 0%{?rhel}\nVersion: 1\n%else\nVersion: 1\n%endif\nRelease: 1\n"),
			wantName: "x", wantVersion: "1", wantRelease: "1"},
		{name: "tags in separate conditional blocks are alternatives",
			spec:     preamble("Name: x\n%if 0%{?rhel}\nVersion: 1\n%endif\n%if !0%{?rhel}\nVersion: 1\n%endif\nRelease: 1\n"),
			wantName: "x", wantVersion: "1", wantRelease: "1"},
		{name: "a %global overridden in one %elif branch only",
			spec:     preamble("Name: x\n%global v 1\n%if 0%{?a}\n%elif 0%{?b}\n%global v 1\n%endif\nVersion: %{v}\nRelease: 1\n"),
			wantName: "x", wantVersion: "1", wantRelease: "1"},
		{name: "a definition in the other branch of an %if does not reach",
			spec:     preamble("Name: x\nVersion: 1\n%global rel 5\n%if 0%{?rhel}\n%global rel 1\n%else\nRelease: %{rel}\n%endif\n"),
			wantName: "x", wantVersion: "1", wantRelease: "5"},
		{name: "subpackage and section text are not the main preamble",
			spec: "Name: x\nVersion: 1\nRelease: 1\nSummary: t\nLicense: MIT\n%description\nVersion: 9 of the protocol\n" +
				"%package -n perl-X\nVersion: 0.3\nRelease: 7\nSummary: p\n%description -n perl-X\np\n",
			wantName: "x", wantVersion: "1", wantRelease: "1"},
		{name: "a continued %global swallows tag-like lines",
			spec:     preamble("Name: x\n%global desc \\\nVersion: 3 of the protocol\\\nis the default\nVersion: 1\nRelease: 1\n"),
			wantName: "x", wantVersion: "1", wantRelease: "1"},
		{name: "a %global with an open brace runs on",
			spec:     preamble("Name: x\n%global l %{lua:\nVersion = 3\n}\nVersion: 1\nRelease: 1\n"),
			wantName: "x", wantVersion: "1", wantRelease: "1"},
		{name: "escaped %%global in a comment is only text",
			spec:     preamble("Name: x\n%global rel 3\n# use %%global rel N to bump\nVersion: 1\nRelease: %{rel}\n"),
			wantName: "x", wantVersion: "1", wantRelease: "3"},
		{name: "%dnl lines are comments",
			spec:     preamble("Name: x\n%dnl Version: 9\nVersion: 1\nRelease: 1\n"),
			wantName: "x", wantVersion: "1", wantRelease: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustParse(t, "x.spec", []byte(tt.spec))
			for _, c := range []struct {
				what string
				get  func() (string, error)
				want string
			}{
				{"Name", s.Name, tt.wantName},
				{"Epoch", s.Epoch, tt.wantEpoch},
				{"Version", s.Version, tt.wantVersion},
				{"Release", s.Release, tt.wantRelease},
			} {
				if got, err := c.get(); err != nil || got != c.want {
					t.Errorf("%s() = %q, %v; want %q", c.what, got, err, c.want)
				}
			}
			if got := s.DistMacro(); got != tt.wantDist {
				t.Errorf("DistMacro() = %q, want %q", got, tt.wantDist)
			}
			if got := string(s.Bytes()); got != tt.spec {
				t.Errorf("Bytes() changed an unedited spec:\n%s", got)
			}
		})
	}
}

// TestSpecReadErrors pins the one-line messages for specs the editor cannot
// read with certainty.
func TestSpecReadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec string
		get        func(*Spec) (string, error)
		want       string
	}{
		{"no Version", preamble("Name: httpd\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec: no Version: tag"},
		{"no Name", preamble("Version: 1\nRelease: 1\n"), (*Spec).Name,
			"httpd.spec: no Name: tag"},
		{"undefined macro", preamble("Name: httpd\nRelease: 1\n\n\nVersion: %{foo}\n"), (*Spec).Version,
			"httpd.spec:5: Version uses undefined macro %{foo}"},
		{"macro defined only after the tag", preamble("Name: x\nVersion: %{v}\n%global v 1\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:2: Version uses undefined macro %{v}"},
		{"undefined conditional macro", preamble("Name: x\nVersion: 1\nRelease: 1%{?dist}%{?buildid}\n"), (*Spec).Release,
			"httpd.spec:3: Release uses undefined macro %{?buildid}"},
		{"undefined nested macro", preamble("Name: x\n%global v %{major}.1\nVersion: %{v}\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:3: Version uses undefined macro %{major}"},
		{"dist is unknown in Version", preamble("Name: x\nVersion: 1%{?dist}\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:2: Version uses undefined macro %{?dist}"},
		{"conditional body", preamble("Name: x\nVersion: %{?v:2}\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:2: Version uses %{?v:2}, which backport cannot evaluate"},
		{"shell", preamble("Name: x\nVersion: %(cat VERSION)\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:2: Version uses %(cat VERSION), which backport cannot evaluate"},
		{"lua", preamble("Name: x\nVersion: %{lua: print(1)}\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:2: Version uses %{lua: print(1)}, which backport cannot evaluate"},
		{"defined only in the other %if branch", preamble("Name: x\nVersion: 1\n%if 0%{?rhel}\n%global rel 1\n%else\nRelease: %{rel}\n%endif\n"), (*Spec).Release,
			"httpd.spec:6: Release uses undefined macro %{rel}"},
		{"undefine", preamble("Name: x\n%global v 1\n%undefine v\nVersion: %{v}\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:4: Version uses undefined macro %{v} (%undefine at line 3)"},
		{"definition inside a comment, which rpm still runs", preamble("Name: x\n%global rel 3\n#%global rel 2\nVersion: 1\nRelease: %{rel}\n"), (*Spec).Release,
			"httpd.spec:5: Release uses %{rel}, which line 3 defines inside a comment or macro expression; backport cannot evaluate that"},
		{"definition inside a macro expression", preamble("Name: x\n%{!?rel:%global rel 5}\nVersion: 1\nRelease: %{rel}\n"), (*Spec).Release,
			"httpd.spec:4: Release uses %{rel}, which line 2 defines inside a comment or macro expression; backport cannot evaluate that"},
		{"parametric macro", preamble("Name: x\n%define v(a) 1\nVersion: %{v}\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:3: Version uses %{v}, a parametric macro (line 2), which backport cannot evaluate"},
		{"multi-line body", preamble("Name: x\n%global v 1\\\n.0\nVersion: %{v}\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:4: Version uses %{v}, whose definition at line 2 spans several lines; backport cannot evaluate that"},
		{"self reference", preamble("Name: x\n%define v %{v}\nVersion: %{v}\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:3: Version uses %{v}, which nests macros more than 32 deep (does a macro use itself?)"},
		{"unterminated macro", preamble("Name: x\nVersion: %{v\nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:2: Version has an unterminated macro %{v"},
		{"empty tag", preamble("Name: x\nVersion:   \nRelease: 1\n"), (*Spec).Version,
			"httpd.spec:2: empty Version: tag"},
		{"whitespace in the expansion", preamble("Name: x\n%global v 1 2\nVersion: %{v}\nRelease: 1\n"), (*Spec).Version,
			`httpd.spec:3: Version expands to "1 2", which contains whitespace`},
		{"different %if branches", preamble("Name: x\n%if 0%{?rhel}\nVersion: 1\n%else\nVersion: 2\n%endif\nRelease: 1\n"), (*Spec).Version,
			`httpd.spec:5: Version depends on %if conditions: it is "1" at line 3 and "2" at line 5`},
		{"macro with different %if branches", preamble("Name: x\n%if 0%{?rhel}\n%global r 1\n%else\n%global r 2\n%endif\nVersion: 1\nRelease: %{r}\n"), (*Spec).Release,
			`httpd.spec:8: Release depends on %if conditions: %{r} is "1" at line 3 and "2" at line 5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustParse(t, "httpd.spec", []byte(tt.spec))
			got, err := tt.get(s)
			if err == nil {
				t.Fatalf("got %q, want error %q", got, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Errorf("error is %T, want *SpecError", err)
			}
		})
	}
}

func TestSpecAutoreleaseRelease(t *testing.T) {
	t.Parallel()
	for _, release := range []string{"%autorelease", "%{autorelease}", "%{autorelease -b 2}", "%{?autorelease}"} {
		s := mustParse(t, "plover.spec", []byte(preamble("Name: x\nVersion: 1\nRelease: "+release+"\n")))
		_, err := s.Release()
		var auto *AutoreleaseError
		if !errors.As(err, &auto) {
			t.Fatalf("Release() with %s: got %v, want *AutoreleaseError", release, err)
		}
		want := "plover.spec:3: the spec uses %autorelease, which rpmautospec computes from git history, so the release cannot be set in the spec"
		if err.Error() != want {
			t.Errorf("got %q\nwant %q", err, want)
		}
	}
}

// TestParseSpecRejects covers input rpm itself refuses, or that is not a
// spec at all: one line naming the file (and line), never a panic.
func TestParseSpecRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "bad.spec: empty file, expected an RPM spec"},
		{"blank", " \n\t\r\n", "bad.spec: empty file, expected an RPM spec"},
		{"binary", "Name: x\nVersion: \x00\x01\x02", "bad.spec:2: binary data (a NUL byte), expected an RPM spec"},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00", "bad.spec:1: binary data (a NUL byte), expected an RPM spec"},
		{"duplicate Version", preamble("Name: x\nVersion: 1\nRelease: 1\nVersion: 2\n"),
			"bad.spec:4: second Version: tag in the main package (the first is at line 2)"},
		{"duplicate across an enclosing %if", preamble("Name: x\nVersion: 1\n%if 1\nversion: 2\n%endif\nRelease: 1\n"),
			"bad.spec:4: second Version: tag in the main package (the first is at line 2)"},
		{"duplicate inside one branch", preamble("Name: x\n%if 1\nRelease: 1\nRelease: 2\n%endif\nVersion: 1\n"),
			"bad.spec:4: second Release: tag in the main package (the first is at line 3)"},
		{"%endif without %if", preamble("Name: x\n%endif\n"), "bad.spec:2: %endif without %if"},
		{"%else without %if", preamble("Name: x\n%else\n"), "bad.spec:2: %else without %if"},
		{"unclosed %if", preamble("Name: x\n%if 1\n%ifarch x86_64\n%endif\n"), "bad.spec:2: %if is never closed with %endif"},
		{"second %changelog", preamble("Name: x\n") + "%changelog\n%changelog\n",
			"bad.spec:10: second %changelog section (the first is at line 9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseSpec("bad.spec", []byte(tt.data))
			if err == nil {
				t.Fatalf("ParseSpec accepted it: %+v", s)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// TestSpecExpansionIsBounded: macros that double at every level grow
// exponentially (rpm itself would churn); the editor stops with an error.
func TestSpecExpansionIsBounded(t *testing.T) {
	t.Parallel()
	doubling := func(base string, levels int) string {
		var b strings.Builder
		b.WriteString("Name: x\n%define m0 " + base + "\n")
		for i := 1; i <= levels; i++ {
			fmt.Fprintf(&b, "%%define m%d %%{m%d}%%{m%d}\n", i, i-1, i-1)
		}
		fmt.Fprintf(&b, "Version: %%{m%d}\nRelease: 1\n", levels)
		return preamble(b.String())
	}
	tests := []struct{ name, spec, want string }{
		{"many steps", doubling("x", 24), "which takes more than 10000 macro expansions"},
		{"deep nesting", doubling("x", 40), "which nests macros more than 32 deep"},
		{"long value", doubling(strings.Repeat("x", 100), 8), "expands to more than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustParse(t, "x.spec", []byte(tt.spec))
			if _, err := s.Version(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Version(): %v, want an error containing %q", err, tt.want)
			}
			if _, err := s.SetVersion("1"); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SetVersion(): %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
