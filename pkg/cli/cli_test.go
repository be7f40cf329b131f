package cli

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
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
			return nil
		},
		RequireExplicitExec: true,
	})
}
