package rpm

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/archive"
	"github.com/backport/backport/pkg/exitcode"
)

// These tests put hand-made cpio payloads into a real SRPM: rewrapSRPM
// swaps the payload and redoes every digest and size, and `rpm -K` confirms
// the result is a valid package, so what refuses each one is the payload
// check, not a digest.

// fixtureEntries are the fixture's own sources as cpio members.
func fixtureEntries(fx srpmFixture) []newcEntry {
	var names []string
	for name := range fx.sources {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []newcEntry
	for _, name := range names {
		out = append(out, newcEntry{name: name, mode: 0o100000 | uint32(fx.modes[name]), data: fx.sources[name]})
	}
	return out
}

func TestRewrappedSRPMIsValid(t *testing.T) {
	t.Parallel()
	fx := buildSRPM(t, "w9.gzdio")
	path := writeSRPMFile(t, "hello-1.0-3.src.rpm", rewrapSRPM(t, readFileT(t, fx.path), writeNewc(fixtureEntries(fx))))
	rpmChecksig(t, path)
	dest := t.TempDir()
	if _, _, err := ExtractSRPM(context.Background(), path, dest); err != nil {
		t.Fatalf("a benign rewrapped payload is refused: %v", err)
	}
	checkExtractedSources(t, dest, fx)
}

func TestExtractSRPMRefusesHostilePayloads(t *testing.T) {
	t.Parallel()
	fx := buildSRPM(t, "w9.gzdio")
	base := readFileT(t, fx.path)
	const reg, dir, link = 0o100644, 0o040755, 0o120777
	all := fixtureEntries(fx)
	swapped := slices.Clone(all)
	for i, e := range swapped {
		if e.name == "hello.spec" {
			data := bytes.Clone(e.data)
			data[0] ^= 0x20 // same size, other content
			swapped[i].data = data
		}
	}

	tests := []struct {
		name    string
		entries func(outside string) []newcEntry
		want    error  // errors.Is target, or nil to check wantMsg and exit 4
		wantMsg string // for exit-4 refusals
	}{
		{"dot-dot", func(string) []newcEntry {
			return []newcEntry{{name: "../escaped", mode: reg, data: []byte("x")}}
		}, archive.ErrPathEscapes, ""},
		{"absolute", func(outside string) []newcEntry {
			return []newcEntry{{name: filepath.Join(outside, "abs"), mode: reg, data: []byte("x")}}
		}, archive.ErrPathEscapes, ""},
		{"symlink out, then a file through it", func(outside string) []newcEntry {
			return []newcEntry{
				{name: "hello.spec", mode: link, data: []byte(outside)},
				{name: "hello.spec/pwned", mode: reg, data: []byte("x")},
			}
		}, archive.ErrLinkEscapes, ""},
		{"relative symlink out, then a file through it", func(string) []newcEntry {
			return []newcEntry{
				{name: "lnk", mode: link, data: []byte("../outside")},
				{name: "lnk/pwned", mode: reg, data: []byte("x")},
			}
		}, archive.ErrLinkEscapes, ""},
		{"symlink inside, then a file through it", func(string) []newcEntry {
			return []newcEntry{
				{name: "lnk", mode: link, data: []byte(".")},
				{name: "lnk/hello.spec", mode: reg, data: []byte("x")},
			}
		}, archive.ErrThroughSymlink, ""},
		{"symlink inside, alone", func(string) []newcEntry {
			return []newcEntry{{name: "hello.spec", mode: link, data: []byte("fix.patch")}}
		}, ErrPayloadNotFlat, ""},
		{"character device", func(string) []newcEntry {
			return []newcEntry{{name: "hello.spec", mode: 0o020644}}
		}, archive.ErrSpecialFile, ""},
		{"fifo", func(string) []newcEntry {
			return []newcEntry{{name: "hello.spec", mode: 0o010644}}
		}, archive.ErrSpecialFile, ""},
		{"member claiming 2 GiB", func(string) []newcEntry {
			return []newcEntry{{name: "hello-1.0.tar.gz", mode: reg, data: []byte("x"), size: 0x7fffffff}}
		}, archive.ErrMemberTooLarge, ""},
		{"member larger than any file the header lists", func(string) []newcEntry {
			return []newcEntry{{name: "hello.spec", mode: reg, data: bytes.Repeat([]byte("x"), 64<<10)}}
		}, archive.ErrMemberTooLarge, ""},
		{"more members than the header lists", func(string) []newcEntry {
			var e []newcEntry
			for _, n := range []string{"a", "b", "c", "d", "e"} {
				e = append(e, newcEntry{name: n, mode: reg})
			}
			return e
		}, archive.ErrTooManyMembers, ""},
		{"directory part", func(string) []newcEntry {
			return []newcEntry{{name: "sub/hello.spec", mode: reg, data: []byte("x")}}
		}, ErrPayloadNotFlat, ""},
		{"directory member", func(string) []newcEntry {
			return []newcEntry{{name: "sub", mode: dir}}
		}, ErrPayloadNotFlat, ""},
		{"member the header does not list", func(string) []newcEntry {
			return append(slices.Clone(all[:3]), newcEntry{name: "extra.txt", mode: reg, data: []byte("x")})
		}, nil, `payload member "extra.txt" is not in the header's file list`},
		{"file missing", func(string) []newcEntry {
			return all[:3]
		}, nil, "of the header is missing from the payload"},
		{"file content swapped", func(string) []newcEntry {
			return swapped
		}, nil, `file "hello.spec": SHA256 digest mismatch`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			dest, outside := filepath.Join(root, "dest"), filepath.Join(root, "outside")
			if err := os.Mkdir(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			path := writeSRPMFile(t, "hello-1.0-3.src.rpm", rewrapSRPM(t, base, writeNewc(tt.entries(outside))))
			rpmChecksig(t, path)

			_, _, err := ExtractSRPM(context.Background(), path, dest)
			switch {
			case err == nil:
				t.Fatal("extracted")
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("err = %v, want %v", err, tt.want)
			case tt.want == nil && (exitcode.Of(err) != exitcode.Verification || !strings.Contains(err.Error(), tt.wantMsg)):
				t.Errorf("err = %v (exit %d), want exit 4 and %q", err, exitcode.Of(err), tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "hello-1.0-3.src.rpm: ") {
				t.Errorf("error %q does not name the file", err)
			}
			requireEntries(t, root, "dest", "outside")
			requireEntries(t, dest)
			requireEntries(t, outside)
		})
	}
}

// requireEntries fails unless dir holds exactly the named entries.
func requireEntries(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s holds %v, want %v", dir, got, want)
	}
}

// TestExtractPayloadChecks drives the payload path directly, for what a
// valid header cannot carry or the header-derived limits hide.
func TestExtractPayloadChecks(t *testing.T) {
	t.Parallel()
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	spec := []newcEntry{{name: "x.spec", mode: 0o100644, data: []byte("Name: x\n")}}
	big := []newcEntry{{name: "big.tar", mode: 0o100644, data: make([]byte, 1<<20)}}
	tests := []struct {
		name       string
		payload    []byte
		compressor string
		limits     archive.Limits
		want       error
		wantMsg    string
	}{
		{"ok", gz(writeNewc(spec)), "gzip", archive.Limits{}, nil, ""},
		{"ok, no compressor tag and uncompressed", writeNewc(spec), "", archive.Limits{}, nil, ""},
		{"member over the limit", gz(writeNewc(big)), "gzip", archive.Limits{MaxMemberSize: 1024}, archive.ErrMemberTooLarge, ""},
		{"header says xz, payload is gzip", gz(writeNewc(spec)), "xz", archive.Limits{}, nil, "payload is gzip but the header says xz"},
		{"compressed twice", gz(gz(writeNewc(spec))), "gzip", archive.Limits{}, nil, "not a newc cpio archive"},
		{"not cpio", gz([]byte("ustar garbage")), "gzip", archive.Limits{}, nil, "not a newc cpio archive"},
		{"truncated cpio", gz(writeNewc(spec)[:150]), "gzip", archive.Limits{}, nil, "TRAILER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dest := t.TempDir()
			names, err := extractPayload(context.Background(), bytes.NewReader(tt.payload), "p.src.rpm", dest, tt.compressor, tt.limits)
			switch {
			case tt.want == nil && tt.wantMsg == "":
				if err != nil || !slices.Equal(names, []string{"x.spec"}) {
					t.Fatalf("names %v, err %v", names, err)
				}
			case err == nil:
				t.Fatal("extracted")
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("err = %v, want %v", err, tt.want)
			case tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg):
				t.Errorf("err = %v, want %q", err, tt.wantMsg)
			}
		})
	}
}
