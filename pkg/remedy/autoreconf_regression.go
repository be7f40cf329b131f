package remedy

import (
	"context"
	"regexp"
	"strings"

	"github.com/backport/backport/pkg/recipe"
)

// autoreconf-regression: the distro regenerates the build system with its
// own autotools, which are older (or newer) than the ones the new upstream
// release was made with, and autoreconf fails: bookworm's hello 2.10-3
// packaging on upstream 2.12.3 stops in dh_autoreconf with "possibly
// undefined macro: gl_PTHREADLIB". Upstream's tarball ships a working
// configure, so the fix skips the regeneration: debian/rules gets an empty
// override_dh_autoreconf; a spec's autoreconf/autogen.sh lines are
// commented out.

const autoreconfComment = "# backport: the new upstream ships configure; skip the distro's autoreconf, which fails on it"

var (
	undefinedMacro = regexp.MustCompile(`possibly undefined macro: (\S+)`)
	autotoolsFail  = regexp.MustCompile(`^(?:` +
		`dh_autoreconf: (?:error: )?.*(?:returned exit code|died with|failed)|` +
		`autoreconf(?:2\.\d+)?: (?:error: )?.*failed with exit status|` +
		`(?:autoreconf|aclocal|automake|autoconf|autoheader|libtoolize|autopoint)(?:-?\d+\.\d+)?: error: |` +
		`configure\.(?:ac|in):\d+: error: |` +
		`Makefile\.am:\d+: error: )`)
	// autoreconfCommand is a spec or rules recipe line that regenerates
	// the build system.
	autoreconfCommand = regexp.MustCompile(`^\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:autoreconf\b|dh_autoreconf\b|%\{?__autoreconf\}?|(?:(?:ba)?sh\s+)?(?:\./)?autogen\.sh\b)`)
)

func classifyAutoreconf(l *buildLog) (Cause, bool) {
	fails := l.all(autotoolsFail)
	if len(fails) == 0 {
		return Cause{}, false
	}
	c := Cause{Class: ClassAutoreconfRegression}
	for _, i := range l.all(undefinedMacro) {
		c.Items = addUnique(c.Items, undefinedMacro.FindStringSubmatch(l.lines[i])[1])
		c.Evidence = append(c.Evidence, l.lines[i])
	}
	c.Evidence = capLines(c.Evidence, maxEvidence-min(len(fails), 3))
	for _, i := range fails[max(0, len(fails)-3):] {
		c.Evidence = append(c.Evidence, l.lines[i])
	}
	c.Summary = "regenerating the build system with the distro's autotools fails"
	if len(c.Items) > 0 {
		c.Summary += " (undefined macros: " + quoteList(c.Items) + ")"
	}
	return c, true
}

type autoreconfRegression struct{}

func (autoreconfRegression) Name() string         { return ClassAutoreconfRegression }
func (autoreconfRegression) Matches(c Cause) bool { return c.Class == ClassAutoreconfRegression }

func (autoreconfRegression) Apply(_ context.Context, p Packaging, _ Cause) (Change, error) {
	if p.Family == recipe.FamilyRPM {
		rel, data, err := readSpec(p)
		if err != nil {
			return Change{}, err
		}
		s := parseSpecFor(p, data)
		n := skipSpecAutoreconf(s)
		if n == 0 {
			return Change{Summary: rel + " runs no autoreconf or autogen.sh in %prep, %conf or %build"}, nil
		}
		if err := writeText(p.Dir, rel, s.textFile); err != nil {
			return Change{}, err
		}
		return Change{Summary: "commented out autoreconf in " + rel + "; the build uses upstream's configure", Files: []string{rel}, Changed: true}, nil
	}
	const rel = "debian/rules"
	f, err := readText(p.Dir, rel)
	if err != nil {
		return Change{}, err
	}
	if !skipRulesAutoreconf(f) {
		return Change{Summary: rel + " already skips autoreconf"}, nil
	}
	if err := writeText(p.Dir, rel, f); err != nil {
		return Change{}, err
	}
	return Change{Summary: "override_dh_autoreconf left empty in " + rel + "; the build uses upstream's configure", Files: []string{rel}, Changed: true}, nil
}

// skipRulesAutoreconf empties (or adds) override_dh_autoreconf and
// comments out explicit autoreconf calls in other recipes. It reports
// whether it changed anything.
func skipRulesAutoreconf(f *textFile) bool {
	changed := false
	override := -1
	for i := 0; i < len(f.lines); i++ {
		if isOverrideAutoreconf(f.lines[i].text) {
			override = i
			end := recipeEnd(f, i)
			for j := end - 1; j > i; j-- {
				f.remove(j)
				changed = true
			}
			continue
		}
		if !strings.HasPrefix(f.lines[i].text, "\t") {
			continue
		}
		end := commandEnd(f, i, len(f.lines))
		if autoreconfCommand.MatchString(joinCommand(f, i, end)) {
			for j := i; j < end; j++ {
				f.lines[j].text = commentRecipeLine(f.lines[j].text)
			}
			changed = true
		}
		i = end - 1
	}
	if override < 0 {
		if n := len(f.lines); n > 0 && strings.TrimSpace(f.lines[n-1].text) != "" {
			f.insert(n, "")
		}
		f.insert(len(f.lines), autoreconfComment, "override_dh_autoreconf:")
		return true
	}
	if changed && (override == 0 || f.lines[override-1].text != autoreconfComment) {
		f.insert(override, autoreconfComment)
	}
	return changed
}

func isOverrideAutoreconf(text string) bool {
	target, _, ok := strings.Cut(text, ":")
	if !ok || strings.HasPrefix(text, "\t") || strings.HasPrefix(text, "#") {
		return false
	}
	for _, t := range strings.Fields(target) {
		if t == "override_dh_autoreconf" {
			return true
		}
	}
	return false
}

// recipeEnd is the index after a rule's recipe: the tab lines (and the
// blank or comment lines between them) after the target line at i.
func recipeEnd(f *textFile, i int) int {
	end := i + 1
	for j := i + 1; j < len(f.lines); j++ {
		t := f.lines[j].text
		switch {
		case strings.HasPrefix(t, "\t"):
			end = j + 1
		case strings.TrimSpace(t) == "" || strings.HasPrefix(t, "#"):
		default:
			return end
		}
	}
	return end
}

// commentRecipeLine turns a recipe line into a shell comment, which make
// still passes to the shell, so every line of a continued command needs
// its own "#".
func commentRecipeLine(text string) string {
	body := strings.TrimLeft(text, " \t")
	return text[:len(text)-len(body)] + "#" + body
}

// skipSpecAutoreconf comments out autoreconf and autogen.sh lines in
// %prep, %conf and %build (with "%" doubled, as rpm expands macros in
// comments). It returns how many commands it commented out.
func skipSpecAutoreconf(s *specFile) int {
	n := 0
	secs := s.sections()
	for k := len(secs) - 1; k >= 0; k-- { // from the end: inserts move later lines
		sec := secs[k]
		if sec.name != "%prep" && sec.name != "%build" && sec.name != "%conf" {
			continue
		}
		var starts []int
		for i := sec.start + 1; i < sec.end; i = commandEnd(s.textFile, i, sec.end) {
			starts = append(starts, i)
		}
		for k := len(starts) - 1; k >= 0; k-- {
			i := starts[k]
			end := commandEnd(s.textFile, i, sec.end)
			if !autoreconfCommand.MatchString(joinCommand(s.textFile, i, end)) {
				continue
			}
			for j := i; j < end; j++ {
				s.lines[j].text = commentRecipeLine(strings.ReplaceAll(s.lines[j].text, "%", "%%"))
			}
			s.insert(i, autoreconfComment)
			n++
		}
	}
	return n
}

// commandEnd is the index after the shell command starting at line i: the
// lines it continues onto with a trailing backslash, up to limit.
func commandEnd(f *textFile, i, limit int) int {
	for i < limit-1 && strings.HasSuffix(f.lines[i].text, "\\") {
		i++
	}
	return i + 1
}

// joinCommand is the command on lines [i, end) as one line.
func joinCommand(f *textFile, i, end int) string {
	parts := make([]string, 0, end-i)
	for j := i; j < end; j++ {
		parts = append(parts, strings.TrimSpace(strings.TrimSuffix(f.lines[j].text, "\\")))
	}
	return strings.Join(parts, " ")
}
