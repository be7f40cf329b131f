package patch

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// changeFilePrefixes name the top-level files where upstreams list what a
// release fixed: NEWS, NEWS.md, ChangeLog, CHANGES, CHANGELOG.md, HISTORY…
var changeFilePrefixes = []string{"news", "changelog", "changes", "history", "release-notes", "release_notes", "releasenotes"}

// maxChangeFile bounds how much of one change file is read; the newest
// entries come first in all the common layouts.
const maxChangeFile = 32 << 20

// cveNote is a line of an upstream change file that names CVE ids.
type cveNote struct {
	file string // relative to the tree
	line int    // 1-based
	text string
	cves []string
}

func (n cveNote) evidence() string {
	text := strings.TrimSpace(n.text)
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return fmt.Sprintf("%s:%d: %s", n.file, n.line, text)
}

// readCVENotes collects the CVE-naming lines of the tree's top-level change
// files. It is read once, before any patch touches the tree.
func readCVENotes(tree string) ([]cveNote, error) {
	entries, err := os.ReadDir(tree)
	if err != nil {
		return nil, err
	}
	var notes []cveNote
	for _, e := range entries {
		if !e.Type().IsRegular() || !isChangeFile(e.Name()) {
			continue
		}
		f, err := os.Open(filepath.Join(tree, e.Name()))
		if err != nil {
			return nil, err
		}
		found, err := scanCVENotes(e.Name(), io.LimitReader(f, maxChangeFile))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", e.Name(), err)
		}
		notes = append(notes, found...)
	}
	return notes, nil
}

func isChangeFile(name string) bool {
	lower := strings.ToLower(name)
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst", ".orig", ".rej"} {
		if strings.HasSuffix(lower, ext) {
			return false
		}
	}
	for _, p := range changeFilePrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return false
}

func scanCVENotes(name string, r io.Reader) ([]cveNote, error) {
	var notes []cveNote
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if bytes.IndexByte(line, 0) >= 0 {
			return nil, nil // binary: not a change file after all
		}
		if !bytes.Contains(bytes.ToUpper(line), []byte("CVE-")) {
			continue
		}
		if ids := appendCVEs(nil, string(line)); len(ids) > 0 {
			notes = append(notes, cveNote{file: name, line: n, text: string(line), cves: ids})
		}
	}
	if err := sc.Err(); err != nil && err != bufio.ErrTooLong {
		return nil, err
	}
	return notes, nil
}

// findCVENote returns the first note naming one of the ids.
func findCVENote(notes []cveNote, ids []string) (string, cveNote, bool) {
	for _, id := range ids {
		for _, n := range notes {
			if contains(n.cves, id) {
				return id, n, true
			}
		}
	}
	return "", cveNote{}, false
}
