package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/deb"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/recipe"
)

// BuilderDefinition is the builder image of a Debian-family target: a
// debootstrapped base from the target's mirror, its suites as apt sources,
// and the packaging toolchain.
func BuilderDefinition(t recipe.Target) (container.Definition, error) {
	if t.Codename == "" || t.Mirror == "" {
		return container.Definition{}, fmt.Errorf("target %s: a builder image needs a codename and a mirror (mirror: in backport.yaml, or the host's apt sources)", t.Name)
	}
	comps := t.Components
	if len(comps) == 0 {
		comps = []string{"main"}
	}
	var lines []string
	for _, s := range t.Suites {
		mirror := t.Mirror
		if strings.HasSuffix(s, "-security") {
			if t.SecurityMirror == "" {
				continue // the main mirror does not carry it
			}
			mirror = t.SecurityMirror
		}
		lines = append(lines, "deb "+mirror+" "+s+" "+strings.Join(comps, " "))
	}
	return container.Definition{
		Base: container.Base{Bootstrap: &container.Bootstrap{
			Suite: t.Codename, Mirror: t.Mirror, Variant: "minbase", Components: comps, Keyring: t.Keyring,
		}},
		AptSources: strings.Join(lines, "\n"),
		Toolchain:  container.DebToolchain(),
	}, nil
}

// depsScript installs the build dependencies of the tree in the working
// directory. apt-get build-dep reads debian/control itself, so no equivs
// package is built; the lists go again so that the layer stays small.
const depsScript = `set -e
apt-get update
apt-get build-dep -y --no-install-recommends ./
apt-get clean
rm -rf /var/lib/apt/lists/*
`

// depsDeb makes sure the builder image exists and a layer on it holds the
// build dependencies; on a cached layer no container runs.
func depsDeb(ctx context.Context, a *attempt) error {
	o := a.opts
	if _, err := a.ensureBuilder(ctx); err != nil {
		return err
	}

	control, err := os.ReadFile(filepath.Join(a.tree, "debian", "control"))
	if err != nil {
		return err
	}
	deps, err := BuildDepends(control)
	if err != nil {
		return fmt.Errorf("debian/control: %w", err)
	}
	if o.DepsRefresh > 0 {
		// A layer that failed the build's own dependency check is not
		// reused: the next one is installed afresh.
		deps = append(deps, fmt.Sprintf("#refresh-%d", o.DepsRefresh))
	}
	key := DepsKey(deps, o.Target.Name)
	tree := container.Mount{Source: a.tree, Target: "/backport/src", ReadOnly: true}
	log := teeLog(a.log, o.Image.Log)
	ref, hit, err := container.EnsureLayer(ctx, o.Runtime, a.builder, key, container.RunSpec{
		Args:    []string{"/bin/sh", "-c", depsScript},
		Env:     map[string]string{"DEBIAN_FRONTEND": "noninteractive"},
		Mounts:  []container.Mount{tree},
		Workdir: o.Runtime.InsidePath(tree),
		Stdout:  log,
		Stderr:  log,
	})
	if err != nil {
		var exit *container.ExitError
		if errors.As(err, &exit) {
			return exitcode.Wrap(exitcode.BuildRed, &FailedError{
				Step: "installing build dependencies", Code: exit.Code, LogPath: a.logPath, Tail: exit.Tail,
			})
		}
		return err
	}
	a.depsRef = ref
	if hit {
		fmt.Fprintf(a.log, "backport: build dependencies cached in %s\n", ref)
		return skip("build dependencies already in %s (key %.12s)", ref, key)
	}
	fmt.Fprintf(a.log, "backport: build dependencies installed into %s\n", ref)
	return nil
}

// buildDependsFields are the source stanza fields apt-get build-dep
// installs for a full (-b) build.
var buildDependsFields = []string{"build-depends", "build-depends-arch", "build-depends-indep"}

// BuildDepends returns the build dependencies the source stanza of a
// debian/control declares, normalised so that only what changes the
// installed set changes the result: one relation per element, sorted (the
// order of comma-separated relations means nothing to dpkg or apt), with
// whitespace collapsed and comments dropped. Alternatives keep their order,
// which apt honours.
func BuildDepends(control []byte) ([]string, error) {
	fields, err := sourceStanza(string(control))
	if err != nil {
		return nil, err
	}
	var rels []string
	for _, name := range buildDependsFields {
		for _, rel := range strings.Split(fields[name], ",") {
			if r := normalizeRelation(rel); r != "" {
				rels = append(rels, r)
			}
		}
	}
	slices.Sort(rels)
	return slices.Compact(rels), nil
}

// DepsKey names the deps layer of a set of build dependencies on a target.
func DepsKey(deps []string, target string) string {
	sum := sha256.Sum256([]byte("backport-deps-v1\n" + target + "\n" + strings.Join(deps, "\n")))
	return hex.EncodeToString(sum[:])
}

var (
	spaces   = regexp.MustCompile(`\s+`)
	relation = regexp.MustCompile(`^([^\s(\[<]+)\s*` +
		`(?:\(\s*(<<|<=|=|>=|>>|<|>)?\s*([^)\s]+)\s*\))?\s*` +
		`(?:\[([^\]]*)\])?\s*` +
		`((?:<[^>]*>\s*)*)$`)
	profile = regexp.MustCompile(`<([^>]*)>`)
)

// normalizeRelation writes one relation canonically, as dpkg would print
// it: "foo (>= 1) [amd64 i386] <!nocheck> | bar". A relation it cannot
// parse keeps its text with whitespace collapsed; apt judges it later.
func normalizeRelation(rel string) string {
	var alts []string
	for _, alt := range strings.Split(rel, "|") {
		alt = strings.TrimSpace(spaces.ReplaceAllString(alt, " "))
		if alt == "" {
			continue
		}
		m := relation.FindStringSubmatch(alt)
		if m == nil {
			alts = append(alts, alt)
			continue
		}
		out := m[1]
		if m[3] != "" {
			op := m[2]
			if op == "" {
				op = "="
			}
			out += " (" + op + " " + m[3] + ")"
		}
		if arches := strings.Fields(m[4]); len(arches) > 0 {
			out += " [" + strings.Join(arches, " ") + "]"
		}
		for _, p := range profile.FindAllStringSubmatch(m[5], -1) {
			out += " <" + strings.Join(strings.Fields(p[1]), " ") + ">"
		}
		alts = append(alts, out)
	}
	return strings.Join(alts, " | ")
}

// sourceStanza parses the first paragraph of a debian/control into lower-
// cased field names and their values, continuation lines joined.
func sourceStanza(text string) (map[string]string, error) {
	fields := map[string]string{}
	current := ""
	started := false
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "#"):
			continue // a comment, as dpkg treats it in debian/control
		case strings.TrimSpace(line) == "":
			if started {
				return fields, nil
			}
		case line[0] == ' ' || line[0] == '\t':
			if current == "" {
				return nil, fmt.Errorf("line %d: continuation line without a field", n+1)
			}
			fields[current] += " " + strings.TrimSpace(line)
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("line %d: expected \"Field: value\"", n+1)
			}
			started = true
			current = strings.ToLower(strings.TrimSpace(name))
			fields[current] = strings.TrimSpace(value)
		}
	}
	if !started {
		return nil, errors.New("no source stanza")
	}
	return fields, nil
}

// teeLog writes to the attempt log and, when set, to extra as well.
func teeLog(log, extra io.Writer) io.Writer {
	if extra == nil {
		return log
	}
	return io.MultiWriter(log, extra)
}

// maintainerAndDate are the changelog entry's signer and date: the
// options', else DEBFULLNAME/DEBEMAIL (or DefaultMaintainer) and now.
func (o Options) maintainerAndDate() (string, time.Time) {
	maint := o.Maintainer
	if maint == "" {
		if m, err := deb.Maintainer(os.Getenv); err == nil {
			maint = m
		} else {
			maint = DefaultMaintainer
		}
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	return maint, now
}
