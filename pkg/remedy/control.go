package remedy

import (
	"errors"
	"strings"
)

// debian/control, read as lines: deb822 paragraphs of "Field: value" with
// continuation lines that start with a blank, and "#" comment lines
// dpkg ignores. The remedies need the first binary package's name and an
// edit to the source paragraph's Build-Depends that keeps its layout.

// controlField is one field's line span in a textFile.
type controlField struct {
	name       string // as written
	first      int    // the "Name:" line
	last       int    // its last continuation line (comments inside are skipped)
	paragraph  int    // 0 for the source paragraph
	valueStart int    // byte offset of the value on the first line
}

// controlFields lists every field in file order.
func controlFields(f *textFile) []controlField {
	var out []controlField
	para, inPara := 0, false
	for i, l := range f.lines {
		t := l.text
		switch {
		case strings.TrimSpace(t) == "":
			if inPara {
				para++
				inPara = false
			}
		case strings.HasPrefix(t, "#"):
		case t[0] == ' ' || t[0] == '\t':
			if len(out) > 0 && inPara {
				out[len(out)-1].last = i
			}
		default:
			colon := strings.IndexByte(t, ':')
			if colon <= 0 {
				continue // not deb822; leave it alone
			}
			inPara = true
			start := colon + 1
			for start < len(t) && isBlank(t[start]) {
				start++
			}
			out = append(out, controlField{name: t[:colon], first: i, last: i, paragraph: para, valueStart: start})
		}
	}
	return out
}

// fieldValue joins a field's lines (comments dropped) into one value.
func fieldValue(f *textFile, c controlField) string {
	parts := []string{f.lines[c.first].text[c.valueStart:]}
	for i := c.first + 1; i <= c.last; i++ {
		if !strings.HasPrefix(f.lines[i].text, "#") {
			parts = append(parts, strings.TrimSpace(f.lines[i].text))
		}
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

// mainBinaryPackage is the first binary package in debian/control: the one
// debhelper's unprefixed files (debian/install) belong to.
func mainBinaryPackage(f *textFile) (string, error) {
	for _, c := range controlFields(f) {
		if c.paragraph > 0 && strings.EqualFold(c.name, "Package") {
			if name := fieldValue(f, c); name != "" {
				return name, nil
			}
		}
	}
	return "", errors.New("debian/control: no binary package paragraph (Package:)")
}

// relationNames returns the package names a relation field already lists
// (alternatives included, architecture qualifiers dropped).
func relationNames(value string) map[string]bool {
	names := map[string]bool{}
	for _, rel := range strings.Split(value, ",") {
		for _, alt := range strings.Split(rel, "|") {
			fields := strings.Fields(alt)
			if len(fields) == 0 {
				continue
			}
			name := fields[0]
			if i := strings.IndexAny(name, ":(["); i >= 0 {
				name = name[:i]
			}
			names[name] = true
		}
	}
	return names
}

// addBuildDepends adds pkgs to the source paragraph's Build-Depends,
// following the field's layout: one line gets ", pkg" appended; a field
// written one relation per line gets a new line with the same indentation
// and the same trailing-comma habit. It returns the packages it added.
func addBuildDepends(f *textFile, pkgs []string) ([]string, error) {
	fields := controlFields(f)
	var bd *controlField
	sourceLast := -1
	for i := range fields {
		if fields[i].paragraph != 0 {
			break
		}
		sourceLast = fields[i].last
		if strings.EqualFold(fields[i].name, "Build-Depends") {
			bd = &fields[i]
		}
	}
	if sourceLast < 0 {
		return nil, errors.New("debian/control: no source paragraph")
	}
	have := map[string]bool{}
	for _, c := range fields {
		if c.paragraph == 0 && strings.HasPrefix(strings.ToLower(c.name), "build-depends") {
			for n := range relationNames(fieldValue(f, c)) {
				have[n] = true
			}
		}
	}
	var add []string
	for _, p := range pkgs {
		if !have[p] {
			have[p] = true
			add = append(add, p)
		}
	}
	if len(add) == 0 {
		return nil, nil
	}
	if bd == nil {
		f.insert(sourceLast+1, "Build-Depends: "+strings.Join(add, ", "))
		return add, nil
	}
	last := bd.last
	for last > bd.first && strings.HasPrefix(f.lines[last].text, "#") {
		last--
	}
	lastText := strings.TrimRight(f.lines[last].text, " \t")
	trailingComma := strings.HasSuffix(lastText, ",")
	if last == bd.first {
		sep := ", "
		switch {
		case trailingComma:
			sep = " "
		case strings.TrimSpace(lastText[min(bd.valueStart, len(lastText)):]) == "":
			sep = " "
		}
		f.lines[last].text = lastText + sep + strings.Join(add, ", ")
		if trailingComma {
			f.lines[last].text += ","
		}
		return add, nil
	}
	indent := f.lines[last].text[:len(f.lines[last].text)-len(strings.TrimLeft(f.lines[last].text, " \t"))]
	if !trailingComma {
		f.lines[last].text = lastText + ","
	}
	var texts []string
	for i, p := range add {
		t := indent + p
		if trailingComma || i < len(add)-1 {
			t += ","
		}
		texts = append(texts, t)
	}
	f.insert(last+1, texts...)
	return add, nil
}
