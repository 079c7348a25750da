// The box's default system-call filter (SPEC §4.1): refuses, with EPERM, the calls that
// reach kernel state a sandbox has no business with (keyrings, bpf, perf, userfaultfd,
// modules, kexec, file handles, io_uring, accounting, swap) and the terminal ioctls
// that push input into another program's terminal (TIOCSTI, TIOCLINUX).
// Namespaces stay allowed: agents run bubblewrap inside their box.
#pragma once
#include <string>

namespace coop {

// Sets no_new_privs and installs the filter on the calling thread (inherited by children
// and kept across execve). Fails (never returns) on error.
void install_seccomp();

// Sets no_new_privs only (seccomp = "off").
void set_no_new_privs();

// What every process of a box gets before it runs anything of the box's: a new, empty
// session keyring (the caller's keys stay outside), no_new_privs, and the filter unless
// mode is "off". An empty mode does nothing (helpers that only map ids).
void confine(const std::string& mode);

}  // namespace coop
