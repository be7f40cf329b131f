package remedy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/backport/backport/pkg/recipe"
)

// maxEvidence bounds Cause.Evidence: enough to show a cause, short enough
// for a report.
const maxEvidence = 10

// buildLog is one attempt's log, ready for the rules.
type buildLog struct {
	family recipe.Family
	phase  Phase
	status int
	lines  []string // ANSI stripped, one per physical line, \r progress collapsed
}

// rule recognises one class. Rules run in classifyRules order and the
// first match wins, so a specific signal comes before a generic one that
// the same log also shows (autoreconf's "not found" noise before
// build-deps-changed, guards before the remedies they would mislead).
type rule func(l *buildLog) (Cause, bool)

var classifyRules = []rule{
	classifyLibraryTransition,
	classifySymbols, // abi-break, then symbols-changed
	classifyMissingBuildDeps,
	classifyBuildDepsUnavailable,
	classifySourceRenamed,
	classifyAutoreconf,
	classifyTestsFailed,
	classifyMissingFiles,
	classifyUnpackagedFiles,
	classifyBuildDepsChanged,
	classifyRulesStepObsolete, // after every specific class: it only reads make's error line
}

// ClassifyLog says why an attempt failed. It is pure: the same input gives
// the same cause. ANSI colour and cursor escapes are stripped first, so
// evidence reads the same as the tool printed it without colour. An exit
// status of 0 gives ClassNone; a log no rule recognises gives ClassUnknown
// with the log's last lines as evidence.
func ClassifyLog(family recipe.Family, phase Phase, exitStatus int, log string) Cause {
	if exitStatus == 0 {
		return Cause{Class: ClassNone, Summary: "the " + string(phase) + " step succeeded"}
	}
	l := &buildLog{family: family, phase: phase, status: exitStatus, lines: logLines(log)}
	for _, r := range classifyRules {
		if c, ok := r(l); ok {
			c.Evidence = capLines(c.Evidence, maxEvidence)
			return c
		}
	}
	return Cause{
		Class:    ClassUnknown,
		Summary:  fmt.Sprintf("the %s step failed (exit status %d) in a way no remedy knows", phase, exitStatus),
		Evidence: l.tail(maxEvidence),
	}
}

// ansiEscape matches CSI sequences (colours, cursor moves), OSC sequences
// (terminal titles, hyperlinks), character set selections (tput sgr0
// prints "\x1b(B") and the two-byte escapes.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-?]*[ -/]*[@-~]|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|\x1b[()*+][0-9A-Za-z]|\x1b[@-Z\\\\-_]")

// StripANSI removes terminal escape sequences from s.
func StripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return ansiEscape.ReplaceAllString(s, "")
}

// logLines splits a log into lines with escapes stripped and, for lines a
// progress display rewrote with \r, only what was left on screen.
func logLines(log string) []string {
	log = StripANSI(log)
	lines := strings.Split(log, "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		if j := strings.LastIndexByte(l, '\r'); j >= 0 {
			l = l[j+1:]
		}
		lines[i] = l
	}
	return lines
}

// tail returns the last n non-blank lines.
func (l *buildLog) tail(n int) []string {
	var out []string
	for i := len(l.lines) - 1; i >= 0 && len(out) < n; i-- {
		if strings.TrimSpace(l.lines[i]) != "" {
			out = append(out, l.lines[i])
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// find returns the index of the first line matching re at or after from,
// or -1.
func (l *buildLog) find(re *regexp.Regexp, from int) int {
	for i := max(from, 0); i < len(l.lines); i++ {
		if re.MatchString(l.lines[i]) {
			return i
		}
	}
	return -1
}

// all returns the indexes of every line matching re.
func (l *buildLog) all(re *regexp.Regexp) []int {
	var out []int
	for i, line := range l.lines {
		if re.MatchString(line) {
			out = append(out, i)
		}
	}
	return out
}

// capLines keeps the first n lines.
func capLines(lines []string, n int) []string {
	if len(lines) > n {
		return lines[:n]
	}
	return lines
}

// addUnique appends s to list unless it is there already; the rules keep
// Items in log order without repeats, so a cause is the same key however
// often the log repeats a line.
func addUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// quoteList renders items for a summary line.
func quoteList(items []string) string {
	const most = 5
	if len(items) > most {
		return strings.Join(items[:most], ", ") + fmt.Sprintf(" and %d more", len(items)-most)
	}
	return strings.Join(items, ", ")
}
