package cli

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/backport/backport/pkg/bump"
	"github.com/backport/backport/pkg/deb"
	"github.com/backport/backport/pkg/version"
)

type bumpOptions struct {
	version string
	release string
	cves    []string
	message string
	suite   string
	vendor  string
	dryRun  bool
}

func newBumpCmd(e *env) *cobra.Command {
	var o bumpOptions
	cmd := &cobra.Command{
		Use:   "bump PATH --version V",
		Short: "Set a hotfix version in a spec or debian/changelog, with its changelog entry",
		Long: `Set a hotfix version in an RPM spec or a debian/changelog, in place.

PATH is a .spec file, a debian/changelog, or a source tree holding one. Without
--release the hotfix release is computed from the current one so that it
upgrades over the distro's package and loses to the distro's next update
(rpmvercmp and dpkg ordering). A changelog entry names the version, the CVEs and
that this is an out-of-band hotfix. Every other byte of the file is kept.

The changelog maintainer is DEBFULLNAME and DEBEMAIL (or NAME and EMAIL), else
the current user at this host. SOURCE_DATE_EPOCH, when set, fixes the date.`,
		Example: `  backport bump httpd.spec --version 2.2.20 --cve CVE-2011-3192
  backport bump hello-2.10/debian/changelog --version 2.12.3 --suite bookworm
  backport bump ./glibc-2.36 --version 2.36 --cve CVE-2023-4911 --dry-run`,
		Args: exactArgs(1, "PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBump(e, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.version, "version", "", "upstream version the hotfix ships (required)")
	f.StringVar(&o.release, "release", "", "set this release instead of computing the hotfix one")
	f.StringArrayVar(&o.cves, "cve", nil, "CVE id the hotfix fixes (repeatable)")
	f.StringVarP(&o.message, "message", "m", "", "an extra changelog line")
	f.StringVar(&o.suite, "suite", "", "Debian distribution of the new entry (default: the current entry's)")
	f.StringVar(&o.vendor, "vendor", "", "debian, ubuntu, el or fedora (default: inferred from the version)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the unified diff and change nothing")
	return cmd
}

func runBump(e *env, path string, o bumpOptions) error {
	if o.version == "" {
		return usageErr("bump: --version is required")
	}
	cves, err := bump.NormalizeCVEs(o.cves)
	if err != nil {
		return err
	}
	vendor, err := parseVendor(o.vendor)
	if err != nil {
		return err
	}
	now, err := buildTime(e.getenv)
	if err != nil {
		return err
	}
	res, err := bump.Plan(bump.Options{
		Path: path, Version: o.version, Release: o.release, CVEs: cves,
		Message: o.message, Suite: o.suite, Vendor: vendor,
		Maintainer: maintainer(e.getenv), Now: now,
	})
	if err != nil {
		return err
	}
	for _, n := range res.Notes {
		e.ui.Note("%s", n)
	}
	if o.dryRun {
		e.ui.Diff(res.Diff())
		e.ui.Info("%s: %s → %s (dry run, nothing written)", res.File, res.From, e.ui.Accent(res.To))
		return nil
	}
	if err := res.Write(); err != nil {
		return err
	}
	e.ui.Success("%s: %s → %s", res.File, res.From, e.ui.Accent(res.To))
	if res.Proof != "" {
		e.ui.Info("%s", e.ui.Faint("  ordering checked: "+res.Proof))
	}
	_, err = fmt.Fprintln(e.ui.Out, res.To)
	return err
}

func parseVendor(s string) (version.Vendor, error) {
	switch v := version.Vendor(strings.ToLower(s)); v {
	case "", version.Debian, version.Ubuntu, version.EL, version.Fedora:
		return v, nil
	}
	return "", usageErr("--vendor %q: expected debian, ubuntu, el or fedora", s)
}

// buildTime is now, or SOURCE_DATE_EPOCH for reproducible output.
func buildTime(getenv func(string) string) (time.Time, error) {
	s := getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Now().UTC(), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, usageErr("SOURCE_DATE_EPOCH=%q: expected seconds since 1970", s)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// maintainer follows dch: DEBFULLNAME/DEBEMAIL, NAME/EMAIL, else the
// current user at this host, so that CI jobs need no set-up.
func maintainer(getenv func(string) string) string {
	if m, err := deb.Maintainer(getenv); err == nil {
		return m
	}
	name, login := "backport", "root"
	if u, err := user.Current(); err == nil {
		login = u.Username
		if full, _, _ := strings.Cut(u.Name, ","); full != "" {
			name = full
		} else {
			name = u.Username
		}
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("%s <%s@%s>", name, login, host)
}
