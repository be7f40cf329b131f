// Package rpm holds backport's RPM packaging knowledge: editing .spec files
// (spec*.go), and later reading source RPMs and signing built packages.
//
// The spec editor is built for hotfixes to someone else's packaging. It
// changes only the bytes it is asked to change (a tag value, a %global body,
// a new %changelog entry) and leaves every other byte, line ending and odd
// formatting exactly as it was, so the packaging diff shows the hotfix and
// nothing else. It reads just enough of rpm's spec language to do that
// safely: the main package's preamble tags, %global/%define/%undefine,
// %if/%elif/%else/%endif nesting, section starts and %changelog. Whatever it
// cannot evaluate with certainty (shell expansions, Lua, conditional macro
// bodies, macros the build system defines) is reported as an error that
// names the file and line, rather than guessed.
package rpm
