package patch

import (
	"regexp"
	"strings"
)

// Header is what a patch says about itself before its first file diff: the
// DEP-3 fields (https://dep-team.pages.debian.net/deps/dep3/) and the mail
// headers of a git format-patch file, which DEP-3 accepts as aliases.
type Header struct {
	Description     string // Description or Subject; continuation lines joined by "\n"
	Origin          string
	Author          string // Author or From
	Bugs            []string
	Forwarded       string
	AppliedUpstream string
	LastUpdate      string
	// CVEs are the CVE ids named anywhere in the header text, upper-case,
	// each once, in order of appearance.
	CVEs []string
	// Fields are every "Name: value" field of the header in order.
	Fields []Field
}

// Field is one header field.
type Field struct {
	Name  string // as written
	Value string // continuation lines joined by "\n"
	Line  int    // 1-based line of the field name in the patch file
	Raw   string // the first line as written, for quoting as evidence
}

// Get returns the first field with the name (case-insensitive).
func (h Header) Get(name string) (Field, bool) {
	for _, f := range h.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return Field{}, false
}

var (
	fieldRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_-]*):[ \t]*(.*)$`)
	cveRE   = regexp.MustCompile(`(?i)\bCVE-(\d{4})-(\d{4,})\b`)
	// A git Subject carries "[PATCH 2/5]" before the summary.
	patchTagRE = regexp.MustCompile(`^\[[^\]]*PATCH[^\]]*\]\s*`)
)

// ParseHeader reads the header of a patch file: the text before the first
// file diff, or before a line of three dashes, which ends a DEP-3 header and
// a git format-patch message. Unknown lines are free text.
func ParseHeader(data []byte) Header {
	p := parsePatch(data)
	var h Header
	// Continuation lines are gathered per field and joined once: adding
	// them one by one is quadratic in a long description.
	var conts [][]string
	cur := -1
	for i := 0; i < p.preambleEnd; i++ {
		l := p.line(i)
		if l == "---" {
			break
		}
		h.addCVEs(l)
		if cur >= 0 && l != "" && (l[0] == ' ' || l[0] == '\t') {
			cont := strings.TrimSpace(l)
			if cont == "." {
				cont = ""
			}
			conts[cur] = append(conts[cur], cont)
			continue
		}
		m := fieldRE.FindStringSubmatch(l)
		if m == nil {
			cur = -1
			continue
		}
		h.Fields = append(h.Fields, Field{Name: m[1], Value: strings.TrimSpace(m[2]), Line: i + 1, Raw: l})
		conts = append(conts, nil)
		cur = len(h.Fields) - 1
	}
	for k := range h.Fields {
		if len(conts[k]) > 0 {
			h.Fields[k].Value += "\n" + strings.Join(conts[k], "\n")
		}
	}
	for _, f := range h.Fields {
		h.setKnown(f)
	}
	return h
}

// setKnown copies a field into the named members; the first of each wins,
// as a later "Description:" is usually quoted text.
func (h *Header) setKnown(f Field) {
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	name := strings.ToLower(f.Name)
	switch {
	case name == "description":
		set(&h.Description, strings.TrimRight(f.Value, "\n"))
	case name == "subject":
		set(&h.Description, patchTagRE.ReplaceAllString(strings.TrimRight(f.Value, "\n"), ""))
	case name == "origin":
		set(&h.Origin, f.Value)
	case name == "author", name == "from":
		set(&h.Author, f.Value)
	case name == "bug", strings.HasPrefix(name, "bug-"):
		h.Bugs = append(h.Bugs, f.Value)
	case name == "forwarded":
		set(&h.Forwarded, f.Value)
	case name == "applied-upstream":
		set(&h.AppliedUpstream, f.Value)
	case name == "last-update":
		set(&h.LastUpdate, f.Value)
	}
}

func (h *Header) addCVEs(text string) {
	h.CVEs = appendCVEs(h.CVEs, text)
}

// appendCVEs adds the CVE ids in text to ids, upper-case, skipping ones
// already there.
func appendCVEs(ids []string, text string) []string {
	for _, m := range cveRE.FindAllStringSubmatch(text, -1) {
		id := "CVE-" + m[1] + "-" + m[2]
		if !contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	versionTokenRE = regexp.MustCompile(`^(?:[vV]|version-?)?([0-9]+(?:[.~+_-][0-9A-Za-z]+)*)$`)
	commitURLRE    = regexp.MustCompile(`(?:/commits?/|[?&;]id=|[?&;]h=|commit:)([0-9a-fA-F]{7,40})\b`)
	bareCommitRE   = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
)

// appliedUpstreamRef reads an Applied-Upstream value ("1.7", "1.7, https://…",
// "commit:1a2b3c4", "https://github.com/o/r/commit/1a2b3c4…") into the
// upstream version that contains the change and the commit, either "".
func appliedUpstreamRef(v string) (ver, commit string) {
	if m := commitURLRE.FindStringSubmatch(v); m != nil {
		commit = m[1]
	}
	for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' }) {
		tok = strings.TrimRight(tok, ".)")
		tok = strings.TrimLeft(tok, "(")
		if strings.Contains(tok, "://") || strings.HasPrefix(tok, "commit:") {
			continue
		}
		if m := versionTokenRE.FindStringSubmatch(tok); m != nil && ver == "" && !isLongHex(tok) {
			ver = m[1]
			continue
		}
		if commit == "" && bareCommitRE.MatchString(tok) && strings.ContainsAny(tok, "abcdef") {
			commit = tok
		}
	}
	return ver, commit
}

// isLongHex tells a commit id made only of digits apart from a version.
func isLongHex(tok string) bool { return len(tok) >= 12 && bareCommitRE.MatchString(tok) }
