package archivetest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
)

// Helpers for archives of several releases: a suite whose Codename differs
// from its directory (unstable is "sid"), and Contents indexes. Both edit
// a published InRelease and sign it again, so call them after Publish
// (which writes every InRelease afresh).

// SetCodename makes the suite's InRelease say Codename: codename, as
// Debian's unstable says sid while being served as dists/unstable.
func (a *Archive) SetCodename(suite, codename string) {
	a.t.Helper()
	a.editRelease(suite, func(text string) string {
		var out strings.Builder
		for line := range strings.Lines(text) {
			if strings.HasPrefix(line, "Codename:") {
				line = "Codename: " + codename + "\n"
			}
			out.WriteString(line)
		}
		return out.String()
	})
}

// AddContents publishes dists/<suite>/main/Contents-<arch>.gz listing the
// files of packages, by package name (each shipping the paths given,
// without the leading slash, in section "misc"), and adds it to the
// suite's signed InRelease. It returns the index's path below the root.
func (a *Archive) AddContents(suite, arch string, packages map[string][]string) string {
	t := a.t
	t.Helper()
	byPath := map[string][]string{}
	for pkg, paths := range packages {
		for _, p := range paths {
			byPath[p] = append(byPath[p], "misc/"+pkg)
		}
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
		sort.Strings(byPath[p])
	}
	sort.Strings(paths)
	var text strings.Builder
	for _, p := range paths {
		// dak pads the path to a column and joins locations with commas.
		fmt.Fprintf(&text, "%-60s %s\n", p, strings.Join(byPath[p], ","))
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	write(t, w, []byte(text.String()))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	name := "main/Contents-" + arch + ".gz"
	full := "dists/" + suite + "/" + name
	a.SetFile(full, gz.Bytes())
	a.editRelease(suite, func(text string) string {
		return text + fmt.Sprintf(" %x %d %s\n", sha256.Sum256(gz.Bytes()), gz.Len(), name)
	})
	return full
}

// editRelease replaces the suite's InRelease with edit(its signed text),
// signed again with the archive key. The SHA256 field is the last one
// Publish writes, so appending a line to the text adds a file to it.
func (a *Archive) editRelease(suite string, edit func(string) string) {
	t := a.t
	t.Helper()
	p := "dists/" + suite + "/InRelease"
	block, _ := clearsign.Decode(a.File(p))
	if block == nil {
		t.Fatalf("archivetest: %s is not clearsigned", p)
	}
	text := string(block.Plaintext)
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	a.SetFile(p, Clearsign(t, a.key, []byte(edit(text))))
}
