package fetch

import (
	"strings"
	"testing"
)

// A Sources paragraph as the archive writes it (fields in its order, the
// .dsc listed with the other files, Package for Source) becomes the .dsc
// dpkg-source wrote.
func TestDscFromParagraph(t *testing.T) {
	t.Parallel()
	const index = `Package: tool
Format: 3.0 (quilt)
Binary: tool, libtool1
Architecture: any
Version: 1.2-3
Maintainer: A Maintainer <a@example.invalid>
Standards-Version: 4.6.2
Build-Depends: debhelper-compat (= 13),
 libfoo-dev
Package-List:
 libtool1 deb libs optional arch=any
 tool deb utils optional arch=any
Directory: pool/main/t/tool
Priority: optional
Section: misc
Vcs-Git: https://salsa.example/tool.git
Files:
 00000000000000000000000000000001 100 tool_1.2-3.dsc
 00000000000000000000000000000002 2000 tool_1.2.orig.tar.gz
 00000000000000000000000000000003 300 tool_1.2-3.debian.tar.xz
Checksums-Sha256:
 1111111111111111111111111111111111111111111111111111111111111111 100 tool_1.2-3.dsc
 2222222222222222222222222222222222222222222222222222222222222222 2000 tool_1.2.orig.tar.gz
 3333333333333333333333333333333333333333333333333333333333333333 300 tool_1.2-3.debian.tar.xz
Dgit: abcdef

`
	const want = `Format: 3.0 (quilt)
Source: tool
Binary: tool, libtool1
Architecture: any
Version: 1.2-3
Maintainer: A Maintainer <a@example.invalid>
Standards-Version: 4.6.2
Vcs-Git: https://salsa.example/tool.git
Build-Depends: debhelper-compat (= 13),
 libfoo-dev
Package-List:
 libtool1 deb libs optional arch=any
 tool deb utils optional arch=any
Checksums-Sha256:
 2222222222222222222222222222222222222222222222222222222222222222 2000 tool_1.2.orig.tar.gz
 3333333333333333333333333333333333333333333333333333333333333333 300 tool_1.2-3.debian.tar.xz
Files:
 00000000000000000000000000000002 2000 tool_1.2.orig.tar.gz
 00000000000000000000000000000003 300 tool_1.2-3.debian.tar.xz
Dgit: abcdef
`
	p, err := newParagraphReader(strings.NewReader(index)).next()
	if err != nil {
		t.Fatal(err)
	}
	got, err := dscFromParagraph(p, "tool_1.2-3.dsc")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	d, err := ParseDsc(got)
	if err != nil || d.Source != "tool" || len(d.Files) != 2 {
		t.Errorf("ParseDsc = %+v, %v", d, err)
	}

	delete(p, "checksums-sha256")
	if _, err := dscFromParagraph(p, "tool_1.2-3.dsc"); err == nil {
		t.Error("a paragraph without Checksums-Sha256 gave a .dsc")
	}
}
