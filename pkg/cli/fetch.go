package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/backport/backport/pkg/fetch"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/ui"
	"github.com/backport/backport/pkg/workspace"
)

type fetchOptions struct {
	target    string
	distro    string
	packaging string
	insecure  bool
	refresh   bool
	fresh     bool
	strict    bool
	verbose   bool
	json      bool
}

func newFetchCmd(e *env) *cobra.Command {
	var o fetchOptions
	cmd := &cobra.Command{
		Use:   "fetch NAME VERSION",
		Short: "Fetch and verify the upstream tarball and the distro source package",
		Long: `Fetch the upstream tarball of NAME at VERSION and the target distro's source
package, verify each (a signed distro index, a pinned hash, a checksums file or
an OpenPGP signature), cache them, and unpack them into the workspace
.backport/work/NAME-VERSION-TARGET/:

  sources/    the verified files
  packaging/  the distro's source package, unpacked untouched
  tree/       where a build starts: the new upstream with the distro's packaging

Nothing unverified is used unless --insecure is given. A second fetch of the
same request is served from the cache without network access.`,
		Example: `  backport fetch hello 2.12.3 --target debian-12
  backport fetch jq 1.7.1 --json`,
		Args: exactArgs(2, "NAME", "VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFetch(cmd, e, args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", "distro release to build for (default: default_target, else this host's)")
	f.StringVar(&o.distro, "distro-version", "", "start from this version of the distro's package (Debian family; default: the newest)")
	f.StringVar(&o.packaging, "packaging", "auto", "distro packaging to start from: auto (closest upstream not above VERSION among the target's and newer suites) or a suite")
	f.BoolVar(&o.insecure, "insecure", false, "use an upstream tarball nothing verifies (recorded loudly)")
	f.BoolVar(&o.refresh, "refresh", false, "ask the mirrors again instead of reusing the last resolution")
	f.BoolVar(&o.fresh, "fresh", false, "unpack tree/ again even if it exists (discards edits in it)")
	f.BoolVar(&o.strict, "strict-valid-until", false, "refuse a distro index past its Valid-Until date")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "say what is looked up and why")
	f.BoolVar(&o.json, "json", false, "print a JSON document describing the result")
	return cmd
}

// fetched is what the fetch step leaves for the commands after it.
type fetched struct {
	cfg    recipe.Config
	recipe *recipe.Recipe
	cache  *fetch.Cache
	target recipe.Target
	ws     *workspace.Workspace // locked; the caller closes it
	res    *sources.Result
}

// fetchSources runs the fetch pipeline for NAME VERSION: config, target,
// recipe, cache, a locked workspace, and verified sources in it.
func fetchSources(cmd *cobra.Command, e *env, name, ver string, o fetchOptions) (*fetched, error) {
	cfg, _, err := recipe.DefaultConfig()
	if err != nil {
		return nil, err
	}
	target, err := cfg.ChooseTarget(o.target)
	if err != nil {
		return nil, usageErr("--target: %v", err)
	}
	r, origin, err := recipe.DefaultStore().Load(name)
	if err != nil {
		return nil, err
	}
	log := e.ui.Logger(o.verbose)
	log.Debug("recipe", "name", name, "from", origin)
	mirror, _ := cfg.DebianMirror() // only recipes that need it fail without one

	cache, err := fetch.NewCache(cfg.CacheDir, fetch.NewClient(fetch.ClientOptions{
		Logger: log, Progress: transferProgress{e.ui},
	}))
	if err != nil {
		return nil, err
	}
	ws, err := workspace.Open(workspace.DefaultRoot, workspace.Key{Name: name, Version: ver, Target: target.Name})
	if err != nil {
		return nil, err
	}
	res, err := sources.Fetch(cmd.Context(), sources.Request{
		Recipe: r, Version: ver, Target: target, DebianMirror: mirror, DebianKeyring: debianKeyring(cfg),
		DistroVersion: o.distro, Packaging: o.packaging, Insecure: o.insecure, Refresh: o.refresh, Fresh: o.fresh, StrictValidUntil: o.strict,
		Cache: cache, Workspace: ws, Log: log,
	})
	if err != nil {
		ws.Close()
		return nil, err
	}
	for _, w := range res.Warnings {
		e.ui.Warn("%s", w)
	}
	return &fetched{cfg: cfg, recipe: r, cache: cache, target: target, ws: ws, res: res}, nil
}

func runFetch(cmd *cobra.Command, e *env, name, ver string, o fetchOptions) error {
	f, err := fetchSources(cmd, e, name, ver, o)
	if err != nil {
		return err
	}
	defer f.ws.Close()
	res := f.res
	if o.json {
		return writeJSON(e, res)
	}
	for _, f := range res.Files {
		e.ui.Info("%s %s %s", e.ui.Faint(fmt.Sprintf("%-14s", f.Role)), f.Name, e.ui.Faint("— "+f.VerifiedBy))
	}
	what := "same upstream version"
	if res.NewUpstream {
		what = "new upstream " + res.Version
	}
	e.ui.Success("%s %s (%s) for %s: packaging %s from %s", res.Name, res.Version, what, res.Target, res.DistroVersion, res.DistroSuite)
	if res.PackagingReason != "" {
		e.ui.Info("%s", e.ui.Faint("packaging: "+res.PackagingReason))
	}
	if res.TreeKept {
		e.ui.Note("kept the existing tree (it may hold edits); --fresh unpacks it again")
	}
	_, err = fmt.Fprintln(e.ui.Out, res.Tree)
	return err
}

// debianKeyring verifies Debian's own suites (verify.distro_index), whatever
// the target.
func debianKeyring(cfg recipe.Config) string {
	if cfg.Keyring != "" {
		return cfg.Keyring
	}
	return recipe.DebianKeyring
}

// transferProgress shows downloads through the UI.
type transferProgress struct{ u *ui.UI }

func (p transferProgress) Start(name string, size int64) fetch.ProgressTracker {
	return p.u.StartTransfer(name, size)
}
