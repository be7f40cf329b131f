package bundle

import (
	_ "embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed install.sh.tmpl
var installTemplate string

// installTmpl is parsed once; every value goes through sq, so nothing in
// the input can end a quote and become shell code.
var installTmpl = template.Must(template.New("install.sh").Funcs(template.FuncMap{"sq": shellQuote}).
	Option("missingkey=error").Parse(installTemplate))

type installData struct {
	Bundle, Name, Version, Target, Family, ToolVersion, Signer string
	Services, HealthCheck, PackageTable                        string
	HealthRetries, HealthDelay                                 int
}

// shellQuote quotes s for POSIX sh: single quotes, each ' written as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// renderInstall writes install.sh for the bundle. Only binary and debug
// packages go into its table: source packages and udebs are never
// installed on a server.
func renderInstall(in Input, bundle string, pkgs []Package, fingerprint string) ([]byte, error) {
	var table strings.Builder
	for _, p := range pkgs {
		if p.Kind != KindBinary && p.Kind != KindDebug {
			continue
		}
		fmt.Fprintf(&table, "%s %s %s %s %s\n", p.File, p.Name, p.Version, p.Arch, p.Kind)
	}
	if table.Len() == 0 {
		return nil, fmt.Errorf("bundle: no installable package among %d (only source or installer packages)", len(pkgs))
	}
	d := installData{
		Bundle: bundle, Name: in.Name, Version: in.Version, Target: in.Target, Family: in.Family,
		ToolVersion: in.ToolVersion, Signer: strings.ToUpper(fingerprint),
		Services: strings.Join(in.Services, " "), HealthCheck: in.HealthCheck,
		PackageTable:  table.String(),
		HealthRetries: healthRetries(in), HealthDelay: healthDelay(in),
	}
	var b strings.Builder
	if err := installTmpl.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("bundle: install.sh: %w", err)
	}
	return []byte(b.String()), nil
}
