package sources

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"

	"github.com/backport/backport/pkg/fetch"
)

// fetchDistroSource places the source package's files in dest. A pool
// that lacks only the .dsc (partial mirrors do) is no reason to stop: the
// .dsc is written from the signed index instead, and rebuilt says so.
func fetchDistroSource(ctx context.Context, archive *fetch.DebianArchive, src fetch.SourcePackage, dest string) (rebuilt bool, err error) {
	_, err = archive.FetchSource(ctx, src, dest)
	var nf *fetch.NotFoundError
	dsc, ok := src.Dsc()
	if !errors.As(err, &nf) || !ok || path.Base(nf.URL) != dsc.Name {
		return false, err
	}
	if _, err := archive.FetchSourceFromIndex(ctx, src, dest); err != nil {
		return false, err
	}
	return true, nil
}

// describeRebuiltDsc records a .dsc written from the index: its own hash,
// and why it differs from the one the index lists.
func describeRebuiltDsc(f *File, suite string, res *Result) error {
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	f.SHA256, f.Size, f.URL = hex.EncodeToString(sum[:]), int64(len(data)), ""
	f.VerifiedBy = "written from the signed Sources index of " + suite + " (the mirror lacks the .dsc)"
	res.Warnings = append(res.Warnings, fmt.Sprintf("the mirror lacks %s; it was written from the signed Sources index of %s", f.Name, suite))
	return nil
}
