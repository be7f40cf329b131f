package fetch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/exitcode"
)

func readYumTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "yum", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseRepoMD(t *testing.T) {
	t.Parallel()
	md, err := parseRepoMD(readYumTestdata(t, "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if md.Revision != "1715000000" || len(md.Data) != 3 {
		t.Fatalf("repomd = %+v", md)
	}
	primary, ok := md.Find("primary")
	want := RepoData{
		Type:         "primary",
		Location:     "repodata/a3f1c0de00000000000000000000000000000000000000000000000000000001-primary.xml.gz",
		Checksum:     RepoChecksum{"sha256", "a3f1c0de00000000000000000000000000000000000000000000000000000001"},
		OpenChecksum: RepoChecksum{"sha256", "a3f1c0de00000000000000000000000000000000000000000000000000000002"},
		Size:         2048,
		OpenSize:     16384,
	}
	if !ok || primary != want {
		t.Errorf("primary = %+v\nwant      %+v", primary, want)
	}
	if fl, _ := md.Find("filelists"); fl.Checksum.Type != "sha1" {
		t.Errorf("old-style type \"sha\" reads as %q, want sha1", fl.Checksum.Type)
	}
	if _, ok := md.Find("other"); ok {
		t.Error("found an entry that is not there")
	}
}

func TestParseRepoMDRejects(t *testing.T) {
	t.Parallel()
	entry := func(typ, href, size string) string {
		return `<data type="` + typ + `"><checksum type="sha256">00</checksum><location href="` + href +
			`"/><size>` + size + `</size></data>`
	}
	repomd := func(data ...string) string {
		return `<repomd xmlns="http://linux.duke.edu/metadata/repo">` + strings.Join(data, "") + `</repomd>`
	}
	for name, doc := range map[string]string{
		"not xml":        "repomd",
		"other root":     `<metadata packages="0"></metadata>`,
		"parent dir":     repomd(entry("primary", "../primary.xml.gz", "1")),
		"absolute":       repomd(entry("primary", "/etc/primary.xml.gz", "1")),
		"inner dotdot":   repomd(entry("primary", "repodata/../../x.xml.gz", "1")),
		"empty href":     repomd(entry("primary", "", "1")),
		"listed twice":   repomd(entry("primary", "repodata/a.xml.gz", "1"), entry("primary", "repodata/b.xml.gz", "1")),
		"negative size":  repomd(entry("primary", "repodata/a.xml.gz", "-1")),
		"size not count": repomd(entry("primary", "repodata/a.xml.gz", "12k")),
		"no type":        repomd(entry("", "repodata/a.xml.gz", "1")),
		"xml:base": `<repomd><data type="primary"><location xml:base="http://127.0.0.1:9/" href="repodata/a.xml.gz"/>` +
			`</data></repomd>`,
	} {
		md, err := parseRepoMD([]byte(doc))
		if err == nil {
			t.Errorf("%s: parsed as %+v, want an error", name, md)
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestParsePrimary(t *testing.T) {
	t.Parallel()
	var got []RepoPackage
	err := parsePrimary(strings.NewReader(string(readYumTestdata(t, "primary.xml"))), func(p RepoPackage) error {
		got = append(got, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []RepoPackage{
		{Name: "httpd", Arch: "src", Epoch: "0", Version: "2.4.62", Release: "1.el9",
			Location: "Packages/h/httpd-2.4.62-1.el9.src.rpm", Size: 7654321,
			Checksum: RepoChecksum{"sha256", "b1e2d3c400000000000000000000000000000000000000000000000000000001"}},
		{Name: "mariadb", Arch: "src", Epoch: "3", Version: "10.5.22", Release: "1.el9_2",
			Location: "Packages/m/mariadb-10.5.22-1.el9_2.src.rpm", Size: 123,
			Checksum: RepoChecksum{"sha512", "c0ffee" + strings.Repeat("0", 121) + "a"}},
		{Name: "httpd", Arch: "x86_64", Epoch: "0", Version: "2.4.62", Release: "1.el9",
			Location: "Packages/h/httpd-2.4.62-1.el9.x86_64.rpm", Size: 54321,
			Checksum: RepoChecksum{"sha256", "b1e2d3c400000000000000000000000000000000000000000000000000000002"}},
		{Name: "jq", Arch: "src", Epoch: "0", Version: "1.6", Release: "17.el9",
			Location: "Packages/j/jq-1.6-17.el9.src.rpm", LocationBase: "https://mirror.example.invalid/source/",
			Size:     1100000,
			Checksum: RepoChecksum{"sha256", "b1e2d3c400000000000000000000000000000000000000000000000000000003"}},
	}
	if len(got) != len(want) {
		t.Fatalf("parsed %d packages, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("package %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if evr := got[1].EVR(); evr != "3:10.5.22-1.el9_2" {
		t.Errorf("EVR = %q", evr)
	}
	if evr := got[0].EVR(); evr != "2.4.62-1.el9" {
		t.Errorf("EVR with epoch 0 = %q, want it left out", evr)
	}
}

func TestParsePrimaryRejects(t *testing.T) {
	t.Parallel()
	pkg := func(name, epoch, href string) string {
		return `<package type="rpm"><name>` + name + `</name><arch>src</arch><version epoch="` + epoch +
			`" ver="1.0" rel="1"/><checksum type="sha256">00</checksum><location href="` + href + `"/></package>`
	}
	good := pkg("hello", "0", "hello-1.0-1.src.rpm")
	primary := func(count string, body ...string) string {
		return `<metadata xmlns="http://linux.duke.edu/metadata/common" packages="` + count + `">` +
			strings.Join(body, "") + `</metadata>`
	}
	if err := parsePrimary(strings.NewReader(primary("1", good)), func(RepoPackage) error { return nil }); err != nil {
		t.Fatalf("control: %v", err)
	}
	for name, doc := range map[string]string{
		"parent dir":        primary("1", pkg("hello", "0", "../hello-1.0-1.src.rpm")),
		"absolute":          primary("1", pkg("hello", "0", "/tmp/hello-1.0-1.src.rpm")),
		"deep dotdot":       primary("1", pkg("hello", "0", "Packages/../../../etc/passwd")),
		"backslash":         primary("1", pkg("hello", "0", `..\hello.src.rpm`)),
		"no location":       primary("1", pkg("hello", "0", "")),
		"no name":           primary("1", pkg("", "0", "hello-1.0-1.src.rpm")),
		"name with a slash": primary("1", pkg("../hello", "0", "hello-1.0-1.src.rpm")),
		"epoch not number":  primary("1", pkg("hello", "x", "hello-1.0-1.src.rpm")),
		"count too high":    primary("2", good),
		"count not number":  primary("two", good),
		"truncated":         primary("1", good)[:len(primary("1", good))-5],
		"other root":        `<repomd>` + good + `</repomd>`,
		"second root":       primary("1", good) + `<metadata packages="0"></metadata>`,
		"empty":             "",
		"unknown entity":    primary("1", strings.Replace(good, "hello</name>", "&xxe;</name>", 1)),
	} {
		err := parsePrimary(strings.NewReader(doc), func(RepoPackage) error { return nil })
		if err == nil {
			t.Errorf("%s: parsed, want an error", name)
		}
		t.Logf("%s: %v", name, err)
	}
}

// TestFetchPackageRefusesUnsafeLocations covers packages that reach
// FetchPackage without the parser (from JSON, or built by a caller).
func TestFetchPackageRefusesUnsafeLocations(t *testing.T) {
	t.Parallel()
	srv := newYumServer(t, nil)
	repo := &YumRepo{BaseURL: srv.URL, Cache: newTestCache(t)}
	sum := RepoChecksum{"sha256", strings.Repeat("ab", 32)}
	for _, p := range []RepoPackage{
		{Name: "a", Location: "../a.src.rpm", Checksum: sum},
		{Name: "b", Location: "/etc/shadow", Checksum: sum},
		{Name: "c", Location: "x/../../c.src.rpm", Checksum: sum},
		{Name: "d", Location: "d.src.rpm", LocationBase: "file:///etc/", Checksum: sum},
		{Name: "e", Location: "e.src.rpm", LocationBase: "ftp://127.0.0.1/", Checksum: sum},
	} {
		if _, err := repo.FetchPackage(context.Background(), p); err == nil {
			t.Errorf("%s: fetched %q (base %q)", p.Name, p.Location, p.LocationBase)
		}
	}
	for _, c := range []RepoChecksum{{"md5", strings.Repeat("ab", 16)}, {"sha1", strings.Repeat("ab", 20)},
		{"", ""}, {"sha256", "abc"}, {"crc32", "abcd"}} {
		p := RepoPackage{Name: "weak", Location: "weak.src.rpm", Checksum: c}
		if _, err := repo.FetchPackage(context.Background(), p); exitcode.Of(err) != exitcode.Verification {
			t.Errorf("checksum %v: err = %v, want exit 4", c, err)
		}
	}
	if srv.count() != 0 {
		t.Errorf("%d requests; refused packages must not be downloaded", srv.count())
	}
}

func FuzzParsePrimary(f *testing.F) {
	f.Add(readYumTestdata(f, "primary.xml"))
	f.Add([]byte(`<metadata packages="1"><package><name>a</name><arch>src</arch>` +
		`<version ver="1" rel="1"/><location href="a.rpm"/></package></metadata>`))
	f.Add([]byte(`<metadata><package><location href="../x"/></package><other/></metadata>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE m [<!ENTITY e "x">]><metadata>&e;</metadata>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := parsePrimary(strings.NewReader(string(data)), func(p RepoPackage) error {
			// Whatever the parser accepts must be safe to fetch.
			if err := checkRelPath(p.Location); err != nil {
				t.Fatalf("accepted unsafe location %q", p.Location)
			}
			if p.Name == "" || p.Version == "" || p.Release == "" || p.Arch == "" || p.Size < 0 {
				t.Fatalf("accepted incomplete package %+v", p)
			}
			_ = p.EVR()
			_ = p.FileName()
			return nil
		})
		_ = err
	})
}

func FuzzParseRepoMD(f *testing.F) {
	f.Add(readYumTestdata(f, "repomd.xml"))
	f.Add([]byte(`<repomd><data type="primary"><location href="../x"/><size>1</size></data></repomd>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := parseRepoMD(data)
		if err != nil {
			return
		}
		for _, d := range md.Data {
			if err := checkRelPath(d.Location); err != nil || d.Size < 0 || d.OpenSize < 0 {
				t.Fatalf("accepted %+v", d)
			}
			d.Checksum.hasher()
		}
	})
}
