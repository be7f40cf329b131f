package remedy

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/backport/backport/pkg/recipe"
)

// rules-step-obsolete: an extra command the distro added to an override
// target of debian/rules works on something the new upstream no longer
// has (bookworm's jq 1.6 packaging runs `cd docs && rake manpage`; jq 1.8
// dropped the Rakefile and ships jq.1 prebuilt). make names the failing
// recipe line; the fix comments out that one command, never a dh_ call,
// and the report marks it for review.

// ClassRulesStepObsolete is a debian/rules override command whose input
// the new upstream dropped.
const ClassRulesStepObsolete = "rules-step-obsolete"

var (
	// makeRulesError is GNU make's report of a failed recipe line.
	makeRulesError = regexp.MustCompile(`^make(?:\[\d+\])?: \*\*\* \[debian/rules:(\d+): (override_[A-Za-z0-9_-]+)\] Error \d+`)
	// missingInput is what a command prints when what it works on is gone.
	missingInput = regexp.MustCompile(`No Rakefile found|No such file or directory|can't cd to|cannot stat|No rule to make target|does not exist`)
)

func classifyRulesStepObsolete(l *buildLog) (Cause, bool) {
	if l.family != recipe.FamilyDeb {
		return Cause{}, false
	}
	for i := len(l.lines) - 1; i >= 0; i-- {
		m := makeRulesError.FindStringSubmatch(l.lines[i])
		if m == nil {
			continue
		}
		// The override's own output runs from make's "debian/rules
		// <target>" line (dh prints it) to the error.
		from := i - 1
		for from > 0 && !strings.Contains(l.lines[from], "debian/rules "+m[2]) {
			from--
		}
		for j := from; j < i; j++ {
			if missingInput.MatchString(l.lines[j]) {
				return Cause{
					Class:    ClassRulesStepObsolete,
					Summary:  fmt.Sprintf("a command in %s (debian/rules line %s) needs what the new upstream no longer has", m[2], m[1]),
					Evidence: []string{l.lines[j], l.lines[i]},
					Items:    []string{m[1], m[2]},
				}, true
			}
		}
		return Cause{}, false
	}
	return Cause{}, false
}

type rulesStepObsolete struct{}

func (rulesStepObsolete) Name() string         { return ClassRulesStepObsolete }
func (rulesStepObsolete) Matches(c Cause) bool { return c.Class == ClassRulesStepObsolete }

func (rulesStepObsolete) Apply(_ context.Context, p Packaging, c Cause) (Change, error) {
	const rel = "debian/rules"
	if p.Family != recipe.FamilyDeb || len(c.Items) != 2 {
		return Change{Summary: "no debian/rules line to drop"}, nil
	}
	n, err := strconv.Atoi(c.Items[0])
	if err != nil || n < 1 {
		return Change{Summary: "make named no usable line of " + rel}, nil
	}
	f, err := readText(p.Dir, rel)
	if err != nil {
		return Change{}, err
	}
	i := n - 1
	if i >= len(f.lines) || !strings.HasPrefix(f.lines[i].text, "\t") {
		return Change{Summary: fmt.Sprintf("%s:%d is not a recipe line", rel, n)}, nil
	}
	// The line must belong to the override make named.
	target := i - 1
	for target >= 0 && (strings.HasPrefix(f.lines[target].text, "\t") || strings.TrimSpace(f.lines[target].text) == "" || strings.HasPrefix(f.lines[target].text, "#")) {
		target--
	}
	if target < 0 || !strings.HasPrefix(f.lines[target].text, c.Items[1]+":") {
		return Change{Summary: fmt.Sprintf("%s:%d is not in %s", rel, n, c.Items[1])}, nil
	}
	end := commandEnd(f, i, len(f.lines))
	cmd := joinCommand(f, i, end)
	switch {
	case strings.HasPrefix(cmd, "#"):
		return Change{Summary: fmt.Sprintf("%s:%d is already commented out", rel, n)}, nil
	case strings.HasPrefix(cmd, "dh_") || strings.HasPrefix(cmd, "dh "):
		return Change{Summary: fmt.Sprintf("%s:%d is a debhelper step (%s), which backport does not drop", rel, n, cmd)}, nil
	}
	for j := i; j < end; j++ {
		f.lines[j].text = commentRecipeLine(f.lines[j].text)
	}
	f.insert(i, "\t# backport: the new upstream has no input for the next command; dropped (review it)")
	if err := writeText(p.Dir, rel, f); err != nil {
		return Change{}, err
	}
	return Change{
		Summary: fmt.Sprintf("dropped `%s` from %s in %s (review it)", cmd, c.Items[1], rel),
		Files:   []string{rel}, Changed: true,
	}, nil
}
