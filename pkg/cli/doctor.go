package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/recipe"
)

type doctorOptions struct {
	runtime string
	target  string
	json    bool
}

func newDoctorCmd(e *env) *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the container runtime, images, mirrors and tools; say how to fix what is missing",
		Long: `Check what backport needs on this machine: configuration, the target's
mirror and keyring, the container runtime (and whether backport's own
containers.conf is needed here), builder images, and the tools for
bootstrapping images. Each problem comes with the command that fixes it.
Exits 1 when a check fails.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			checks := runDoctor(cmd, e, o)
			if o.json {
				if err := writeJSON(e, checks); err != nil {
					return err
				}
			} else {
				for _, c := range checks {
					mark := e.ui.Accent("✓")
					if !c.OK {
						mark = "✗"
					}
					e.ui.Info("%s %s: %s", mark, c.Name, c.Detail)
					if !c.OK && c.Fix != "" {
						e.ui.Info("    %s", e.ui.Faint("fix: "+c.Fix))
					}
				}
			}
			for _, c := range checks {
				if !c.OK {
					return errors.New("doctor: some checks failed (see above)")
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.runtime, "runtime", "", "podman, docker or host (default: runtime: from config, else detect)")
	f.StringVar(&o.target, "target", "", "target to check mirrors and keyrings for (default: this host's)")
	f.BoolVar(&o.json, "json", false, "print the checks as a JSON document")
	return cmd
}

func runDoctor(cmd *cobra.Command, e *env, o doctorOptions) []container.Check {
	var checks []container.Check
	add := func(name string, err error, ok, fix string) {
		c := container.Check{Name: name, OK: err == nil, Detail: ok}
		if err != nil {
			c.Detail, c.Fix = oneLine(err.Error()), fix
		}
		checks = append(checks, c)
	}
	cfg, path, err := recipe.DefaultConfig()
	if path == "" {
		path = "none (defaults)"
	}
	add("config", err, "backport.yaml: "+path, "correct the file and line named above")
	if err != nil {
		return checks
	}
	target, err := cfg.ChooseTarget(o.target)
	add("target", err, target.Name, "pass --target, or set default_target: in backport.yaml")
	if err == nil && target.Family == recipe.FamilyDeb {
		var mErr error
		if target.Mirror == "" {
			mErr = recipe.ErrNoMirror
		}
		add("mirror", mErr, target.Mirror, "set mirror: in backport.yaml")
		_, kErr := os.Stat(target.Keyring)
		add("archive keyring", kErr, target.Keyring, "apt-get install debian-archive-keyring (or set keyring:)")
	}
	if err == nil && target.Family == recipe.FamilyRPM {
		var kErr error
		if target.Keyring == "" {
			kErr = fmt.Errorf("no keyring to verify %s SRPMs with", target.Name)
		}
		add("rpm keyring", kErr, target.Keyring, "set targets."+target.Name+".keyring: in backport.yaml to the distro's RPM-GPG-KEY file")
	}
	preferred := o.runtime
	if preferred == "" {
		preferred = cfg.Runtime
	}
	rt, err := container.Detect(cmd.Context(), preferred, container.Options{Logger: e.ui.Logger(false)})
	add("runtime", err, runtimeName(rt), "apt-get install podman runc catatonit")
	if err == nil {
		checks = append(checks, rt.Diagnose(cmd.Context())...)
	}
	_, gErr := exec.LookPath("gpgv")
	add("gpgv", gErr, "present (install.sh verifies signatures with it)", "apt-get install gpgv")
	return checks
}

func runtimeName(rt container.Runtime) string {
	if rt == nil {
		return ""
	}
	return rt.Name()
}
