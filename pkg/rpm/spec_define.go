package rpm

import (
	"strings"
)

// condPath says which %if branches enclose a line: one frame per open %if,
// outermost first. Paths are never modified in place once stored.
type condPath []condFrame

type condFrame struct {
	block  int // which %if block, numbered in file order
	branch int // 0 for the %if part, +1 for each %elif/%else
}

func (p condPath) push(block int) condPath {
	q := make(condPath, len(p), len(p)+1)
	copy(q, p)
	return append(q, condFrame{block: block})
}

func (p condPath) nextBranch() condPath {
	q := make(condPath, len(p))
	copy(q, p)
	q[len(q)-1].branch++
	return q
}

// excludes reports whether lines on p and q can never both be read: they
// sit in different branches of one %if block.
func (p condPath) excludes(q condPath) bool {
	for i := 0; i < len(p) && i < len(q); i++ {
		if p[i].block != q[i].block {
			return false
		}
		if p[i].branch != q[i].branch {
			return true
		}
	}
	return false
}

// encloses reports whether a line on p is read whenever a line on q is:
// p's branches are a prefix of q's.
func (p condPath) encloses(q condPath) bool {
	if len(p) > len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

type defKind int

const (
	defGlobal   defKind = iota // %global: body expanded where it is defined
	defDefine                  // %define: body expanded where it is used
	defUndefine                // %undefine
	defTag                     // rpm's macro for a preamble tag, e.g. %{version}
	defOpaque                  // defined inside a comment or a macro expression: not evaluated
)

// macroDef is one binding of a macro name, in the order rpm meets it.
type macroDef struct {
	name     string
	kind     defKind
	line     int // 0-based index of the first line
	lastLine int // last line of a continued body
	path     condPath
	param    bool   // parametric (%define f(a:) …): backport does not call these
	body     string // as written, for a single-line body
	// bodyStart and bodyEnd span body in lines[line].text; the editor only
	// rewrites single-line bodies.
	bodyStart, bodyEnd int
}

func (d *macroDef) multiline() bool { return d.lastLine > d.line }

// parseDefinition recognises a line that is a %global, %define or %undefine.
func parseDefinition(text string) (*macroDef, bool) {
	i := skipBlanks(text, 0)
	var kind defKind
	switch leadingMacroWord(text, i) {
	case "%global":
		kind = defGlobal
	case "%define":
		kind = defDefine
	case "%undefine":
		kind = defUndefine
	default:
		return nil, false
	}
	i += len(leadingMacroWord(text, i))
	if i >= len(text) || !isBlank(text[i]) {
		return nil, false
	}
	i = skipBlanks(text, i)
	j := i
	for j < len(text) && isNameChar(text[j]) {
		j++
	}
	if j == i || isDigit(text[i]) {
		return nil, false
	}
	d := &macroDef{name: text[i:j], kind: kind}
	if kind == defUndefine {
		return d, true
	}
	if j < len(text) && text[j] == '(' {
		k := strings.IndexByte(text[j:], ')')
		if k < 0 {
			return nil, false
		}
		d.param = true
		j += k + 1
	}
	if j < len(text) && !isSpace(text[j]) {
		return nil, false
	}
	d.bodyStart = skipBlanks(text, j)
	d.bodyEnd = len(strings.TrimRight(text, " \t\r\v\f"))
	if d.bodyEnd < d.bodyStart {
		d.bodyEnd = d.bodyStart
	}
	d.body = text[d.bodyStart:d.bodyEnd]
	return d, true
}

// definitionEnd returns the last line of the definition starting at line i,
// using rpm's rule for reading on: a backslash before the newline, or an
// unclosed "%{" or "%(".
func (s *Spec) definitionEnd(i int) int {
	var c continuation
	for j := i; j < len(s.lines); j++ {
		c.feed(s.lines[j].text + s.lines[j].eol)
		if !c.open() {
			return j
		}
	}
	return len(s.lines) - 1
}

// continuation mirrors the counters in rpm's copyNextLineFromOFI.
type continuation struct {
	braces, parens int
	escapedEOL     bool
}

func (c *continuation) open() bool { return c.braces > 0 || c.parens > 0 || c.escapedEOL }

func (c *continuation) feed(s string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				if s[i+1] == '\n' {
					c.escapedEOL = true
				}
				i++
			}
		case '\n':
			c.escapedEOL = false
		case '%':
			if i+1 < len(s) {
				switch s[i+1] {
				case '{':
					c.braces++
					i++
				case '(':
					c.parens++
					i++
				case '%':
					i++
				}
			}
		case '{':
			if c.braces > 0 {
				c.braces++
			}
		case '}':
			if c.braces > 0 {
				c.braces--
			}
		case '(':
			if c.parens > 0 {
				c.parens++
			}
		case ')':
			if c.parens > 0 {
				c.parens--
			}
		}
	}
}

// opaqueDefinitions finds definitions rpm would still run that are not a
// plain definition line: inside a comment ("#%global rel 2", which rpm
// expands with only a warning) or a macro expression
// ("%{!?rel:%global rel 5}"). They shadow earlier definitions, and the
// editor refuses to guess their effect.
func opaqueDefinitions(text string, line int, path condPath) []*macroDef {
	var defs []*macroDef
	for _, kw := range []string{"%global", "%define", "%undefine"} {
		for from := 0; ; {
			k := strings.Index(text[from:], kw)
			if k < 0 {
				break
			}
			at := from + k
			from = at + len(kw)
			if percentRun(text, at)%2 == 0 { // "%%global" is escaped text
				continue
			}
			i := skipBlanks(text, from)
			if i == from {
				continue
			}
			j := i
			for j < len(text) && isNameChar(text[j]) {
				j++
			}
			if j > i {
				defs = append(defs, &macroDef{name: text[i:j], kind: defOpaque, line: line, lastLine: line, path: path})
			}
		}
	}
	return defs
}

// percentRun counts the '%' characters ending at text[at].
func percentRun(text string, at int) int {
	n := 0
	for k := at; k >= 0 && text[k] == '%'; k-- {
		n++
	}
	return n
}

// reaching returns the bindings of name that rpm may be using when it reads
// line `at`, newest first: every earlier binding not excluded by %if
// branches, back to the first one that is certain to have been read.
func (s *Spec) reaching(name string, at int) []*macroDef {
	atPath := s.lines[at].path
	defs := s.defs[name]
	var out []*macroDef
	for k := len(defs) - 1; k >= 0; k-- {
		d := defs[k]
		if d.line >= at || d.path.excludes(atPath) {
			continue
		}
		out = append(out, d)
		if d.path.encloses(atPath) {
			break
		}
	}
	return out
}
