package rpm

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// SpecPatch is one patch a spec declares (PatchN:, Patch:, or a %patchlist
// line) and how %prep applies it.
type SpecPatch struct {
	ID      string // rpm's number: "3" for Patch3; unnumbered tags and %patchlist lines are numbered as rpm does
	File    string // the file name in SOURCES (the last path element of the expanded value, so URLs work)
	Source  string // the tag value with the spec's macros expanded
	TagLine int    // 1-based line of the tag or %patchlist entry
	// Applied says whether %prep applies it: a %patch line, %autosetup or
	// %autopatch, or a command naming %{PATCHn}. A patch %prep does not
	// apply is not part of the build and needs no triage.
	Applied bool
	// Strip is the -p level it is applied with. rpm's %patch passes -p0
	// when the line gives none; %autopatch passes no -p at all, which is
	// -1 here (GNU patch then keeps only base names).
	Strip int
	// ApplyLine is the 1-based line that applies it: its own %patch line,
	// or the %autosetup/%autopatch line; 0 when not applied.
	ApplyLine int
	Auto      bool // applied by %autosetup/%autopatch, which DropPatch leaves alone
}

// patchDecl is a declared patch and where it comes from.
type patchDecl struct {
	num      int
	line     int // 0-based
	listed   bool
	explicit bool // the tag carries its number
	value    string
}

// patchUse is one way %prep applies a patch.
type patchUse struct {
	line  int // 0-based
	strip int
	auto  bool
	// drop is the text the line becomes without this patch: "" removes
	// the line, keep leaves it (%autopatch).
	drop string
	keep bool
}

// Patches lists the spec's patches in the order %prep applies them, then
// those it does not apply, in declaration order.
func (s *Spec) Patches() ([]SpecPatch, error) {
	decls, err := s.patchDecls()
	if err != nil {
		return nil, err
	}
	uses, order, err := s.patchUses(decls)
	if err != nil {
		return nil, err
	}
	var out []SpecPatch
	add := func(d patchDecl) error {
		x := &expander{s: s}
		v := x.expand(d.value, d.line)
		if x.err != nil {
			return s.errorf(d.line, "patch %d %s", d.num, x.err.msg)
		}
		file := v[strings.LastIndex(v, "/")+1:]
		if file == "" || strings.ContainsAny(file, " \t") || file == "." || file == ".." {
			return s.errorf(d.line, "patch %d names no usable file: %q", d.num, v)
		}
		p := SpecPatch{ID: strconv.Itoa(d.num), File: file, Source: v, TagLine: d.line + 1}
		if u := uses[d.num]; len(u) > 0 {
			p.Applied, p.Strip, p.ApplyLine, p.Auto = true, u[0].strip, u[0].line+1, u[0].auto
		}
		out = append(out, p)
		return nil
	}
	byNum := map[int]patchDecl{}
	for _, d := range decls {
		byNum[d.num] = d
	}
	done := map[int]bool{}
	for _, n := range order {
		if !done[n] {
			done[n] = true
			if err := add(byNum[n]); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range decls {
		if !done[d.num] {
			if err := add(d); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// patchDecls reads the Patch tags of the preambles and %patchlist
// sections, numbering them as rpm 4.18 does (measured with %{PATCHn}): an
// unnumbered patch takes one more than the highest number so far.
func (s *Spec) patchDecls() ([]patchDecl, error) {
	var decls []patchDecl
	seen := map[int]int{}
	next := 0
	section := ""
	for i, l := range s.lines {
		if sec := sectionStart(l.text); sec != "" {
			section = sec
			continue
		}
		var d patchDecl
		switch section {
		case "", "%package":
			key, start, end, ok := parseTag(l.text)
			if !ok || !strings.HasPrefix(key, "patch") {
				continue
			}
			d = patchDecl{line: i, value: l.text[start:end], num: -1}
			if digits := key[len("patch"):]; digits != "" {
				n, err := strconv.Atoi(digits)
				if err != nil || n > 1<<20 {
					continue // Patchlevel: or another tag that only starts alike
				}
				d.num, d.explicit = n, true
			}
		case "%patchlist":
			v := strings.TrimSpace(l.text)
			if v == "" || strings.HasPrefix(v, "#") {
				continue
			}
			d = patchDecl{line: i, value: v, num: -1, listed: true}
		default:
			continue
		}
		if d.num < 0 {
			d.num = next
		}
		if first, dup := seen[d.num]; dup {
			return nil, s.errorf(i, "patch %d is declared twice (first at line %d)", d.num, first+1)
		}
		seen[d.num] = i
		next = max(next, d.num+1)
		decls = append(decls, d)
	}
	return decls, nil
}

// patchUses reads %prep: which lines apply which patches, and the order.
func (s *Spec) patchUses(decls []patchDecl) (map[int][]patchUse, []int, error) {
	uses := map[int][]patchUse{}
	var order []int
	declared := map[int]bool{}
	var all []int
	for _, d := range decls {
		declared[d.num] = true
		all = append(all, d.num)
	}
	use := func(n int, u patchUse) {
		uses[n] = append(uses[n], u)
		order = append(order, n)
	}
	inPrep := false
	for i, l := range s.lines {
		if sec := sectionStart(l.text); sec != "" {
			inPrep = sec == "%prep"
			continue
		}
		if !inPrep {
			continue
		}
		text := l.text
		at := skipBlanks(text, 0)
		switch word := leadingMacroWord(text, at); word {
		case "%patch":
			p, err := parsePatchLine(text, at+len(word))
			if err != nil {
				return nil, nil, s.errorf(i, "%s", err)
			}
			for k, n := range p.nums {
				if !declared[n] {
					return nil, nil, s.errorf(i, "%%patch applies patch %d, which the spec does not declare", n)
				}
				use(n, patchUse{line: i, strip: p.strip, drop: p.without(text, k)})
			}
		case "%autosetup", "%autopatch":
			a, err := parseAutoLine(text, at+len(word), word == "%autosetup")
			if err != nil {
				return nil, nil, s.errorf(i, "%s", err)
			}
			for k, n := range a.nums {
				if !declared[n] {
					return nil, nil, s.errorf(i, "%s applies patch %d, which the spec does not declare", word, n)
				}
				use(n, patchUse{line: i, strip: a.strip, auto: true, drop: a.without(text, k)})
			}
			if a.nums != nil || !a.apply {
				continue
			}
			for _, n := range all {
				if (a.lo < 0 || n >= a.lo) && (a.hi < 0 || n <= a.hi) {
					use(n, patchUse{line: i, strip: a.strip, auto: true, keep: true})
				}
			}
		default:
			for _, n := range patchRefs(text) {
				if !declared[n] {
					continue
				}
				if len(patchRefs(text)) > 1 {
					return nil, nil, s.errorf(i, "one command applies several patches through %%{PATCHn}; backport cannot tell them apart")
				}
				use(n, patchUse{line: i, strip: stripOption(text)})
			}
		}
	}
	return uses, order, nil
}

// SetupStrip returns the -p level %autosetup or %autopatch applies the
// patches with (-1: none given), and false when %prep uses neither.
func (s *Spec) SetupStrip() (int, bool) {
	decls, err := s.patchDecls()
	if err != nil {
		return 0, false
	}
	uses, _, err := s.patchUses(decls)
	if err != nil {
		return 0, false
	}
	first := -1
	strip := 0
	for _, us := range uses {
		for _, u := range us {
			if u.auto && (first < 0 || u.line < first) {
				first, strip = u.line, u.strip
			}
		}
	}
	return strip, first >= 0
}

// DropPatch removes patch id: its tag line and the %patch line that applies
// it (only its own arguments when the line applies several). %autosetup and
// %autopatch lines stay. The result is read back: if any other patch would
// be applied differently (an unnumbered patch renumbered under a %patch
// line that names its number), nothing changes and that is an error.
// Dropping an unnumbered patch renumbers the unnumbered ones after it, as
// rpm counts them; to drop several, use DropPatches.
func (s *Spec) DropPatch(id string) error {
	all, err := s.Patches()
	if err != nil {
		return err
	}
	decls, _ := s.patchDecls()
	uses, _, _ := s.patchUses(decls)
	var target *patchDecl
	for k := range decls {
		if strconv.Itoa(decls[k].num) == id {
			target = &decls[k]
		}
	}
	if target == nil {
		return &SpecError{File: s.file, Msg: fmt.Sprintf("no patch %s to drop", id)}
	}
	edits := map[int]*string{} // line → new text; nil removes it
	edits[target.line] = nil
	for _, u := range uses[target.num] {
		if u.keep {
			continue
		}
		if u.drop == "" {
			edits[u.line] = nil
		} else {
			t := u.drop
			edits[u.line] = &t
		}
	}
	var b strings.Builder
	for i, l := range s.lines {
		if t, ok := edits[i]; ok {
			if t == nil {
				continue
			}
			b.WriteString(*t + l.eol)
			continue
		}
		b.WriteString(l.text + l.eol)
	}
	next, err := ParseSpec(s.file, []byte(b.String()))
	if err != nil {
		return s.errorf(target.line, "dropping patch %s gives a spec that does not parse: %v", id, err)
	}
	after, err := next.Patches()
	if err != nil {
		return s.errorf(target.line, "dropping patch %s gives a spec whose patches cannot be read: %v", id, err)
	}
	if problem := compareAfterDrop(all, after, id); problem != "" {
		return s.errorf(target.line, "cannot drop patch %s: %s", id, problem)
	}
	*s = *next
	return nil
}

// DropPatches drops several patches, highest number first, so that
// dropping an unnumbered patch never renumbers one still to be dropped.
func (s *Spec) DropPatches(ids []string) error {
	nums := make([]int, 0, len(ids))
	for _, id := range ids {
		n, err := strconv.Atoi(id)
		if err != nil {
			return &SpecError{File: s.file, Msg: fmt.Sprintf("no patch %s to drop", id)}
		}
		nums = append(nums, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(nums)))
	for _, n := range nums {
		if err := s.DropPatch(strconv.Itoa(n)); err != nil {
			return err
		}
	}
	return nil
}

// compareAfterDrop checks that every other patch is still declared and
// applied as before: same file, strip level and order, and the same number
// when %prep applies it by number. (Unnumbered patches after the dropped
// one move down by one, as rpm numbers them; %autopatch does not mind.)
func compareAfterDrop(before, after []SpecPatch, id string) string {
	describe := func(p SpecPatch) string {
		d := fmt.Sprintf("%s (applied %v, -p%d)", p.File, p.Applied, p.Strip)
		if p.Applied && !p.Auto {
			d += " as patch " + p.ID
		}
		return d
	}
	var want, got []string
	for _, p := range before {
		if p.ID != id {
			want = append(want, describe(p))
		}
	}
	for _, p := range after {
		got = append(got, describe(p))
	}
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			return fmt.Sprintf("%s would be lost", want[i])
		case i >= len(want):
			return fmt.Sprintf("%s would appear", got[i])
		case want[i] != got[i]:
			return fmt.Sprintf("%s would become %s", want[i], got[i])
		}
	}
	return ""
}
