package bump

import (
	"github.com/backport/backport/pkg/deb"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/version"
)

func planChangelog(r *Result, o Options) error {
	top, err := deb.ReadTopEntry(r.File, r.Old)
	if err != nil {
		return err
	}
	r.From = top.Version
	cur, err := version.Split(version.Deb, top.Version)
	if err != nil {
		return err
	}
	if o.Release != "" {
		r.To = withEpoch(cur.Epoch, o.Version+"-"+o.Release)
		if err := version.Check(version.Deb, r.To); err != nil {
			return usage("--release: %w", err)
		}
	} else {
		hf, err := version.HotfixVersion(version.Request{
			Family: version.Deb, Vendor: o.Vendor, Current: top.Version, Upstream: o.Version,
		})
		if err != nil {
			return err
		}
		r.To = hf.Full
		r.Proof = proof(hf)
	}
	suite := o.Suite
	if suite == "" {
		suite = top.Distribution
	}
	urgency := "medium"
	if len(o.CVEs) > 0 {
		urgency = "high"
	}
	entry := deb.NewEntry(top.Source, r.To, suite, urgency,
		changeItems(o, r.From, o.Version != cur.Version), o.Maintainer, o.Now)
	r.New = deb.PrependEntry(r.Old, entry)
	return nil
}

func usage(format string, args ...any) error {
	return exitcode.New(exitcode.Usage, format, args...)
}
