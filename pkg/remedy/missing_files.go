package remedy

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/backport/backport/pkg/recipe"
)

// missing-files: the packaging lists files the new upstream no longer
// installs. rpmbuild stops on "File not found"; dh_install on "missing
// files". The fix drops the entries: a hotfix ships what upstream installs.

var (
	rpmFileNotFound   = regexp.MustCompile(`^\s*(?:error: )?File not found(?: by glob)?: (/.*?)\s*$`)
	dhInstallMissing  = regexp.MustCompile(`^dh_install: (?:warning: )?(\S+) missing files: (.+?)\s*$`)
	dhInstallNotFound = regexp.MustCompile(`^dh_install: (?:warning: )?Cannot find \(any matches for\) "(.*)"`)
	// dh_installdocs and its kin read debian/<pkg>.docs and the like.
	dhListNotFound  = regexp.MustCompile(`^dh_install(?:docs|examples|man|info): (?:error: )?Cannot find \(any matches for\) "(.*)"`)
	cpCannotStatTmp = regexp.MustCompile(`^cp: cannot stat '(?:\./)?debian/tmp/(.+?)': No such file or directory`)
)

func classifyMissingFiles(l *buildLog) (Cause, bool) {
	var c Cause
	for _, i := range l.all(rpmFileNotFound) {
		path := buildrootRelative(rpmFileNotFound.FindStringSubmatch(l.lines[i])[1])
		if !slices.Contains(c.Items, path) {
			c.Evidence = append(c.Evidence, l.lines[i])
		}
		c.Items = addUnique(c.Items, path)
	}
	if len(c.Items) == 0 {
		for i, line := range l.lines {
			if m := dhInstallMissing.FindStringSubmatch(line); m != nil {
				for _, p := range strings.Fields(m[2]) {
					c.Items = addUnique(c.Items, p)
				}
				c.Evidence = append(c.Evidence, line)
			} else if dhInstallNotFound.MatchString(line) {
				c.Evidence = append(c.Evidence, line)
			} else if m := dhListNotFound.FindStringSubmatch(line); m != nil && l.family != recipe.FamilyRPM {
				c.Items = addUnique(c.Items, m[1])
				c.Evidence = append(c.Evidence, line)
			} else if m := cpCannotStatTmp.FindStringSubmatch(line); m != nil && l.family != recipe.FamilyRPM {
				c.Items = addUnique(c.Items, m[1])
				c.Evidence = append(c.Evidence, l.lines[i])
			}
		}
	}
	if len(c.Items) == 0 {
		return Cause{}, false
	}
	c.Class = ClassMissingFiles
	c.Summary = fmt.Sprintf("the packaging lists %d file(s) the build did not install: %s", len(c.Items), quoteList(c.Items))
	return c, true
}

// buildrootRelative maps a path rpm printed to the path inside the
// package: rpm ≤ 4.19 prints …/BUILDROOT/<name-version-release.arch>/usr/…,
// rpm 4.20 …/<name-version>-build/BUILDROOT/usr/…. A path under BUILD/
// (a relative %doc) comes back relative to the source directory.
func buildrootRelative(path string) string {
	if i := strings.LastIndex(path, "/BUILDROOT/"); i >= 0 {
		rest := path[i+len("/BUILDROOT/"):]
		first, after, found := strings.Cut(rest, "/")
		if found && strings.Contains(first, "-") && strings.Contains(first, ".") {
			rest = after
		}
		return "/" + rest
	}
	if i := strings.LastIndex(path, "/BUILD/"); i >= 0 {
		if _, rel, ok := strings.Cut(path[i+len("/BUILD/"):], "/"); ok && rel != "" {
			return rel
		}
	}
	return path
}

type missingFiles struct{}

func (missingFiles) Name() string         { return ClassMissingFiles }
func (missingFiles) Matches(c Cause) bool { return c.Class == ClassMissingFiles && len(c.Items) > 0 }

func (missingFiles) Apply(_ context.Context, p Packaging, c Cause) (Change, error) {
	if p.Family == recipe.FamilyRPM {
		return dropFromSpecFiles(p, c.Items)
	}
	return dropFromInstallFiles(p, c.Items)
}

// tokenRef is one %files word to remove.
type tokenRef struct {
	line int
	tok  filesToken
}

// dropFromSpecFiles removes each missing path's %files word. A word
// matches when it expands to the path (a relative %doc word matches the
// path under the doc or licenses directory); failing that, a word matches
// when it does with unknown macros as wildcards and no other word does.
func dropFromSpecFiles(p Packaging, missing []string) (Change, error) {
	rel, data, err := readSpec(p)
	if err != nil {
		return Change{}, err
	}
	s := parseSpecFor(p, data)
	var all []tokenRef
	for _, sec := range s.sections() {
		if sec.name != "%files" {
			continue
		}
		for i := sec.start + 1; i < sec.end; i++ {
			for _, tok := range filesLineTokens(s.lines[i].text) {
				all = append(all, tokenRef{i, tok})
			}
		}
	}
	drop := map[tokenRef]bool{}
	var dropped, unmatched []string
	for _, path := range missing {
		var exact, loose []tokenRef
		for _, r := range all {
			exp, ok := s.expandMacros(r.tok.text)
			switch {
			case ok && (exp == path || docMatch(r.tok, exp, path)):
				exact = append(exact, r)
			case !ok && s.matchPattern(r.tok.text)(path):
				loose = append(loose, r)
			}
		}
		if len(exact) == 0 && len(loose) == 1 {
			exact = loose
		}
		if len(exact) == 0 {
			unmatched = append(unmatched, path)
			continue
		}
		for _, r := range exact {
			drop[r] = true
		}
		dropped = append(dropped, path)
	}
	if len(drop) == 0 {
		return Change{Summary: "no %files entry of " + rel + " matches " + quoteList(unmatched)}, nil
	}
	removeFilesTokens(s, drop)
	if err := writeText(p.Dir, rel, s.textFile); err != nil {
		return Change{}, err
	}
	summary := fmt.Sprintf("dropped %d missing file(s) from %%files: %s", len(dropped), quoteList(dropped))
	if len(unmatched) > 0 {
		summary += "; no entry found for " + quoteList(unmatched)
	}
	return Change{Summary: summary, Files: []string{rel}, Changed: true}, nil
}

// docMatch: a relative %doc/%license word is installed under
// /usr/share/{doc,licenses}/<package dir>/ (or found relative to BUILD).
func docMatch(tok filesToken, exp, path string) bool {
	if !tok.docLike || strings.HasPrefix(exp, "/") {
		return false
	}
	if exp == path {
		return true
	}
	for _, base := range []string{"/usr/share/doc/", "/usr/share/licenses/"} {
		if rest, ok := strings.CutPrefix(path, base); ok {
			if _, file, ok := strings.Cut(rest, "/"); ok && file == exp {
				return true
			}
		}
	}
	return false
}

// removeFilesTokens deletes the words; a line left with no path word
// (only directives such as %config or %doc) goes entirely.
func removeFilesTokens(s *specFile, drop map[tokenRef]bool) {
	byLine := map[int][]filesToken{}
	for r := range drop {
		byLine[r.line] = append(byLine[r.line], r.tok)
	}
	lines := make([]int, 0, len(byLine))
	for i := range byLine {
		lines = append(lines, i)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(lines)))
	for _, i := range lines {
		toks := byLine[i]
		if len(toks) == len(filesLineTokens(s.lines[i].text)) {
			s.remove(i)
			continue
		}
		sort.Slice(toks, func(a, b int) bool { return toks[a].start > toks[b].start })
		text := s.lines[i].text
		for _, t := range toks {
			end := t.end
			for end < len(text) && isBlank(text[end]) {
				end++
			}
			text = text[:t.start] + text[end:]
		}
		s.lines[i].text = strings.TrimRight(text, " \t")
	}
}

// debhelperLists are the debhelper file lists a missing path can be named
// in: .install, and the .docs, .examples, .manpages and .info lists.
var debhelperLists = []string{"install", "docs", "examples", "manpages", "info"}

// dropFromInstallFiles removes each missing pattern from the debhelper
// file list (.install, .docs, …) that names it.
func dropFromInstallFiles(p Packaging, missing []string) (Change, error) {
	var files []string
	for _, kind := range debhelperLists {
		m, err := filepath.Glob(filepath.Join(p.Dir, "debian", "*."+kind))
		if err != nil {
			return Change{}, err
		}
		files = append(files, m...)
		if fileExists(p.Dir, "debian/"+kind) {
			files = append(files, filepath.Join(p.Dir, "debian", kind))
		}
	}
	sort.Strings(files)
	want := map[string]bool{}
	for _, m := range missing {
		want[strings.TrimPrefix(m, "/")] = true
	}
	found := map[string]bool{}
	var edited []string
	for _, path := range files {
		rel, _ := filepath.Rel(p.Dir, path)
		f, err := readText(p.Dir, rel)
		if err != nil {
			return Change{}, err
		}
		changed := false
		for i := len(f.lines) - 1; i >= 0; i-- {
			text, n := dropInstallWords(f.lines[i].text, want, found)
			if n == 0 {
				continue
			}
			changed = true
			if text == "" {
				f.remove(i)
			} else {
				f.lines[i].text = text
			}
		}
		if changed {
			if err := writeText(p.Dir, rel, f); err != nil {
				return Change{}, err
			}
			edited = append(edited, rel)
		}
	}
	var dropped, unmatched []string
	for _, m := range missing {
		if found[strings.TrimPrefix(m, "/")] {
			dropped = append(dropped, m)
		} else {
			unmatched = append(unmatched, m)
		}
	}
	if len(edited) == 0 {
		return Change{Summary: "no debian/*.install (or .docs, .examples, .manpages, .info) line lists " + quoteList(unmatched)}, nil
	}
	summary := fmt.Sprintf("dropped %d missing file(s) from %s: %s", len(dropped), strings.Join(edited, ", "), quoteList(dropped))
	if len(unmatched) > 0 {
		summary += "; not listed: " + quoteList(unmatched)
	}
	return Change{Summary: summary, Files: edited, Changed: true}, nil
}

// dropInstallWords removes the wanted source words from an .install line.
// It returns the new line ("" when no source is left) and how many words
// it removed.
func dropInstallWords(text string, want, found map[string]bool) (string, int) {
	sources := installSources(text)
	var keep []string
	n := 0
	for _, w := range sources {
		if key := strings.TrimPrefix(strings.TrimPrefix(w, "debian/tmp/"), "/"); want[key] {
			found[key] = true
			n++
			continue
		}
		keep = append(keep, w)
	}
	if n == 0 {
		return text, 0
	}
	if len(keep) == 0 {
		return "", n
	}
	words := strings.Fields(text)
	if len(words) > len(sources) { // a destination follows the sources
		keep = append(keep, words[len(words)-1])
	}
	indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
	return indent + strings.Join(keep, " "), n
}
