package sources

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/fetch"
	"github.com/backport/backport/pkg/recipe"
)

const notVerified = "NOT VERIFIED"

// getUpstream places the verified upstream tarball in the workspace's
// sources and records it in res. *resolved is the remembered resolution;
// when remembered is false it is resolved (and set) first.
func getUpstream(ctx context.Context, req Request, resolved **File, remembered bool, packaging string, res *Result) (File, error) {
	if !remembered || *resolved == nil {
		f, err := resolveUpstream(ctx, req, packaging)
		if err != nil {
			return File{}, err
		}
		*resolved = &f
	}
	want := **resolved
	blob, err := req.Cache.Fetch(ctx, want.URL, fetch.Expect{SHA256: want.SHA256, Size: want.Size})
	if err != nil {
		return File{}, err
	}
	if want.Path, err = place(blob, req.Workspace.Sources(), want.Name, want.SHA256); err != nil {
		return File{}, err
	}
	res.Files = append(res.Files, want)
	noteInsecure(res, want)
	return want, nil
}

// resolveUpstream finds and verifies the upstream tarball, trying the
// recipe's ways of verifying it in order of strength: a pinned hash, the
// hash in a signed distro index, a checksums file, an OpenPGP signature.
// Without any, it fails closed (exit 4) unless req.Insecure.
func resolveUpstream(ctx context.Context, req Request, packaging string) (File, error) {
	r := req.Recipe
	data := recipe.TemplateData{Name: r.Name, Version: req.Version, Target: req.Target.Name, DebianMirror: req.DebianMirror}
	urls, err := r.UpstreamURLs(data)
	if err != nil {
		return File{}, err
	}
	v := r.Upstream.Verify

	if sha, ok := r.PinnedSHA256(req.Version); ok {
		return fetchKnown(ctx, req, urls, fetch.Expect{SHA256: sha}, "sha256 pinned in "+r.File())
	}
	if len(v.DistroIndex) > 0 {
		refs := make([]fetch.SuiteRef, 0, len(v.DistroIndex))
		for _, s := range v.DistroIndex {
			refs = append(refs, fetch.SuiteRef{Mirror: req.DebianMirror, Suite: s})
		}
		// Debian's own archive, whatever the target: its newer suites are
		// the upstream mirror here, signed by Debian's keyring.
		archive := &fetch.DebianArchive{
			Mirror: req.DebianMirror, Keyring: req.DebianKeyring, Cache: req.Cache,
			StrictValidUntil: req.StrictValidUntil, Logger: req.Log,
		}
		orig, err := archive.FindOrig(ctx, refs, r.DebianSource(), req.Version)
		switch {
		case err == nil:
			// The mirror's copy last: upstream's own site is tried first,
			// and either way the indexed hash decides.
			return fetchKnown(ctx, req, append(urls, orig.URL), orig.Expect(),
				fmt.Sprintf("sha256 of %s in the signed Sources index of %s", orig.Name, orig.Suite.Suite))
		case errors.Is(err, fetch.ErrNoSource):
			req.Log.Info("no orig tarball in the distro indexes", "suites", strings.Join(v.DistroIndex, ","), "version", req.Version)
		default:
			return File{}, err
		}
	}
	var tried []string
	for _, u := range urls {
		if v.Checksums != "" {
			f, err := viaChecksums(ctx, req, data, u)
			if final(ctx, err) {
				return f, err
			}
			tried = append(tried, err.Error())
		}
		if v.Signature != "" {
			f, err := viaSignature(ctx, req, data, u, packaging)
			if final(ctx, err) {
				return f, err
			}
			tried = append(tried, err.Error())
		}
	}
	if req.Insecure {
		for _, u := range urls {
			blob, err := req.Cache.FetchVerifiedBy(ctx, u, func(string) error { return nil })
			if !final(ctx, err) {
				tried = append(tried, err.Error())
				continue
			}
			if err != nil {
				return File{}, err
			}
			return fileFor(u, blob, notVerified+" (--insecure)"), nil
		}
		return File{}, noTarball(r.Name, req.Version, tried)
	}
	if len(tried) > 0 {
		return File{}, noTarball(r.Name, req.Version, tried)
	}
	return File{}, exitcode.New(exitcode.Verification,
		"%s %s: nothing can verify the upstream tarball (no pinned sha256 for this version, not in the distro indexes %v, no checksums or signature in %s); pass --insecure to use it unverified",
		r.Name, req.Version, v.DistroIndex, r.File())
}

// fetchKnown downloads a tarball whose sha256 is known from the first URL
// that has it. A URL serving different bytes is skipped, and reported if
// no other URL has the right ones.
func fetchKnown(ctx context.Context, req Request, urls []string, want fetch.Expect, how string) (File, error) {
	var tried []string
	var mismatch error
	for _, u := range urls {
		blob, err := req.Cache.Fetch(ctx, u, want)
		if err == nil {
			return fileFor(u, fetch.Blob{Path: blob, SHA256: want.SHA256, Size: sizeOf(blob)}, how), nil
		}
		if ctx.Err() != nil {
			return File{}, err
		}
		if exitcode.Of(err) == exitcode.Verification {
			mismatch = err
		}
		req.Log.Info("upstream URL failed", "url", u, "err", err)
		tried = append(tried, err.Error())
	}
	if mismatch != nil {
		return File{}, mismatch
	}
	return File{}, noTarball(req.Recipe.Name, req.Version, tried)
}

func viaChecksums(ctx context.Context, req Request, data recipe.TemplateData, tarURL string) (File, error) {
	data.URL = tarURL
	sumsURL, err := req.Recipe.ChecksumsURL(data)
	if err != nil {
		return File{}, err
	}
	buf := limitedBuffer{max: maxSmallFile}
	if _, err := req.Cache.Client().Download(ctx, sumsURL, &buf); err != nil {
		return File{}, err
	}
	name := baseName(tarURL)
	sha, ok := fetch.ParseChecksums(buf.Bytes())[name]
	if !ok {
		return File{}, exitcode.New(exitcode.Verification, "%s does not list %s", sumsURL, name)
	}
	return fetchKnown(ctx, req, []string{tarURL}, fetch.Expect{SHA256: sha}, "sha256 from "+sumsURL)
}

func viaSignature(ctx context.Context, req Request, data recipe.TemplateData, tarURL, packaging string) (File, error) {
	data.URL = tarURL
	sigURL, err := req.Recipe.SignatureURL(data)
	if err != nil {
		return File{}, err
	}
	keyring, keySource, err := upstreamKeyring(req.Recipe, packaging)
	if err != nil {
		return File{}, err
	}
	sig := limitedBuffer{max: maxSmallFile}
	if _, err := req.Cache.Client().Download(ctx, sigURL, &sig); err != nil {
		return File{}, err
	}
	var signer fetch.Signer
	blob, err := req.Cache.FetchVerifiedBy(ctx, tarURL, func(p string) error {
		signer, err = fetch.VerifyDetached(keyring, p, sig.Bytes())
		return err
	})
	if err != nil {
		return File{}, err
	}
	return fileFor(tarURL, blob, fmt.Sprintf("OpenPGP signature %s by %s (key from %s)", sigURL, signer.Fingerprint, keySource)), nil
}

// upstreamKeyring is the recipe's keyring, else the one the distro ships
// in debian/upstream/signing-key.asc.
func upstreamKeyring(r *recipe.Recipe, packaging string) (openpgp.EntityList, string, error) {
	data, err := r.ReadKeyring()
	if err != nil {
		return nil, "", err
	}
	source := r.File()
	if data == nil {
		p := filepath.Join(packaging, "debian", "upstream", "signing-key.asc")
		if data, err = os.ReadFile(p); err != nil {
			return nil, "", exitcode.New(exitcode.Verification, "%s: no keyring for the upstream signature: the recipe names none and the distro package has no debian/upstream/signing-key.asc", r.File())
		}
		source = "the distro's debian/upstream/signing-key.asc"
	}
	kr, err := fetch.ReadKeyring(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", source, err)
	}
	return kr, source, nil
}

// final says whether err ends the search for a tarball: success, a
// verification failure (a URL served the wrong bytes or signature) or an
// interruption. Anything else — 404, an unreachable host — means the next
// URL may still have it.
func final(ctx context.Context, err error) bool {
	return err == nil || ctx.Err() != nil || exitcode.Of(err) == exitcode.Verification
}

func fileFor(u string, b fetch.Blob, how string) File {
	return File{Role: "upstream", Name: baseName(u), URL: u, SHA256: b.SHA256, Size: b.Size, VerifiedBy: how}
}

func baseName(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return path.Base(u.Path)
	}
	return path.Base(rawURL)
}

func sizeOf(p string) int64 {
	if fi, err := os.Stat(p); err == nil {
		return fi.Size()
	}
	return 0
}

func noTarball(name, ver string, tried []string) error {
	return fmt.Errorf("no upstream tarball for %s %s: tried %s", name, ver, strings.Join(tried, "; "))
}
