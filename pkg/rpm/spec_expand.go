package rpm

import (
	"fmt"
	"strings"
)

const (
	// maxExpandDepth stops self-referencing macros (%define a %{a}).
	maxExpandDepth = 32
	// maxExpandSteps and maxValueLen stop macros that double at every
	// level (%define b %{a}%{a}), which grow exponentially: no tag value
	// needs that many expansions or bytes.
	maxExpandSteps = 10000
	maxValueLen    = 4096
)

// macroRef is one macro reference in a tag value or a macro body.
type macroRef struct {
	start, end int // byte span in the text, "%" included
	name       string
	cond       bool // %{?name}
	negate     bool // %{!?name}
	arg        bool // %{?name:text}, %{name args}, %{lua:…}
	opaque     bool // %(shell), %[expr], %1, %*: never evaluated
	literal    bool // "%%", a literal percent sign
}

// scanMacros finds the macro references in text. Anything else is literal;
// a '%' that starts no macro (at the end, before a blank) stays as it is,
// as in rpm.
func scanMacros(text string) ([]macroRef, *expandError) {
	var refs []macroRef
	for i := 0; i < len(text); i++ {
		if text[i] != '%' || i+1 >= len(text) {
			continue
		}
		r := macroRef{start: i}
		c := text[i+1]
		switch {
		case c == '%':
			r.literal, r.end = true, i+2
		case c == '{', c == '(', c == '[':
			end := matchingClose(text, i+1)
			if end < 0 {
				return nil, &expandError{msg: fmt.Sprintf("has an unterminated macro %s", text[i:])}
			}
			r.end = end + 1
			if c == '{' {
				parseBraced(text[i+2:end], &r)
			} else {
				r.opaque = true
			}
		case c == '?' || c == '!' || isLetter(c) || c == '_':
			j := i + 1
			for j < len(text) && (text[j] == '?' || text[j] == '!') {
				r.cond = r.cond || text[j] == '?'
				r.negate = r.negate || text[j] == '!'
				j++
			}
			k := j
			for k < len(text) && isNameChar(text[k]) {
				k++
			}
			r.name, r.end = text[j:k], k
			r.opaque = k == j
		case isDigit(c) || c == '*' || c == '#' || c == '-':
			r.opaque, r.end = true, i+2
		default:
			continue
		}
		refs = append(refs, r)
		i = r.end - 1
	}
	return refs, nil
}

// parseBraced reads the inside of "%{…}".
func parseBraced(inner string, r *macroRef) {
	k := 0
	for k < len(inner) && (inner[k] == '?' || inner[k] == '!') {
		r.cond = r.cond || inner[k] == '?'
		r.negate = r.negate || inner[k] == '!'
		k++
	}
	j := k
	for j < len(inner) && isNameChar(inner[j]) {
		j++
	}
	r.name = inner[k:j]
	switch {
	case j == k:
		r.opaque = true
	case j < len(inner) && (inner[j] == ':' || isSpace(inner[j])):
		r.arg = true
	case j < len(inner):
		r.opaque = true
	}
}

// matchingClose returns the index of the bracket closing text[open].
func matchingClose(text string, open int) int {
	o := text[open]
	c := map[byte]byte{'{': '}', '(': ')', '[': ']'}[o]
	depth := 0
	for i := open; i < len(text); i++ {
		switch text[i] {
		case o:
			depth++
		case c:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// expandError completes a sentence about a tag: "Version " + msg.
type expandError struct {
	msg         string
	autorelease bool
}

func (e *expandError) Error() string { return e.msg }

// expander expands macros from the spec's own definitions only. It keeps
// going after the first problem so that DistMacro can see past it.
type expander struct {
	s        *Spec
	keepDist bool   // Release: the dist macro stays as written
	dist     string // the first dist reference met, as written
	// anyBranch accepts a macro whose %if branches disagree, taking the
	// newest; the editor uses it to check a value it will set everywhere.
	anyBranch bool
	depth     int
	steps     int
	err       *expandError
}

func (x *expander) fail(format string, args ...any) {
	if x.err == nil {
		x.err = &expandError{msg: fmt.Sprintf(format, args...)}
	}
}

// expand returns text as rpm would read it at line `at`.
func (x *expander) expand(text string, at int) string {
	refs, err := scanMacros(text)
	if err != nil {
		if x.err == nil {
			x.err = err
		}
		return text
	}
	var b strings.Builder
	pos := 0
	for _, r := range refs {
		b.WriteString(text[pos:r.start])
		b.WriteString(x.ref(text, r, at))
		pos = r.end
		if b.Len() > maxValueLen {
			x.fail("expands to more than %d bytes", maxValueLen)
			return text
		}
	}
	b.WriteString(text[pos:])
	return b.String()
}

func (x *expander) ref(text string, r macroRef, at int) string {
	raw := text[r.start:r.end]
	switch {
	case r.literal:
		return "%"
	case r.name == "autorelease":
		if x.err == nil {
			x.err = &expandError{msg: "uses %autorelease", autorelease: true}
		}
		return raw
	case x.keepDist && r.name == "dist" && !r.arg && !r.negate && !r.opaque:
		if x.dist == "" {
			x.dist = raw
		}
		return raw
	case r.opaque || r.arg || r.negate:
		x.fail("uses %s, which backport cannot evaluate", raw)
		return raw
	case r.name == "nil":
		return ""
	}
	defs := x.s.reaching(r.name, at)
	if len(defs) == 0 {
		x.fail("uses undefined macro %s", raw)
		return raw
	}
	var value string
	for k, d := range defs {
		v, ok := x.binding(d, raw, at)
		if !ok {
			return raw
		}
		if k > 0 && v != value && !x.anyBranch {
			// defs run newest first; report them in file order.
			x.fail("depends on %%if conditions: %s is %q at line %d and %q at line %d",
				raw, v, d.line+1, value, defs[0].line+1)
			return raw
		}
		if k == 0 {
			value = v
		}
	}
	return value
}

// binding evaluates one definition of a macro used at line `at`.
func (x *expander) binding(d *macroDef, raw string, at int) (string, bool) {
	switch {
	case d.kind == defUndefine:
		x.fail("uses undefined macro %s (%%undefine at line %d)", raw, d.line+1)
	case d.kind == defOpaque:
		x.fail("uses %s, which line %d defines inside a comment or macro expression; backport cannot evaluate that", raw, d.line+1)
	case d.param:
		x.fail("uses %s, a parametric macro (line %d), which backport cannot evaluate", raw, d.line+1)
	case d.multiline():
		x.fail("uses %s, whose definition at line %d spans several lines; backport cannot evaluate that", raw, d.line+1)
	case x.depth >= maxExpandDepth:
		x.fail("uses %s, which nests macros more than %d deep (does a macro use itself?)", raw, maxExpandDepth)
	case x.steps >= maxExpandSteps:
		x.fail("uses %s, which takes more than %d macro expansions", raw, maxExpandSteps)
	}
	if x.err != nil {
		return "", false
	}
	x.depth++
	x.steps++
	defer func() { x.depth-- }()
	// %global and tags are expanded where they are defined, %define
	// where it is used.
	where := d.line
	if d.kind == defDefine {
		where = at
	}
	v := x.expand(d.body, where)
	return v, x.err == nil
}
