package remedy

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/backport/backport/pkg/recipe"
)

// build-deps-changed: the new upstream needs a tool or library the
// packaging does not declare. configure, make, the shell, the compiler or
// the linker names it; the fix finds the package that ships it in the
// target's index (Packaging.Providers) and adds it to the build
// dependencies.
//
// Each Item is one thing the build needs, written as path patterns for the
// index lookup, alternatives joined by "|" ("usr/bin/bison|bin/bison"):
// the need is met when any alternative has a provider.

// need is one missing thing and its kind.
type need struct {
	kind string // "program", "pkg-config", "header", "library"
	name string
}

var (
	shellNotFound  = regexp.MustCompile(`^(?:\S+: )?(?:line )?\d+: ([^\s/:'"]+): (?:command )?not found\s*$`)
	bashNotFound   = regexp.MustCompile(`^\S+: ([^\s/:'"]+): command not found\s*$`)
	makeNoProgram  = regexp.MustCompile(`^g?make(?:\[\d+\])?: ([^\s/:'"]+): (?:No such file or directory|Command not found)\s*$`)
	automakeMissed = regexp.MustCompile(`^WARNING: '([^'/\s]+)' is missing on your system`)
	pkgNotFound    = regexp.MustCompile(`^\s*(?:No package '([^']+)' found|Package '?([^'\s,]+)'?,? (?:required by '[^']*', )?(?:was )?not found)`)
	mesonDep       = regexp.MustCompile(`ERROR: Dependency "([^"]+)" not found`)
	mesonProgram   = regexp.MustCompile(`ERROR: Program '([^'/\s]+)' not found`)
	headerMissing  = regexp.MustCompile(`fatal error: ([^:\s]+\.(?:h|hh|hpp|hxx)): No such file or directory`)
	libMissing     = regexp.MustCompile(`cannot find -l([^\s:]+)`)
	configureError = regexp.MustCompile(`^configure: error: (.*)$`)
	checkingNo     = regexp.MustCompile(`^checking for (.+?)\.\.\. no\s*$`)
	checkingLib    = regexp.MustCompile(`^\S+ in -l(\S+)$`)
	plainName      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
	configureNamed = regexp.MustCompile(`^'?([A-Za-z0-9][A-Za-z0-9._+-]*)'? (?:is required|not found|is missing|was not found|could not be found)`)
)

func classifyBuildDepsChanged(l *buildLog) (Cause, bool) {
	var c Cause
	var needs []need
	add := func(n need, line string) {
		if !slices.Contains(needs, n) {
			needs = append(needs, n)
			c.Evidence = append(c.Evidence, line)
		}
	}
	for i, line := range l.lines {
		switch {
		case shellNotFound.MatchString(line):
			add(need{"program", shellNotFound.FindStringSubmatch(line)[1]}, line)
		case bashNotFound.MatchString(line):
			add(need{"program", bashNotFound.FindStringSubmatch(line)[1]}, line)
		case makeNoProgram.MatchString(line):
			add(need{"program", makeNoProgram.FindStringSubmatch(line)[1]}, line)
		case automakeMissed.MatchString(line):
			add(need{"program", automakeMissed.FindStringSubmatch(line)[1]}, line)
		case mesonProgram.MatchString(line):
			add(need{"program", mesonProgram.FindStringSubmatch(line)[1]}, line)
		case pkgNotFound.MatchString(line):
			m := pkgNotFound.FindStringSubmatch(line)
			add(need{"pkg-config", m[1] + m[2]}, line)
		case mesonDep.MatchString(line):
			add(need{"pkg-config", mesonDep.FindStringSubmatch(line)[1]}, line)
		case headerMissing.MatchString(line):
			add(need{"header", headerMissing.FindStringSubmatch(line)[1]}, line)
		case libMissing.MatchString(line):
			add(need{"library", libMissing.FindStringSubmatch(line)[1]}, line)
		case configureError.MatchString(line):
			if n, ok := configureNeed(l.lines, i); ok {
				add(n, line)
			}
		}
	}
	if len(needs) == 0 {
		return Cause{}, false
	}
	var what []string
	for _, n := range needs {
		c.Items = append(c.Items, needPatterns(l.family, n))
		what = append(what, n.name+" ("+n.kind+")")
	}
	c.Class = ClassBuildDepsChanged
	c.Summary = "the build needs what no build dependency provides: " + quoteList(what)
	return c, true
}

// configureNeed reads a "configure: error:" line at i: the failed check
// just before it, when the error names what it checked, or a plain "X not
// found" message.
func configureNeed(lines []string, i int) (need, bool) {
	msg := configureError.FindStringSubmatch(lines[i])[1]
	if strings.HasPrefix(msg, "Package requirements") {
		return need{}, false // the pkg-config lines that follow name the module
	}
	for j := i - 1; j >= max(0, i-3); j-- {
		m := checkingNo.FindStringSubmatch(lines[j])
		if m == nil {
			continue
		}
		what := m[1]
		if lm := checkingLib.FindStringSubmatch(what); lm != nil && strings.Contains(msg, lm[1]) {
			return need{"library", lm[1]}, true
		}
		if plainName.MatchString(what) && strings.Contains(strings.ToLower(msg), strings.ToLower(what)) {
			return classifyName(what), true
		}
	}
	if m := configureNamed.FindStringSubmatch(msg); m != nil {
		return classifyName(m[1]), true
	}
	return need{}, false
}

// classifyName guesses what a bare name in a configure error is.
func classifyName(name string) need {
	switch {
	case strings.HasSuffix(name, ".h"):
		return need{"header", name}
	case strings.HasPrefix(name, "lib") && len(name) > 3:
		return need{"library", strings.TrimPrefix(name, "lib")}
	}
	return need{"program", name}
}

// needPatterns writes a need as index path patterns, most likely first.
func needPatterns(family recipe.Family, n need) string {
	rpm := family == recipe.FamilyRPM
	var alts []string
	switch n.kind {
	case "program":
		alts = []string{"usr/bin/" + n.name, "bin/" + n.name}
		if rpm {
			alts = alts[:1]
		}
	case "pkg-config":
		alts = []string{"usr/lib/*/pkgconfig/" + n.name + ".pc", "usr/share/pkgconfig/" + n.name + ".pc", "usr/lib/pkgconfig/" + n.name + ".pc"}
		if rpm {
			alts = []string{"usr/lib64/pkgconfig/" + n.name + ".pc", "usr/share/pkgconfig/" + n.name + ".pc"}
		}
	case "header":
		alts = []string{"usr/include/" + n.name, "usr/include/*/" + n.name}
	case "library":
		alts = []string{"usr/lib/*/lib" + n.name + ".so", "usr/lib/lib" + n.name + ".so"}
		if rpm {
			alts = []string{"usr/lib64/lib" + n.name + ".so"}
		}
	}
	return strings.Join(alts, "|")
}

type buildDepsChanged struct{}

func (buildDepsChanged) Name() string { return ClassBuildDepsChanged }
func (buildDepsChanged) Matches(c Cause) bool {
	return c.Class == ClassBuildDepsChanged && len(c.Items) > 0
}

func (buildDepsChanged) Apply(ctx context.Context, p Packaging, c Cause) (Change, error) {
	pkgs, unmet, err := lookupProviders(ctx, p, c.Items)
	if err != nil {
		return Change{}, err
	}
	if len(pkgs) == 0 {
		why := "no package in the target's index ships " + quoteList(unmet)
		if p.Providers == nil {
			why = "no package index lookup available; looked for " + quoteList(unmet)
		}
		return Change{Summary: why}, nil
	}
	var rel string
	var added []string
	if p.Family == recipe.FamilyRPM {
		rel, added, err = addBuildRequires(p, pkgs)
	} else {
		rel = "debian/control"
		var f *textFile
		if f, err = readText(p.Dir, rel); err == nil {
			if added, err = addBuildDepends(f, pkgs); err == nil && len(added) > 0 {
				err = writeText(p.Dir, rel, f)
			}
		}
	}
	if err != nil {
		return Change{}, err
	}
	if len(added) == 0 {
		return Change{Summary: rel + " already declares " + quoteList(pkgs)}, nil
	}
	summary := "added build dependencies: " + quoteList(added)
	if len(unmet) > 0 {
		summary += fmt.Sprintf("; no provider for %s", quoteList(unmet))
	}
	return Change{Summary: summary, Files: []string{rel}, Changed: true}, nil
}

// lookupProviders maps each item to a package: the provider of its first
// alternative that has one. For rpm, an item with no provider is named by
// capability instead (pkgconfig(x), or the file path), which dnf builddep
// resolves itself.
func lookupProviders(ctx context.Context, p Packaging, items []string) (pkgs, unmet []string, err error) {
	found := map[string]string{}
	if p.Providers != nil {
		var patterns []string
		for _, it := range items {
			for _, alt := range strings.Split(it, "|") {
				if !slices.Contains(patterns, alt) {
					patterns = append(patterns, alt)
				}
			}
		}
		if found, err = p.Providers(ctx, patterns); err != nil {
			return nil, nil, fmt.Errorf("looking up providers: %w", err)
		}
	}
	for _, it := range items {
		alts := strings.Split(it, "|")
		pkg := ""
		for _, alt := range alts {
			if found[alt] != "" {
				pkg = found[alt]
				break
			}
		}
		if pkg == "" && p.Family == recipe.FamilyRPM {
			pkg = rpmCapability(alts[0])
		}
		if pkg == "" {
			unmet = append(unmet, alts[0])
			continue
		}
		if !slices.Contains(pkgs, pkg) {
			pkgs = append(pkgs, pkg)
		}
	}
	return pkgs, unmet, nil
}

// rpmCapability names a file pattern as an rpm build requirement.
func rpmCapability(pattern string) string {
	if strings.ContainsAny(pattern, "*?[") {
		return ""
	}
	if _, file, ok := strings.Cut(pattern, "pkgconfig/"); ok && strings.HasSuffix(file, ".pc") {
		return "pkgconfig(" + strings.TrimSuffix(file, ".pc") + ")"
	}
	return "/" + pattern
}

// addBuildRequires adds a "BuildRequires: pkg" line per package after the
// main preamble's last unconditional BuildRequires (or its last
// unconditional tag), matching that line's spacing after the colon.
func addBuildRequires(p Packaging, pkgs []string) (rel string, added []string, err error) {
	rel, data, err := readSpec(p)
	if err != nil {
		return "", nil, err
	}
	s := parseSpecFor(p, data)
	end := s.preambleEnd()
	have := map[string]bool{}
	after, lastTag, depth := -1, -1, 0
	pad := "  "
	for i := 0; i < end; i++ {
		text := s.lines[i].text
		depth += conditionalDelta(text)
		key, value, ok := specTag(text)
		if !ok {
			continue
		}
		if strings.EqualFold(key, "BuildRequires") {
			for _, f := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
				have[f] = true
			}
			if depth == 0 {
				after = i
				colon := strings.IndexByte(text, ':')
				pad = text[colon+1 : len(text)-len(strings.TrimLeft(text[colon+1:], " \t"))]
			}
		}
		if depth == 0 {
			lastTag = i
		}
	}
	if after < 0 {
		after = lastTag
	}
	if after < 0 {
		return rel, nil, fmt.Errorf("%s: no preamble tags to add BuildRequires after", rel)
	}
	var lines []string
	for _, pkg := range pkgs {
		if have[pkg] {
			continue
		}
		have[pkg] = true
		lines = append(lines, "BuildRequires:"+pad+strings.ReplaceAll(pkg, "%", "%%"))
		added = append(added, pkg)
	}
	if len(lines) == 0 {
		return rel, nil, nil
	}
	s.insert(after+1, lines...)
	return rel, added, writeText(p.Dir, rel, s.textFile)
}
