package rpm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/archive"
	"github.com/backport/backport/pkg/exitcode"
)

var updateSRPM = flag.Bool("update-srpm", false, "rebuild testdata/srpm/*.rpm with rpmbuild")

// The corrupt-file table and the fuzz seeds start from two small packages
// checked in, so that they run where rpmbuild is missing:
// hello-1.0-3.src.rpm (gzip payload, unsigned) and hellobin-1.0-1.noarch.rpm.
// go test ./pkg/rpm -run TestSRPMTestdata -update-srpm rebuilds them.
var (
	testdataSRPM      = filepath.Join("testdata", "srpm", "hello-1.0-3.src.rpm")
	testdataBinaryRPM = filepath.Join("testdata", "srpm", "hellobin-1.0-1.noarch.rpm")
)

func TestSRPMTestdata(t *testing.T) {
	if *updateSRPM {
		for src, dst := range map[string]string{
			buildSRPM(t, "w9.gzdio").path: testdataSRPM,
			buildBinaryRPM(t):             testdataBinaryRPM,
		} {
			if err := os.WriteFile(dst, readFileT(t, src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := VerifySRPM(testdataSRPM, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSRPM(testdataBinaryRPM); !errors.Is(err, ErrNotSourceRPM) {
		t.Fatalf("binary RPM: %v", err)
	}
}

// corruption is a broken variant of a good SRPM. Every function must refuse
// it with an error naming the file, and none may panic.
type corruption struct {
	name string
	data []byte
	// readOK marks damage past the headers, which only verification and
	// extraction read.
	readOK bool
	// notSource marks a binary package: a plain failure, not exit 4.
	notSource bool
}

func corruptions(t *testing.T) []corruption {
	good := readFileT(t, testdataSRPM)
	binaryRPM := readFileT(t, testdataBinaryRPM)
	raw, err := readRawRPM(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	mainStart := leadSize + len(raw.sig.raw)
	edit := func(b []byte, f func([]byte)) []byte {
		b = bytes.Clone(b)
		f(b)
		return b
	}
	put32 := func(at int, v uint32) func([]byte) {
		return func(b []byte) { binary.BigEndian.PutUint32(b[at:], v) }
	}
	garbage := make([]byte, 8192)
	rand.New(rand.NewSource(1)).Read(garbage)

	return []corruption{
		{name: "zero-length", data: nil},
		{name: "garbage", data: garbage},
		{name: "garbage after the lead", data: append(bytes.Clone(good[:leadSize]), garbage...)},
		{name: "truncated in the lead", data: good[:50]},
		{name: "truncated in the signature header", data: good[:200]},
		{name: "truncated in the main header", data: good[:raw.payloadOffset-100]},
		{name: "truncated at the payload", data: good[:raw.payloadOffset]},
		{name: "truncated in the payload", data: good[:len(good)-100]},
		{name: "trailing bytes", data: append(bytes.Clone(good), "junk"...)},
		{name: "bad lead magic", data: edit(good, func(b []byte) { b[0] ^= 0xff })},
		{name: "bad header magic", data: edit(good, func(b []byte) { b[mainStart] ^= 0xff })},
		{name: "flipped main header byte", data: flipHeaderByte(t, good)},
		{name: "flipped signature header digest", data: edit(good, func(b []byte) {
			e, _, _ := raw.sig.lookup(sigTagSHA256)
			b[leadSize+headerIntroLen+len(raw.sig.index)*indexEntryLen+e.offset] ^= 0x01
		})},
		{name: "tag count huge", data: edit(good, put32(mainStart+8, 0x0fffffff))},
		{name: "data size huge", data: edit(good, put32(mainStart+12, 0xfffffff0))},
		{name: "index offset out of range", data: edit(good, put32(mainStart+headerIntroLen+8, 0x7fffffff))},
		{name: "index offset negative", data: edit(good, put32(mainStart+headerIntroLen+8, 0xffffff00))},
		{name: "index count huge", data: edit(good, put32(mainStart+headerIntroLen+12, 0x7fffffff))},
		{name: "index type unknown", data: edit(good, put32(mainStart+headerIntroLen+4, 0x42))},
		{name: "binary RPM", data: binaryRPM, notSource: true},
		{name: "binary RPM with a source lead", data: edit(binaryRPM, func(b []byte) { b[7] = leadTypeSource }), notSource: true},
		{name: "source RPM with a binary lead", data: edit(good, func(b []byte) { b[7] = 0 }), notSource: true},
		{name: "flipped payload byte", data: flipPayloadByte(t, good), readOK: true},
		{name: "zeroed payload", data: edit(good, func(b []byte) { clear(b[raw.payloadOffset:]) }), readOK: true},
	}
}

func TestCorruptSRPMs(t *testing.T) {
	t.Parallel()
	for _, c := range corruptions(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			path := filepath.Join(root, "corrupt.src.rpm")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			check := func(fn string, err error, wantErr bool) {
				t.Helper()
				switch {
				case !wantErr && err != nil:
					t.Errorf("%s: %v", fn, err)
				case wantErr && err == nil:
					t.Errorf("%s accepted it", fn)
				case wantErr && !strings.HasPrefix(err.Error(), "corrupt.src.rpm: "):
					t.Errorf("%s: error %q does not start with the file name", fn, err)
				}
			}
			_, err := ReadSRPM(path)
			check("ReadSRPM", err, !c.readOK)
			_, err = VerifySRPM(path, nil)
			check("VerifySRPM", err, true)
			wantExit := exitcode.Verification
			if c.notSource {
				wantExit = exitcode.Failure
			}
			if got := exitcode.Of(err); got != wantExit || c.notSource != errors.Is(err, ErrNotSourceRPM) {
				t.Errorf("VerifySRPM: exit %d, want %d (%v)", got, wantExit, err)
			}
			dest := filepath.Join(root, "dest")
			_, _, err = ExtractSRPM(context.Background(), path, dest)
			check("ExtractSRPM", err, true)
			if entries, _ := os.ReadDir(dest); len(entries) != 0 {
				t.Errorf("dest holds %d entries after a refused extraction", len(entries))
			}
		})
	}
}

// FuzzReadSRPM feeds arbitrary bytes through reading, verification and
// extraction: whatever they are, the result is an error or a package,
// never a panic, and extraction stays in its directory.
func FuzzReadSRPM(f *testing.F) {
	for _, p := range []string{testdataSRPM, testdataBinaryRPM} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := openSRPM(bytes.NewReader(b), int64(len(b)), "fuzz.src.rpm")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.src.rpm: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		_ = s.verify(nil)
		_, _ = s.checkSignatures(nil)
		root := t.TempDir()
		dest := filepath.Join(root, "dest")
		_ = s.extract(context.Background(), dest, archive.Limits{MaxTotalSize: 1 << 20})
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			if e.Name() != "dest" {
				t.Fatalf("extraction left %s beside dest", e.Name())
			}
		}
	})
}
