package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
)

// makeSourceTree writes a tree with the shapes upstream tarballs have, for
// real tar and cpio to pack.
func makeSourceTree(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	long := filepath.Join("proj-1.0", strings.Repeat("very-long-directory-", 6), strings.Repeat("n", 150)+".txt")
	files := map[string]struct {
		body string
		mode os.FileMode
	}{
		"proj-1.0/configure":        {"#!/bin/sh\nexit 0\n", 0o755},
		"proj-1.0/README":           {"readme\n", 0o644},
		"proj-1.0/ro":               {"read only\n", 0o444},
		"proj-1.0/src/a/b/c/deep.c": {"int deep;\n", 0o644},
		"proj-1.0/src/main.c":       {"int main(void){return 0;}\n", 0o600},
		long:                        {"long\n", 0o644},
	}
	for name, f := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range []error{
		os.Mkdir(filepath.Join(src, "proj-1.0/empty"), 0o750),
		os.Symlink("src/main.c", filepath.Join(src, "proj-1.0/main-link.c")),
		os.Symlink("../README", filepath.Join(src, "proj-1.0/src/readme-link")),
		os.Link(filepath.Join(src, "proj-1.0/src/main.c"), filepath.Join(src, "proj-1.0/hard-main.c")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Fixed, distinct mtimes so their restoration is checked too.
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	_ = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink == 0 {
			err = os.Chtimes(p, mtime, mtime)
		}
		return err
	})
	return src
}

// describeTree renders a tree for comparison: type, permissions, mtime,
// content hash, link target, and which files share an inode. GNU cpio -m
// does not restore directory mtimes (writing the children changes them
// afterwards), so dirMtimes can leave them out.
func describeTree(t *testing.T, root string, dirMtimes bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	inodes := map[uint64]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fi.Mode().String()
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		case fi.Mode().IsRegular():
			body, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %d %x", fi.ModTime().Unix(), sha256.Sum256(body))
			ino := fi.Sys().(*syscall.Stat_t).Ino
			if first, ok := inodes[ino]; ok {
				desc += " linked-with " + first
			} else {
				inodes[ino] = rel
			}
		case fi.IsDir() && dirMtimes:
			desc += fmt.Sprintf(" %d", fi.ModTime().Unix())
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertSameTree(t *testing.T, want, got map[string]string) {
	t.Helper()
	for _, k := range slices.Sorted(mapKeys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s:\n  real tool: %s\n  Extract:   %s", k, want[k], got[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: extracted by Extract only: %s", k, got[k])
		}
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func run(t *testing.T, dir string, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func TestExtractMatchesGNUTar(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		flags []string
		tools []string // besides tar
	}{
		{"plain", []string{"-cf"}, nil},
		{"gzip", []string{"-czf"}, []string{"gzip"}},
		{"bzip2", []string{"-cjf"}, []string{"bzip2"}},
		{"xz", []string{"-cJf"}, []string{"xz"}},
		{"zstd", []string{"--zstd", "-cf"}, []string{"zstd"}},
		{"posix format", []string{"--format=posix", "-czf"}, []string{"gzip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tarBin := testtool.Require(t, "tar")
			for _, tool := range tc.tools {
				testtool.Require(t, tool)
			}
			src := makeSourceTree(t)
			work := t.TempDir()
			archive := filepath.Join(work, "proj-1.0.tar.x")
			run(t, src, nil, tarBin, append(tc.flags, archive, "proj-1.0")...)

			want := filepath.Join(work, "want")
			if err := os.Mkdir(want, 0o755); err != nil {
				t.Fatal(err)
			}
			run(t, work, nil, tarBin, "-xf", archive, "-C", want)
			got := filepath.Join(work, "got")
			members, err := ExtractFile(context.Background(), archive, got, Options{})
			if err != nil {
				t.Fatal(err)
			}
			assertSameTree(t, describeTree(t, want, true), describeTree(t, got, true))
			if TopDir(members) != "proj-1.0" {
				t.Errorf("TopDir = %q", TopDir(members))
			}
		})
	}
}

func TestExtractMatchesGNUTarStripComponents(t *testing.T) {
	t.Parallel()
	tarBin := testtool.Require(t, "tar")
	src := makeSourceTree(t)
	work := t.TempDir()
	archive := filepath.Join(work, "proj.tar")
	run(t, src, nil, tarBin, "-cf", archive, "proj-1.0")
	want, got := filepath.Join(work, "want"), filepath.Join(work, "got")
	if err := os.Mkdir(want, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, work, nil, tarBin, "-xf", archive, "-C", want, "--strip-components=1")
	if _, err := ExtractFile(context.Background(), archive, got, Options{StripComponents: 1}); err != nil {
		t.Fatal(err)
	}
	assertSameTree(t, describeTree(t, want, true), describeTree(t, got, true))

	// Stripping one more level turns src/readme-link -> ../README into a
	// link out of the destination; tar extracts it, we refuse.
	_, err := ExtractFile(context.Background(), archive, t.TempDir(), Options{StripComponents: 2})
	if !errors.Is(err, ErrLinkEscapes) {
		t.Errorf("strip 2: err = %v, want ErrLinkEscapes for readme-link", err)
	}
}

func TestExtractRefusesGNUTarHostileNames(t *testing.T) {
	t.Parallel()
	tarBin := testtool.Require(t, "tar")
	src := makeSourceTree(t)
	for _, tc := range []struct {
		name  string
		flags []string
		want  error
	}{
		{"dotdot via transform", []string{"--transform=s,^,../,"}, ErrPathEscapes},
		{"absolute names", []string{"--absolute-names", "--transform=s,^,/,"}, ErrPathEscapes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base, dest := hostileLayout(t)
			archive := filepath.Join(base, "hostile.tar")
			run(t, src, nil, tarBin, append(append([]string{"-cf", archive}, tc.flags...), "proj-1.0/README")...)
			if out := run(t, base, nil, tarBin, "-tf", archive); !strings.Contains(string(out), "../") && !strings.HasPrefix(string(out), "/") {
				t.Fatalf("tar did not store a hostile name: %q", out)
			}
			before := snapshot(t, base, dest)
			_, err := ExtractFile(context.Background(), archive, dest, Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			assertSameSnapshot(t, before, snapshot(t, base, dest))
		})
	}
}

func TestExtractMatchesGNUCpio(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"newc", "crc"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			cpioBin := testtool.Require(t, "cpio")
			testtool.Require(t, "find")
			src := makeSourceTree(t)
			list := run(t, src, nil, "find", "proj-1.0", "-print0")
			archive := run(t, src, list, cpioBin, "--quiet", "-o", "--null", "-H", format)

			work := t.TempDir()
			want, got := filepath.Join(work, "want"), filepath.Join(work, "got")
			if err := os.Mkdir(want, 0o755); err != nil {
				t.Fatal(err)
			}
			run(t, want, archive, cpioBin, "--quiet", "-i", "-d", "-m", "--no-absolute-filenames")
			if _, err := Extract(context.Background(), bytes.NewReader(archive), "proj.cpio", got, Options{}); err != nil {
				t.Fatal(err)
			}
			assertSameTree(t, describeTree(t, want, false), describeTree(t, got, false))
		})
	}
}

func TestExtractRefusesGNUCpioHostileNames(t *testing.T) {
	t.Parallel()
	cpioBin := testtool.Require(t, "cpio")
	base, dest := hostileLayout(t)
	// cpio -o stores names exactly as listed, ".." included.
	archive := run(t, filepath.Join(base, "work"), []byte("../outside/keep\n"), cpioBin, "--quiet", "-o", "-H", "newc")
	before := snapshot(t, base, dest)
	_, err := Extract(context.Background(), bytes.NewReader(archive), "hostile.cpio", dest, Options{})
	var me *MemberError
	if !errors.Is(err, ErrPathEscapes) || !errors.As(err, &me) || me.Member != "../outside/keep" {
		t.Fatalf("err = %v, want ErrPathEscapes naming ../outside/keep", err)
	}
	assertSameSnapshot(t, before, snapshot(t, base, dest))
}
