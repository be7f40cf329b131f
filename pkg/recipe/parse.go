package recipe

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

var (
	reRecipeName = regexp.MustCompile(`^[a-z0-9][a-z0-9+._-]*$`)
	// Debian Policy §5.6.1.
	reDebSource = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	reRPMName   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
	reSuite     = regexp.MustCompile(`^[a-z][a-z0-9.-]*$`)
	reSHA256    = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	// Service names go into install.sh; allowing only what systemd allows in
	// a unit name keeps shell syntax out of it.
	reUnit = regexp.MustCompile(`^[A-Za-z0-9:_.\\@-]+$`)
)

// CheckName reports whether name can be a recipe name: lower-case letters,
// digits and + . _ -, starting with a letter or digit. Names become file
// names, so nothing else (no "/" or "..") is allowed.
func CheckName(name string) error {
	if len(name) > 100 || !reRecipeName.MatchString(name) {
		return fmt.Errorf("recipe name %q: expected lower-case letters, digits and + . _ - (like httpd or libxml2)", name)
	}
	return nil
}

// Parse decodes and validates a recipe. file names it in messages
// ("specs/hello.yaml"); its base name without .yaml is the name the recipe
// must declare.
func Parse(file string, data []byte) (*Recipe, error) {
	return parseRecipe(file, strings.TrimSuffix(filepath.Base(file), ".yaml"), data)
}

// parseRecipe is Parse with the expected name given apart from the file
// label, which for an embedded recipe is not a path.
func parseRecipe(file, want string, data []byte) (*Recipe, error) {
	var r Recipe
	ix, err := decodeStrict(file, data, &r)
	if errors.Is(err, errEmpty) {
		return nil, &FileError{File: file, Msg: "empty; expected a recipe (name:, upstream:, deb: or rpm:)"}
	}
	if err != nil {
		return nil, err
	}
	r.file, r.lines, r.raw = file, ix, data
	// "deb:" with nothing after it decodes to nil, but says the recipe
	// builds for that family with the defaults.
	if _, ok := ix.keys["deb"]; ok && r.Deb == nil {
		r.Deb = &DebPackaging{}
	}
	if _, ok := ix.keys["rpm"]; ok && r.RPM == nil {
		r.RPM = &RPMPackaging{}
	}
	if err := r.validate(want); err != nil {
		return nil, err
	}
	return &r, nil
}

// sampleData is what templates are tried with while validating: every
// field set, so that only real mistakes fail.
func sampleData(name, version string) TemplateData {
	return TemplateData{
		Name: name, Version: version, Target: "debian-12",
		DebianMirror: "https://mirror.example/debian",
		URL:          "https://upstream.example/" + name + "-" + version + ".tar.gz",
	}
}

// validate checks what strict decoding cannot; it reports every problem,
// each at its line.
func (r *Recipe) validate(wantName string) error {
	ix := r.lines
	var errs []error
	fail := func(paths []string, format string, args ...any) {
		errs = append(errs, ix.errorf(paths, format, args...))
	}

	switch {
	case r.Name == "":
		fail([]string{"name"}, "name: missing; expected %q", wantName)
	case CheckName(r.Name) != nil:
		fail([]string{"name"}, "name: %v", CheckName(r.Name))
	case r.Name != wantName:
		fail([]string{"name"}, "name %q does not match the file name; expected %q", r.Name, wantName)
	}

	if len(r.Upstream.URLs) == 0 {
		fail([]string{"upstream.urls", "upstream"}, "upstream.urls: missing; expected at least one URL template")
	}
	for i, u := range r.Upstream.URLs {
		field := fmt.Sprintf("upstream.urls[%d]", i)
		if err := checkTemplate(field, u, r.Name, false); err != nil {
			fail([]string{field}, "%s: %v", field, err)
		}
	}
	errs = append(errs, r.validateVerify()...)

	if r.Deb == nil && r.RPM == nil {
		fail([]string{"name"}, "no deb: or rpm: section; expected at least one (the target families the recipe builds for)")
	}
	if d := r.Deb; d != nil {
		if d.Source != "" && !reDebSource.MatchString(d.Source) {
			fail([]string{"deb.source"}, "deb.source %q: expected a Debian source package name", d.Source)
		}
		errs = append(errs, checkServices(ix, "deb.services", d.Services)...)
	}
	if p := r.RPM; p != nil {
		switch {
		case p.SRPM == "" && p.RepoPackage == "":
			fail([]string{"rpm"}, "rpm: expected srpm (a URL template) or repo_package (a package name)")
		case p.SRPM != "" && p.RepoPackage != "":
			fail([]string{"rpm.repo_package"}, "rpm: set srpm or repo_package, not both")
		case p.SRPM != "":
			if err := checkTemplate("rpm.srpm", p.SRPM, r.Name, false); err != nil {
				fail([]string{"rpm.srpm"}, "rpm.srpm: %v", err)
			}
		case !reRPMName.MatchString(p.RepoPackage):
			fail([]string{"rpm.repo_package"}, "rpm.repo_package %q: expected an RPM package name", p.RepoPackage)
		}
		errs = append(errs, checkServices(ix, "rpm.services", p.Services)...)
	}
	return joinErrors(r.file, errs)
}

// maxErrors is how many problems one message lists; past that, a count.
const maxErrors = 10

// joinErrors reports every problem, one per line, up to maxErrors.
func joinErrors(file string, errs []error) error {
	if len(errs) > maxErrors {
		more := len(errs) - maxErrors
		errs = append(errs[:maxErrors:maxErrors], &FileError{File: file, Msg: fmt.Sprintf("and %d more problems", more)})
	}
	return errors.Join(errs...)
}

func (r *Recipe) validateVerify() []error {
	v, ix := r.Upstream.Verify, r.lines
	var errs []error
	fail := func(paths []string, format string, args ...any) {
		errs = append(errs, ix.errorf(paths, format, args...))
	}
	// DESIGN §9: an unverifiable download is refused, so a recipe that gives
	// no way to verify one is useless.
	if len(v.SHA256) == 0 && v.Checksums == "" && v.Signature == "" && len(v.DistroIndex) == 0 {
		fail([]string{"upstream.verify", "upstream"}, "upstream.verify: expected at least one of sha256, checksums, signature, distro_index")
	}
	for _, version := range slices.Sorted(maps.Keys(v.SHA256)) {
		sum := v.SHA256[version]
		field := "upstream.verify.sha256." + version
		if err := checkVersion(version); err != nil {
			fail([]string{field}, "upstream.verify.sha256: %v", err)
		}
		if !reSHA256.MatchString(sum) {
			fail([]string{field}, "upstream.verify.sha256 %q: expected 64 hex digits, got %q", version, sum)
		}
	}
	for _, f := range []struct{ field, tmpl string }{
		{"upstream.verify.checksums", v.Checksums},
		{"upstream.verify.signature", v.Signature},
	} {
		if f.tmpl == "" {
			continue
		}
		if err := checkTemplate(f.field, f.tmpl, r.Name, true); err != nil {
			fail([]string{f.field}, "%s: %v", f.field, err)
		}
	}
	if v.Keyring != "" {
		if v.Signature == "" {
			fail([]string{"upstream.verify.keyring"}, "upstream.verify.keyring is set but signature is not; expected both")
		}
		if !fs.ValidPath(path.Clean(v.Keyring)) || strings.Contains(v.Keyring, `\`) {
			fail([]string{"upstream.verify.keyring"}, "upstream.verify.keyring %q: expected a path relative to the recipe, inside its directory (like keys/%s.asc)", v.Keyring, r.Name)
		}
	}
	seen := map[string]bool{}
	for i, s := range v.DistroIndex {
		field := fmt.Sprintf("upstream.verify.distro_index[%d]", i)
		switch {
		case !reSuite.MatchString(s):
			fail([]string{field}, "upstream.verify.distro_index: %q: expected a Debian suite such as unstable or bookworm", s)
		case seen[s]:
			fail([]string{field}, "upstream.verify.distro_index: %q is listed twice", s)
		}
		seen[s] = true
	}
	return errs
}

// checkTemplate parses a URL template and renders it with sample data: an
// unknown field, a non-URL result or a URL that ignores the version is a
// mistake best reported when the recipe is read, not mid-build.
func checkTemplate(field, tmpl, name string, withURL bool) error {
	if _, err := parseTemplate(field, tmpl); err != nil {
		return err
	}
	a, b := sampleData(name, "1.2.3"), sampleData(name, "1.2.4")
	if !withURL {
		a.URL, b.URL = "", ""
	}
	ua, err := renderURL(field, tmpl, a)
	if err != nil {
		return err
	}
	ub, err := renderURL(field, tmpl, b)
	if err != nil {
		return err
	}
	if ua == ub {
		use := "{{.Version}}"
		if withURL {
			use = "{{.URL}} or {{.Version}}"
		}
		return fmt.Errorf("does not depend on the version (use %s); every version would fetch the same file", use)
	}
	return nil
}

func checkServices(ix *nodeIndex, field string, units []string) []error {
	var errs []error
	for i, u := range units {
		if !reUnit.MatchString(u) {
			p := fmt.Sprintf("%s[%d]", field, i)
			errs = append(errs, ix.errorf([]string{p, field}, "%s: %q: expected a systemd unit name such as httpd or apache2.service", field, u))
		}
	}
	return errs
}
