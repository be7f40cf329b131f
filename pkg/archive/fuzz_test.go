package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeedEntries is a small tree with every member kind, so that seeds stay
// a few hundred bytes: the fuzzer minimises each new-coverage input byte by
// byte, and big seeds make that crowd out fuzzing.
var fuzzSeedEntries = []entry{
	{name: "p/", typ: 'd'},
	{name: "p/run", typ: 'f', body: "#!/bin/sh\n", mode: 0o4755},
	{name: "p/s", typ: 'l', link: "run"},
	{name: "p/h", typ: 'h', link: "p/run"},
	{name: "p/d/", typ: 'd', mode: dirMode0},
}

// FuzzExtract feeds arbitrary bytes to Extract: it may fail, but it must not
// panic, change anything outside the destination, or leave a symlink there
// that resolves outside it.
//
// Each input touches the file system (about a millisecond), so cap the time
// spent minimising new-coverage inputs or a cold run does little else:
//
//	go test ./pkg/archive/ -run '^$' -fuzz FuzzExtract -fuzztime 30s -fuzzminimizetime 100x
func FuzzExtract(f *testing.F) {
	small := [][]byte{
		makeTar(f, fuzzSeedEntries, tar.FormatUSTAR),
		makeTar(f, []entry{{name: longName, typ: 'f', body: "x"}}, tar.FormatGNU),
		makeCpio(f, fuzzSeedEntries, false),
		makeCpio(f, fuzzSeedEntries, true),
	}
	for _, data := range small {
		f.Add(data)
	}
	f.Add(gzipBytes(f, small[0]))
	f.Add(xzBytes(f, small[0]))
	f.Add(zstdBytes(f, small[2]))
	if data, err := os.ReadFile(filepath.Join("testdata", "hello-1.0.tar.bz2")); err == nil {
		f.Add(data)
	}
	for _, c := range hostileCases {
		entries := c.expand("/tmp/fuzz-base") // an absolute path the fuzzer may mutate
		if !c.cpioOnly {
			f.Add(makeTar(f, entries, tar.FormatUSTAR))
		}
		if !c.tarOnly {
			f.Add(makeCpio(f, entries, false))
		}
	}

	// One layout per process, with dest emptied after each input: fresh
	// temporary names per input would make coverage flaky (and every input
	// look new), and the file system work would dominate each run.
	base, dest := hostileLayout(f)
	before := snapshot(f, base, dest)
	limits := Limits{MaxMemberSize: 1 << 20, MaxTotalSize: 4 << 20, MaxMembers: 512}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer func() {
			if err := os.RemoveAll(dest); err != nil {
				t.Fatal(err)
			}
		}()
		// Odd lengths also exercise StripComponents, at no extra cost.
		opt := Options{Limits: limits, StripComponents: len(data) % 2}
		_, _ = Extract(context.Background(), bytes.NewReader(data), "fuzz.archive", dest, opt)
		assertSameSnapshot(t, before, snapshot(t, base, dest))
		assertNoEscapingLinks(t, dest)
	})
}
