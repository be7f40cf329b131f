package recipe

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/backport/backport/specs"
)

// Store finds recipes: in each of Dirs in order, then in Embedded. A recipe
// found earlier shadows one of the same name found later, so a team can
// override a shipped recipe without rebuilding backport.
type Store struct {
	Dirs     []string // directories holding NAME.yaml, highest precedence first
	Embedded fs.FS    // the recipes shipped in the binary; nil for none
}

// OriginEmbedded is the origin of a recipe shipped in the binary.
const OriginEmbedded = "embedded"

// DefaultStore looks in ./specs, then <user config dir>/backport/specs,
// then the embedded recipes.
func DefaultStore() Store {
	dirs := []string{"specs"}
	if d, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "backport", "specs"))
	}
	return Store{Dirs: dirs, Embedded: specs.FS}
}

// NotFoundError says that no place in a Store holds a recipe.
type NotFoundError struct {
	Name   string
	Looked []string // the places searched, as shown to the user
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no recipe %q (looked in %s)", e.Name, strings.Join(e.Looked, ", "))
}

// Load finds the recipe called name and parses it. origin is the path it
// was read from, or OriginEmbedded. A broken recipe in a directory is an
// error even when an embedded one exists: falling back would hide the
// user's mistake.
func (s Store) Load(name string) (r *Recipe, origin string, err error) {
	if err := CheckName(name); err != nil {
		return nil, "", err
	}
	file := name + ".yaml"
	for _, dir := range s.Dirs {
		p := filepath.Join(dir, file)
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		r, err := s.parse(p, name, data, os.DirFS(dir))
		return r, p, err
	}
	if s.Embedded != nil {
		data, err := fs.ReadFile(s.Embedded, file)
		if err == nil {
			r, err := s.parse(embeddedLabel(file), name, data, s.Embedded)
			return r, OriginEmbedded, err
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", err
		}
	}
	return nil, "", &NotFoundError{Name: name, Looked: s.places()}
}

func embeddedLabel(file string) string { return "embedded:" + file }

// parse parses a recipe and checks that the keyring it names is there, so
// that a missing key shows when the recipe is read, not after a download.
func (Store) parse(label, name string, data []byte, files fs.FS) (*Recipe, error) {
	r, err := parseRecipe(label, name, data)
	if err != nil {
		return nil, err
	}
	r.files = files
	if k := r.Upstream.Verify.Keyring; k != "" {
		if _, err := fs.Stat(files, path.Clean(k)); err != nil {
			return nil, r.lines.errorf([]string{"upstream.verify.keyring"},
				"upstream.verify.keyring %s: %v (paths are relative to the recipe's directory)", k, withoutPath(err))
		}
	}
	return r, nil
}

func (s Store) places() []string {
	var out []string
	for _, d := range s.Dirs {
		if !filepath.IsAbs(d) && !strings.HasPrefix(d, ".") {
			d = "." + string(filepath.Separator) + d
		}
		out = append(out, d)
	}
	if s.Embedded != nil {
		out = append(out, OriginEmbedded)
	}
	return out
}

// Listing is one recipe as `backport recipe list` shows it.
type Listing struct {
	Name    string
	Summary string
	Origin  string   // path, or OriginEmbedded
	Shadows []string // origins of same-named recipes this one hides
	Err     error    // the recipe does not parse; the others are still listed
}

// List returns every recipe the Store can load, sorted by name, each from
// the place Load would take it from.
func (s Store) List() ([]Listing, error) {
	byName := map[string]*Listing{}
	add := func(name, origin string, load func() (*Recipe, error)) {
		if l, ok := byName[name]; ok {
			l.Shadows = append(l.Shadows, origin)
			return
		}
		l := &Listing{Name: name, Origin: origin}
		if r, err := load(); err != nil {
			l.Err = err
		} else {
			l.Summary = r.Summary
		}
		byName[name] = l
	}
	for _, dir := range s.Dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name, ok := recipeFileName(e)
			if !ok {
				continue
			}
			p := filepath.Join(dir, e.Name())
			add(name, p, func() (*Recipe, error) {
				data, err := os.ReadFile(p)
				if err != nil {
					return nil, err
				}
				return s.parse(p, name, data, os.DirFS(dir))
			})
		}
	}
	if s.Embedded != nil {
		entries, err := fs.ReadDir(s.Embedded, ".")
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name, ok := recipeFileName(e)
			if !ok {
				continue
			}
			add(name, OriginEmbedded, func() (*Recipe, error) {
				data, err := fs.ReadFile(s.Embedded, e.Name())
				if err != nil {
					return nil, err
				}
				return s.parse(embeddedLabel(e.Name()), name, data, s.Embedded)
			})
		}
	}
	out := make([]Listing, 0, len(byName))
	for _, l := range byName {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// recipeFileName is the recipe name of a directory entry, if it is one:
// NAME.yaml with a valid NAME. Other files (README.md, keys/) are not.
func recipeFileName(e fs.DirEntry) (string, bool) {
	name, ok := strings.CutSuffix(e.Name(), ".yaml")
	if !ok || e.IsDir() || CheckName(name) != nil {
		return "", false
	}
	return name, true
}
