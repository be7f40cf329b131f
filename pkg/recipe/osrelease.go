package recipe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// ParseOSRelease reads os-release(5) content: KEY=value lines, values
// optionally quoted with shell quoting rules.
func ParseOSRelease(data []byte) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		kv[strings.TrimSpace(key)] = unquoteShell(strings.TrimSpace(value))
	}
	return kv
}

func unquoteShell(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		var b strings.Builder
		inner := v[1 : len(v)-1]
		for i := 0; i < len(inner); i++ {
			if inner[i] == '\\' && i+1 < len(inner) && strings.IndexByte("\"\\$`", inner[i+1]) >= 0 {
				i++
			}
			b.WriteByte(inner[i])
		}
		return b.String()
	}
	return v
}

// elIDs are os-release IDs of RHEL and its rebuilds. Oracle Linux says
// ID_LIKE="fedora", so ID_LIKE alone does not find them all.
var elIDs = []string{"rhel", "centos", "rocky", "almalinux", "ol", "scientific", "circle", "eurolinux", "virtuozzo", "cloudlinux"}

// HostTarget maps /etc/os-release content to a target name: debian 12 →
// debian-12, ubuntu 24.04 → ubuntu-24.04, RHEL or a rebuild 9.x → el9,
// fedora 40 → fedora-40. A derivative (Raspbian, Mint, Pop!_OS) maps to
// the release it is built on when its codename says which. The name may be
// one the built-in table lacks; LookupTarget decides.
func HostTarget(osRelease []byte) (string, error) {
	kv := ParseOSRelease(osRelease)
	id, ver := strings.ToLower(kv["ID"]), kv["VERSION_ID"]
	like := strings.Fields(strings.ToLower(kv["ID_LIKE"]))
	switch {
	case id == "":
		return "", errors.New("no ID= line; expected os-release content")
	case id == "debian":
		if ver == "" {
			return "", errors.New("no VERSION_ID (Debian testing or unstable has no release number); choose a target with --target")
		}
		return "debian-" + majorVersion(ver), nil
	case id == "ubuntu":
		if ver == "" {
			return "", errors.New("no VERSION_ID for ubuntu; choose a target with --target")
		}
		return "ubuntu-" + ver, nil
	case id == "fedora":
		if ver == "" {
			return "", errors.New("no VERSION_ID for fedora (rawhide?); choose a target with --target")
		}
		return "fedora-" + ver, nil
	case id == "amzn":
		// Amazon Linux says ID_LIKE="centos rhel fedora" but its versions
		// (2, 2023) are not EL releases.
		return "", fmt.Errorf("amzn %s (Amazon Linux) is not a supported target; choose one with --target", ver)
	case slices.Contains(elIDs, id) || slices.Contains(like, "rhel"):
		major := majorVersion(ver)
		if _, err := strconv.Atoi(major); err != nil {
			return "", fmt.Errorf("%s VERSION_ID=%q: expected a release number like 9.4", id, ver)
		}
		return "el" + major, nil
	case slices.Contains(like, "ubuntu"):
		return targetByCodename(id, kv["UBUNTU_CODENAME"], VendorUbuntu)
	case slices.Contains(like, "debian"):
		return targetByCodename(id, firstSet(kv["DEBIAN_CODENAME"], kv["VERSION_CODENAME"]), VendorDebian)
	}
	return "", fmt.Errorf("%s is not a distribution backport builds for; choose a target with --target (known: %s)",
		id, strings.Join(BuiltinTargetNames(), ", "))
}

func majorVersion(v string) string {
	major, _, _ := strings.Cut(v, ".")
	return major
}

func targetByCodename(id, codename string, vendor Vendor) (string, error) {
	for name, t := range builtinTargets() {
		if codename != "" && t.Vendor == vendor && t.Codename == codename {
			return name, nil
		}
	}
	return "", fmt.Errorf("%s is based on %s, but codename %q is not a release backport knows; choose a target with --target", id, vendor, codename)
}

// DefaultTarget is the target of the machine backport runs on, from
// /etc/os-release (or /usr/lib/os-release, its fallback per os-release(5)).
func DefaultTarget() (string, error) {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		name, err := HostTarget(data)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		return name, nil
	}
	return "", errors.New("no /etc/os-release to tell the host's release; choose a target with --target")
}
