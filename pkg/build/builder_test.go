package build

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/container"
)

func TestEnsureBuilderBase(t *testing.T) {
	boot, err := BuilderDefinition(fakeTarget())
	if err != nil {
		t.Fatal(err)
	}
	withImage := fakeTarget()
	withImage.BaseImage = "registry.invalid/debian:bookworm"
	pullFails := func(def container.Definition) error {
		if def.Base.Image != "" {
			return &container.PullError{Ref: def.Base.Image, Err: errors.New("no such host")}
		}
		return nil
	}
	tests := []struct {
		name      string
		mode      BaseMode
		noImage   bool // the target names no base_image
		haveBoot  bool // a bootstrapped builder with this definition exists
		wantTried []string
		wantErr   string
		wantWhy   string
	}{
		{name: "bootstrap skips the registry", mode: BaseBootstrap, wantTried: []string{"bootstrap"}},
		{name: "registry only: pull failure is an error", mode: BaseRegistry, wantTried: []string{"registry"}, wantErr: "pulling registry.invalid"},
		{name: "registry with no base_image", mode: BaseRegistry, noImage: true, wantErr: "names no base_image"},
		{name: "auto falls back on the mirror", mode: BaseAuto, wantTried: []string{"registry", "bootstrap"}, wantWhy: "registry unreachable"},
		{name: "auto keeps a bootstrapped builder", mode: BaseAuto, haveBoot: true, wantTried: []string{"bootstrap"}},
		{name: "auto with no base_image bootstraps", mode: BaseAuto, noImage: true, wantTried: []string{"bootstrap"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tried []string
			orig := ensureImage
			t.Cleanup(func() { ensureImage = orig })
			ensureImage = func(_ context.Context, _ container.Runtime, ref string, def container.Definition, _ container.ImageOptions) (container.ImageResult, error) {
				kind := "bootstrap"
				if def.Base.Image != "" {
					kind = "registry"
				}
				tried = append(tried, kind)
				if def.Base.Image != "" && def.Base.Image != withImage.BaseImage {
					t.Errorf("registry base %q, want the target's", def.Base.Image)
				}
				if def.Base.Image != "" && (def.AptSources != boot.AptSources || len(def.Toolchain) != len(boot.Toolchain)) {
					t.Error("the registry definition lost the toolchain or apt sources")
				}
				return container.ImageResult{Ref: ref, Reason: "built"}, pullFails(def)
			}
			rt := newFakeRuntime()
			if tc.haveBoot {
				rt.images[BuilderRef(withImage)] = map[string]string{container.LabelDefinition: boot.Hash()}
			}
			target := withImage
			if tc.noImage {
				target.BaseImage = ""
			}
			res, err := EnsureBuilder(context.Background(), rt, BuilderRequest{Target: target, Mode: tc.mode})
			if strings.Join(tried, ",") != strings.Join(tc.wantTried, ",") {
				t.Errorf("tried %v, want %v", tried, tc.wantTried)
			}
			switch {
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			case tc.wantErr == "" && err != nil:
				t.Errorf("err = %v", err)
			case !strings.Contains(res.Reason, tc.wantWhy):
				t.Errorf("reason %q lacks %q", res.Reason, tc.wantWhy)
			}
		})
	}
}

func TestParseBaseMode(t *testing.T) {
	for in, want := range map[string]BaseMode{"": BaseAuto, "auto": BaseAuto, "registry": BaseRegistry, "bootstrap": BaseBootstrap} {
		if got, err := ParseBaseMode(in); err != nil || got != want {
			t.Errorf("ParseBaseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseBaseMode("docker"); err == nil {
		t.Error("ParseBaseMode(docker) accepted")
	}
}
