package version

import (
	"regexp"
	"strconv"
	"strings"
)

// incrementDecimal adds one to a string of digits, however long: release
// numbers are text, and a fixed-size integer could overflow on odd input.
func incrementDecimal(digits string) string {
	b := []byte(digits)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// nextLeading is the next build number after s: its leading number plus
// one, the rest dropped ("106" -> "107", "9+deb12u14" -> "10", "0.1" ->
// "1"). Without a leading number, "1" sorts above any alphabetic start.
func nextLeading(s string) string {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n == 0 {
		return "1"
	}
	return incrementDecimal(s[:n])
}

// lastNumber matches the last run of digits in a string.
var lastNumber = regexp.MustCompile(`[0-9]+([^0-9]*)$`)

// bumpLast increments the last number in s, keeping the rest
// ("3ubuntu0.24.04.1" -> "3ubuntu0.24.04.2"). It reports false when s has
// no digits.
func bumpLast(s string) (string, bool) {
	loc := lastNumber.FindStringSubmatchIndex(s)
	if loc == nil {
		return "", false
	}
	start, end := loc[0], loc[2]
	return s[:start] + incrementDecimal(s[start:end]) + s[end:], true
}

// hotfixCounter finds a backport counter at the end of s: suffix is the
// literal text before the number (".bp", "+bp", "~bp"). It returns s
// without the counter and the counter's value.
func hotfixCounter(s, suffix string) (base string, n int, ok bool) {
	i := strings.LastIndex(s, suffix)
	if i < 0 {
		return "", 0, false
	}
	digits := s[i+len(suffix):]
	if !allDigits(digits) || (len(digits) > 1 && digits[0] == '0') {
		return "", 0, false
	}
	n, err := strconv.Atoi(digits)
	// A counter this large is not one of ours; treat it as plain text.
	if err != nil || n >= 1<<20 {
		return "", 0, false
	}
	return s[:i], n, true
}

// appendUnique appends each s not already in list.
func appendUnique(list []string, items ...string) []string {
next:
	for _, s := range items {
		for _, have := range list {
			if have == s {
				continue next
			}
		}
		list = append(list, s)
	}
	return list
}
