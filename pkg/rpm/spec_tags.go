package rpm

import (
	"strings"
)

// Name returns the Name tag's value with the spec's macros expanded.
func (s *Spec) Name() (string, error) { return s.tagValue("name", false) }

// Version returns the Version tag's value with the spec's own %global and
// %define macros expanded (e.g. "2.2.19"). A macro the spec does not define
// is an error naming the line, never a guess. So is a version that %if
// branches set differently: which one applies depends on the build target,
// which the spec alone does not tell. (SetVersion resolves that by setting
// every branch.)
func (s *Spec) Version() (string, error) { return s.tagValue("version", false) }

// Release returns the Release value with the spec's own macros expanded but
// the dist macro left as written, e.g. "10%{?dist}". A spec using
// %autorelease gets an *AutoreleaseError.
func (s *Spec) Release() (string, error) { return s.tagValue("release", true) }

// Epoch returns the Epoch tag's expanded value, or "" when there is none.
func (s *Spec) Epoch() (string, error) {
	if len(s.tags["epoch"]) == 0 {
		return "", nil
	}
	return s.tagValue("epoch", false)
}

// DistMacro returns how the Release value writes the dist macro
// ("%{?dist}", "%{dist}", "%dist"), following the spec's own macros, or ""
// when it has none.
func (s *Spec) DistMacro() string {
	for _, t := range s.tags["release"] {
		x := &expander{s: s, keepDist: true}
		x.expand(s.tagRaw(t), t.line)
		if x.dist != "" {
			return x.dist
		}
	}
	return ""
}

// tagValue expands a tag. When %if branches give it different values the
// result depends on the build target, which the spec alone cannot tell, so
// that is an error rather than a pick.
func (s *Spec) tagValue(key string, keepDist bool) (string, error) {
	occ := s.tags[key]
	if len(occ) == 0 {
		return "", &SpecError{File: s.file, Msg: "no " + trackedTags[key] + ": tag"}
	}
	var value string
	for k, t := range occ {
		v, err := s.expandTag(t, keepDist, false)
		if err != nil {
			return "", err
		}
		if k > 0 && v != value {
			return "", s.errorf(t.line, "%s depends on %%if conditions: it is %q at line %d and %q at line %d",
				trackedTags[key], value, occ[0].line+1, v, t.line+1)
		}
		value = v
	}
	return value, nil
}

// expandTag expands one occurrence of a tag; anyBranch tolerates macros
// whose %if branches disagree.
func (s *Spec) expandTag(t tagLine, keepDist, anyBranch bool) (string, error) {
	title := trackedTags[t.key]
	raw := s.tagRaw(t)
	if raw == "" {
		return "", s.errorf(t.line, "empty %s: tag", title)
	}
	x := &expander{s: s, keepDist: keepDist, anyBranch: anyBranch}
	v := x.expand(raw, t.line)
	if x.err != nil {
		return "", s.tagError(t, x.err)
	}
	if strings.ContainsAny(v, " \t\r\n") {
		return "", s.errorf(t.line, "%s expands to %q, which contains whitespace", title, v)
	}
	return v, nil
}

func (s *Spec) tagError(t tagLine, e *expandError) error {
	if e.autorelease {
		return &AutoreleaseError{File: s.file, Line: t.line + 1, Macro: "%autorelease"}
	}
	return s.errorf(t.line, "%s %s", trackedTags[t.key], e.msg)
}

// tagRaw returns the tag's value as written.
func (s *Spec) tagRaw(t tagLine) string {
	return s.lines[t.line].text[t.valueStart:t.valueEnd]
}
