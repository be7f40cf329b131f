// Package container runs build steps in a container runtime and manages the
// builder images they run in.
//
// Three runtimes share one interface, Runtime: podman and docker (the same
// command line, one implementation, Engine, parameterised by the binary) and
// host, for CI jobs that already run inside a build container and execute the
// tools directly. Detect picks one. Every external command goes through a
// Runner, which streams and captures output, keeps a tail for error messages
// and redacts secrets.
//
// Paths: a Mount binds a host directory (Source) at Target inside the
// container. Under host there is no second filesystem, so the directory is
// seen at Source. Callers never assume either: they write argv and workdirs
// with Runtime.InsidePath(mount), which is right for all three runtimes.
//
// Ownership: commands run as root in the container, because package managers
// and packaging tools expect it. Files written to read-write mounts still come
// back owned by the invoking user: under root and under rootless podman the
// container's root already is that user; under a rootful engine driven by
// another user (docker group members) the command is wrapped so that the
// read-write mounts are chowned back when it ends, also when it is stopped.
//
// Images: EnsureImage builds a builder image from a Definition (bootstrapped
// base or registry base, plus a toolchain) only when no image with the
// definition's hash exists under the ref; EnsureLayer caches a layer per key
// (the build dependencies) on top of it. Both are no-ops on a hit, which is
// what makes repeated builds and test runs fast.
package container
