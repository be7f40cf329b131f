package bundle

import (
	"errors"
	"fmt"
	"os"
)

var errExchangeUnsupported = errors.New("atomic exchange not supported here")

// place moves the finished directory and tarball to their names. An
// existing directory is swapped out in one step where the kernel allows
// (renameat2 RENAME_EXCHANGE), else moved aside just before; the tarball
// is renamed over the old one. If the tarball cannot be placed, the new
// directory is taken back out, so the pair stays consistent.
func place(tmpDir, dir, tmpTar, tarball string) error {
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = tmpDir + ".old"
		err := exchange(tmpDir, dir)
		switch {
		case err == nil:
			if err := os.Rename(tmpDir, old); err != nil {
				return err
			}
		case errors.Is(err, errExchangeUnsupported):
			if err := os.Rename(dir, old); err != nil {
				return err
			}
			if err := os.Rename(tmpDir, dir); err != nil {
				_ = os.Rename(old, dir)
				return err
			}
		default:
			return fmt.Errorf("replacing %s: %w", dir, err)
		}
	} else if err := os.Rename(tmpDir, dir); err != nil {
		return err
	}
	if err := os.Rename(tmpTar, tarball); err != nil {
		// Put the old directory back (or remove the new one).
		if old != "" {
			if exchange(old, dir) != nil {
				_ = os.RemoveAll(dir)
				_ = os.Rename(old, dir)
			}
			_ = os.RemoveAll(old)
		} else {
			_ = os.RemoveAll(dir)
		}
		_ = os.Remove(tmpTar)
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}
