// Package cli holds backport's cobra commands: one file per command, each
// binding flags to an options struct and calling a domain package. Main is
// the one place that maps errors to exit statuses.
package cli

import (
	"context"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/ui"
)

// Streams are the process's standard streams.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// BuildInfo is stamped into the binary by the linker.
type BuildInfo struct {
	Version, Commit, Date string
}

// env is what commands need from the process besides flags.
type env struct {
	ui     *ui.UI
	getenv func(string) string
	build  BuildInfo
}

// Main runs backport with args and returns the process exit status.
func Main(ctx context.Context, args []string, s Streams, info BuildInfo) int {
	e := &env{ui: ui.New(s.Out, s.Err, os.Getenv), getenv: os.Getenv, build: info}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitcode.OK
	}
	code := exitcode.Of(err)
	if code == exitcode.Interrupted {
		e.ui.Error("interrupted")
		return code
	}
	e.ui.Error("%s", oneLine(err.Error()))
	if code == exitcode.Usage {
		e.ui.Info("%s", e.ui.Faint("Run 'backport "+usageHint(root, args)+"--help' for usage."))
	}
	return code
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "backport",
		Short: "Out-of-band package backports, built and bundled before the distro ships them",
		Long: `backport builds hotfix packages from a newer upstream release on top of the
distribution's own packaging (RPM and Debian families), with versions that
upgrade over the distro's package and lose to its next update.`,
		Example: `  # Compute and write a hotfix version into a spec, with its changelog entry
  backport bump httpd.spec --version 2.2.20 --cve CVE-2011-3192

  # See what bump would change in a Debian source tree, change nothing
  backport bump ./hello-2.10 --version 2.12.3 --dry-run`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: true},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return exitcode.Wrap(exitcode.Usage, err)
	})
	root.AddCommand(newVersionCmd(e), newBumpCmd(e), newRecipeCmd(e), newFetchCmd(e), newDoctorCmd(e), newImageCmd(e), newBuildCmd(e))
	root.AddCommand(newSignCmd(e))
	// Unknown subcommands are usage errors, not failures.
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return exitcode.New(exitcode.Usage, "unknown command %q for %q", args[0], cmd.CommandPath())
		}
		return nil
	}
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	return root
}

// exactArgs is cobra.ExactArgs with a usage exit status and a message that
// names what is missing.
func exactArgs(n int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		if n == 0 && cmd.HasSubCommands() {
			return exitcode.New(exitcode.Usage, "unknown command %q for %q", args[0], cmd.CommandPath())
		}
		if n == 0 {
			return exitcode.New(exitcode.Usage, "%s takes no arguments, got %q", cmd.CommandPath(), strings.Join(args, " "))
		}
		want := strings.Join(names, " ")
		if len(args) < n {
			return exitcode.New(exitcode.Usage, "%s: missing argument: expected %s", cmd.CommandPath(), want)
		}
		return exitcode.New(exitcode.Usage, "%s: too many arguments: expected %s, got %q", cmd.CommandPath(), want, strings.Join(args, " "))
	}
}

// usageHint names the subcommand the user ran, for the "--help" hint.
func usageHint(root *cobra.Command, args []string) string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == root {
		return ""
	}
	return strings.TrimPrefix(cmd.CommandPath(), "backport ") + " "
}

// oneLine keeps error reports to one line: tool output belongs in logs.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// usageErr marks a flag value problem found after parsing.
func usageErr(format string, args ...any) error {
	return exitcode.New(exitcode.Usage, format, args...)
}
