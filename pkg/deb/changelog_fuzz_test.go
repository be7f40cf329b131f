package deb

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

func addFixtureSeeds(f *testing.F, add func(data []byte)) {
	for _, data := range fixtures(f) {
		add(data)
	}
	for _, tt := range acceptedCases {
		add([]byte(tt.data))
	}
	for _, tt := range malformedCases {
		add([]byte(tt.data))
	}
}

// FuzzReadChangelog: no input panics, ReadTopEntry agrees with the first
// entry of ReadChangelog, and the top entry survives FormatEntry.
func FuzzReadChangelog(f *testing.F) {
	addFixtureSeeds(f, func(data []byte) { f.Add(data) })
	f.Fuzz(func(t *testing.T, data []byte) {
		top, topErr := ReadTopEntry("fuzz", data)
		entries, err := ReadChangelog("fuzz", data)
		if err != nil {
			return
		}
		if topErr != nil {
			t.Fatalf("ReadChangelog accepts what ReadTopEntry rejects: %v", topErr)
		}
		if !entriesEqual(top, entries[0]) {
			t.Fatalf("ReadTopEntry = %+v\nReadChangelog[0] = %+v", top, entries[0])
		}
		formatted := FormatEntry(top)
		again, err := ReadTopEntry("formatted", formatted)
		if err != nil {
			t.Fatalf("FormatEntry output does not parse: %v\n%s", err, formatted)
		}
		if again.Source != top.Source || again.Version != top.Version ||
			again.Distribution != top.Distribution || !slices.Equal(again.Distributions, top.Distributions) ||
			again.Urgency != top.Urgency || again.Maintainer != top.Maintainer || !again.Date.Equal(top.Date) {
			t.Fatalf("round trip changed the entry:\n%+v\n%+v\n%s", top, again, formatted)
		}
		if err := top.Validate(); err != nil {
			t.Fatalf("Validate of a parsed entry: %v", err)
		}
	})
}

// FuzzPrependEntry: no input panics, the new entry is read back on top, and
// the old content follows byte for byte.
func FuzzPrependEntry(f *testing.F) {
	addFixtureSeeds(f, func(data []byte) { f.Add(data, "hello", "2.10-3+bp1", "Fix CVE-2024-12345.") })
	f.Add([]byte("x\r\n"), "Hello", "v1", "")
	f.Fuzz(func(t *testing.T, data []byte, source, version, item string) {
		e := NewEntry(source, version, "bookworm", "high", []string{item, "Built by backport."},
			"Jane Doe <jane@example.com>", time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
		out := PrependEntry(data, e)
		if !bytes.HasSuffix(out, data) {
			t.Fatal("the old content does not follow byte for byte")
		}
		entry := FormatEntry(e)
		if len(data) > 0 {
			entry = append(entry, '\n')
			if usesCRLF(data) {
				entry = bytes.ReplaceAll(entry, []byte("\n"), []byte("\r\n"))
			}
		}
		if !bytes.Equal(out[:len(out)-len(data)], entry) {
			t.Fatalf("PrependEntry wrote\n%q\nbefore the old content, want\n%q", out[:len(out)-len(data)], entry)
		}
		if e.Validate() != nil {
			return // an invalid source or version cannot read back
		}
		top, err := ReadTopEntry("fuzz", out)
		if err != nil {
			t.Fatalf("the new entry does not parse: %v\n%s", err, out)
		}
		if top.Source != source || top.Version != version || top.Line != 1 ||
			!slices.Equal(top.Changes, e.Changes) || top.Maintainer != e.Maintainer || !top.Date.Equal(e.Date) {
			t.Fatalf("top entry = %+v, want %+v", top, e)
		}
	})
}
