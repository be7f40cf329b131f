package rpm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/backport/backport/internal/testtool"
)

// srpmFixture is a source RPM the real rpmbuild made from sources the test
// wrote, with those sources to compare against.
type srpmFixture struct {
	path    string
	sources map[string][]byte      // payload name -> content
	modes   map[string]fs.FileMode // payload name -> permission bits
}

// fixtureSources are the files of the hello fixture: the spec from
// testdata, a tarball and a patch generated here, and an executable script
// so that a mode other than 0644 travels through the payload.
func fixtureSources(t *testing.T) (map[string][]byte, map[string]fs.FileMode) {
	t.Helper()
	spec, err := os.ReadFile(filepath.Join("testdata", "srpm", "hello.spec"))
	if err != nil {
		t.Fatal(err)
	}
	var tgz bytes.Buffer
	zw := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(zw)
	body := []byte("int main(void) { return 0; }\n")
	for _, h := range []*tar.Header{
		{Name: "hello-1.0/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "hello-1.0/main.c", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write(body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	patch := "--- a/main.c\n+++ b/main.c\n@@ -1 +1 @@\n-int main(void) { return 0; }\n+int main(void) { return 1; }\n"
	return map[string][]byte{
			"hello.spec":       spec,
			"hello-1.0.tar.gz": tgz.Bytes(),
			"fix.patch":        []byte(patch),
			"run.sh":           []byte("#!/bin/sh\necho hello\n"),
		}, map[string]fs.FileMode{
			"hello.spec": 0o644, "hello-1.0.tar.gz": 0o644, "fix.patch": 0o644, "run.sh": 0o755,
		}
}

// buildSRPM runs rpmbuild -bs on the hello fixture. payload is an rpm I/O
// mode for _source_payload ("w9.gzdio", "w6.xzdio", …), or "" for rpm's
// default.
func buildSRPM(t *testing.T, payload string) srpmFixture {
	t.Helper()
	rpmbuild := testtool.Require(t, "rpmbuild")
	top := t.TempDir()
	sources, modes := fixtureSources(t)
	for _, d := range []string{"SOURCES", "SPECS"} {
		if err := os.MkdirAll(filepath.Join(top, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range sources {
		dir := "SOURCES"
		if strings.HasSuffix(name, ".spec") {
			dir = "SPECS"
		}
		p := filepath.Join(top, dir, name)
		if err := os.WriteFile(p, data, modes[name]); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, modes[name]); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	args := []string{"-bs", "--define", "_topdir " + top}
	if payload != "" {
		args = append(args, "--define", "_source_payload "+payload)
	}
	args = append(args, filepath.Join(top, "SPECS", "hello.spec"))
	runTool(t, exec.Command(rpmbuild, args...))
	return srpmFixture{path: filepath.Join(top, "SRPMS", "hello-1.0-3.src.rpm"), sources: sources, modes: modes}
}

// buildBinaryRPM runs rpmbuild -bb on the hellobin fixture.
func buildBinaryRPM(t *testing.T) string {
	t.Helper()
	rpmbuild := testtool.Require(t, "rpmbuild")
	top := t.TempDir()
	runTool(t, exec.Command(rpmbuild, "-bb", "--define", "_topdir "+top,
		filepath.Join("testdata", "srpm", "hellobin.spec")))
	return filepath.Join(top, "RPMS", "noarch", "hellobin-1.0-1.noarch.rpm")
}

func runTool(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return string(out)
}

// gpgHome is a throw-away GnuPG home holding unprotected test keys.
type gpgHome struct {
	dir, gpg string
}

func newGPGHome(t *testing.T) *gpgHome {
	t.Helper()
	gpg := testtool.Require(t, "gpg")
	// Not t.TempDir: gpg-agent's socket path must stay under 108 bytes,
	// which long test names break.
	dir, err := os.MkdirTemp("", "bp-gpg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if gpgconf, err := exec.LookPath("gpgconf"); err == nil {
			c := exec.Command(gpgconf, "--kill", "gpg-agent")
			c.Env = append(os.Environ(), "GNUPGHOME="+dir)
			_ = c.Run()
		}
		os.RemoveAll(dir)
	})
	return &gpgHome{dir: dir, gpg: gpg}
}

func (g *gpgHome) command(args ...string) *exec.Cmd {
	c := exec.Command(g.gpg, append([]string{"--batch", "--homedir", g.dir}, args...)...)
	c.Env = append(os.Environ(), "GNUPGHOME="+g.dir)
	return c
}

// addKey generates a signing key for email; keyType is a gpg Key-Type
// line's value plus options ("RSA\nKey-Length: 2048", "EDDSA\nKey-Curve: ed25519").
func (g *gpgHome) addKey(t *testing.T, email, keyType string) {
	t.Helper()
	params := fmt.Sprintf("%%no-protection\nKey-Type: %s\nKey-Usage: sign\nName-Real: Backport Test\nName-Email: %s\nExpire-Date: 0\n%%commit\n", keyType, email)
	c := g.command("--gen-key")
	c.Stdin = strings.NewReader(params)
	runTool(t, c)
}

// keyring returns the public key of email as go-crypto reads it.
func (g *gpgHome) keyring(t *testing.T, email string) openpgp.EntityList {
	t.Helper()
	armored := runTool(t, g.command("--armor", "--export", email))
	keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armored))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// sign adds a header signature with the real rpmsign. Debian's rpm points
// %__gpg at /usr/bin/gpg2, which bookworm does not ship, so the gpg found
// on PATH is named explicitly.
func (g *gpgHome) sign(t *testing.T, path, email string) {
	t.Helper()
	rpmsign := testtool.Require(t, "rpmsign")
	c := exec.Command(rpmsign, "--define", "__gpg "+g.gpg, "--define", "_gpg_path "+g.dir,
		"--define", "_gpg_name "+email, "--addsign", path)
	c.Env = append(os.Environ(), "GNUPGHOME="+g.dir)
	runTool(t, c)
}

// newcEntry is one member of a hand-made newc cpio archive.
type newcEntry struct {
	name string
	mode uint32 // type and permission bits, as in st_mode
	data []byte
	size int64 // the size the header claims; len(data) when zero
}

// writeNewc encodes entries as a newc (070701) archive with its trailer.
func writeNewc(entries []newcEntry) []byte {
	var b bytes.Buffer
	pad := func() {
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	write := func(ino int, e newcEntry) {
		size := e.size
		if size == 0 {
			size = int64(len(e.data))
		}
		fmt.Fprintf(&b, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			ino, e.mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(e.name)+1, 0)
		b.WriteString(e.name)
		b.WriteByte(0)
		pad()
		b.Write(e.data)
		pad()
	}
	for i, e := range entries {
		write(i+1, e)
	}
	write(0, newcEntry{name: "TRAILER!!!"})
	return b.Bytes()
}

// rewrapSRPM returns a copy of the unsigned, gzip-payload SRPM srpm with
// its payload replaced by cpio (gzipped here), and every header field that
// describes the payload updated in place: the payload digests in the main
// header, then the header digests, sizes and MD5 in the signature header.
// The result passes `rpm -K`, so a test that feeds it to ExtractSRPM is
// testing the payload checks, not the digests.
func rewrapSRPM(t *testing.T, srpm, cpio []byte) []byte {
	t.Helper()
	raw, err := readRawRPM(bytes.NewReader(srpm), int64(len(srpm)))
	if err != nil {
		t.Fatal(err)
	}
	if compressor, _ := raw.main.stringTag(1125); compressor != "gzip" {
		t.Fatalf("rewrapSRPM needs a gzip payload, the SRPM has %q", compressor)
	}
	for _, tag := range []uint32{rpmSigRSA, rpmSigDSA, 1002, 1005, sigTagLong, 271} {
		if _, _, ok := raw.sig.lookup(tag); ok {
			t.Fatalf("rewrapSRPM cannot update signature header tag %d", tag)
		}
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(cpio)
	zw.Close()
	payload := gz.Bytes()

	out := append(bytes.Clone(srpm[:raw.payloadOffset]), payload...)
	mainStart := leadSize + len(raw.sig.raw)
	payloadSum, cpioSum := sha256.Sum256(payload), sha256.Sum256(cpio)
	setTagInPlace(t, out, raw.main, mainStart, 5092, hexSum(payloadSum[:]))                               // PAYLOADDIGEST
	setTagInPlace(t, out, raw.main, mainStart, 5097, hexSum(cpioSum[:]))                                  // PAYLOADDIGESTALT
	setTagInPlace(t, out, raw.sig, leadSize, 1007, binary.BigEndian.AppendUint32(nil, uint32(len(cpio)))) // PAYLOADSIZE
	refreshSigDigests(t, out)
	return out
}

// refreshSigDigests recomputes, in place, what the signature header records
// about main header and payload (header SHA256 and SHA1, header+payload
// size and MD5), as if rpm had written the file as it now is. Signatures are
// left alone: after this only they can tell that the header changed.
func refreshSigDigests(t *testing.T, rpm []byte) {
	t.Helper()
	raw, err := readRawRPM(bytes.NewReader(rpm), int64(len(rpm)))
	if err != nil {
		t.Fatal(err)
	}
	main, payload := raw.main.raw, rpm[raw.payloadOffset:]
	mainSHA256, mainSHA1 := sha256.Sum256(main), sha1.Sum(main)
	setTagInPlace(t, rpm, raw.sig, leadSize, sigTagSHA256, hexSum(mainSHA256[:]))
	setTagInPlace(t, rpm, raw.sig, leadSize, sigTagSHA1, hexSum(mainSHA1[:]))
	setTagInPlace(t, rpm, raw.sig, leadSize, sigTagSize, binary.BigEndian.AppendUint32(nil, uint32(len(main)+len(payload))))
	md := md5.New()
	md.Write(main)
	md.Write(payload)
	setTagInPlace(t, rpm, raw.sig, leadSize, sigTagMD5, md.Sum(nil))
}

// setTagInPlace overwrites the value of tag in the header h, which starts
// at byte start of rpm, with a value of the same length.
func setTagInPlace(t *testing.T, rpm []byte, h *headerBlob, start int, tag uint32, value []byte) {
	t.Helper()
	e, old, ok := h.lookup(tag)
	if !ok {
		return
	}
	if len(value) != len(old) {
		t.Fatalf("tag %d: new value is %d bytes, old %d", tag, len(value), len(old))
	}
	copy(rpm[start+headerIntroLen+len(h.index)*indexEntryLen+e.offset:], value)
}

func hexSum(sum []byte) []byte { return append([]byte(hex.EncodeToString(sum)), 0) }

const (
	rpmSigDSA = 267
	rpmSigRSA = 268
)

// rpmChecksig runs the real `rpm -Kv` and returns its output; it fails the
// test unless rpm says every digest is OK.
func rpmChecksig(t *testing.T, path string) string {
	t.Helper()
	rpm := testtool.Require(t, "rpm")
	out := runTool(t, exec.Command(rpm, "-Kv", "--nosignature", path))
	if strings.Contains(out, "BAD") || !strings.Contains(out, "Payload SHA256 digest: OK") {
		t.Fatalf("rpm -Kv %s:\n%s", path, out)
	}
	return out
}

// writeSRPMFile writes data to a new file in a temporary directory.
func writeSRPMFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readFileT is os.ReadFile that fails the test.
func readFileT(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
