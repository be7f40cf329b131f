package remedy

import (
	"strings"
	"unicode"

	"github.com/backport/backport/pkg/rpm"
)

// specFile is an RPM spec read just far enough for the remedies: its
// sections, its simple macro definitions, and its %files lines. pkg/rpm's
// editor covers the preamble tags and %changelog; %files, BuildRequires and
// build-script lines are the remedies' own, and kept here rather than in
// pkg/rpm while that package is being extended by other work.
type specFile struct {
	*textFile
	defs map[string]string // %global/%define and Name/Version/Release/Epoch; "" with ambiguous set
	amb  map[string]bool   // defined more than once with different bodies: not expandable
}

// specSection is one section: the header line and the lines up to the next
// section start.
type specSection struct {
	name  string // "%files", "%build", … lower case
	args  []string
	start int // the header's line index; -1 for the preamble
	end   int // index of the next section's header, or len(lines)
}

func parseSpecFile(data []byte) *specFile {
	s := &specFile{textFile: parseText(data), defs: map[string]string{}, amb: map[string]bool{}}
	preambleEnd := len(s.lines)
	for i, l := range s.lines {
		if specSectionOf(l.text) != "" {
			preambleEnd = i
			break
		}
	}
	for i, l := range s.lines {
		if name, body, ok := simpleDefinition(l.text); ok {
			s.define(name, body)
			continue
		}
		if i < preambleEnd {
			if key, value, ok := specTag(l.text); ok {
				switch k := strings.ToLower(key); k {
				case "name", "version", "release", "epoch":
					s.define(k, value)
				}
			}
		}
	}
	return s
}

// parseSpecFor parses the packaging's spec with %{version} set to the
// version being built: the workspace spec still holds the distro's, and
// only each attempt's copy is bumped, but rpmbuild's messages name files
// of the new version.
func parseSpecFor(p Packaging, data []byte) *specFile {
	s := parseSpecFile(data)
	if p.Version != "" {
		s.defs["version"] = p.Version
		delete(s.amb, "version")
	}
	return s
}

func (s *specFile) define(name, body string) {
	if old, ok := s.defs[name]; ok && old != body {
		s.amb[name] = true
	}
	s.defs[name] = body
}

// simpleDefinition reads a one-line, parameterless %global or %define.
func simpleDefinition(text string) (name, body string, ok bool) {
	t := strings.TrimLeft(text, " \t")
	var rest string
	switch {
	case strings.HasPrefix(t, "%global") && len(t) > 7 && isBlank(t[7]):
		rest = t[7:]
	case strings.HasPrefix(t, "%define") && len(t) > 7 && isBlank(t[7]):
		rest = t[7:]
	default:
		return "", "", false
	}
	rest = strings.TrimLeft(rest, " \t")
	n := 0
	for n < len(rest) && (isWordByte(rest[n])) {
		n++
	}
	if n == 0 || (n < len(rest) && !isBlank(rest[n])) || strings.HasSuffix(rest, "\\") {
		return "", "", false
	}
	return rest[:n], strings.TrimSpace(rest[n:]), true
}

// specTag reads "Key: value" (Key letters and digits, as Source0).
func specTag(text string) (key, value string, ok bool) {
	i := strings.IndexByte(text, ':')
	if i <= 0 {
		return "", "", false
	}
	for _, r := range text[:i] {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return "", "", false
		}
	}
	return text[:i], strings.TrimSpace(text[i+1:]), true
}

// specSectionOf returns the lower-case section word a line starts, or "".
func specSectionOf(text string) string {
	if !strings.HasPrefix(text, "%") {
		return ""
	}
	n := 1
	for n < len(text) && isWordByte(text[n]) {
		n++
	}
	if n < len(text) && !isBlank(text[n]) {
		return ""
	}
	w := strings.ToLower(text[:n])
	if rpm.IsSectionWord(w) {
		return w
	}
	return ""
}

// sections lists the spec's sections after the preamble, in file order.
func (s *specFile) sections() []specSection {
	var out []specSection
	for i, l := range s.lines {
		w := specSectionOf(l.text)
		if w == "" {
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].end = i
		}
		out = append(out, specSection{name: w, args: strings.Fields(l.text)[1:], start: i, end: len(s.lines)})
	}
	return out
}

// preambleEnd is the index of the first section header.
func (s *specFile) preambleEnd() int {
	if secs := s.sections(); len(secs) > 0 {
		return secs[0].start
	}
	return len(s.lines)
}

// isMainFiles says whether a %files header's arguments name the main
// package: no -n and no positional subpackage name (-f takes a value).
func isMainFiles(args []string) bool {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-f":
			i++
		case strings.HasPrefix(a, "-f"):
		case a == "-n":
			return false
		case strings.HasPrefix(a, "-"):
		default:
			return false
		}
	}
	return true
}

// conditionalDepth tracks %if nesting line by line.
func conditionalDelta(text string) int {
	t := strings.TrimLeft(text, " \t")
	w := t
	if i := strings.IndexAny(t, " \t"); i >= 0 {
		w = t[:i]
	}
	switch w {
	case "%if", "%ifarch", "%ifnarch", "%ifos", "%ifnos":
		return 1
	case "%endif":
		return -1
	}
	return 0
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' }
func isWordByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}
