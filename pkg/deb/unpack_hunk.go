package deb

import (
	"fmt"
	"strings"
)

// applyHunks applies a file's hunks to its lines (each with its newline,
// the last possibly without) and returns the new content.
//
// It places hunks the way GNU patch does with -F0 (locate_hunk): the old
// lines must match exactly, at the line the header names shifted by the
// offset earlier hunks needed, else at the nearest line that matches,
// trying after before before; never overlapping an earlier hunk. A hunk
// whose leading context is shorter than its trailing one can only match at
// the start of the file, and one whose trailing context is shorter only at
// the end, because diff only shortens context at the file's edges. No line
// is ever skipped as fuzz: a distro change that no longer fits must fail
// here, not land somewhere else.
func applyHunks(lines []string, hunks []diffHunk) (string, error) {
	var out strings.Builder
	frozen := 0   // input lines already copied or replaced
	inOffset := 0 // how far earlier hunks landed from where they said
	for i, h := range hunks {
		oldLines, newLines := h.sides()
		where, ok := locateHunk(lines, oldLines, h, frozen, &inOffset)
		if !ok {
			return "", fmt.Errorf("hunk #%d (diff line %d) does not apply", i+1, h.line)
		}
		start := where - 1
		for _, l := range lines[frozen:start] {
			out.WriteString(l)
		}
		for _, l := range newLines {
			out.WriteString(l)
		}
		frozen = start + len(oldLines)
	}
	for _, l := range lines[frozen:] {
		out.WriteString(l)
	}
	return out.String(), nil
}

// sides returns the hunk's old lines (context and removed) and new lines
// (context and added).
func (h diffHunk) sides() (oldLines, newLines []string) {
	for _, l := range h.lines {
		if l.op != '+' {
			oldLines = append(oldLines, l.text)
		}
		if l.op != '-' {
			newLines = append(newLines, l.text)
		}
	}
	return oldLines, newLines
}

// contextCounts returns the number of context lines before the first change
// and after the last; changes is false for a hunk that changes nothing.
func (h diffHunk) contextCounts() (prefix, suffix int, changes bool) {
	first, last := -1, -1
	for i, l := range h.lines {
		if l.op != ' ' {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return 0, 0, false
	}
	return first, len(h.lines) - 1 - last, true
}

// locateHunk returns the 1-based input line where the hunk's old lines
// start, updating inOffset as patch does; ok is false when it fits nowhere.
func locateHunk(lines, oldLines []string, h diffHunk, frozen int, inOffset *int) (where int, ok bool) {
	first := h.oldStart
	if h.oldCount == 0 {
		first++ // "-5,0" inserts after line 5
	}
	guess := first + *inOffset
	patLines := len(oldLines)
	inputLines := len(lines)
	if patLines == 0 {
		// An empty old side matches anywhere; patch takes it at its word.
		return guess, guess-1 >= frozen && guess-1 <= inputLines
	}
	prefix, suffix, changes := h.contextCounts()
	if !changes {
		return 0, false
	}
	context := max(prefix, suffix)
	prefixShort, suffixShort := prefix < context, suffix < context
	maxPos := inputLines - patLines + 1 - guess // furthest shift down
	maxNeg := guess - (frozen + 1)              // furthest shift up
	if guess <= maxNeg {
		maxNeg = guess - 1 // never before line 1
	}
	matches := func(at int) bool {
		if at < frozen+1 || at-1+patLines > inputLines {
			return false
		}
		for i, want := range oldLines {
			if lines[at-1+i] != want {
				return false
			}
		}
		return true
	}
	take := func(offset int) (int, bool) {
		*inOffset += offset
		return guess + offset, true
	}
	switch {
	case prefixShort && h.oldStart <= 1:
		// Only at the start of the file.
		offset := 1 - guess
		if frozen <= prefix && offset <= maxPos && matches(guess+offset) {
			return take(offset)
		}
		return 0, false
	case suffixShort:
		// Only at the end of the file.
		offset := (inputLines - patLines + 1) - guess
		if -offset <= maxNeg && matches(guess+offset) {
			return take(offset)
		}
		return 0, false
	}
	for k := 0; k <= max(maxPos, maxNeg); k++ {
		if k <= maxPos && matches(guess+k) {
			return take(k)
		}
		if k <= maxNeg && matches(guess-k) {
			return take(-k)
		}
	}
	return 0, false
}
