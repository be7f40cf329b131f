package container

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeImages keeps images as files in $FAKE_DIR/img: <ref>.id and
// <ref>.labels (JSON); commit, pull and rmi change them.
const fakeImages = `mkdir -p "$FAKE_DIR/img"
for last; do :; done
key() { echo "$1" | tr '/:' '__'; }
case "$1" in
image)
	f="$FAKE_DIR/img/$(key "$last")"
	[ -e "$f.id" ] || { echo "Error: inspecting object: $last: image not known" >&2; exit 125; }
	case "$(flag --format "$@")" in
	*Labels*) if [ -e "$f.labels" ]; then cat "$f.labels"; else echo null; fi ;;
	*) cat "$f.id" ;;
	esac ;;
pull) echo "sha256:pulled" > "$FAKE_DIR/img/$(key "$last").id" ;;
run)
	echo fakecid > "$(flag --cidfile "$@")"
	echo "installing..."
	[ -z "$FAKE_RUN_FAILS" ] || { echo "E: Unable to locate package nope" >&2; exit 100; } ;;
commit)
	f="$FAKE_DIR/img/$(key "$last")"
	echo "sha256:committed" > "$f.id"
	json='{'; sep=''
	prev=''
	for a; do
		if [ "$prev" = --change ]; then
			case "$a" in LABEL\ *) kv=${a#LABEL }; json="$json$sep\"${kv%%=*}\":${kv#*=}"; sep=',' ;; esac
		fi
		prev=$a
	done
	echo "$json}" > "$f.labels" ;;
rmi) rm -f "$FAKE_DIR/img/$(key "$last")".* ;;
esac`

func fakeImageEngine(t *testing.T, extra string, present ...string) (*fakeEngine, *Engine) {
	t.Helper()
	fake := newFakeEngine(t, "podman", extra+fakeImages)
	if err := os.MkdirAll(filepath.Join(fake.dir, "img"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, ref := range present {
		key := strings.NewReplacer("/", "_", ":", "_").Replace(ref)
		if err := os.WriteFile(filepath.Join(fake.dir, "img", key+".id"), []byte("sha256:"+key+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return fake, fake.engine(t, Podman, Options{})
}

func TestEnsureImageBuildsOnceFromRegistryBase(t *testing.T) {
	t.Parallel()
	fake, e := fakeImageEngine(t, "")
	ctx := context.Background()
	def := Definition{Base: Base{Image: "docker.io/library/debian:bookworm"}, Toolchain: DebToolchain()}
	opts := ImageOptions{LockDir: t.TempDir()}
	const ref = "localhost/backport/deb:bookworm"

	res, err := EnsureImage(ctx, e, ref, def, opts)
	if err != nil || !res.Built || res.ID != "sha256:committed" || !strings.Contains(res.Reason, "no image") {
		t.Fatalf("EnsureImage = %+v, %v", res, err)
	}
	if n := len(fake.callsTo(t, "pull")); n != 1 {
		t.Errorf("%d pulls of the missing base, want 1", n)
	}
	run := fake.callsTo(t, "run")[0].Args
	if !hasPair(run, "--network", "host") || indexOf(run, "--rm") >= 0 || !hasPair(run, "-e", "DEBIAN_FRONTEND=noninteractive") {
		t.Errorf("toolchain run argv %q: want network on, kept, noninteractive", run)
	}
	if i := indexOf(run, "docker.io/library/debian:bookworm"); i < 0 || run[i+1] != "/bin/sh" {
		t.Errorf("toolchain run does not start from the base: %q", run)
	}
	commit := fake.callsTo(t, "commit")[0].Args
	if !hasPair(commit, "--change", `LABEL io.backport.definition="`+def.Hash()+`"`) || !hasPair(commit, "--change", `LABEL io.backport.managed="true"`) {
		t.Errorf("commit argv %q lacks the labels", commit)
	}
	if rms := fake.callsTo(t, "rm"); len(rms) != 1 {
		t.Errorf("the toolchain container was not removed: %d rm calls", len(rms))
	}

	before := len(fake.calls(t))
	res, err = EnsureImage(ctx, e, ref, def, opts)
	if err != nil || res.Built || !strings.Contains(res.Reason, "up to date") {
		t.Fatalf("second EnsureImage = %+v, %v; want a no-op", res, err)
	}
	for _, c := range fake.calls(t)[before:] {
		if c.sub() != "image" {
			t.Errorf("no-op EnsureImage ran %q", c.Args)
		}
	}

	def.Setup = []string{"echo changed"}
	res, err = EnsureImage(ctx, e, ref, def, opts)
	if err != nil || !res.Built || !strings.Contains(res.Reason, "definition changed") {
		t.Errorf("EnsureImage after a change = %+v, %v", res, err)
	}
}

func TestEnsureImageToolchainFailure(t *testing.T) {
	t.Parallel()
	fake, e := fakeImageEngine(t, "FAKE_RUN_FAILS=1\n", "debian:bookworm")
	_, err := EnsureImage(context.Background(), e, "localhost/backport/deb:x", Definition{Base: Base{Image: "debian:bookworm"}, Toolchain: []string{"nope"}}, ImageOptions{LockDir: t.TempDir()})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 100 || !strings.Contains(strings.Join(ee.Tail, "\n"), "Unable to locate package nope") {
		t.Fatalf("err = %v, want the install's exit status and last line", err)
	}
	if len(fake.callsTo(t, "commit")) != 0 || len(fake.callsTo(t, "rm")) != 1 || len(fake.callsTo(t, "pull")) != 0 {
		t.Errorf("calls %v: want no pull, no commit, the container removed", fake.calls(t))
	}
}

func TestEnsureLayerHitRunsNothing(t *testing.T) {
	t.Parallel()
	fake, e := fakeImageEngine(t, "", "localhost/backport/deb:bookworm")
	ctx := context.Background()
	setup := RunSpec{Args: []string{"apt-get", "build-dep", "-y", "hello"}}
	ref, hit, err := EnsureLayer(ctx, e, "localhost/backport/deb:bookworm", "hello: debhelper-compat (= 13)", setup)
	if err != nil || hit || !strings.HasPrefix(ref, "localhost/backport/deb:layer-") {
		t.Fatalf("first EnsureLayer = %q, %v, %v", ref, hit, err)
	}
	run := fake.callsTo(t, "run")[0].Args
	if !hasPair(run, "--network", "host") || indexOf(run, "sha256:localhost_backport_deb_bookworm") < 0 {
		t.Errorf("setup argv %q: want network on and the base's ID as the image", run)
	}
	if !hasPair(fake.callsTo(t, "commit")[0].Args, "--change", `LABEL io.backport.layer.base="sha256:localhost_backport_deb_bookworm"`) {
		t.Errorf("commit lacks the base label: %q", fake.callsTo(t, "commit")[0].Args)
	}

	ref2, hit, err := EnsureLayer(ctx, e, "localhost/backport/deb:bookworm", "hello: debhelper-compat (= 13)", setup)
	if err != nil || !hit || ref2 != ref {
		t.Fatalf("second EnsureLayer = %q, %v, %v; want a hit on %s", ref2, hit, err, ref)
	}
	if n := len(fake.callsTo(t, "run")); n != 1 {
		t.Errorf("%d runs, want only the first call's", n)
	}
	other, _, _ := EnsureLayer(ctx, e, "localhost/backport/deb:bookworm", "other deps", setup)
	if other == ref {
		t.Error("a different key reused the layer")
	}
}

func TestLayerRef(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("ab", 32)
	for base, want := range map[string]string{
		"localhost/backport/deb:bookworm":       "localhost/backport/deb:layer-" + key[:24],
		"registry:5000/team/deb":                "registry:5000/team/deb:layer-" + key[:24],
		"quay.io/x/deb@sha256:0123":             "quay.io/x/deb:layer-" + key[:24],
		"0123456789abcdef0123456789abcdef01234": "localhost/backport/layer:layer-" + key[:24],
	} {
		if got := layerRef(base, key); got != want {
			t.Errorf("layerRef(%s) = %s, want %s", base, got, want)
		}
	}
}

func TestLabelChanges(t *testing.T) {
	t.Parallel()
	got, err := labelChanges(map[string]string{"io.backport.kind": "builder", "io.backport.base": "debootstrap bookworm minbase"})
	want := []string{"--change", `LABEL io.backport.base="debootstrap bookworm minbase"`, "--change", `LABEL io.backport.kind="builder"`}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("labelChanges = %q, %v", got, err)
	}
	for _, bad := range []map[string]string{{"Bad Key": "x"}, {"k": `say "hi"`}, {"k": "a\nb"}, {"k": "$HOME"}} {
		if _, err := labelChanges(bad); err == nil {
			t.Errorf("labelChanges(%q) accepted", bad)
		}
	}
}

func TestParseInspectBothEngines(t *testing.T) {
	t.Parallel()
	podman := `[{"Id":"b1820a7c","RepoTags":["localhost/backport/deb:bookworm"],"Created":"2026-11-27T17:17:49.710818705Z","Size":203797579,"Config":{"Labels":{"io.backport.managed":"true"}},"Labels":{"io.backport.managed":"true"}},
	{"Id":"c2","RepoTags":[],"Created":"2026-11-28T10:00:00Z","Size":5,"Config":{}}]`
	docker := `[{"Id":"sha256:d3","RepoTags":["localhost/backport/rpm:bookworm","x:y"],"Created":"2025-01-02T03:04:05.123Z","Size":42,"Config":{"Labels":{"io.backport.kind":"layer"}}}]`
	images, err := parseInspect([]byte(podman))
	if err != nil || len(images) != 2 {
		t.Fatalf("podman: %v, %v", images, err)
	}
	if images[0].ID != "c2" || images[0].Ref != "" || images[0].Labels == nil {
		t.Errorf("newest first, untagged, non-nil labels: %+v", images[0])
	}
	if images[1].Ref != "localhost/backport/deb:bookworm" || images[1].Size != 203797579 || images[1].Labels[LabelManaged] != "true" {
		t.Errorf("podman image: %+v", images[1])
	}
	images, err = parseInspect([]byte(docker))
	if err != nil || images[0].ID != "d3" || len(images[0].Tags) != 2 || !images[0].Created.Equal(time.Date(2025, 1, 2, 3, 4, 5, 123e6, time.UTC)) {
		t.Errorf("docker: %+v, %v", images, err)
	}
}

func TestPrune(t *testing.T) {
	t.Parallel()
	fake := newFakeEngine(t, "podman", `case "$1" in
images) printf 'sha256:aa\nsha256:bb\nsha256:aa\n' ;;
image) echo '[{"Id":"sha256:aa","RepoTags":["localhost/b/deb:layer-1","localhost/b/deb:alias"],"Created":"2026-01-02T00:00:00Z","Config":{"Labels":{"io.backport.kind":"layer"}}},{"Id":"sha256:bb","RepoTags":["localhost/b/deb:bookworm"],"Created":"2026-01-01T00:00:00Z","Config":{"Labels":{"io.backport.kind":"builder"}}}]' ;;
esac`)
	e := fake.engine(t, Podman, Options{})
	removed, err := Prune(context.Background(), e, func(img Image) bool { return img.Labels[LabelKind] == "builder" })
	if err != nil || len(removed) != 1 || removed[0].ID != "aa" {
		t.Fatalf("Prune = %+v, %v", removed, err)
	}
	var rmis []string
	for _, c := range fake.callsTo(t, "rmi") {
		rmis = append(rmis, c.Args[1])
	}
	if strings.Join(rmis, " ") != "localhost/b/deb:layer-1 localhost/b/deb:alias" {
		t.Errorf("rmi calls %q: want each tag of the pruned image", rmis)
	}
	if inspect := fake.callsTo(t, "image")[0].Args; len(inspect) != 4 {
		t.Errorf("inspect %q: want the two distinct IDs", inspect)
	}
}
