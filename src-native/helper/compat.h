// Newer system calls called through syscall(2), so the helper builds against older
// C libraries (glibc < 2.36 lacks these wrappers).
#pragma once
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
struct mount_attr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

namespace coop {

inline int sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = flags;
  how.resolve = resolve;
  return int(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

inline int sys_mount_setattr(int fd, const char* path, unsigned flags, struct mount_attr* attr) {
  return int(syscall(SYS_mount_setattr, fd, path, flags, attr, sizeof *attr));
}

inline int sys_open_tree(int dirfd, const char* path, unsigned flags) {
  return int(syscall(SYS_open_tree, dirfd, path, flags));
}

inline int sys_move_mount(int from_dirfd, const char* from, int to_dirfd, const char* to, unsigned flags) {
  return int(syscall(SYS_move_mount, from_dirfd, from, to_dirfd, to, flags));
}

inline int sys_pidfd_open(pid_t pid) { return int(syscall(SYS_pidfd_open, pid, 0)); }

inline int sys_pivot_root(const char* new_root, const char* put_old) {
  return int(syscall(SYS_pivot_root, new_root, put_old));
}

inline int sys_close_range(unsigned first, unsigned last) {
  return int(syscall(SYS_close_range, first, last, 0));
}

// fork(2) semantics with namespace flags.
inline pid_t sys_clone(int flags) { return pid_t(syscall(SYS_clone, flags | 17 /* SIGCHLD */, 0, 0, 0, 0)); }

}  // namespace coop
