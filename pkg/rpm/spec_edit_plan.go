package rpm

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// editPlan collects replacements of byte spans, at most one per line, and
// applies them together.
type editPlan struct {
	s        *Spec
	title    string
	keepDist bool
	edits    map[int]spanEdit
	notes    []string
	depth    int
	// editedMacros is set once a macro definition is rewritten.
	editedMacros bool
	// x evaluates the macros the plan leaves alone; one expander for the
	// whole plan shares one expansion budget.
	x *expander
}

type spanEdit struct {
	start, end int
	text       string
}

// errLiteralText says a text has no macro to edit and differs from the
// wanted value: the text itself has to be replaced.
var errLiteralText = errors.New("literal text")

// templateError explains why a value cannot be spread over macros.
type templateError struct{ reason string }

func (e *templateError) Error() string { return e.reason }

func (p *editPlan) setOccurrences(occ []tagLine, want string, viaMacros bool) {
	for _, t := range occ {
		if viaMacros {
			saved := maps.Clone(p.edits)
			savedNotes := len(p.notes)
			p.x.err = nil
			err := p.assign(p.s.tagRaw(t), t.line, want)
			if err == nil {
				continue
			}
			p.edits, p.notes = saved, p.notes[:savedNotes]
			if !errors.Is(err, errLiteralText) {
				p.notes = append(p.notes, fmt.Sprintf(
					"%s:%d: %s: %s cannot hold %s (%v), so the tag now holds it literally; the macros it used are unchanged (check their other uses, e.g. Source0)",
					p.s.file, t.line+1, p.title, p.s.tagRaw(t), want, err))
			}
		}
		// Distinct lines, so this cannot conflict.
		_ = p.set(t.line, t.valueStart, t.valueEnd, want)
	}
}

func (p *editPlan) set(line, start, end int, text string) error {
	e := spanEdit{start: start, end: end, text: text}
	if old, ok := p.edits[line]; ok && old != e {
		return &templateError{reason: fmt.Sprintf("line %d would need two different values", line+1)}
	}
	p.edits[line] = e
	return nil
}

func (p *editPlan) apply() []byte {
	next := &Spec{lines: make([]specLine, len(p.s.lines))}
	copy(next.lines, p.s.lines)
	for i, e := range p.edits {
		t := next.lines[i].text
		next.lines[i].text = t[:e.start] + e.text + t[e.end:]
	}
	return next.Bytes()
}

// templatePiece is literal text, or a macro the editor may redefine.
type templatePiece struct {
	literal string
	macro   string // macro name; "" for a literal piece
	raw     string // the reference as written, for messages
}

// assign makes text, as rpm reads it at line `at`, expand to want by editing
// the definitions of the macros it uses. It returns errLiteralText when the
// text uses no editable macro and differs from want.
func (p *editPlan) assign(text string, at int, want string) error {
	refs, xerr := scanMacros(text)
	if xerr != nil {
		return xerr
	}
	x := p.x
	if x.steps++; x.steps > maxExpandSteps {
		return &templateError{reason: fmt.Sprintf("it takes more than %d macro expansions", maxExpandSteps)}
	}
	var pieces []templatePiece
	pos := 0
	for _, r := range refs {
		pieces = appendLiteral(pieces, text[pos:r.start])
		pos = r.end
		if p.editable(r, at) {
			pieces = append(pieces, templatePiece{macro: r.name, raw: text[r.start:r.end]})
			continue
		}
		pieces = appendLiteral(pieces, x.ref(text, r, at))
		if x.err != nil {
			return x.err
		}
	}
	pieces = appendLiteral(pieces, text[pos:])

	parts, err := splitTemplate(pieces, want)
	if err != nil {
		return err
	}
	// A macro used twice must get one value; a part that already matches
	// needs no edit, so the plan alone would not notice a second one.
	given := map[string]string{}
	for i, piece := range pieces {
		if piece.macro == "" {
			continue
		}
		if prev, ok := given[piece.macro]; ok && prev != parts[i] {
			return &templateError{reason: fmt.Sprintf("%s would need both %q and %q", piece.raw, prev, parts[i])}
		}
		given[piece.macro] = parts[i]
	}
	for i, piece := range pieces {
		if piece.macro != "" {
			if err := p.assignMacro(piece, parts[i], at); err != nil {
				return err
			}
		}
	}
	return nil
}

// editable reports whether r names a macro defined only by the spec's own
// single-value %global/%define lines, whose definitions can be rewritten.
func (p *editPlan) editable(r macroRef, at int) bool {
	if r.literal || r.opaque || r.arg || r.negate || r.name == "nil" || r.name == "autorelease" ||
		(p.keepDist && r.name == "dist") {
		return false
	}
	defs := p.s.reaching(r.name, at)
	for _, d := range defs {
		if (d.kind != defGlobal && d.kind != defDefine) || d.param {
			return false
		}
	}
	return len(defs) > 0
}

// assignMacro sets every definition of a macro that may reach line `at`.
func (p *editPlan) assignMacro(piece templatePiece, want string, at int) error {
	if p.depth >= maxExpandDepth {
		return &templateError{reason: fmt.Sprintf("%s nests macros more than %d deep", piece.raw, maxExpandDepth)}
	}
	p.depth++
	defer func() { p.depth-- }()
	for _, d := range p.s.reaching(piece.macro, at) {
		if d.multiline() {
			return &templateError{reason: fmt.Sprintf("the definition of %s at line %d spans several lines", piece.raw, d.line+1)}
		}
		where := d.line
		if d.kind == defDefine {
			where = at
		}
		err := p.assign(d.body, where, want)
		if errors.Is(err, errLiteralText) {
			if err = p.set(d.line, d.bodyStart, d.bodyEnd, want); err == nil {
				p.editedMacros = true
				p.notes = append(p.notes, fmt.Sprintf("%s:%d: %s: comes from %s; its definition now reads %s",
					p.s.file, d.line+1, p.title, piece.raw, want))
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func appendLiteral(pieces []templatePiece, lit string) []templatePiece {
	if lit == "" {
		return pieces
	}
	if n := len(pieces); n > 0 && pieces[n-1].macro == "" {
		pieces[n-1].literal += lit
		return pieces
	}
	return append(pieces, templatePiece{literal: lit})
}

// splitTemplate spreads want over the macro pieces, the literal pieces
// fixing where each part starts and ends. It refuses guesses: two macros
// with nothing between them, an empty part, or a part that contains the
// separator next to it ("%{major}.%{minor}" cannot take 3.12.1, as minor
// would be "12.1"). Without any macro piece it returns errLiteralText
// unless the text already reads want.
func splitTemplate(pieces []templatePiece, want string) ([]string, error) {
	parts := make([]string, len(pieces))
	if !slices.ContainsFunc(pieces, func(p templatePiece) bool { return p.macro != "" }) {
		var b strings.Builder
		for _, piece := range pieces {
			b.WriteString(piece.literal)
		}
		if b.String() == want {
			return parts, nil
		}
		return nil, errLiteralText
	}
	rest := want
	for i, piece := range pieces {
		if piece.macro == "" {
			if !strings.HasPrefix(rest, piece.literal) {
				return nil, &templateError{reason: fmt.Sprintf("%q does not fit around %q", want, piece.literal)}
			}
			rest = rest[len(piece.literal):]
			continue
		}
		var next string
		if i+1 < len(pieces) {
			if pieces[i+1].macro != "" {
				return nil, &templateError{reason: fmt.Sprintf("%s%s has nothing between the macros", piece.raw, pieces[i+1].raw)}
			}
			next = pieces[i+1].literal
		}
		var part string
		switch {
		case i+1 == len(pieces): // the macro ends the value
			part, rest = rest, ""
		case i+2 == len(pieces): // the literal after it ends the value
			if !strings.HasSuffix(rest, next) {
				return nil, &templateError{reason: fmt.Sprintf("%q does not end in %q", want, next)}
			}
			part, rest = rest[:len(rest)-len(next)], rest[len(rest)-len(next):]
		default:
			k := strings.Index(rest, next)
			if k < 0 {
				return nil, &templateError{reason: fmt.Sprintf("%q has no %q after %s", want, next, piece.raw)}
			}
			part, rest = rest[:k], rest[k:]
		}
		if part == "" {
			return nil, &templateError{reason: fmt.Sprintf("%s would be empty", piece.raw)}
		}
		if containsEdgeRune(part, next, true) || (i > 0 && containsEdgeRune(part, pieces[i-1].literal, false)) {
			return nil, &templateError{reason: fmt.Sprintf("%s would be %q", piece.raw, part)}
		}
		parts[i] = part
	}
	return parts, nil
}

// containsEdgeRune reports whether part contains the separator rune next to
// it: the first rune of the literal after it, or the last of the one before.
func containsEdgeRune(part, lit string, first bool) bool {
	if lit == "" {
		return false
	}
	r := []rune(lit)
	edge := r[len(r)-1]
	if first {
		edge = r[0]
	}
	return strings.ContainsRune(part, edge)
}
