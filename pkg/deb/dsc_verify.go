package deb

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/backport/backport/pkg/exitcode"
)

// VerifyFiles checks every file the .dsc lists, in dir, against its size,
// SHA256 and MD5. A missing, short, long or altered file is a verification
// failure (exit 4); the message names the .dsc and every file that failed.
func (d *Dsc) VerifyFiles(dir string) error {
	var problems []string
	for _, f := range d.Files {
		problem, err := verifyDscFile(filepath.Join(dir, f.Name), f)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Path, err)
		}
		if problem != "" {
			problems = append(problems, f.Name+": "+problem)
		}
	}
	if len(problems) > 0 {
		return exitcode.Wrap(exitcode.Verification,
			fmt.Errorf("%s: files do not match the .dsc: %s", d.Path, strings.Join(problems, "; ")))
	}
	return nil
}

// verifyDscFile returns why the file at path does not match f, or "" when
// it does; err is for failures that say nothing about the file's content.
func verifyDscFile(path string, f DscFile) (problem string, err error) {
	// Stat before opening: opening a fifo planted beside the .dsc would
	// block. A symlink is followed; the content is what gets hashed.
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "missing", nil
	case err != nil:
		return "", err
	case !fi.Mode().IsRegular():
		return "not a regular file", nil
	case fi.Size() != f.Size:
		return fmt.Sprintf("size %d, want %d", fi.Size(), f.Size), nil
	}
	file, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer file.Close()
	sha, md := sha256.New(), md5.New()
	n, err := io.Copy(io.MultiWriter(sha, md), file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.Name, err)
	}
	if n != f.Size {
		return fmt.Sprintf("size %d, want %d", n, f.Size), nil
	}
	if got := hex.EncodeToString(sha.Sum(nil)); got != f.SHA256 {
		return fmt.Sprintf("sha256 %s, want %s", got, f.SHA256), nil
	}
	if got := hex.EncodeToString(md.Sum(nil)); f.MD5 != "" && got != f.MD5 {
		return fmt.Sprintf("md5 %s, want %s", got, f.MD5), nil
	}
	return "", nil
}
