package rpm

import (
	"fmt"
	"strings"
)

// distForms are the ways a release may write the dist macro; a new release
// may contain one of them and nothing else that looks like a macro.
var distForms = []string{"%{?dist}", "%{dist}", "%?dist", "%dist"}

// SetVersion sets the main package's version. When Version: is built from
// the spec's own macros ("%{upstream_ver}", "%{major}.%{minor}") the macro
// definitions are edited instead, so Source0 URLs that use them follow. If
// the new version cannot be split over the macros (3.12 → 3.12.1 for
// "%{major}.%{minor}") the tag gets the literal value and a note says so.
// A version set in several %if branches is set in all of them: the hotfix
// must carry this version whichever branch the build target takes.
func (s *Spec) SetVersion(v string) (notes []string, err error) {
	if err := checkEVRPart("version", v, false); err != nil {
		return nil, err
	}
	return s.setTag("version", v, false)
}

// SetRelease sets the release, given with the dist macro as the spec writes
// it ("0.bp1%{?dist}"). A release from a macro ("%{baserelease}%{?dist}")
// is set by editing that macro's definition when the new value fits the
// pattern, else the tag gets the literal value and a note says so. A spec
// using %autorelease is left alone and gets an *AutoreleaseError.
func (s *Spec) SetRelease(r string) (notes []string, err error) {
	if err := checkEVRPart("release", r, true); err != nil {
		return nil, err
	}
	return s.setTag("release", r, true)
}

// checkEVRPart refuses values rpm would reject ("Illegal char") before
// they reach the spec.
func checkEVRPart(what, v string, allowDist bool) error {
	bare := v
	if allowDist {
		for _, f := range distForms {
			bare = strings.ReplaceAll(bare, f, "")
		}
	}
	if bare == "" {
		return fmt.Errorf("invalid %s %q: it is empty", what, v)
	}
	for _, c := range bare {
		if c < 128 && (isAlnum(byte(c)) || strings.ContainsRune("._+~^", c)) {
			continue
		}
		return fmt.Errorf("invalid %s %q: %q is not allowed (rpm allows letters, digits and . _ + ~ ^)", what, v, c)
	}
	return nil
}

// setTag sets every occurrence of a tag, preferring to edit the macros the
// value is built from, and checks the result by parsing it again.
func (s *Spec) setTag(key, want string, keepDist bool) ([]string, error) {
	title := trackedTags[key]
	occ := s.tags[key]
	if len(occ) == 0 {
		return nil, &SpecError{File: s.file, Msg: "no " + title + ": tag"}
	}
	// The current value has to be understood before it is changed; only
	// %if branches may disagree, as all of them get the new value.
	for _, t := range occ {
		if _, err := s.expandTag(t, keepDist, true); err != nil {
			return nil, err
		}
	}
	before := s.otherTagValues(key)

	plan := s.planEdit(occ, want, keepDist, true)
	out := s.tryEdit(plan, key, want, keepDist, before)
	notes := plan.notes
	if plan.editedMacros && (out.problem != "" || len(out.side) > 0) {
		// Editing the macros went wrong or reached another tag: put the
		// literal value into the tag and leave the macros alone.
		why := "gave a spec that " + out.problem
		if out.problem == "" {
			why = "would change another tag (" + strings.Join(out.side, "; ") + ")"
		}
		plan = s.planEdit(occ, want, keepDist, false)
		out = s.tryEdit(plan, key, want, keepDist, before)
		notes = append(plan.notes, fmt.Sprintf("%s:%d: %s: now holds %s literally, because editing its macros %s",
			s.file, occ[0].line+1, title, want, why))
	}
	if out.problem != "" {
		return nil, s.errorf(occ[0].line, "cannot set %s: to %s: the edited spec %s", title, want, out.problem)
	}
	notes = append(notes, out.side...)
	if len(occ) > 1 {
		lines := make([]int, len(occ))
		for i, t := range occ {
			lines[i] = t.line
		}
		notes = append(notes, fmt.Sprintf("%s: %s: is set in %d %%if branches (lines %s); all of them now give %s",
			s.file, title, len(occ), joinLineNumbers(lines), want))
	}
	*s = *out.next
	return notes, nil
}

func (s *Spec) planEdit(occ []tagLine, want string, keepDist, viaMacros bool) *editPlan {
	plan := &editPlan{s: s, title: trackedTags[occ[0].key], keepDist: keepDist, edits: map[int]spanEdit{},
		x: &expander{s: s, keepDist: keepDist}}
	plan.setOccurrences(occ, want, viaMacros)
	return plan
}

// editOutcome is an edit plan applied and read back.
type editOutcome struct {
	next    *Spec
	side    []string // other tags whose value changed
	problem string   // why the result is wrong; "" when it reads want
}

// tryEdit applies plan and parses the result again: the editor trusts
// what the edited spec says, not what it meant to write.
func (s *Spec) tryEdit(plan *editPlan, key, want string, keepDist bool, before map[string]string) editOutcome {
	next, err := ParseSpec(s.file, plan.apply())
	if err != nil {
		return editOutcome{problem: "does not parse: " + err.Error()}
	}
	got, err := next.tagValue(key, keepDist)
	if err != nil {
		return editOutcome{problem: "fails to read back: " + err.Error()}
	}
	if got != want {
		return editOutcome{problem: fmt.Sprintf("reads %q", got)}
	}
	return editOutcome{next: next, side: sideEffects(before, next.otherTagValues(key))}
}

// otherTagValues reads the tracked tags other than key, to spot edits that
// change more than they should.
func (s *Spec) otherTagValues(key string) map[string]string {
	out := map[string]string{}
	for k := range trackedTags {
		if k == key || len(s.tags[k]) == 0 {
			continue
		}
		if v, err := s.tagValue(k, k == "release"); err == nil {
			out[trackedTags[k]] = v
		}
	}
	return out
}

func sideEffects(before, after map[string]string) []string {
	var out []string
	for _, title := range []string{"Name", "Epoch", "Version", "Release"} {
		if old, ok := before[title]; ok && after[title] != old {
			out = append(out, fmt.Sprintf("%s: changes too, from %s to %s", title, old, after[title]))
		}
	}
	return out
}
