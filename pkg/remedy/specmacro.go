package remedy

import (
	"strings"
)

// rpmPathMacros are the directory macros of Fedora and EL on x86_64 (and of
// the project's rpm builder). They map a %files line to the path rpm
// prints; a line that does not match with them is matched again with every
// macro as a wildcard (specFile.matchPattern), so a vendor that moves a
// directory costs a fallback, not a wrong edit.
var rpmPathMacros = map[string]string{
	"_prefix":            "/usr",
	"_exec_prefix":       "%{_prefix}",
	"_bindir":            "%{_exec_prefix}/bin",
	"_sbindir":           "%{_exec_prefix}/sbin",
	"_lib":               "lib64",
	"_libdir":            "%{_exec_prefix}/%{_lib}",
	"_libexecdir":        "%{_exec_prefix}/libexec",
	"_datarootdir":       "%{_prefix}/share",
	"_datadir":           "%{_datarootdir}",
	"_sysconfdir":        "/etc",
	"_localstatedir":     "/var",
	"_sharedstatedir":    "/var/lib",
	"_includedir":        "%{_prefix}/include",
	"_infodir":           "%{_datarootdir}/info",
	"_mandir":            "%{_datarootdir}/man",
	"_docdir":            "%{_datadir}/doc",
	"_defaultdocdir":     "%{_datadir}/doc",
	"_pkgdocdir":         "%{_docdir}/%{name}",
	"_licensedir":        "%{_datadir}/licenses",
	"_defaultlicensedir": "%{_datadir}/licenses",
	"_rundir":            "/run",
	"_unitdir":           "/usr/lib/systemd/system",
	"_userunitdir":       "/usr/lib/systemd/user",
	"_tmpfilesdir":       "/usr/lib/tmpfiles.d",
	"_sysusersdir":       "/usr/lib/sysusers.d",
	"_udevrulesdir":      "/usr/lib/udev/rules.d",
	"_initddir":          "%{_sysconfdir}/rc.d/init.d",
	"_emacs_sitelispdir": "%{_datadir}/emacs/site-lisp",
	"_rpmconfigdir":      "/usr/lib/rpm",
	"_rpmmacrodir":       "%{_rpmconfigdir}/macros.d",
	"nil":                "",
}

// expandMacros expands text with the spec's definitions and rpmPathMacros.
// ok is false when a macro is unknown, ambiguous, a shell or expression
// expansion, or nests too deep: the result is not what rpm would print.
func (s *specFile) expandMacros(text string) (string, bool) {
	var b strings.Builder
	ok := s.walkMacros(text, 0, func(lit string) { b.WriteString(lit) }, func() bool { return false })
	return b.String(), ok
}

// matchPattern turns text into a matcher for whole strings where each
// macro it cannot expand matches any string (a glob of literals and "*",
// matched byte-wise so that any input is safe).
func (s *specFile) matchPattern(text string) func(string) bool {
	pieces := []string{""}
	s.walkMacros(text, 0, func(lit string) { pieces[len(pieces)-1] += lit }, func() bool {
		pieces = append(pieces, "")
		return true
	})
	return func(str string) bool { return wildcardMatch(pieces, str) }
}

// wildcardMatch says whether str is pieces joined by any strings: the
// first piece a prefix, the last a suffix, the middle ones in order
// (leftmost matching is enough for "*"-only patterns).
func wildcardMatch(pieces []string, str string) bool {
	if len(pieces) == 1 {
		return str == pieces[0]
	}
	first, last := pieces[0], pieces[len(pieces)-1]
	if len(str) < len(first)+len(last) || !strings.HasPrefix(str, first) || !strings.HasSuffix(str, last) {
		return false
	}
	mid := str[len(first) : len(str)-len(last)]
	for _, p := range pieces[1 : len(pieces)-1] {
		i := strings.Index(mid, p)
		if i < 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	return true
}

// walkMacros feeds the literal pieces of text's expansion to lit and calls
// unknown for each macro it cannot expand; unknown's result says whether to
// go on (true) or report failure (false).
func (s *specFile) walkMacros(text string, depth int, lit func(string), unknown func() bool) bool {
	if depth > 16 {
		return unknown()
	}
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '%')
		if j < 0 {
			lit(text[i:])
			return true
		}
		lit(text[i : i+j])
		i += j
		if i+1 >= len(text) {
			lit("%")
			return true
		}
		switch c := text[i+1]; {
		case c == '%':
			lit("%")
			i += 2
		case c == '{':
			end := closingBrace(text, i+1)
			if end < 0 {
				return unknown()
			}
			if !s.braced(text[i+2:end], depth, lit, unknown) {
				return false
			}
			i = end + 1
		case c == '(' || c == '[':
			// Shell and expression expansions: never evaluated here.
			end := closingBrace(text, i+1)
			if !unknown() {
				return false
			}
			if end < 0 {
				return true
			}
			i = end + 1
		case isWordByte(c):
			n := i + 1
			for n < len(text) && isWordByte(text[n]) {
				n++
			}
			if !s.named(text[i+1:n], depth, lit, unknown) {
				return false
			}
			i = n
		default:
			lit("%")
			i++
		}
	}
	return true
}

// braced expands the inside of %{…}: name, ?name, !?name, ?name:alt, !?name:alt.
func (s *specFile) braced(inner string, depth int, lit func(string), unknown func() bool) bool {
	cond, neg := false, false
	if strings.HasPrefix(inner, "!?") {
		cond, neg, inner = true, true, inner[2:]
	} else if strings.HasPrefix(inner, "?") {
		cond, inner = true, inner[1:]
	}
	name, alt, hasAlt := strings.Cut(inner, ":")
	if !cond {
		if hasAlt || strings.ContainsAny(name, " \t") {
			return unknown() // %{name:arg} built-ins, parametric calls
		}
		return s.named(name, depth, lit, unknown)
	}
	body, defined, known := s.lookup(name)
	if !known {
		return unknown()
	}
	switch {
	case hasAlt && defined != neg:
		return s.walkMacros(alt, depth+1, lit, unknown)
	case !hasAlt && defined && !neg:
		return s.walkMacros(body, depth+1, lit, unknown)
	}
	return true
}

func (s *specFile) named(name string, depth int, lit func(string), unknown func() bool) bool {
	body, defined, known := s.lookup(name)
	if !known || !defined {
		return unknown()
	}
	return s.walkMacros(body, depth+1, lit, unknown)
}

// lookup finds a macro. known is false when its value cannot be relied on
// (undefined here, or defined twice with different bodies).
func (s *specFile) lookup(name string) (body string, defined, known bool) {
	if s.amb[name] {
		return "", false, false
	}
	if b, ok := s.defs[name]; ok {
		return b, true, true
	}
	if b, ok := rpmPathMacros[name]; ok {
		return b, true, true
	}
	return "", false, false
}

// closingBrace returns the index of the bracket closing the one at open.
func closingBrace(text string, open int) int {
	want := map[byte]byte{'{': '}', '(': ')', '[': ']'}[text[open]]
	depth := 0
	for i := open; i < len(text); i++ {
		switch text[i] {
		case text[open]:
			depth++
		case want:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
