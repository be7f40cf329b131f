package recipe

import (
	"os"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

func TestHostTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, osRelease, want, wantErr string
	}{
		{"debian 12", `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian`, "debian-12", ""},
		{"debian 11", "ID=debian\nVERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\n", "debian-11", ""},
		{"debian 13", "# comment\nID=debian\nVERSION_ID='13'\n", "debian-13", ""},
		{"debian sid", "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\n", "", "no VERSION_ID"},
		{"ubuntu 24.04", "NAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=noble\n", "ubuntu-24.04", ""},
		{"ubuntu 22.04", "ID=ubuntu\nVERSION_ID=\"22.04\"\n", "ubuntu-22.04", ""},
		{"rhel 9.4", "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.4\"\n", "el9", ""},
		{"rocky 8.10", "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"8.10\"\n", "el8", ""},
		{"almalinux 9.5", "ID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.5\"\n", "el9", ""},
		{"centos 7", "NAME=\"CentOS Linux\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\n", "el7", ""},
		{"centos stream 9", "ID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"9\"\n", "el9", ""},
		{"oracle 8.9", "ID=\"ol\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.9\"\n", "el8", ""},
		{"an unnamed rebuild", "ID=\"newrebuild\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"10.0\"\n", "el10", ""},
		{"fedora 40", "NAME=\"Fedora Linux\"\nVERSION_ID=40\nID=fedora\n", "fedora-40", ""},
		{"fedora 41", "ID=fedora\nVERSION_ID=41\n", "fedora-41", ""},
		{"raspbian 12", "ID=raspbian\nID_LIKE=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n", "debian-12", ""},
		{"linux mint 21.3", "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=\"21.3\"\nUBUNTU_CODENAME=jammy\n", "ubuntu-22.04", ""},
		{"pop 24.04", "ID=pop\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=\"24.04\"\nUBUNTU_CODENAME=noble\n", "ubuntu-24.04", ""},
		{"kali", "ID=kali\nID_LIKE=debian\nVERSION_ID=\"2024.1\"\nVERSION_CODENAME=kali-rolling\n", "", `codename "kali-rolling" is not a release backport knows`},
		{"amazon linux 2", "ID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\nVERSION_ID=\"2\"\n", "", "amzn 2 (Amazon Linux) is not a supported target"},
		{"opensuse", "ID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.5\"\n", "", "opensuse-leap is not a distribution backport builds for"},
		{"empty", "", "", "no ID= line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := HostTarget([]byte(tt.osRelease))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("HostTarget = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "--target") && tt.name != "empty" {
					t.Errorf("error %q does not say how to choose a target", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("HostTarget = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseOSReleaseQuoting(t *testing.T) {
	t.Parallel()
	kv := ParseOSRelease([]byte("A=\"say \\\"hi\\\" \\$HOME\"\nB='single # kept'\nC=bare\n  D = spaced \nnot a pair\n"))
	want := map[string]string{"A": `say "hi" $HOME`, "B": "single # kept", "C": "bare", "D": "spaced"}
	for k, v := range want {
		if kv[k] != v {
			t.Errorf("%s = %q, want %q", k, kv[k], v)
		}
	}
}

func TestDefaultTargetOnThisHost(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		testtool.SkipOrFail(t, "no /etc/os-release here")
	}
	want, wantErr := HostTarget(data)
	got, err := DefaultTarget()
	if got != want || (err == nil) != (wantErr == nil) {
		t.Errorf("DefaultTarget() = %q, %v; HostTarget(/etc/os-release) = %q, %v", got, err, want, wantErr)
	}
}
