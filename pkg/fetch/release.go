package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Release is the verified content of a suite's InRelease.
type Release struct {
	Origin, Label   string
	Suite, Codename string
	Date            time.Time
	ValidUntil      time.Time // zero when the archive sets no expiry
	Components      []string
	AcquireByHash   bool
	// SHA256 lists the index files the Release vouches for, by path
	// relative to dists/<suite>/ (e.g. "main/source/Sources.xz").
	SHA256 map[string]FileSum

	// Set by DebianArchive.Release, not by ParseRelease:
	Signer  Signer
	Stale   bool   // Valid-Until has passed
	Warning string // why the Release is stale, for the user
}

// ParseRelease parses the text of a Release file (the signed text of an
// InRelease, as VerifyClearsigned returns it). It does not verify anything.
func ParseRelease(data []byte) (*Release, error) {
	// A signed text that itself starts like a clearsigned document must
	// not be mistaken for one: only the outer signature was checked.
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN PGP")) {
		return nil, fmt.Errorf("release: %w", errNestedSignature)
	}
	p, err := newParagraphReader(bytes.NewReader(data)).next()
	if err == io.EOF {
		return nil, errors.New("release: empty")
	}
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	r := &Release{
		Origin:        p.get("Origin"),
		Label:         p.get("Label"),
		Suite:         p.get("Suite"),
		Codename:      p.get("Codename"),
		Components:    strings.Fields(p.get("Components")),
		AcquireByHash: strings.EqualFold(p.get("Acquire-By-Hash"), "yes"),
		SHA256:        map[string]FileSum{},
	}
	if r.Suite == "" && r.Codename == "" {
		return nil, errors.New("release: neither Suite nor Codename is set")
	}
	if s := p.get("Date"); s != "" {
		if r.Date, err = parseReleaseTime(s); err != nil {
			return nil, fmt.Errorf("release: Date: %w", err)
		}
	}
	if s := p.get("Valid-Until"); s != "" {
		if r.ValidUntil, err = parseReleaseTime(s); err != nil {
			return nil, fmt.Errorf("release: Valid-Until: %w", err)
		}
	}
	files, err := parseFileLines("SHA256", p.get("SHA256"))
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	for _, f := range files {
		r.SHA256[f.Name] = f
	}
	return r, nil
}

// Release dates are RFC 2822 dates in UTC ("Sat, 11 Jul 2026 10:16:37
// UTC"); some archives write a numeric zone or a one-digit day.
var releaseTimeLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 -0700 (MST)",
}

func parseReleaseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range releaseTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date like \"Sat, 11 Jul 2026 10:16:37 UTC\"", s)
}

// matches reports whether the Release is the one asked for: apt accepts a
// suite name ("oldstable") or a codename ("bookworm"). Checking it stops a
// mirror from answering a request for one suite with another suite's
// validly signed Release.
func (r *Release) matches(suite string) bool {
	return suite == r.Suite || suite == r.Codename
}
