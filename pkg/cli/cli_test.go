package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/backport/backport/internal/archivetest"
)

// The scripts in testdata/script run the real command line end to end:
// "backport" inside them is this package's Main, in its own process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"backport": func() {
			os.Exit(Main(context.Background(), os.Args[1:],
				Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr},
				BuildInfo{Version: "1.2.3", Commit: "abc1234", Date: "2026-01-02T03:04:05Z"}))
		},
	})
}

func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			// Fixed identity and date so changelog entries are comparable.
			e.Setenv("DEBFULLNAME", "Test Packager")
			e.Setenv("DEBEMAIL", "packager@example.org")
			e.Setenv("SOURCE_DATE_EPOCH", "1700000000")
			e.Setenv("NO_COLOR", "")
			return startArchive(e)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":     cmdExitcode,
			"expandenv":    cmdExpandenv,
			"archive":      cmdArchive,
			"corruptblobs": cmdCorruptBlobs,
		},
		RequireExplicitExec: true,
	})
}

// archiveKey finds the script's test archive in its Values.
type archiveKey struct{}

// startArchive serves each script its own signed Debian archive, named by
// $BP_TEST_MIRROR and $BP_TEST_KEYRING:
//
//	stable           greet 1.0-1 (stable-updates, stable-security: empty)
//	unstable         greet 1.1-1
//	upstream/        greet-1.1.tar.gz, the same bytes as unstable's orig
func startArchive(e *testscript.Env) error {
	// testscript's T is the script's *testing.T underneath.
	t, ok := e.T().(testing.TB)
	if !ok {
		return errors.New("testscript.Env.T() is not a testing.TB")
	}
	a := archivetest.New(t)
	for suite, ver := range map[string]string{"stable": "1.0", "unstable": "1.1"} {
		a.AddSource(suite, archivetest.Source{Name: "greet", Version: ver + "-1",
			Files: map[string]string{"README": "greet " + ver + "\n"}})
	}
	a.AddSuite("stable-updates", "stable-security")
	a.Publish()
	a.AddRaw("upstream/greet-1.1.tar.gz", a.File("pool/main/g/greet/greet_1.1.orig.tar.gz"))
	e.Setenv("BP_TEST_MIRROR", a.URL())
	e.Setenv("BP_TEST_KEYRING", a.Keyring(t))
	e.Values[archiveKey{}] = a
	return nil
}

// exitcode N PROGRAM ARGS... runs PROGRAM like exec and checks that it
// exits with status N; stdout and stderr are kept for the next commands.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		got = exit.ExitCode()
	case err != nil:
		ts.Fatalf("exitcode: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// expandenv FILE... replaces $VAR and ${VAR} in each file with the
// script's environment, to put the test archive's URL into a config.
func cmdExpandenv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: expandenv file...")
	}
	for _, f := range args {
		ts.Check(os.WriteFile(ts.MkAbs(f), []byte(os.Expand(ts.ReadFile(f), ts.Getenv)), 0o644))
	}
}

// archive tamper PATH: serve a corrupted copy of the test archive's file.
// archive reset: count requests from zero.
// archive requests N: check that N requests were made since then.
func cmdArchive(ts *testscript.TestScript, neg bool, args []string) {
	a, _ := ts.Value(archiveKey{}).(*archivetest.Archive)
	switch {
	case neg || len(args) == 0 || a == nil:
		ts.Fatalf("usage: archive tamper PATH | archive reset | archive requests N")
	case args[0] == "tamper" && len(args) == 2:
		a.SetFile(args[1], archivetest.Corrupt(a.File(args[1])))
	case args[0] == "reset" && len(args) == 1:
		a.ResetRequests()
	case args[0] == "requests" && len(args) == 2:
		if got := strconv.Itoa(a.Requests()); got != args[1] {
			ts.Fatalf("the archive served %s requests, want %s", got, args[1])
		}
	default:
		ts.Fatalf("usage: archive tamper PATH | archive reset | archive requests N")
	}
}

// corruptblobs CACHEDIR changes one byte of every blob in the download
// cache, as a disk error or a meddling user would.
func cmdCorruptBlobs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: corruptblobs cachedir")
	}
	n := 0
	ts.Check(filepath.WalkDir(ts.MkAbs(filepath.Join(args[0], "sha256")), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err == nil {
			n++
			err = os.WriteFile(p, archivetest.Corrupt(data), 0o644)
		}
		return err
	}))
	fmt.Fprintf(ts.Stdout(), "corrupted %d blobs\n", n)
}
