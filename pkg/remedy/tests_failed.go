package remedy

import (
	"context"
	"regexp"
)

// tests-failed: the package's test suite failed (dh_auto_test, an
// override_dh_auto_test, or rpm's %check). Skipping tests hides real
// breakage, so the remedy runs only with --allow-skip-tests (For checks
// Options.AllowSkipTests), edits nothing, and asks the loop to rebuild
// with nocheck; the report says so in red.

var (
	dhAutoTestFail = regexp.MustCompile(`^dh_auto_test: (?:error: )?.*(?:returned exit code|died with)`)
	overrideTest   = regexp.MustCompile(`^make(?:\[\d+\])?: \*\*\* \[[^\]]*(?:override_dh_auto_test|:\s*(?:check|test|tests))\] Error \d+`)
	rpmCheckFail   = regexp.MustCompile(`^(?:error: )?Bad exit status from \S+ \(%check\)`)
	// the lines that say which tests failed, for evidence
	testFailure = regexp.MustCompile(`^(?:FAIL|ERROR|XPASS): |^# (?:FAIL|ERROR): +[1-9]|^\d+% tests passed, \d+ tests failed|^The following tests FAILED:|^Summary of Failures:|^FAILED |^Ok:.*Fail: +[1-9]|^=+ .*\bfailed\b.* =+$`)
)

func classifyTestsFailed(l *buildLog) (Cause, bool) {
	var at []int
	for _, re := range []*regexp.Regexp{dhAutoTestFail, overrideTest, rpmCheckFail} {
		at = append(at, l.all(re)...)
	}
	if len(at) == 0 {
		return Cause{}, false
	}
	c := Cause{Class: ClassTestsFailed}
	for _, i := range l.all(testFailure) {
		c.Evidence = append(c.Evidence, l.lines[i])
	}
	c.Evidence = capLines(c.Evidence, maxEvidence-1)
	c.Evidence = append(c.Evidence, l.lines[at[0]])
	c.Summary = "the package's tests failed"
	return c, true
}

type testsFailed struct{}

func (testsFailed) Name() string         { return ClassTestsFailed }
func (testsFailed) Matches(c Cause) bool { return c.Class == ClassTestsFailed }

// Apply edits nothing: the next build skips the tests
// (DEB_BUILD_OPTIONS=nocheck, rpmbuild --nocheck).
func (testsFailed) Apply(context.Context, Packaging, Cause) (Change, error) {
	return Change{Summary: "the next build skips the tests (nocheck): they failed", Nocheck: true, Changed: true}, nil
}
