// Package archive safely unpacks the untrusted archives a hotfix build starts
// from: upstream tarballs, Debian .orig/.debian tarballs and SRPM cpio
// payloads.
//
// The compression (gzip, bzip2, xz, zstd or none) and the container (tar, or
// cpio in the "newc" formats 070701/070702) are detected from the content,
// never from the file name, because names lie and downloads get renamed.
//
// Extraction refuses, with a *MemberError naming the archive and the member:
//
//   - absolute member names and any ".." component (ErrPathEscapes);
//   - symlinks whose target, resolved through the tree as it stands, leaves
//     the destination, and hard links to anything outside it (ErrLinkEscapes);
//   - writing through a symlink, even one that stays inside the destination
//     (ErrThroughSymlink): every parent of a member must be a real directory,
//     and an existing symlink at a member's own name is replaced, not followed;
//   - device, fifo and socket members (ErrSpecialFile);
//   - members over Limits.MaxMemberSize, archives over Limits.MaxTotalSize or
//     Limits.MaxMembers (ErrMemberTooLarge, ErrTotalTooLarge,
//     ErrTooManyMembers), so a small compressed bomb cannot fill the disk.
//
// Extract never creates, modifies or removes anything outside the destination
// directory, whatever the archive holds and whether or not it fails; the only
// things it creates outside are the destination itself and its missing
// parents. Every file operation goes through an [os.Root] opened on the
// destination, a second wall behind the checks above. On failure the
// destination may hold a partial tree, which the caller should remove; it
// holds no symlink that leads out, since those are re-checked and removed on
// every return.
//
// Permission bits of files are kept; setuid, setgid and sticky bits are
// dropped, and ownership is never changed. Directories always keep owner
// rwx, so the tree can be built in and removed even when the archive says
// mode 0. Modification times of files and directories are restored.
package archive
