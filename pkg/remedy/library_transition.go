package remedy

import (
	"fmt"
	"regexp"
	"strings"
)

// library-transition (a guard): the new upstream bumped a library's SONAME
// while the binary package keeps its name (libsodium23 shipping
// libsodium.so.26). Installed as a hotfix it would replace the old library
// under the same package name and break every program linked against the
// old SONAME. That needs a renamed package and rebuilt reverse
// dependencies, not a hotfix: stop and explain.
//
// Two signals: dpkg-gensymbols reporting a library that disappeared from a
// symbols file (in the log), and CheckSONAMEs on the built packages (for
// packages without a symbols file).

var (
	gensymsLibsGone = regexp.MustCompile(`^dpkg-gensymbols: (?:error|warning): some libraries disappeared in the symbols file: (.+?)\s*$`)
	gensymsLibsNew  = regexp.MustCompile(`^dpkg-gensymbols: (?:error|warning): new libraries appeared in the symbols file: (.+?)\s*$`)
	sonamePattern   = regexp.MustCompile(`^(lib.+?)\.so\.(\d[0-9.]*)$`)
)

func classifyLibraryTransition(l *buildLog) (Cause, bool) {
	gone := l.find(gensymsLibsGone, 0)
	if gone < 0 {
		return Cause{}, false
	}
	c := Cause{Class: ClassLibraryTransition, Stop: true, Evidence: []string{l.lines[gone]}}
	c.Items = strings.Fields(gensymsLibsGone.FindStringSubmatch(l.lines[gone])[1])
	var appeared []string
	if i := l.find(gensymsLibsNew, 0); i >= 0 {
		c.Evidence = append(c.Evidence, l.lines[i])
		appeared = strings.Fields(gensymsLibsNew.FindStringSubmatch(l.lines[i])[1])
	}
	if m := l.find(gensymsMismatch, 0); m >= 0 {
		c.Evidence = append(c.Evidence, l.lines[m])
	}
	c.Summary = transitionSummary("the package", c.Items, appeared)
	return c, true
}

func transitionSummary(pkg string, gone, appeared []string) string {
	s := pkg + " no longer ships " + quoteList(gone)
	if len(appeared) > 0 {
		s += " but " + quoteList(appeared)
	}
	return s + ": the SONAME changed under the same package name (a library transition); programs linked against the old SONAME would break, so this cannot be a hotfix"
}

// CheckSONAMEs is the guard for built packages: given a binary package's
// name and the SONAMEs of the shared libraries it ships, it returns a Stop
// cause when the name encodes a SONAME version (Debian policy 8.1:
// libfoo.so.1 in libfoo1, libfoo2.so.3 in libfoo2-3, with suffixes such
// as t64 or -gnutls after it) and no shipped SONAME has that version while
// one of the same library has another. It returns nil otherwise, including
// for names it cannot read a version from.
func CheckSONAMEs(pkgName string, sonames []string) *Cause {
	var changed []string
	old := ""
	for _, so := range sonames {
		m := sonamePattern.FindStringSubmatch(so)
		if m == nil {
			continue
		}
		v, ok := packageSOVersion(pkgName, m[1])
		if !ok {
			continue
		}
		if v == m[2] {
			return nil // the package ships the SONAME its name promises
		}
		changed = append(changed, so)
		old = m[1] + ".so." + v
	}
	if len(changed) == 0 {
		return nil
	}
	return &Cause{
		Class:    ClassLibraryTransition,
		Stop:     true,
		Items:    changed,
		Evidence: []string{fmt.Sprintf("%s ships %s (its name is for %s)", pkgName, strings.Join(changed, ", "), old)},
		Summary:  transitionSummary(pkgName, []string{old}, changed),
	}
}

// packageSOVersion reads the SONAME version a package name encodes for the
// library stem ("libsodium23" and "libsodium" give "23"): the stem, a "-"
// when the stem ends in a digit, the version, then nothing or a suffix
// that does not start with a digit or dot.
func packageSOVersion(pkg, stem string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.ToLower(pkg), strings.ToLower(stem))
	if !ok {
		return "", false
	}
	if last := stem[len(stem)-1]; last >= '0' && last <= '9' {
		if rest, ok = strings.CutPrefix(rest, "-"); !ok {
			return "", false
		}
	}
	n := 0
	for n < len(rest) && (rest[n] >= '0' && rest[n] <= '9' || rest[n] == '.') {
		n++
	}
	v := strings.TrimRight(rest[:n], ".")
	if v == "" || v[0] == '.' {
		return "", false
	}
	return v, true
}
