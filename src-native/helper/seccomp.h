// The box's default system-call filter (SPEC §4.1): refuses, with EPERM, the calls that
// reach kernel state a sandbox has no business with (keyrings, bpf, perf, userfaultfd,
// modules, kexec, file handles, io_uring, accounting, swap) and the terminal ioctls
// that push input into another program's terminal (TIOCSTI, TIOCLINUX).
// Namespaces stay allowed: agents run bubblewrap inside their box.
#pragma once
#include <string>

namespace coop {

// Extra refusals for a root caller's box, whose in-box root is host root: no setuid or
// setgid bits, and no extended attributes (file capabilities are one) on files, which would
// be the host's; no cgroup
// namespace of its own, in which it could mount and change the host's cgroups.
struct ConfineOptions {
  bool no_setid = false;
  bool no_cgroupns = false;
};

// Sets no_new_privs and installs the filter on the calling thread (inherited by children
// and kept across execve). Fails (never returns) on error.
void install_seccomp(const ConfineOptions& options);

// Sets no_new_privs only (seccomp = "off").
void set_no_new_privs();

// What every process of a box gets before it runs anything of the box's: a new, empty
// session keyring (the caller's keys stay outside), no_new_privs, and the filter unless
// mode is "off". An empty mode does nothing (helpers that only map ids).
void confine(const std::string& mode, const ConfineOptions& options);

}  // namespace coop
