package remedy

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// missing-build-deps: the build tool found declared build dependencies not
// installed. The packaging is right and the build-dependency layer is not
// (it was built for an earlier state of the packaging, or an install step
// was skipped), so there is nothing to edit: the remedy asks the loop to
// rebuild the layer (Change.Reinstall) and try again.
//
// build-deps-unavailable is its dead end: apt or dnf cannot find a declared
// dependency in the target's archive at all. No edit can fix that
// automatically (the right replacement is a human's call), so it has no
// remedy; the cause names what is missing.

var (
	dpkgUnmet       = regexp.MustCompile(`^dpkg-checkbuilddeps: (?:error: )?Unmet build dependencies: (.+?)\s*$`)
	rpmFailedDeps   = regexp.MustCompile(`^(?:error: )?Failed build dependencies:\s*$`)
	rpmNeededBy     = regexp.MustCompile(`^\s+(.+?) is needed by (\S+)\s*$`)
	aptUnlocatable  = regexp.MustCompile(`^E: (?:Unable to locate package (\S+)|Package '([^']+)' has no installation candidate)`)
	aptNotInstall   = regexp.MustCompile(`^\s*(\S+) : Depends: (.+?) but it is not (?:installable|going to be installed)`)
	dnfNoMatch      = regexp.MustCompile(`^(?:Error: )?No matching package to install: '([^']+)'`)
	dnfNothingProvs = regexp.MustCompile(`nothing provides (\S+(?: [<>=]+ \S+)?) needed by`)
)

func classifyMissingBuildDeps(l *buildLog) (Cause, bool) {
	var c Cause
	for i, line := range l.lines {
		if m := dpkgUnmet.FindStringSubmatch(line); m != nil {
			for _, rel := range splitRelations(m[1]) {
				c.Items = addUnique(c.Items, rel)
			}
			c.Evidence = append(c.Evidence, line)
		}
		if rpmFailedDeps.MatchString(line) {
			c.Evidence = append(c.Evidence, line)
			for j := i + 1; j < len(l.lines); j++ {
				m := rpmNeededBy.FindStringSubmatch(l.lines[j])
				if m == nil {
					break
				}
				c.Items = addUnique(c.Items, m[1])
				c.Evidence = append(c.Evidence, l.lines[j])
			}
			break
		}
	}
	if len(c.Items) == 0 {
		return Cause{}, false
	}
	c.Class = ClassMissingBuildDeps
	c.Summary = "build dependencies are not installed: " + quoteList(c.Items)
	return c, true
}

// splitRelations splits dpkg-checkbuilddeps' list, where relations are
// separated by blanks only: "libonig-dev (>= 6.9) bison | byacc gperf:native".
func splitRelations(s string) []string {
	var out []string
	var cur []string
	words := strings.Fields(s)
	for i := 0; i < len(words); i++ {
		w := words[i]
		if closeFor := map[byte]string{'(': ")", '[': "]", '<': ">"}[w[0]]; closeFor != "" && len(cur) > 0 {
			// a version, architecture or profile qualifier: read to its end
			group := []string{w}
			for !strings.HasSuffix(w, closeFor) && i+1 < len(words) {
				i++
				w = words[i]
				group = append(group, w)
			}
			cur = append(cur, strings.Join(group, " "))
			continue
		}
		if w == "|" {
			cur = append(cur, w)
			continue
		}
		if len(cur) > 0 && cur[len(cur)-1] != "|" {
			out = append(out, strings.Join(cur, " "))
			cur = nil
		}
		cur = append(cur, w)
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	return out
}

func classifyBuildDepsUnavailable(l *buildLog) (Cause, bool) {
	var c Cause
	for _, line := range l.lines {
		var name string
		if m := aptUnlocatable.FindStringSubmatch(line); m != nil {
			name = m[1] + m[2]
		} else if m := aptNotInstall.FindStringSubmatch(line); m != nil {
			name = m[2]
		} else if m := dnfNoMatch.FindStringSubmatch(line); m != nil {
			name = m[1]
		} else if m := dnfNothingProvs.FindStringSubmatch(line); m != nil {
			name = m[1]
		} else {
			continue
		}
		c.Items = addUnique(c.Items, name)
		c.Evidence = append(c.Evidence, line)
	}
	if len(c.Items) == 0 {
		return Cause{}, false
	}
	c.Class = ClassBuildDepsUnavailable
	c.Summary = "the target's archive cannot provide these build dependencies: " + quoteList(c.Items) +
		"; change the packaging's build dependencies in the workspace"
	return c, true
}

type missingBuildDeps struct{}

func (missingBuildDeps) Name() string         { return ClassMissingBuildDeps }
func (missingBuildDeps) Matches(c Cause) bool { return c.Class == ClassMissingBuildDeps }

// Apply edits nothing: the loop rebuilds the build-dependency layer.
func (missingBuildDeps) Apply(_ context.Context, _ Packaging, c Cause) (Change, error) {
	return Change{
		Summary:   fmt.Sprintf("reinstall build deps: %s", quoteList(c.Items)),
		Reinstall: true, Changed: true,
	}, nil
}
