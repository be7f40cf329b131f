// Package version chooses hotfix versions and proves them with the real
// ordering rules of each package family (DESIGN §4).
//
// A hotfix must upgrade over the distro's current package and must lose to
// every later build the distro could plausibly ship, so servers drift back to
// the vendor's packages with no manual step. HotfixVersion picks the version,
// derives those successors from the current version's shape (stable updates,
// z-streams, SRUs, backports, next builds) and proves both relations with
// Compare before returning.
//
// Compare uses the field's libraries for ordering: go-rpmutils' Vercmp
// (wrapped to add rpm's caret rule, which v0.4.0 lacks) and
// pault.ag/go/debian/version. Check and CheckUpstream say why rpm or dpkg
// would refuse a version string, in one line.
package version
