package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
)

// ImageExists reports whether ref names a local image.
func (e *Engine) ImageExists(ctx context.Context, ref string) (bool, error) {
	_, err := e.ImageID(ctx, ref)
	if errors.Is(err, ErrImageNotFound) {
		return false, nil
	}
	return err == nil, err
}

// ImageID returns the image's full ID.
func (e *Engine) ImageID(ctx context.Context, ref string) (string, error) {
	out, err := e.output(ctx, "image", "inspect", "--format", "{{.Id}}", ref)
	if notFound(err) {
		return "", fmt.Errorf("%s: %w", ref, ErrImageNotFound)
	}
	return out, err
}

// ImageLabels returns the image's labels (an empty map when it has none).
func (e *Engine) ImageLabels(ctx context.Context, ref string) (map[string]string, error) {
	out, err := e.output(ctx, "image", "inspect", "--format", "{{json .Config.Labels}}", ref)
	if notFound(err) {
		return nil, fmt.Errorf("%s: %w", ref, ErrImageNotFound)
	}
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	if out != "" && out != "null" {
		if err := json.Unmarshal([]byte(out), &labels); err != nil {
			return nil, fmt.Errorf("%s inspect %s: labels: %w", e.name, ref, err)
		}
	}
	return labels, nil
}

// Import makes image ref from the root filesystem in rootfsDir: tar streams
// it into `import`, numeric owners and extended attributes (file
// capabilities) kept.
func (e *Engine) Import(ctx context.Context, rootfsDir, ref string, labels map[string]string) error {
	changes, err := labelChanges(labels)
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	tarDone := make(chan error, 1)
	go func() {
		_, err := e.runner.Run(ctx, Command{
			Args: []string{"tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", rootfsDir, "-cf", "-", "."},
			Pipe: pw,
		})
		pw.CloseWithError(err)
		tarDone <- err
	}()
	args := append([]string{"import"}, changes...)
	imp := e.command(append(args, "-", ref)...)
	imp.Stdin = pr
	imp.Env = e.confEnv()
	// Not through call: a retry could not read the stream again, and
	// import starts no container, so the fallback has nothing to fix.
	_, err = e.runner.Run(ctx, imp)
	pr.CloseWithError(errors.New("import ended")) // unblock tar if import failed early
	tarErr := <-tarDone
	if err != nil {
		return fmt.Errorf("import %s into %s: %w", rootfsDir, ref, err)
	}
	if tarErr != nil {
		return fmt.Errorf("import %s into %s: %w", rootfsDir, ref, tarErr)
	}
	return nil
}

// Commit saves container as image ref with labels. The image's command is
// reset to a shell: the setup command is no default to run again.
func (e *Engine) Commit(ctx context.Context, container, ref string, labels map[string]string) error {
	changes, err := labelChanges(labels)
	if err != nil {
		return err
	}
	args := append([]string{"commit"}, changes...)
	args = append(args, "--change", `CMD ["/bin/sh"]`, container, ref)
	_, err = e.call(ctx, e.command(args...), nil)
	return err
}

// Pull fetches ref from its registry.
func (e *Engine) Pull(ctx context.Context, ref string) error {
	_, err := e.call(ctx, e.command("pull", ref), nil)
	return err
}

// RemoveImage removes the tag ref, and the image when it was the last.
func (e *Engine) RemoveImage(ctx context.Context, ref string) error {
	_, err := e.call(ctx, e.command("rmi", ref), nil)
	if notFound(err) {
		return fmt.Errorf("%s: %w", ref, ErrImageNotFound)
	}
	return err
}

// ListImages returns the images labelled LabelManaged=true, newest first.
func (e *Engine) ListImages(ctx context.Context) ([]Image, error) {
	out, err := e.output(ctx, "images", "--quiet", "--no-trunc", "--filter", "label="+LabelManaged+"=true")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, id := range strings.Fields(out) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	out, err = e.output(ctx, append([]string{"image", "inspect"}, ids...)...)
	if err == nil {
		return parseInspect([]byte(out))
	}
	if !notFound(err) {
		return nil, err
	}
	// An image went away between listing and inspecting (a build or a
	// prune running at the same time): inspect one by one, skipping those.
	var images []Image
	for _, id := range ids {
		out, err := e.output(ctx, "image", "inspect", id)
		if notFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		one, err := parseInspect([]byte(out))
		if err != nil {
			return nil, err
		}
		images = append(images, one...)
	}
	return images, nil
}

// inspectedImage is the part of `image inspect` that podman and docker
// share.
type inspectedImage struct {
	ID       string `json:"Id"`
	RepoTags []string
	Created  time.Time
	Size     int64
	Config   struct{ Labels map[string]string }
}

func parseInspect(data []byte) ([]Image, error) {
	var raw []inspectedImage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("image inspect: %w", err)
	}
	images := make([]Image, 0, len(raw))
	for _, r := range raw {
		img := Image{ID: strings.TrimPrefix(r.ID, "sha256:"), Tags: r.RepoTags, Size: r.Size, Created: r.Created, Labels: r.Config.Labels}
		if len(r.RepoTags) > 0 {
			img.Ref = r.RepoTags[0]
		}
		if img.Labels == nil {
			img.Labels = map[string]string{}
		}
		images = append(images, img)
	}
	sort.SliceStable(images, func(i, j int) bool { return images[i].Created.After(images[j].Created) })
	return images, nil
}

var labelKey = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`)

// labelChanges turns labels into --change LABEL instructions, sorted so the
// argv is the same every time. Keys and values are restricted to what needs
// no Dockerfile escaping: they are ours (hashes, suites, refs).
func labelChanges(labels map[string]string) ([]string, error) {
	keys := make([]string, 0, len(labels))
	for k, v := range labels {
		if !labelKey.MatchString(k) {
			return nil, fmt.Errorf("image label %q: expected lower-case letters, digits, '.', '_' and '-'", k)
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f || strings.ContainsRune(`"\$`, r) }) {
			return nil, fmt.Errorf("image label %s=%q: quotes, backslashes, '$' and control characters are not allowed", k, v)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, "--change", fmt.Sprintf(`LABEL %s="%s"`, k, labels[k]))
	}
	return out, nil
}
