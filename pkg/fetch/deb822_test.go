package fetch

import (
	"io"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestParagraphReader(t *testing.T) {
	t.Parallel()
	in := "# leading comment\n\n\nPackage: hello\r\nDescription: greets\r\n the world\r\n .\r\n twice\r\n" +
		"Checksums-Sha256:\n " + sumA + " 1 a.dsc\n\t" + sumB + " 2 b.tar.gz\n" +
		"  \t\n" + // a whitespace-only line ends a paragraph, as in apt
		"package: goodbye\nEmpty:\nLast: no newline"
	pr := newParagraphReader(strings.NewReader(in))
	want := []paragraph{
		{"package": "hello", "description": "greets\nthe world\n\ntwice",
			"checksums-sha256": sumA + " 1 a.dsc\n" + sumB + " 2 b.tar.gz"},
		{"package": "goodbye", "empty": "", "last": "no newline"},
	}
	for i, w := range want {
		got, err := pr.next()
		if err != nil {
			t.Fatalf("paragraph %d: %v", i, err)
		}
		if !maps.Equal(got, w) {
			t.Errorf("paragraph %d = %q, want %q", i, got, w)
		}
	}
	if _, err := pr.next(); err != io.EOF {
		t.Errorf("after the last paragraph: %v, want io.EOF", err)
	}
	if got := want[0].get("Checksums-SHA256"); got == "" {
		t.Error("field lookup is case-sensitive")
	}
}

func TestParagraphReaderRejects(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"continuation first": " orphan\n",
		"no colon":           "Package hello\n",
		"space in name":      "Pack age: hello\n",
		"repeated field":     "Package: a\nVersion: 1\npackage: b\n",
	} {
		if _, err := newParagraphReader(strings.NewReader(in)).next(); err == nil || err == io.EOF {
			t.Errorf("%s: err = %v, want a parse error", name, err)
		}
	}
}

func TestParseDsc(t *testing.T) {
	t.Parallel()
	body := "Format: 3.0 (quilt)\nSource: hello\nVersion: 2.10-3\nChecksums-Sha256:\n " +
		sumA + " 708 hello_2.10.orig.tar.gz\n " + sumB + " 12 hello_2.10-3.debian.tar.xz\n"
	key := newTestKey(t, "Uploader")
	for name, data := range map[string][]byte{
		"plain":       []byte(body),
		"clearsigned": clearsignAt(t, []byte(body), time.Now(), key),
	} {
		d, err := ParseDsc(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d.Source != "hello" || d.Version != "2.10-3" || d.Format != "3.0 (quilt)" || len(d.Files) != 2 ||
			d.Files["hello_2.10.orig.tar.gz"].Size != 708 || d.Files["hello_2.10-3.debian.tar.xz"].SHA256 != sumB {
			t.Errorf("%s: parsed %+v", name, d)
		}
	}
	for name, data := range map[string]string{
		"path in a file name": strings.Replace(body, "hello_2.10.orig", "../hello_2.10.orig", 1),
		"no checksums":        "Source: hello\nVersion: 1\n",
		"no source":           "Version: 1\nChecksums-Sha256:\n " + sumA + " 1 a\n",
		"nested signature":    "-----BEGIN PGP SIGNED MESSAGE-----\n\n" + body,
	} {
		if _, err := ParseDsc([]byte(data)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestParseSourceParagraphRefusesUnsafePaths(t *testing.T) {
	t.Parallel()
	ref := SuiteRef{Mirror: "http://127.0.0.1:1", Suite: "stable"}
	good := paragraph{"package": "hello", "version": "1.0-1", "directory": "pool/main/h/hello",
		"checksums-sha256": sumA + " 10 hello_1.0-1.dsc"}
	pkg, err := parseSourceParagraph(good, ref)
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Files[0].URL != "http://127.0.0.1:1/pool/main/h/hello/hello_1.0-1.dsc" {
		t.Errorf("URL %s", pkg.Files[0].URL)
	}
	for _, bad := range []paragraph{
		{"directory": "../../etc", "checksums-sha256": sumA + " 10 hello_1.0-1.dsc"},
		{"directory": "/etc", "checksums-sha256": sumA + " 10 hello_1.0-1.dsc"},
		{"directory": "pool/main/h/hello", "checksums-sha256": sumA + " 10 ../hello_1.0-1.dsc"},
		{"directory": "pool/main/h/hello", "checksums-sha256": sumA + " 10 .."},
	} {
		bad["package"], bad["version"] = "hello", "1.0-1"
		if _, err := parseSourceParagraph(bad, ref); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
}

func FuzzParseDsc(f *testing.F) {
	f.Add([]byte("Source: a\nVersion: 1\nChecksums-Sha256:\n " + sumA + " 1 a.tar.gz\n"))
	f.Add([]byte("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSource: a\n-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDsc(data)
		if err != nil {
			return
		}
		for name := range d.Files {
			if checkFileName(name) != nil {
				t.Errorf("unsafe name %q accepted", name)
			}
		}
	})
}
