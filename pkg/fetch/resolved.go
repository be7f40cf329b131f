package fetch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/renameio/v2"
)

// A resolution record remembers the outcome of a lookup that needed the
// network (which source package, which URLs, which hashes), so that the
// next run can go straight to Cache.Fetch, which needs none.
type resolution struct {
	Key   string          `json:"key"`
	Saved time.Time       `json:"saved"`
	Value json.RawMessage `json:"value"`
}

// Remember stores v (as JSON) under key, replacing any earlier value.
// Keys are free-form, e.g. "debian-source/hello/2.12.3/debian-12".
func (c *Cache) Remember(key string, v any) error {
	value, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("remember %q: %w", key, err)
	}
	data, err := json.MarshalIndent(resolution{Key: key, Saved: time.Now().UTC(), Value: value}, "", "  ")
	if err != nil {
		return fmt.Errorf("remember %q: %w", key, err)
	}
	if err := renameio.WriteFile(c.resolutionPath(key), append(data, '\n'), 0o644,
		renameio.WithTempDir(filepath.Join(c.dir, "tmp"))); err != nil {
		return fmt.Errorf("remember %q: %w", key, err)
	}
	return nil
}

// Recall loads the value remembered under key into v and reports whether
// there was one. A missing, unreadable or mismatched record is simply not
// recalled: the caller resolves again over the network.
func (c *Cache) Recall(key string, v any) bool {
	data, err := os.ReadFile(c.resolutionPath(key))
	if err != nil {
		return false
	}
	var r resolution
	if err := json.Unmarshal(data, &r); err != nil || r.Key != key {
		return false
	}
	return json.Unmarshal(r.Value, v) == nil
}

// Forget removes the value remembered under key, if any.
func (c *Cache) Forget(key string) error {
	err := os.Remove(c.resolutionPath(key))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// resolutionPath hashes the key: keys hold slashes and colons that have no
// place in a file name.
func (c *Cache) resolutionPath(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.dir, "resolved", hex.EncodeToString(sum[:])+".json")
}
