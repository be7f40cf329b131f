package remedy

import (
	"testing"

	"github.com/backport/backport/pkg/recipe"
)

// tests-failed is gated: without --allow-skip-tests there is no remedy;
// with it, the next build runs with nocheck and nothing is edited.
func TestTestsFailed(t *testing.T) {
	t.Parallel()
	for log, family := range map[string]recipe.Family{
		"tests-failed-deb.log": recipe.FamilyDeb,
		"tests-failed-rpm.log": recipe.FamilyRPM,
	} {
		c := causeOf(t, log, family, ClassTestsFailed)
		if r, ok := For(c, Options{}); ok {
			t.Fatalf("%s: For without AllowSkipTests gave %s", log, r.Name())
		}
		dir := copyTree(t, "deb-frob")
		ch := applyFor(t, Packaging{Family: family, Dir: dir}, c, ClassTestsFailed)
		if !ch.Changed || !ch.Nocheck || len(ch.Files) != 0 {
			t.Fatalf("%s: %+v", log, ch)
		}
		checkGolden(t, "", "deb-frob", dir, Change{Changed: true})
	}
}
