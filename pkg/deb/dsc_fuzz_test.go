package deb

import (
	"os"
	"strings"
	"testing"
)

// FuzzParseDsc: no input panics, every error is one line naming the file,
// and whatever is accepted has what UnpackSource relies on: a valid source
// name and version, a normalised format, and plain, unique file names with
// full-length hashes.
func FuzzParseDsc(f *testing.F) {
	if data, err := os.ReadFile(helloDsc); err == nil {
		f.Add(data)
	}
	f.Add([]byte(minimalDsc))
	f.Add([]byte(signed(minimalDsc)))
	for _, c := range dscMalformedCases {
		f.Add([]byte(c.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDsc("fuzz.dsc", data)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "fuzz.dsc:") || strings.Contains(msg, "\n") {
				t.Fatalf("error is not one line naming the file: %q", msg)
			}
			return
		}
		if !sourceNameRe.MatchString(d.Source) {
			t.Fatalf("accepted source name %q", d.Source)
		}
		if _, err := parseDebVersion(d.Version); err != nil {
			t.Fatalf("accepted version %q: %v", d.Version, err)
		}
		if again, err := normaliseFormat(d.Format); err != nil || again != d.Format {
			t.Fatalf("format %q is not normalised (%q, %v)", d.Format, again, err)
		}
		if len(d.Files) == 0 {
			t.Fatal("accepted a .dsc without files")
		}
		seen := map[string]bool{}
		for _, file := range d.Files {
			if !dscFileNameRe.MatchString(file.Name) || strings.Contains(file.Name, "/") || seen[file.Name] {
				t.Fatalf("accepted file name %q", file.Name)
			}
			seen[file.Name] = true
			if !isLowerHex(file.SHA256, 64) || !isLowerHex(file.MD5, 32) || file.Size < 0 {
				t.Fatalf("accepted file %+v", file)
			}
		}
	})
}
