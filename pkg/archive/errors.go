package archive

import (
	"errors"
	"fmt"
)

// Reasons a member is refused. They are wrapped in a *MemberError, so test
// them with errors.Is.
var (
	ErrPathEscapes        = errors.New("path escapes the destination")
	ErrLinkEscapes        = errors.New("link target escapes the destination")
	ErrThroughSymlink     = errors.New("path passes through a symlink")
	ErrSpecialFile        = errors.New("device, fifo and socket members are not allowed")
	ErrMemberTooLarge     = errors.New("member exceeds the size limit")
	ErrTotalTooLarge      = errors.New("archive exceeds the total size limit")
	ErrTooManyMembers     = errors.New("archive exceeds the member count limit")
	ErrUnsupportedMember  = errors.New("unsupported member type")
	ErrInvalidName        = errors.New("invalid member name")
	ErrBadHardLinkTarget  = errors.New("hard link target is missing or not a regular file")
	ErrUnsupportedArchive = errors.New("not a tar or newc cpio archive (or an unsupported compression)")
)

// MemberError reports why one member of an archive was refused or could not
// be written. Archive is the name the caller gave; Member is the name as
// stored in the archive, so the message points at what a human can find
// with `tar -tvf`.
type MemberError struct {
	Archive string
	Member  string
	Err     error
}

func (e *MemberError) Error() string {
	return fmt.Sprintf("%s: member %q: %v", e.Archive, e.Member, e.Err)
}

func (e *MemberError) Unwrap() error { return e.Err }
