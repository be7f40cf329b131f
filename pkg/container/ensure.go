package container

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// ImageOptions tune EnsureImage and EnsureLayer. The zero value is usable.
type ImageOptions struct {
	Log     io.Writer // debootstrap, apt and setup output; nil: discarded
	TempDir string    // where a root filesystem is bootstrapped; empty: os.TempDir()
	// LockDir holds the lock files that keep two backport processes from
	// building the same image at once; empty: os.UserCacheDir()/backport/locks.
	LockDir string
	// CacheDir keeps the packages debootstrap downloads, so that the next
	// bootstrap (a changed definition, another target on the same suite)
	// fetches only what changed; debootstrap checks them against the
	// mirror's index. Empty: os.UserCacheDir()/backport/debootstrap.
	CacheDir string
	Runner   *Runner // runs debootstrap; nil: a plain Runner
}

// ImageResult says what EnsureImage did; a skipped build is a value with a
// reason, not silence.
type ImageResult struct {
	Ref    string
	ID     string
	Built  bool
	Reason string // why it was built, or why not
}

// ExitError is a setup step whose command exited non-zero; its output went
// to the log it was given.
type ExitError struct {
	Step string
	Code int
	Tail []string // the last lines of the output
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: exit status %d", e.Step, e.Code)
	if n := len(e.Tail); n > 0 {
		msg += ": " + e.Tail[n-1]
	}
	return msg
}

// EnsureImage makes sure ref is the builder image def describes. It builds
// only when no image labelled with def.Hash() exists under ref; otherwise
// it does nothing, which is the cache between test runs and builds.
func EnsureImage(ctx context.Context, rt Runtime, ref string, def Definition, opts ImageOptions) (ImageResult, error) {
	if err := def.Validate(); err != nil {
		return ImageResult{}, err
	}
	hash := def.Hash()
	res := ImageResult{Ref: ref}
	current := func() (done bool, err error) {
		labels, err := rt.ImageLabels(ctx, ref)
		switch {
		case errors.Is(err, ErrNoImages):
			res.Reason = "the host runtime builds in the job's own environment: no image"
			return true, nil
		case errors.Is(err, ErrImageNotFound):
			res.Reason = "no image " + ref
			return false, nil
		case err != nil:
			return false, err
		case labels[LabelDefinition] == hash:
			res.Reason = fmt.Sprintf("up to date (definition %.12s)", hash)
			res.ID, err = rt.ImageID(ctx, ref)
			return true, err
		default:
			res.Reason = fmt.Sprintf("definition changed (%.12s, now %.12s)", labels[LabelDefinition], hash)
			return false, nil
		}
	}
	if done, err := current(); done || err != nil {
		return res, err
	}
	unlock, err := lockRef(ctx, opts.LockDir, ref)
	if err != nil {
		return res, err
	}
	defer unlock()
	// Another backport may have built it while this one waited.
	if done, err := current(); done || err != nil {
		return res, err
	}

	labels := map[string]string{
		LabelManaged:    "true",
		LabelKind:       "builder",
		LabelDefinition: hash,
		LabelBase:       def.Base.describe(),
	}
	base := def.Base.Image
	if b := def.Base.Bootstrap; b != nil {
		rootfs, cleanup, err := bootstrap(ctx, b, opts)
		if err != nil {
			return res, err
		}
		defer cleanup()
		if !def.needsToolchainStep() {
			if err := rt.Import(ctx, rootfs, ref, labels); err != nil {
				return res, err
			}
			return finished(ctx, rt, res)
		}
		// An intermediate tag for the bare base, unique so that concurrent
		// builds never share it; the builder keeps what it needs of the
		// base's layers when the tag goes.
		base = "localhost/backport-tmp/base:" + strings.TrimPrefix(newContainerName(), "backport-")
		start := time.Now()
		if err := rt.Import(ctx, rootfs, base, map[string]string{LabelManaged: "true", LabelKind: "base"}); err != nil {
			return res, err
		}
		fmt.Fprintf(orDiscard(opts.Log), "backport: imported the base in %s\n", time.Since(start).Round(time.Second))
		defer func() { _ = rt.RemoveImage(context.WithoutCancel(ctx), base) }()
	} else if ok, err := rt.ImageExists(ctx, base); err != nil {
		return res, err
	} else if !ok {
		if err := rt.Pull(ctx, base); err != nil {
			return res, &PullError{Ref: base, Err: err}
		}
	}
	start := time.Now()
	err = runAndCommit(ctx, rt, "install the toolchain", RunSpec{
		Image: base,
		Args:  []string{"/bin/sh", "-c", def.toolchainScript()},
		Env: map[string]string{
			"DEBIAN_FRONTEND":      "noninteractive",
			"BACKPORT_APT_SOURCES": def.AptSources,
		},
		Stdout: opts.Log,
		Stderr: opts.Log,
	}, ref, labels)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(orDiscard(opts.Log), "backport: installed the toolchain and committed %s in %s\n", ref, time.Since(start).Round(time.Second))
	return finished(ctx, rt, res)
}

func finished(ctx context.Context, rt Runtime, res ImageResult) (ImageResult, error) {
	res.Built = true
	id, err := rt.ImageID(ctx, res.Ref)
	res.ID = id
	return res, err
}

// EnsureLayer returns a cached image of base with setup applied: the build
// dependencies of one package. The cache key is the base image's ID and key
// (the caller's name for what setup installs, e.g. the resolved build
// dependencies), so a rebuilt base never reuses a stale layer. On a hit no
// container runs at all. setup runs with the network on.
//
// The host runtime has no images: setup runs in the job's environment every
// time, and the returned ref is base.
func EnsureLayer(ctx context.Context, rt Runtime, base, key string, setup RunSpec) (ref string, hit bool, err error) {
	baseID, err := rt.ImageID(ctx, base)
	if errors.Is(err, ErrNoImages) {
		setup.Network = true
		code, err := rt.Run(ctx, setup)
		if err == nil && code != 0 {
			err = &ExitError{Step: "layer setup", Code: code}
		}
		return base, false, err
	}
	if err != nil {
		return "", false, err
	}
	layerKey := LayerKey(baseID, key)
	ref = layerRef(base, layerKey)
	isHit := func() bool {
		labels, err := rt.ImageLabels(ctx, ref)
		return err == nil && labels[LabelLayer] == layerKey
	}
	if isHit() {
		return ref, true, nil
	}
	unlock, err := lockRef(ctx, "", ref)
	if err != nil {
		return "", false, err
	}
	defer unlock()
	if isHit() {
		return ref, true, nil
	}
	// The ID, not the tag: the layer must sit on the image that was hashed.
	setup.Image = baseID
	setup.Network = true
	labels := map[string]string{
		LabelManaged:   "true",
		LabelKind:      "layer",
		LabelLayer:     layerKey,
		LabelLayerBase: baseID,
	}
	if err := runAndCommit(ctx, rt, "layer setup", setup, ref, labels); err != nil {
		return "", false, err
	}
	return ref, false, nil
}

// LayerKey is the label value that identifies the layer for key on the
// image baseID.
func LayerKey(baseID, key string) string {
	sum := sha256.Sum256([]byte(baseID + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// LayerRef is the ref EnsureLayer gives the layer for key on base.
func LayerRef(ctx context.Context, rt Runtime, base, key string) (string, error) {
	baseID, err := rt.ImageID(ctx, base)
	if err != nil {
		return "", err
	}
	return layerRef(base, LayerKey(baseID, key)), nil
}

// runAndCommit runs spec in a kept container and commits it as ref.
func runAndCommit(ctx context.Context, rt Runtime, step string, spec RunSpec, ref string, labels map[string]string) error {
	tail := newTailBuffer(4 << 10)
	out := io.MultiWriter(orDiscard(spec.Stdout), tail)
	errOut := out // one log stays one stream, in order
	if !sameWriter(spec.Stdout, spec.Stderr) {
		errOut = io.MultiWriter(orDiscard(spec.Stderr), tail)
	}
	spec.Stdout, spec.Stderr = out, errOut
	spec.Network = true
	name, code, err := rt.RunKeep(ctx, spec)
	if err != nil {
		return fmt.Errorf("%s: %w", step, err)
	}
	defer func() { _ = rt.RemoveContainer(context.WithoutCancel(ctx), name) }()
	if code != 0 {
		return &ExitError{Step: step, Code: code, Tail: lastLines(tail.String(), 20)}
	}
	return rt.Commit(ctx, name, ref, labels)
}

// layerRef names a layer after its base: repo:layer-<key>.
func layerRef(base, key string) string {
	repo := base
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	if !strings.Contains(repo, "/") {
		// A bare name or an image ID: keep layers under backport's own
		// local namespace rather than one a registry might serve.
		repo = "localhost/backport/layer"
	}
	return repo + ":layer-" + key[:24]
}

// bootstrap creates a root filesystem with debootstrap; cleanup removes it.
func bootstrap(ctx context.Context, b *Bootstrap, opts ImageOptions) (string, func(), error) {
	if os.Geteuid() != 0 {
		return "", nil, errors.New("bootstrapping a base image needs root (debootstrap creates device nodes and chroots): " +
			"run backport image build --bootstrap as root or with sudo, or build FROM a registry image")
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return "", nil, errors.New("debootstrap is not installed: apt-get install debootstrap")
	}
	dir, err := os.MkdirTemp(opts.TempDir, "backport-rootfs-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	args := []string{"debootstrap", "--variant=" + b.variant()}
	if len(b.Components) > 0 {
		args = append(args, "--components="+strings.Join(b.Components, ","))
	}
	if len(b.Include) > 0 {
		args = append(args, "--include="+strings.Join(sortedSet(b.Include), ","))
	}
	if b.Keyring != "" {
		args = append(args, "--keyring="+b.Keyring)
	}
	if cache := debootstrapCache(opts.CacheDir); cache != "" {
		args = append(args, "--cache-dir="+cache)
	}
	args = append(args, b.Suite, dir, b.Mirror)
	runner := opts.Runner
	if runner == nil {
		runner = &Runner{}
	}
	log := orDiscard(opts.Log)
	start := time.Now()
	// dpkg's fsyncs triple the install phase and buy nothing for a root
	// filesystem that is about to be tarred; DPKG_FORCE replaces dpkg's
	// default force flags, so they are listed too.
	env := []string{"DPKG_FORCE=security-mac,downgrade,unsafe-io"}
	if _, err := runner.Run(ctx, Command{Args: args, Env: env, Stdout: log, Stderr: log}); err != nil {
		// debootstrap's own log names the package that failed; it is about
		// to be removed with the directory.
		if data, rerr := os.ReadFile(filepath.Join(dir, "debootstrap", "debootstrap.log")); rerr == nil {
			if lines := lastLines(string(data), 5); len(lines) > 0 {
				err = fmt.Errorf("%w (debootstrap.log: %s)", err, strings.Join(lines, " | "))
			}
		}
		cleanup()
		return "", nil, fmt.Errorf("bootstrap %s from %s: %w", b.Suite, b.Mirror, err)
	}
	fmt.Fprintf(log, "backport: bootstrapped %s (%s) in %s\n", b.Suite, b.variant(), time.Since(start).Round(time.Second))
	return dir, cleanup, nil
}

// debootstrapCache returns the package cache directory, created, or ""
// when there is none to use (no cache is only slower).
func debootstrapCache(dir string) string {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(base, "backport", "debootstrap")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ""
	}
	return dir
}

// lockRef serialises builds of one ref across backport processes.
func lockRef(ctx context.Context, dir, ref string) (func(), error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("image lock: %w", err)
		}
		dir = filepath.Join(base, "backport", "locks")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("image lock: %w", err)
	}
	sum := sha256.Sum256([]byte(ref))
	lock := flock.New(filepath.Join(dir, "image-"+hex.EncodeToString(sum[:8])+".lock"))
	ok, err := lock.TryLockContext(ctx, 250*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("image lock for %s: %w", ref, err)
	}
	if !ok {
		return nil, fmt.Errorf("image lock for %s: not acquired", ref)
	}
	return func() { _ = lock.Unlock() }, nil
}

// Prune removes the managed images keep does not want, newest first so that
// layers go before the images they sit on, and returns what it removed.
func Prune(ctx context.Context, rt Runtime, keep func(Image) bool) ([]Image, error) {
	images, err := rt.ListImages(ctx)
	if err != nil {
		return nil, err
	}
	var removed []Image
	var errs []error
	for _, img := range images {
		if keep(img) {
			continue
		}
		refs := img.Tags
		if len(refs) == 0 {
			refs = []string{img.ID}
		}
		var failed bool
		for _, ref := range refs {
			if err := rt.RemoveImage(ctx, ref); err != nil {
				errs = append(errs, err)
				failed = true
			}
		}
		if !failed {
			removed = append(removed, img)
		}
	}
	return removed, errors.Join(errs...)
}

// PullError is a registry base image that could not be pulled: no
// registry, no network, or no such image. Callers that can build the base
// another way (a bootstrap from the mirror) fall back on it.
type PullError struct {
	Ref string
	Err error
}

func (e *PullError) Error() string { return "pulling " + e.Ref + ": " + e.Err.Error() }
func (e *PullError) Unwrap() error { return e.Err }
