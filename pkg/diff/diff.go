// Package diff renders unified diffs the way diff -u and patch expect them,
// including files that do not end in a newline.
package diff

import (
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

const noNewline = "\\ No newline at end of file\n"

// Unified returns the unified diff from a to b with three lines of context,
// or "" when they are equal. The line matching is difflib's; the rendering
// is ours because difflib mishandles a missing final newline.
func Unified(fromName, toName, a, b string) string {
	if a == b {
		return ""
	}
	al, bl := splitLines(a), splitLines(b)
	m := difflib.NewMatcher(al, bl)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", fromName, toName)
	for _, group := range m.GetGroupedOpCodes(3) {
		first, last := group[0], group[len(group)-1]
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(first.I1, last.I2), hunkRange(first.J1, last.J2))
		for _, op := range group {
			switch op.Tag {
			case 'e':
				writeLines(&sb, ' ', al[op.I1:op.I2])
			case 'r':
				writeLines(&sb, '-', al[op.I1:op.I2])
				writeLines(&sb, '+', bl[op.J1:op.J2])
			case 'd':
				writeLines(&sb, '-', al[op.I1:op.I2])
			case 'i':
				writeLines(&sb, '+', bl[op.J1:op.J2])
			}
		}
	}
	return sb.String()
}

// splitLines keeps each line's "\n", so that a last line without one
// differs from the same line with one.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func writeLines(sb *strings.Builder, prefix byte, lines []string) {
	for _, l := range lines {
		sb.WriteByte(prefix)
		sb.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			sb.WriteString("\n" + noNewline)
		}
	}
}

// hunkRange formats a hunk's start and length as diff -u does: 1-based
// start, the length omitted when it is 1, and start-1 for an empty range.
func hunkRange(start, end int) string {
	n := end - start
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
