package remedy

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/backport/backport/pkg/recipe"
)

// unpackaged-files: the new upstream installs files the packaging does not
// list. rpmbuild's check-files stops on them; debhelper's dh_missing does
// under --fail-missing (the default from compat 13). The fix ships them in
// the main package: a hotfix should carry what upstream installs, and
// debian/not-installed would silently drop it.

var (
	rpmUnpackagedHeader = regexp.MustCompile(`^(?:error: )?\s*Installed \(but unpackaged\) file\(s\) found:`)
	rpmListedPath       = regexp.MustCompile(`^\s+(/.*?)\s*$`)
	dhMissingLine       = regexp.MustCompile(`^dh_missing: (?:warning: )?(\S.*?) exists in (\S+) but is not installed to anywhere`)
	dhMissingFatal      = regexp.MustCompile(`^dh_missing: (?:error: )?missing files, aborting`)
)

func classifyUnpackagedFiles(l *buildLog) (Cause, bool) {
	var c Cause
	for i := 0; i < len(l.lines); i++ {
		if rpmUnpackagedHeader.MatchString(l.lines[i]) {
			if len(c.Evidence) == 0 {
				c.Evidence = append(c.Evidence, l.lines[i])
			}
			for i+1 < len(l.lines) {
				m := rpmListedPath.FindStringSubmatch(l.lines[i+1])
				if m == nil {
					break
				}
				i++
				if !slices.Contains(c.Items, m[1]) {
					c.Evidence = append(c.Evidence, l.lines[i])
				}
				c.Items = addUnique(c.Items, m[1])
			}
		}
	}
	if len(c.Items) == 0 && l.find(dhMissingFatal, 0) >= 0 {
		for _, i := range l.all(dhMissingLine) {
			c.Items = addUnique(c.Items, dhMissingLine.FindStringSubmatch(l.lines[i])[1])
			c.Evidence = append(c.Evidence, l.lines[i])
		}
		if len(c.Items) > 0 {
			c.Evidence = append(c.Evidence, l.lines[l.find(dhMissingFatal, 0)])
		}
	}
	if len(c.Items) == 0 {
		return Cause{}, false
	}
	c.Class = ClassUnpackagedFiles
	c.Summary = fmt.Sprintf("%d installed file(s) are in no package: %s", len(c.Items), quoteList(c.Items))
	return c, true
}

type unpackagedFiles struct{}

func (unpackagedFiles) Name() string { return ClassUnpackagedFiles }
func (unpackagedFiles) Matches(c Cause) bool {
	return c.Class == ClassUnpackagedFiles && len(c.Items) > 0
}

func (unpackagedFiles) Apply(_ context.Context, p Packaging, c Cause) (Change, error) {
	if p.Family == recipe.FamilyRPM {
		return addToMainFiles(p, c.Items)
	}
	return addToMainInstall(p, c.Items)
}

// addToMainFiles appends the paths to the end of the main package's %files.
func addToMainFiles(p Packaging, paths []string) (Change, error) {
	rel, data, err := readSpec(p)
	if err != nil {
		return Change{}, err
	}
	s := parseSpecFor(p, data)
	var main *specSection
	for _, sec := range s.sections() {
		if sec.name == "%files" && isMainFiles(sec.args) {
			main = &sec
			break
		}
	}
	if main == nil {
		return Change{Summary: rel + " has no %files section for the main package; add one by hand"}, nil
	}
	at := main.end
	for at > main.start+1 && strings.TrimSpace(s.lines[at-1].text) == "" {
		at--
	}
	listed := map[string]bool{}
	for i := main.start + 1; i < main.end; i++ {
		for _, tok := range filesLineTokens(s.lines[i].text) {
			if exp, ok := s.expandMacros(tok.text); ok {
				listed[exp] = true
			}
		}
	}
	var lines, added []string
	for _, path := range paths {
		if listed[path] || !strings.HasPrefix(path, "/") {
			continue
		}
		listed[path] = true
		lines = append(lines, specFilesEntry(path))
		added = append(added, path)
	}
	if len(lines) == 0 {
		return Change{Summary: "every file is already listed in the main package's %files"}, nil
	}
	s.insert(at, lines...)
	if err := writeText(p.Dir, rel, s.textFile); err != nil {
		return Change{}, err
	}
	return Change{
		Summary: fmt.Sprintf("added %d file(s) to the main package's %%files: %s", len(added), quoteList(added)),
		Files:   []string{rel}, Changed: true,
	}, nil
}

// specFilesEntry writes a path as a %files line: "%" doubled so rpm does
// not expand it, glob characters escaped, and quotes around blanks.
func specFilesEntry(path string) string {
	var b strings.Builder
	for _, r := range path {
		switch r {
		case '%':
			b.WriteString("%%")
		case '*', '?', '[', ']', '{', '}', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	if strings.ContainsAny(path, " \t\"") {
		return `"` + strings.ReplaceAll(b.String(), `"`, `\"`) + `"`
	}
	return b.String()
}

// addToMainInstall appends the paths to the main package's .install file,
// creating it when the package has none.
func addToMainInstall(p Packaging, paths []string) (Change, error) {
	control, err := readText(p.Dir, "debian/control")
	if err != nil {
		return Change{}, err
	}
	pkg, err := mainBinaryPackage(control)
	if err != nil {
		return Change{}, err
	}
	rel := filepath.Join("debian", pkg+".install")
	f, err := readText(p.Dir, rel)
	if err != nil && fileExists(p.Dir, "debian/install") {
		rel = "debian/install"
		f, err = readText(p.Dir, rel)
	}
	if err != nil {
		if fileExists(p.Dir, rel) {
			return Change{}, err
		}
		f = &textFile{}
	}
	listed := map[string]bool{}
	for _, l := range f.lines {
		for _, tok := range installSources(l.text) {
			listed[tok] = true
		}
	}
	var added []string
	for _, path := range paths {
		entry := installEntry(strings.TrimPrefix(path, "/"))
		if entry == "" || listed[entry] {
			continue
		}
		listed[entry] = true
		f.insert(len(f.lines), entry)
		added = append(added, entry)
	}
	if len(added) == 0 {
		return Change{Summary: "every file is already in " + rel}, nil
	}
	if err := writeText(p.Dir, rel, f); err != nil {
		return Change{}, err
	}
	return Change{
		Summary: fmt.Sprintf("added %d file(s) to %s: %s", len(added), rel, quoteList(added)),
		Files:   []string{rel}, Changed: true,
	}, nil
}

// installEntry writes a path as an .install line: debhelper globs each
// word, so glob characters are escaped and blanks (which would split the
// word) become "?".
func installEntry(path string) string {
	var b strings.Builder
	for _, r := range path {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case ' ', '\t':
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
