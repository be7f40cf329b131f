package rpm

import (
	"strings"
)

// trackedTags are the preamble tags the editor reads; rpm also turns each
// into a macro (%{name}, %{version}, …) that later lines may use.
var trackedTags = map[string]string{
	"name":    "Name",
	"version": "Version",
	"release": "Release",
	"epoch":   "Epoch",
}

// sectionNames are the words that start a spec section when they begin a
// line (case-insensitive, as rpm's isPart). Everything before the first one
// is the main package's preamble.
var sectionNames = map[string]bool{
	"%package": true, "%description": true, "%prep": true, "%build": true,
	"%install": true, "%check": true, "%clean": true, "%files": true,
	"%changelog": true, "%pre": true, "%post": true, "%preun": true,
	"%postun": true, "%pretrans": true, "%posttrans": true,
	"%preuntrans": true, "%postuntrans": true, "%verifyscript": true,
	"%trigger": true, "%triggerin": true, "%triggerun": true,
	"%triggerprein": true, "%triggerpostun": true,
	"%filetrigger": true, "%filetriggerin": true, "%filetriggerun": true,
	"%filetriggerpostun": true, "%transfiletrigger": true,
	"%transfiletriggerin": true, "%transfiletriggerun": true,
	"%transfiletriggerpostun": true, "%sepolicy": true,
	"%generate_buildrequires": true, "%patchlist": true, "%sourcelist": true,
	"%conf": true,
}

// IsSectionWord reports whether w, lower-case with its "%", starts a spec
// section (%prep, %files, …) when it begins a line.
func IsSectionWord(w string) bool { return sectionNames[w] }

// tagLine is one Name/Version/Release/Epoch tag in the main preamble.
type tagLine struct {
	line       int    // 0-based line index
	key        string // lower-case tag name
	valueStart int    // byte span of the value in the line's text
	valueEnd   int
}

// scan walks the lines once, recording %if nesting, macro definitions,
// section starts and the main preamble's tags.
func (s *Spec) scan() error {
	s.tags = map[string][]tagLine{}
	s.defs = map[string][]*macroDef{}
	var (
		path    condPath
		openIfs []int // line index of each open %if, for "unclosed %if"
		blocks  int
		inMain  = true
	)
	for i := 0; i < len(s.lines); i++ {
		s.lines[i].path = path
		text := s.lines[i].text
		if d, ok := parseDefinition(text); ok {
			// rpm reads a definition's continuation lines (trailing "\",
			// open "%{") as part of its body: they are not tags or %ifs.
			last := s.definitionEnd(i)
			d.line, d.lastLine, d.path = i, last, path
			for j := i + 1; j <= last; j++ {
				s.lines[j].path = path
			}
			s.addDef(d)
			i = last
			continue
		}
		for _, d := range opaqueDefinitions(text, i, path) {
			s.addDef(d)
		}

		switch kw := conditionalKeyword(text); kw {
		case "%if", "%ifarch", "%ifnarch", "%ifos", "%ifnos":
			path = path.push(blocks)
			blocks++
			openIfs = append(openIfs, i)
			continue
		case "%elif", "%elifarch", "%elifos", "%else":
			if len(path) == 0 {
				return s.errorf(i, "%s without %%if", kw)
			}
			path = path.nextBranch()
			continue
		case "%endif":
			if len(path) == 0 {
				return s.errorf(i, "%%endif without %%if")
			}
			path = path[: len(path)-1 : len(path)-1]
			openIfs = openIfs[:len(openIfs)-1]
			continue
		}

		if sec := sectionStart(text); sec != "" {
			inMain = false
			s.sections = append(s.sections, i)
			if sec == "%changelog" {
				if s.changelog >= 0 {
					return s.errorf(i, "second %%changelog section (the first is at line %d)", s.changelog+1)
				}
				s.changelog = i
			}
			continue
		}
		if inMain {
			s.recordTag(i, path)
		}
	}
	if len(openIfs) > 0 {
		return s.errorf(openIfs[len(openIfs)-1], "%%if is never closed with %%endif")
	}
	return s.checkDuplicateTags()
}

func (s *Spec) recordTag(i int, path condPath) {
	text := s.lines[i].text
	key, start, end, ok := parseTag(text)
	if !ok {
		return
	}
	if _, tracked := trackedTags[key]; !tracked {
		return
	}
	s.tags[key] = append(s.tags[key], tagLine{line: i, key: key, valueStart: start, valueEnd: end})
	s.addDef(&macroDef{
		name: key, kind: defTag, line: i, lastLine: i, path: path,
		body: text[start:end], bodyStart: start, bodyEnd: end,
	})
}

// addDef indexes a binding under the names it answers to: rpm defines tag
// macros in both cases (%{version}, %{VERSION}).
func (s *Spec) addDef(d *macroDef) {
	s.defs[d.name] = append(s.defs[d.name], d)
	if up := strings.ToUpper(d.name); d.kind == defTag && up != d.name {
		s.defs[up] = append(s.defs[up], d)
	}
}

// checkDuplicateTags rejects a tag given twice where rpm would read both
// (it fails with "Duplicate Version entries"). Tags in different branches of
// one %if, or in separate conditional blocks, are alternatives instead.
func (s *Spec) checkDuplicateTags() error {
	for _, key := range []string{"name", "version", "release", "epoch"} {
		occ := s.tags[key]
		for b := 1; b < len(occ); b++ {
			for a := 0; a < b; a++ {
				pa, pb := s.lines[occ[a].line].path, s.lines[occ[b].line].path
				if pa.encloses(pb) || pb.encloses(pa) {
					return s.errorf(occ[b].line, "second %s: tag in the main package (the first is at line %d)",
						trackedTags[key], occ[a].line+1)
				}
			}
		}
	}
	return nil
}

// parseTag splits "Version:\t2.2.19" into its lower-case name and the span
// of its value. Like rpm it wants the tag in column 0 and allows blanks
// before the colon; trailing whitespace is not part of the value.
func parseTag(text string) (key string, start, end int, ok bool) {
	i := 0
	for i < len(text) && isAlnum(text[i]) {
		i++
	}
	if i == 0 || !isLetter(text[0]) {
		return "", 0, 0, false
	}
	key = strings.ToLower(text[:i])
	i = skipBlanks(text, i)
	if i >= len(text) || text[i] != ':' {
		return "", 0, 0, false
	}
	start = skipBlanks(text, i+1)
	end = len(strings.TrimRight(text, " \t\r\v\f"))
	if end < start {
		end = start
	}
	return key, start, end, true
}

// sectionStart returns the lower-cased section word ("%changelog") when the
// line starts a section, else "".
func sectionStart(text string) string {
	word := leadingMacroWord(text, 0)
	if word == "" {
		return ""
	}
	if rest := text[len(word):]; rest != "" && !isSpace(rest[0]) {
		return ""
	}
	word = strings.ToLower(word)
	if sectionNames[word] {
		return word
	}
	return ""
}

// conditionalKeyword returns "%if", "%else", … when the line is a
// conditional, following rpm: leading blanks are allowed, the %if family
// needs a blank or the end after the word, %else/%endif need no letter.
func conditionalKeyword(text string) string {
	i := skipBlanks(text, 0)
	word := leadingMacroWord(text, i)
	rest := text[i+len(word):]
	switch word {
	case "%if", "%ifarch", "%ifnarch", "%ifos", "%ifnos", "%elif", "%elifarch", "%elifos":
		if rest == "" || isBlank(rest[0]) {
			return word
		}
	case "%else", "%endif":
		if rest == "" || !isLetter(rest[0]) {
			return word
		}
	}
	return ""
}

// leadingMacroWord returns "%word" starting at text[i], or "".
func leadingMacroWord(text string, i int) string {
	if i >= len(text) || text[i] != '%' {
		return ""
	}
	j := i + 1
	for j < len(text) && (isLetter(text[j]) || text[j] == '_') {
		j++
	}
	if j == i+1 {
		return ""
	}
	return text[i:j]
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool  { return isLetter(c) || isDigit(c) }
func isBlank(c byte) bool  { return c == ' ' || c == '\t' }
func isSpace(c byte) bool  { return isBlank(c) || c == '\r' || c == '\n' || c == '\v' || c == '\f' }

// isNameChar reports whether c may appear in a macro name.
func isNameChar(c byte) bool { return isAlnum(c) || c == '_' }

func skipBlanks(text string, i int) int {
	for i < len(text) && isBlank(text[i]) {
		i++
	}
	return i
}
