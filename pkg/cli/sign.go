package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/sign"
)

type signOptions struct {
	key     string
	verify  bool
	keyring string
}

func newSignCmd(e *env) *cobra.Command {
	var o signOptions
	cmd := &cobra.Command{
		Use:   "sign FILE...",
		Short: "Sign RPMs (header signatures), .changes/.dsc/.buildinfo (inline) and other files (detached .asc)",
		Long: `Sign each FILE with an OpenPGP key, by its kind:

  *.rpm                           signatures in the package's signature header,
                                  as rpmsign --addsign writes them (rpm -K checks them)
  *.changes, *.dsc, *.buildinfo   clearsigned in place, as debsign does
  anything else (SHA256SUMS)      an armored detached signature in FILE.asc

The key is --key FILE, else $BACKPORT_SIGNING_KEY: the armored secret key
itself, or the path of a key file. A protected key is unlocked with
$BACKPORT_SIGNING_PASSPHRASE. Signing happens in this process: the key is
never written anywhere, and neither it nor the passphrase is ever printed.
Files are replaced atomically. The paths written go to stdout.

With --verify, check the signatures instead, against --keyring (armored or
binary public keys), else the public part of the signing key; stdout gets each
file and the fingerprint of the key that signed it. A bad or missing
signature exits with status 4.`,
		Example: `  backport sign dist/httpd-2.4.62-1.el9.bp1/packages/*.rpm --key release.asc
  BACKPORT_SIGNING_KEY=/secrets/release.asc backport sign SHA256SUMS hello_2.10-3+bp1_amd64.changes
  backport sign --verify --keyring release.pub SHA256SUMS *.rpm`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("%s: missing argument: expected FILE...", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.verify {
				return runVerifySignatures(e, args, o)
			}
			return runSign(e, args, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "secret key file, armored or binary (default: $BACKPORT_SIGNING_KEY)")
	f.BoolVar(&o.verify, "verify", false, "check the signatures of FILE... instead of signing")
	f.StringVar(&o.keyring, "keyring", "", "public keys to check against with --verify (default: the signing key's)")
	return cmd
}

func runSign(e *env, files []string, o signOptions) error {
	if o.keyring != "" {
		return usageErr("sign: --keyring is for --verify; signing uses --key or $%s", sign.EnvKey)
	}
	// Every file must be there before any is signed, so that a typo does
	// not leave half a bundle signed.
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	if o.key == "" && e.getenv(sign.EnvKey) == "" {
		return usageErr("sign: no signing key: give --key FILE or set $%s", sign.EnvKey)
	}
	key, err := sign.LoadKey(o.key, e.getenv)
	if err != nil {
		return err
	}
	e.ui.Info("signing with key %s", e.ui.Accent(key.Fingerprint()))
	for _, f := range files {
		written, err := sign.SignFile(key, f)
		if err != nil {
			return err
		}
		e.ui.Success("%s: %s", f, sign.KindOf(f))
		for _, w := range written {
			if _, err := fmt.Fprintln(e.ui.Out, w); err != nil {
				return err
			}
		}
	}
	return nil
}

func runVerifySignatures(e *env, files []string, o signOptions) error {
	keyring, err := verifyKeyring(e, o)
	if err != nil {
		return err
	}
	var failed []error
	for _, f := range files {
		signer, err := sign.Verify(f, keyring)
		switch {
		case exitcode.Of(err) == exitcode.Verification:
			failed = append(failed, err)
			continue
		case err != nil:
			return err
		}
		e.ui.Success("%s: good signature by %s", f, e.ui.Accent(signer))
		fpr, _, _ := strings.Cut(signer, " ")
		if _, err := fmt.Fprintf(e.ui.Out, "%s\t%s\n", f, fpr); err != nil {
			return err
		}
	}
	switch len(failed) {
	case 0:
		return nil
	case 1:
		return failed[0]
	}
	for _, err := range failed {
		e.ui.Warn("%s", oneLine(err.Error()))
	}
	return exitcode.New(exitcode.Verification, "%d of %d files did not verify", len(failed), len(files))
}

// verifyKeyring is --keyring, else the public part of the signing key,
// which needs no passphrase.
func verifyKeyring(e *env, o signOptions) ([]byte, error) {
	switch {
	case o.keyring != "":
		b, err := os.ReadFile(o.keyring)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		return b, nil
	case o.key != "" || e.getenv(sign.EnvKey) != "":
		return sign.PublicKeyFrom(o.key, e.getenv)
	}
	return nil, usageErr("sign --verify: give --keyring FILE, or --key FILE or $%s to check against the signing key", sign.EnvKey)
}
