package container

import (
	"context"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/exitcode"
)

// pathWith makes a PATH holding only fake engines: "podman", "docker" (a
// reachable daemon) or "docker-down".
func pathWith(t *testing.T, engines ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, e := range engines {
		body := "exit 0"
		name := e
		if e == "docker-down" {
			name = Docker
			body = "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1"
		}
		writeFake(t, dir, name, body)
	}
	return dir
}

// Not parallel: Detect looks the engines up on the process's PATH.
func TestDetect(t *testing.T) {
	tests := []struct {
		name      string
		path      []string
		preferred string
		want      string // runtime name, or "" for an error
		errHas    string
	}{
		{"podman first", []string{"podman", "docker"}, "", Podman, ""},
		{"docker with a daemon", []string{"docker"}, "", Docker, ""},
		{"docker without a daemon", []string{"docker-down"}, "", "", "install podman"},
		{"nothing installed", nil, "", "", "install podman"},
		{"explicit docker", []string{"podman", "docker"}, "docker", Docker, ""},
		{"explicit docker, not installed", []string{"podman"}, "docker", "", "docker is not installed"},
		{"explicit podman, not installed", []string{"docker"}, "podman", "", "podman is not installed"},
		{"explicit host", nil, "host", Host, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", pathWith(t, tt.path...))
			rt, err := Detect(context.Background(), tt.preferred, Options{ConfigDir: t.TempDir()})
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Detect = %v, %v; want an error containing %q", rt, err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rt.Name() != tt.want {
				t.Errorf("Detect = %s, want %s", rt.Name(), tt.want)
			}
		})
	}
}

func TestDetectUnknownRuntimeIsUsageError(t *testing.T) {
	t.Parallel()
	_, err := Detect(context.Background(), "lxc", Options{})
	if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "podman, docker or host") {
		t.Errorf("Detect(lxc) = %v (exit %d)", err, exitcode.Of(err))
	}
}
