package patch

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		text string
		want Header // Fields not compared
	}{
		{name: "dep3", text: "Description: fix a crash in the parser\n" +
			" The parser read past the end of a short buffer.\n .\n Fixes CVE-2023-50246.\n" +
			"Origin: upstream, https://github.com/o/r/commit/71c2ab509a8628dbbad4bc7b3f98a64aa90d3297\n" +
			"Bug: https://github.com/o/r/issues/2854\nBug-Debian: https://bugs.debian.org/1056999\n" +
			"Forwarded: not-needed\nApplied-Upstream: 1.7.1, https://github.com/o/r/commit/71c2ab5\n" +
			"Last-Update: 2023-12-20\n---\nThis line is not a field: CVE-2099-0001\n--- a/x.c\n+++ b/x.c\n",
			want: Header{
				Description:     "fix a crash in the parser\nThe parser read past the end of a short buffer.\n\nFixes CVE-2023-50246.",
				Origin:          "upstream, https://github.com/o/r/commit/71c2ab509a8628dbbad4bc7b3f98a64aa90d3297",
				Bugs:            []string{"https://github.com/o/r/issues/2854", "https://bugs.debian.org/1056999"},
				Forwarded:       "not-needed",
				AppliedUpstream: "1.7.1, https://github.com/o/r/commit/71c2ab5",
				LastUpdate:      "2023-12-20",
				CVEs:            []string{"CVE-2023-50246"},
			}},
		{name: "git format-patch", text: "From 4d2f1a9c Mon Sep 17 00:00:00 2001\nFrom: Jane Doe <jane@example.com>\n" +
			"Date: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: [PATCH 2/5] Fix cve-2024-1234 and\n CVE-2024-5678\n\n" +
			"Longer text.\n---\n x.c | 2 +-\n\ndiff --git a/x.c b/x.c\n",
			want: Header{
				Description: "Fix cve-2024-1234 and\nCVE-2024-5678",
				Author:      "Jane Doe <jane@example.com>",
				CVEs:        []string{"CVE-2024-1234", "CVE-2024-5678"},
			}},
		{name: "quilt free text", text: "Make the tests pass on big-endian machines.\n\nSigned-off-by: A <a@example.com>\n" +
			"Index: foo-1.0/x.c\n===================================================================\n--- foo-1.0.orig/x.c\n+++ foo-1.0/x.c\n",
			want: Header{}},
		{name: "no header", text: "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-Description: no\n+Origin: no\n", want: Header{}},
		{name: "cve id boundaries", text: "Description: CVE-2021-1234567 and xCVE-2021-0001 and CVE-2021-123\n",
			want: Header{Description: "CVE-2021-1234567 and xCVE-2021-0001 and CVE-2021-123", CVEs: []string{"CVE-2021-1234567"}}},
		{name: "empty", text: "", want: Header{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := ParseHeader([]byte(c.text))
			got := h
			got.Fields = nil
			if got.Description != c.want.Description || got.Origin != c.want.Origin || got.Author != c.want.Author ||
				got.Forwarded != c.want.Forwarded || got.AppliedUpstream != c.want.AppliedUpstream ||
				got.LastUpdate != c.want.LastUpdate || !slices.Equal(got.Bugs, c.want.Bugs) || !slices.Equal(got.CVEs, c.want.CVEs) {
				t.Errorf("ParseHeader =\n%#v\nwant\n%#v", got, c.want)
			}
		})
	}
}

func TestHeaderFieldLines(t *testing.T) {
	t.Parallel()
	h := ParseHeader([]byte("Author: A\n\nApplied-Upstream: 2.0\n--- a/x\n+++ b/x\n"))
	f, ok := h.Get("applied-upstream")
	if !ok || f.Line != 3 || f.Raw != "Applied-Upstream: 2.0" || f.Value != "2.0" {
		t.Errorf("Get(applied-upstream) = %+v, %v", f, ok)
	}
}

func TestAppliedUpstreamRef(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, ver, commit string }{
		{"1.7", "1.7", ""},
		{"1.7.1, https://github.com/o/r/commit/71c2ab509a86", "1.7.1", "71c2ab509a86"},
		{"v2.3.0", "2.3.0", ""},
		{"version 2.12", "2.12", ""},
		{"in 3.0 (https://example.org/r/commit/?id=deadbeef12)", "3.0", "deadbeef12"},
		{"commit:4d2f1a9c", "", "4d2f1a9c"},
		{"https://github.com/o/r/commit/71c2ab509a8628dbbad4bc7b3f98a64aa90d3297", "", "71c2ab509a8628dbbad4bc7b3f98a64aa90d3297"},
		{"upstream, 4d2f1a9c1b", "", "4d2f1a9c1b"},
		{"https://gitlab.com/o/r/-/merge_requests/12", "", ""},
		{"yes", "", ""},
		{"", "", ""},
	}
	for _, c := range cases {
		ver, commit := appliedUpstreamRef(c.in)
		if ver != c.ver || commit != c.commit {
			t.Errorf("appliedUpstreamRef(%q) = %q, %q; want %q, %q", c.in, ver, commit, c.ver, c.commit)
		}
	}
}

var cveFormat = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte("Description: x\n more\n .\nOrigin: upstream\nApplied-Upstream: 1.2\nBug-Debian: 1\n---\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"))
	f.Add([]byte("From: A\nSubject: [PATCH] CVE-2020-12345\n\ndiff --git a/x b/x\nnew file mode 100644\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+x\n"))
	f.Add([]byte("Index: a/b\n====\n*** a/b\n--- a/b\n***************\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := ParseHeader(data)
		lines := strings.SplitAfter(string(data), "\n")
		for _, fl := range h.Fields {
			if fl.Line < 1 || fl.Line > len(lines) {
				t.Fatalf("field %q at line %d of %d", fl.Name, fl.Line, len(lines))
			}
			if strings.TrimRight(lines[fl.Line-1], "\r\n") != fl.Raw {
				t.Fatalf("field %q: Raw %q is not line %d %q", fl.Name, fl.Raw, fl.Line, lines[fl.Line-1])
			}
		}
		seen := map[string]bool{}
		for _, id := range h.CVEs {
			if !cveFormat.MatchString(id) || seen[id] {
				t.Fatalf("CVEs %q: bad or repeated id %q", h.CVEs, id)
			}
			seen[id] = true
		}
		p := parsePatch(data)
		end := p.preambleEnd
		for _, s := range p.sections {
			if s.start < end || s.end <= s.start || s.end > len(p.lines) {
				t.Fatalf("section [%d,%d) after %d of %d lines", s.start, s.end, end, len(p.lines))
			}
			end = s.end
		}
		appliedUpstreamRef(h.AppliedUpstream)
	})
}
