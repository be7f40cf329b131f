package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/exitcode"
)

// fakeRuntime is a Runtime with images in a map: setup containers commit
// their labels, and a build writes the .debs it is told to into its mount.
type fakeRuntime struct {
	mu     sync.Mutex
	images map[string]map[string]string // ref → labels
	runs   []container.RunSpec
	keeps  []container.RunSpec

	buildExit   int
	setupExit   int // what deps setup containers exit with
	buildOutput string
	debs        []string // written into the build mount on success (paths relative to it)
	block       bool     // Run waits for ctx to be cancelled
	started     chan struct{}
	// script, when set, gives each build run in turn its exit status and
	// output; once used up, builds succeed with buildOutput.
	script []fakeBuild
}

type fakeBuild struct {
	exit   int
	output string
}

func newFakeRuntime() *fakeRuntime {
	return &fakeRuntime{images: map[string]map[string]string{}, debs: []string{"hello_2.10-3+bp1_amd64.deb"}}
}

func (f *fakeRuntime) Name() string { return container.Podman }

func (f *fakeRuntime) InsidePath(m container.Mount) string {
	if m.Target != "" {
		return m.Target
	}
	return m.Source
}

func (f *fakeRuntime) Run(ctx context.Context, spec container.RunSpec) (int, error) {
	f.mu.Lock()
	f.runs = append(f.runs, spec)
	f.mu.Unlock()
	if f.block {
		if f.started != nil {
			close(f.started)
		}
		<-ctx.Done()
		return -1, exitcode.Wrap(exitcode.Interrupted, ctx.Err())
	}
	exit, output := f.buildExit, f.buildOutput
	f.mu.Lock()
	if len(f.script) > 0 {
		exit, output = f.script[0].exit, f.script[0].output
		f.script = f.script[1:]
	}
	f.mu.Unlock()
	if spec.Stdout != nil {
		fmt.Fprint(spec.Stdout, output)
	}
	if exit != 0 {
		return exit, nil
	}
	for _, name := range f.debs {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(spec.Mounts[0].Source, name)), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(spec.Mounts[0].Source, name), []byte("!<arch>\n"), 0o644); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func (f *fakeRuntime) RunKeep(_ context.Context, spec container.RunSpec) (string, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keeps = append(f.keeps, spec)
	return fmt.Sprintf("c%d", len(f.keeps)), f.setupExit, nil
}

func (f *fakeRuntime) RemoveContainer(context.Context, string) error { return nil }

func (f *fakeRuntime) Commit(_ context.Context, _, ref string, labels map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.images[ref] = labels
	return nil
}

func (f *fakeRuntime) ImageExists(_ context.Context, ref string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.images[ref]
	return ok, nil
}

func (f *fakeRuntime) ImageID(_ context.Context, ref string) (string, error) {
	if ok, _ := f.ImageExists(context.Background(), ref); !ok {
		return "", container.ErrImageNotFound
	}
	return "sha256:" + fmt.Sprintf("%064x", len(ref)), nil
}

func (f *fakeRuntime) ImageLabels(_ context.Context, ref string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	labels, ok := f.images[ref]
	if !ok {
		return nil, container.ErrImageNotFound
	}
	return labels, nil
}

func (f *fakeRuntime) Import(context.Context, string, string, map[string]string) error {
	return errors.New("fake: no import")
}
func (f *fakeRuntime) Pull(context.Context, string) error { return errors.New("fake: no pull") }
func (f *fakeRuntime) ListImages(context.Context) ([]container.Image, error) {
	return nil, nil
}
func (f *fakeRuntime) RemoveImage(context.Context, string) error  { return nil }
func (f *fakeRuntime) Diagnose(context.Context) []container.Check { return nil }
