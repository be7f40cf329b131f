package rpm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/exitcode"
)

// payloadCompressions are the _source_payload modes the tests build with and
// the PAYLOADCOMPRESSOR each must produce. Fedora's macros pick zstd, EL's
// xz; Debian's rpm 4.18 defines neither _source_payload nor
// _binary_payload and so writes gzip (measured), which is why the default
// case checks no particular compressor.
var payloadCompressions = []struct{ mode, tag string }{
	{"w9.gzdio", "gzip"},
	{"w6.xzdio", "xz"},
	{"w19.zstdio", "zstd"},
	{"w9.bzdio", "bzip2"},
	{"", ""},
}

func TestReadAndExtractSRPM(t *testing.T) {
	t.Parallel()
	for _, c := range payloadCompressions {
		name := c.mode
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fx := buildSRPM(t, c.mode)

			s, err := ReadSRPM(fx.path)
			if err != nil {
				t.Fatal(err)
			}
			want := &SRPM{Name: "hello", Epoch: "2", Version: "1.0", Release: "3",
				Files:    []string{"fix.patch", "hello-1.0.tar.gz", "hello.spec", "run.sh"},
				SpecFile: "hello.spec"}
			if !equalSRPM(s, want) {
				t.Fatalf("ReadSRPM = %+v, want %+v", s, want)
			}
			// The define must really have changed the compression, or
			// this subtest proves nothing about that compressor.
			if got := compressorOf(t, fx.path); c.tag != "" && got != c.tag {
				t.Fatalf("payload compressor %q, want %q", got, c.tag)
			}

			dest := filepath.Join(t.TempDir(), "work")
			s2, spec, err := ExtractSRPM(context.Background(), fx.path, dest)
			if err != nil {
				t.Fatal(err)
			}
			if !equalSRPM(s2, want) {
				t.Errorf("ExtractSRPM = %+v, want %+v", s2, want)
			}
			if spec != filepath.Join(dest, "hello.spec") {
				t.Errorf("spec path %q", spec)
			}
			checkExtractedSources(t, dest, fx)
		})
	}
}

// checkExtractedSources compares dest with the fixture's sources: the same
// names and nothing else, byte for byte, with their modes.
func checkExtractedSources(t *testing.T, dest string, fx srpmFixture) {
	t.Helper()
	entries, err := os.ReadDir(dest)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	var want []string
	for name := range fx.sources {
		want = append(want, name)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("dest holds %v, want %v", got, want)
	}
	for name, data := range fx.sources {
		p := filepath.Join(dest, name)
		if b := readFileT(t, p); !bytes.Equal(b, data) {
			t.Errorf("%s: extracted %d bytes differ from the %d written", name, len(b), len(data))
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != fx.modes[name] {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), fx.modes[name])
		}
	}
}

func equalSRPM(a, b *SRPM) bool {
	return a.Name == b.Name && a.Epoch == b.Epoch && a.Version == b.Version && a.Release == b.Release &&
		slices.Equal(a.Files, b.Files) && a.SpecFile == b.SpecFile && a.Signed == b.Signed && a.KeyID == b.KeyID
}

func compressorOf(t *testing.T, path string) string {
	t.Helper()
	b := readFileT(t, path)
	raw, err := readRawRPM(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := raw.main.stringTag(1125)
	return c
}

func TestExtractSRPMKeepsOtherFilesAndLeavesNoStaging(t *testing.T) {
	t.Parallel()
	fx := buildSRPM(t, "w9.gzdio")
	dest := t.TempDir()
	// An older extraction's spec is replaced; an unrelated file stays.
	if err := os.WriteFile(filepath.Join(dest, "hello.spec"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dest, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ExtractSRPM(context.Background(), fx.path, dest); err != nil {
		t.Fatal(err)
	}
	if b := readFileT(t, filepath.Join(dest, "hello.spec")); !bytes.Equal(b, fx.sources["hello.spec"]) {
		t.Error("hello.spec was not replaced")
	}
	if b := readFileT(t, filepath.Join(dest, "notes.txt")); string(b) != "mine" {
		t.Error("notes.txt changed")
	}
	entries, _ := os.ReadDir(dest)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".srpm-") {
			t.Errorf("staging directory %s left behind", e.Name())
		}
	}
}

func TestExtractSRPMCancelled(t *testing.T) {
	t.Parallel()
	fx := buildSRPM(t, "w9.gzdio")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dest := t.TempDir()
	_, _, err := ExtractSRPM(ctx, fx.path, dest)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Errorf("dest holds %d entries after a cancelled extraction", len(entries))
	}
}

func TestReadSRPMRefusesBinaryRPM(t *testing.T) {
	t.Parallel()
	path := buildBinaryRPM(t)
	for name, call := range map[string]func() error{
		"ReadSRPM":    func() error { _, err := ReadSRPM(path); return err },
		"VerifySRPM":  func() error { _, err := VerifySRPM(path, nil); return err },
		"ExtractSRPM": func() error { _, _, err := ExtractSRPM(context.Background(), path, t.TempDir()); return err },
	} {
		err := call()
		if !errors.Is(err, ErrNotSourceRPM) {
			t.Fatalf("%s: err = %v, want ErrNotSourceRPM", name, err)
		}
		if want := "hellobin-1.0-1.noarch.rpm: not a source RPM"; err.Error() != want {
			t.Errorf("%s: message %q, want %q", name, err, want)
		}
		if exitcode.Of(err) != exitcode.Failure {
			t.Errorf("%s: exit %d, want %d", name, exitcode.Of(err), exitcode.Failure)
		}
	}
}

func TestReadSRPMMissingFile(t *testing.T) {
	t.Parallel()
	_, err := ReadSRPM(filepath.Join(t.TempDir(), "nope.src.rpm"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
}
