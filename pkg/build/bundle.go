package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/backport/backport/pkg/bundle"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/version"
)

// BundleOptions are what a bundle needs beyond the loop's report.
type BundleOptions struct {
	Services    []string // the recipe's services to restart
	Health      string   // the recipe's health check
	Signer      bundle.Signer
	ToolVersion string
	// BuildTime dates the bundle (and every tarball entry); zero:
	// SOURCE_DATE_EPOCH when set, else now.
	BuildTime  time.Time
	Parameters map[string]string // the build's flags, for the provenance
}

// WriteBundle writes the bundle of a green build: dist/<bundle>/ and its
// tarball beside it, each complete or absent.
func WriteBundle(ctx context.Context, lo LoopOptions, rep *Report, bo BundleOptions) (*bundle.Written, error) {
	last := rep.last
	if rep.Status != "green" || last == nil {
		return nil, fmt.Errorf("no bundle for a build that is %s", rep.Status)
	}
	diff, err := os.ReadFile(rep.Files.PackagingDiff)
	if err != nil {
		return nil, err
	}
	md, err := os.ReadFile(rep.Files.Markdown)
	if err != nil {
		return nil, err
	}
	when := bo.BuildTime
	if when.IsZero() {
		when = time.Now().UTC()
		if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				when = time.Unix(n, 0).UTC()
			}
		}
	}
	in := bundle.Input{
		Name: lo.Sources.Name, UpstreamVersion: lo.version(), Version: rep.Hotfix, Target: lo.Target.Name,
		Family: string(lo.Target.Family), CVEs: lo.CVEs, Packages: last.Packages,
		BuilderImage: last.Builder, BuilderImageDigest: last.BuilderID, Parameters: bo.Parameters,
		Insecure: lo.Sources.Insecure, Services: bo.Services, HealthCheck: bo.Health,
		PackagingDiff: diff, ReportMarkdown: md, ToolVersion: bo.ToolVersion, BuildTime: when, Signer: bo.Signer,
	}
	fam := version.Deb
	if lo.Target.Family == recipe.FamilyRPM {
		fam = version.RPM
	}
	if p, err := version.Split(fam, rep.Hotfix); err == nil {
		in.Release = p.Release
	}
	for _, f := range lo.Sources.Files {
		in.Sources = append(in.Sources, bundle.Source{Role: f.Role, Name: f.Name, URL: f.URL, SHA256: f.SHA256, Size: f.Size, VerifiedBy: f.VerifiedBy})
	}
	for _, r := range rep.Remedies {
		in.Remedies = append(in.Remedies, bundle.Remedy{Attempt: r.Attempt, Name: r.Name, Cause: r.Cause, Summary: r.Summary, Files: r.Files})
	}
	for _, p := range rep.Patches {
		in.Patches = append(in.Patches, bundle.PatchFate{Name: p.Name, Fate: p.Fate, Reason: p.Reason})
	}
	w, err := bundle.Write(ctx, lo.outDir(), in)
	if err != nil {
		return nil, err
	}
	rep.Dist, rep.Bundle, rep.Tarball = w.Dir, w.Dir, w.Tarball
	rep.Packages = rep.Packages[:0:0]
	for _, p := range last.Packages {
		rep.Packages = append(rep.Packages, filepath.Join(w.Dir, "packages", filepath.Base(p)))
	}
	return w, nil
}
