package deb

import (
	"errors"
	"regexp"
	"strings"
)

// nameAddrRe splits "Name <email>", the form dch accepts in DEBEMAIL and EMAIL.
var nameAddrRe = regexp.MustCompile(`^(.*)\s+<(.*)>$`)

// Maintainer returns the "Name <email>" for a new changelog trailer, found
// as dch finds it: the name from DEBFULLNAME, else from a "Name <email>"
// DEBEMAIL, else from such an EMAIL, else NAME; the address from DEBEMAIL,
// else EMAIL. Unlike dch it does not guess from the password database or
// the host name, so builds do not depend on the machine they run on.
// getenv is os.Getenv outside tests.
func Maintainer(getenv func(string) string) (string, error) {
	name, email := getenv("DEBFULLNAME"), getenv("DEBEMAIL")
	if n, addr, ok := splitNameAddr(email); ok {
		if name == "" {
			name = n
		}
		email = addr
	}
	if name == "" || email == "" {
		envEmail := getenv("EMAIL")
		if n, addr, ok := splitNameAddr(envEmail); ok {
			if name == "" {
				name = n
			}
			envEmail = addr
		}
		if email == "" {
			email = envEmail
		}
	}
	if name == "" {
		name = getenv("NAME")
	}
	name, email = strings.TrimSpace(name), strings.TrimSpace(email)
	if name == "" || email == "" {
		return "", errors.New("set DEBFULLNAME and DEBEMAIL (or EMAIL)")
	}
	if strings.ContainsAny(name+email, "\r\n") || strings.ContainsAny(email, "<>") {
		return "", errors.New("DEBFULLNAME and DEBEMAIL (or EMAIL) must be one line each, the address without < >")
	}
	return name + " <" + email + ">", nil
}

func splitNameAddr(s string) (name, addr string, ok bool) {
	m := nameAddrRe.FindStringSubmatch(s)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}
