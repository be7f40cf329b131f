package recipe

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"text/template"
)

// TemplateData is what URL templates in a recipe may use.
type TemplateData struct {
	Name         string // the recipe name
	Version      string // the upstream version asked for
	Target       string // the target name, e.g. "debian-12"
	DebianMirror string // the Debian mirror base URL, no trailing slash; "" when none is configured
	URL          string // verify.checksums and verify.signature only: the tarball being verified
}

// ErrNoMirror is returned when a Debian mirror is needed and neither
// backport.yaml nor the host's apt sources name one.
var ErrNoMirror = errors.New("no Debian mirror configured; set mirror: in backport.yaml")

// errNoURL is returned when a template outside verify uses .URL.
var errNoURL = errors.New(".URL is set only in verify.checksums and verify.signature")

// templateView is what templates see. Its values are methods rather than
// fields so that a template using an unset DebianMirror or URL fails with a
// reason instead of rendering a URL like "/pool/main/h/hello/…".
type templateView struct{ d TemplateData }

func (v templateView) Name() string    { return v.d.Name }
func (v templateView) Version() string { return v.d.Version }
func (v templateView) Target() string  { return v.d.Target }

func (v templateView) DebianMirror() (string, error) {
	if v.d.DebianMirror == "" {
		return "", ErrNoMirror
	}
	return strings.TrimRight(v.d.DebianMirror, "/"), nil
}

func (v templateView) URL() (string, error) {
	if v.d.URL == "" {
		return "", errNoURL
	}
	return v.d.URL, nil
}

// templateFields names what a template may use, for error messages.
const templateFields = ".Name, .Version, .Target, .DebianMirror, .URL"

var reUnknownTemplateField = regexp.MustCompile(`can't evaluate field (\w+) in type`)

// parseTemplate parses one URL template; label names it in messages.
func parseTemplate(label, text string) (*template.Template, error) {
	t, err := template.New(label).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("bad template: %s", cleanTemplateError(label, err))
	}
	return t, nil
}

// renderURL renders a URL template and checks that the result is an
// absolute URL that fetch can download.
func renderURL(label, text string, d TemplateData) (string, error) {
	if err := checkVersion(d.Version); err != nil {
		return "", err
	}
	t, err := parseTemplate(label, text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, templateView{d}); err != nil {
		if errors.Is(err, ErrNoMirror) {
			return "", ErrNoMirror
		}
		if errors.Is(err, errNoURL) {
			return "", errNoURL
		}
		if m := reUnknownTemplateField.FindStringSubmatch(err.Error()); m != nil {
			return "", fmt.Errorf("bad template: unknown field .%s (known: %s)", m[1], templateFields)
		}
		return "", fmt.Errorf("bad template: %s", cleanTemplateError(label, err))
	}
	return checkURL(strings.TrimSpace(b.String()))
}

// checkVersion refuses versions that would change the shape of a URL.
func checkVersion(v string) error {
	if v == "" {
		return errors.New("no version given")
	}
	if strings.ContainsAny(v, "/\\?# \t\r\n") || strings.Contains(v, "..") {
		return fmt.Errorf("version %q: expected an upstream version such as 2.4.62", v)
	}
	return nil
}

func checkURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("renders to %q, which is not a URL", s)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return "", fmt.Errorf("renders to %q, which has no host", s)
		}
	case "file":
		// A local mirror or a test fixture.
	default:
		return "", fmt.Errorf("renders to %q; expected an http, https or file URL", s)
	}
	return s, nil
}

// cleanTemplateError drops text/template's "template: NAME:" prefix, which
// would repeat the label the caller already prints.
func cleanTemplateError(label string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "template: ")
	msg = strings.TrimPrefix(msg, label+":")
	// A URL template is one line: its "1:" or "1:12:" position adds nothing.
	return reTemplatePos.ReplaceAllString(msg, "")
}

var reTemplatePos = regexp.MustCompile(`^\s*\d+(:\d+)?:\s*`)
