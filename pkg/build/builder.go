package build

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/recipe"
)

// BaseMode says where a builder image's base comes from.
type BaseMode string

const (
	// BaseAuto starts from the target's registry image and falls back on a
	// bootstrap from the mirror when the registry cannot be reached; an
	// image already bootstrapped with the same definition is used as is.
	BaseAuto BaseMode = ""
	// BaseRegistry starts from the registry image only (FROM).
	BaseRegistry BaseMode = "registry"
	// BaseBootstrap creates the base from the distro mirror (air-gapped
	// build boxes, hosts with no registry).
	BaseBootstrap BaseMode = "bootstrap"
)

// ParseBaseMode reads a --base / base: value.
func ParseBaseMode(s string) (BaseMode, error) {
	switch m := BaseMode(s); m {
	case BaseAuto, BaseRegistry, BaseBootstrap:
		return m, nil
	case "auto":
		return BaseAuto, nil
	}
	return "", fmt.Errorf("base %q: expected auto, registry or bootstrap", s)
}

// ImageDefinition is the builder image definition of t, whatever its
// family, with its base bootstrapped from the mirror: what `backport image
// build --bootstrap` and the deps step build. debianMirror and debianSuite
// bootstrap the rpm builder's Debian base.
func ImageDefinition(t recipe.Target, debianMirror, debianSuite string) (container.Definition, error) {
	if t.Family == recipe.FamilyRPM {
		return RPMBuilderDefinition(t, debianMirror, debianSuite)
	}
	return BuilderDefinition(t)
}

// registryImage is the registry base of t's builder: the target's own base
// image for the Debian family, Debian's for the rpm builder (which runs
// Debian's rpm). "": none is known.
func registryImage(t recipe.Target, def container.Definition) string {
	if t.Family == recipe.FamilyRPM {
		if b := def.Base.Bootstrap; b != nil {
			return "docker.io/library/debian:" + b.Suite
		}
		return ""
	}
	return t.BaseImage
}

// ensureImage is container.EnsureImage; tests replace it to watch which
// definitions are tried in which order.
var ensureImage = container.EnsureImage

// BuilderRequest says which builder image to make sure of.
type BuilderRequest struct {
	Target       recipe.Target
	Ref          string // "": BuilderRef(Target)
	Mode         BaseMode
	DebianMirror string
	DebianSuite  string
	Image        container.ImageOptions
}

// EnsureBuilder makes sure the target's builder image exists, built only
// when its definition changed. In BaseAuto mode a registry that cannot be
// reached is not an error: the base is bootstrapped from the mirror
// instead, and the log says so.
func EnsureBuilder(ctx context.Context, rt container.Runtime, req BuilderRequest) (container.ImageResult, error) {
	ref := req.Ref
	if ref == "" {
		ref = BuilderRef(req.Target)
	}
	boot, err := ImageDefinition(req.Target, req.DebianMirror, req.DebianSuite)
	if err != nil {
		return container.ImageResult{Ref: ref}, err
	}
	image := registryImage(req.Target, boot)
	switch {
	case req.Mode == BaseBootstrap:
		return ensureImage(ctx, rt, ref, boot, req.Image)
	case image == "":
		if req.Mode == BaseRegistry {
			return container.ImageResult{Ref: ref}, fmt.Errorf("target %s names no base_image to start from; set base_image: in backport.yaml or use --bootstrap", req.Target.Name)
		}
		return ensureImage(ctx, rt, ref, boot, req.Image)
	}
	reg := boot
	reg.Base = container.Base{Image: image}
	if req.Mode == BaseAuto {
		// A builder bootstrapped earlier on this host stays in use: asking
		// an unreachable registry on every build costs a timeout each time.
		if labels, err := rt.ImageLabels(ctx, ref); err == nil && labels[container.LabelDefinition] == boot.Hash() {
			return ensureImage(ctx, rt, ref, boot, req.Image)
		}
	}
	res, err := ensureImage(ctx, rt, ref, reg, req.Image)
	var pull *container.PullError
	if req.Mode == BaseAuto && errors.As(err, &pull) {
		fmt.Fprintf(orDiscard(req.Image.Log), "backport: %v; bootstrapping the base from %s instead (--bootstrap skips the registry)\n", err, mirrorOf(boot))
		res, err = ensureImage(ctx, rt, ref, boot, req.Image)
		if err == nil {
			res.Reason += " (registry unreachable: bootstrapped from the mirror)"
		}
	}
	return res, err
}

func mirrorOf(d container.Definition) string {
	if d.Base.Bootstrap != nil {
		return d.Base.Bootstrap.Mirror
	}
	return "the mirror"
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// ensureBuilder makes sure the target's builder image exists and records
// its ref in a.builder.
func (a *attempt) ensureBuilder(ctx context.Context) (container.ImageResult, error) {
	o := a.opts
	imgOpts := o.Image
	imgOpts.Log = teeLog(a.log, o.Image.Log)
	img, err := EnsureBuilder(ctx, o.Runtime, BuilderRequest{
		Target: o.Target, Ref: o.BuilderRef, Mode: o.Base,
		DebianMirror: o.DebianMirror, DebianSuite: o.DebianSuite, Image: imgOpts,
	})
	a.builder = img.Ref
	a.res.Builder, a.res.BuilderID = img.Ref, img.ID
	if err != nil {
		return img, fmt.Errorf("builder image %s: %w", a.builder, err)
	}
	fmt.Fprintf(a.log, "backport: builder image %s: %s\n", a.builder, img.Reason)
	return img, nil
}
