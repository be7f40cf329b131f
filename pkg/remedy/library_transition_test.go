package remedy

import (
	"reflect"
	"strings"
	"testing"
)

func TestCheckSONAMEs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pkg     string
		sonames []string
		stop    []string // the SONAMEs named, nil for no stop
	}{
		{"libsodium23", []string{"libsodium.so.26"}, []string{"libsodium.so.26"}},
		{"libsodium23", []string{"libsodium.so.23"}, nil},
		{"libssl3t64", []string{"libssl.so.3", "libcrypto.so.3"}, nil},
		{"libssl3", []string{"libssl.so.4", "libcrypto.so.4"}, []string{"libssl.so.4"}},
		{"libgtk-3-0", []string{"libgtk-3.so.0"}, nil},
		{"libgtk-3-0", []string{"libgtk-3.so.1"}, []string{"libgtk-3.so.1"}},
		{"libfoo1.2", []string{"libfoo.so.1.2"}, nil},
		{"libonig5", []string{"libonig.so.5"}, nil},
		{"libjq1", []string{"libjq.so.1", "libonig.so.5"}, nil},
		{"libcurl3-gnutls", []string{"libcurl-gnutls.so.4"}, nil}, // the name does not encode this SONAME
		{"jq", []string{"libjq.so.1"}, nil},
		{"libfoo-dev", []string{"libfoo.so.2"}, nil},
		{"libfoo2", []string{"libfoo.so"}, nil},
		{"libfoo1", []string{"libfoo.so.1", "libfoo.so.2"}, nil}, // still ships the promised one
	} {
		c := CheckSONAMEs(tc.pkg, tc.sonames)
		if tc.stop == nil {
			if c != nil {
				t.Errorf("%s %v: unexpected stop: %s", tc.pkg, tc.sonames, c.Summary)
			}
			continue
		}
		if c == nil || !c.Stop || c.Class != ClassLibraryTransition || !reflect.DeepEqual(c.Items, tc.stop) {
			t.Errorf("%s %v: got %+v, want a stop naming %v", tc.pkg, tc.sonames, c, tc.stop)
			continue
		}
		if !strings.Contains(c.Summary, tc.pkg) || !strings.Contains(c.Summary, "library transition") {
			t.Errorf("summary does not explain: %s", c.Summary)
		}
	}
}
