#include "helper/mounts.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "helper/compat.h"
#include "helper/report.h"
#include "helper/spawn.h"

namespace coop {

static int open_root(const std::string& root) {
  int fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("open", root, errno);
  return fd;
}

// Opens a path of the new root; symlinks are resolved as if root were "/".
static int resolve(int rootfd, const std::string& path, int flags) {
  return sys_openat2(rootfd, path.empty() ? "/" : path.c_str(), uint64_t(flags | O_CLOEXEC),
                     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

static void split_parent(const std::string& path, std::string* parent, std::string* name) {
  size_t slash = path.find_last_of('/');
  *parent = slash == std::string::npos ? "" : path.substr(0, slash);
  *name = path.substr(slash == std::string::npos ? 0 : slash + 1);
}

// Opens `target` inside the root as O_PATH, creating what is missing: parents as
// 0755 directories, the last component as a directory (mode) or an empty file.
static int ensure(int rootfd, const std::string& root, const std::string& target, bool want_dir,
                  unsigned mode = 0755) {
  int fd = resolve(rootfd, target, O_PATH);
  if (fd >= 0) return fd;
  if (errno != ENOENT) fail("openat2", root + target, errno);
  std::string parent, name;
  split_parent(target, &parent, &name);
  if (name.empty() || name == "." || name == "..") fail("openat2", root + target, ENOENT);
  int pfd = resolve(rootfd, parent, O_PATH | O_DIRECTORY);
  if (pfd < 0 && errno == ENOENT) pfd = ensure(rootfd, root, parent, true);
  if (pfd < 0) fail("openat2", root + parent, errno);
  if (!want_dir) {
    int nf = openat(pfd, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (nf < 0 && errno != EEXIST) fail("open", root + target, errno);
    if (nf >= 0) close(nf);
  } else if (mkdirat(pfd, name.c_str(), mode) != 0 && errno != EEXIST) {
    fail("mkdir", root + target, errno);
  }
  close(pfd);
  // Resolved again inside the root: a dangling symlink in the way must not be mounted on.
  fd = resolve(rootfd, target, O_PATH);
  if (fd < 0) fail("openat2", root + target, errno);
  return fd;
}

// Host paths the plan names are canonical (symlinks resolved by the planner). What lies
// on them may have been changed since by a box — persist directories, volumes and the
// workspace are the box's to fill — so a symlink anywhere on such a path is refused,
// never followed.
static const char kLinkReason[] = "a symbolic link is in the way (coop never follows links in host paths it mounts or writes)";

static int open_host(const std::string& path, int flags) {
  return sys_openat2(AT_FDCWD, path.c_str(), uint64_t(flags | O_CLOEXEC), RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

[[noreturn]] static void fail_host(const std::string& syscall, const std::string& path, int err) {
  if (err == ELOOP) fail(syscall, path, err, kSetupFailed, kLinkReason);
  fail(syscall, path, err);
}

// The parent directory of a host path (opened without following links) and its last name.
static int open_host_parent(const std::string& path, std::string* name) {
  std::string parent;
  split_parent(path, &parent, name);
  int fd = open_host(parent.empty() ? "/" : parent, O_PATH | O_DIRECTORY);
  if (fd < 0) fail_host("openat2", parent, errno);
  return fd;
}

static unsigned long fs_flags(const MountOp& op) {
  return (op.readonly ? MS_RDONLY : 0) | (op.nosuid ? MS_NOSUID : 0) | (op.nodev ? MS_NODEV : 0) |
         (op.noexec ? MS_NOEXEC : 0);
}

static void do_mount(int rootfd, const std::string& root, const MountOp& op) {
  int fd, srcfd = -1;
  if (op.ifexists || op.self) {
    // Masks and in-place remounts act on what is there and never create anything.
    fd = resolve(rootfd, op.target, O_PATH);
    if (fd < 0 && errno == ENOENT && op.ifexists) return;
    if (fd < 0) fail("openat2", root + op.target, errno);
  } else {
    bool want_dir = true;
    if (op.bind) {
      srcfd = open_host(op.source, O_PATH);
      struct stat st;
      if (srcfd < 0 || fstat(srcfd, &st) != 0) {
        if (op.optional) return report({"skipped", "stat", op.source, std::to_string(errno)});
        fail_host("open", op.source, errno);
      }
      want_dir = S_ISDIR(st.st_mode);
    }
    fd = ensure(rootfd, root, op.target, want_dir);
  }
  char fdpath[64], srcpath[64];
  snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
  snprintf(srcpath, sizeof srcpath, "/proc/self/fd/%d", srcfd);
  unsigned long flags;
  if (op.bind) {
    flags = MS_BIND | (op.recursive ? MS_REC : 0);
  } else {
    flags = fs_flags(op);
  }
  const char* data = op.data.empty() ? nullptr : op.data.c_str();
  const char* fstype = op.bind ? nullptr : op.fstype.c_str();
  const char* source = op.self ? fdpath : srcfd >= 0 ? srcpath : op.source.c_str();
  int rc = mount(source, fdpath, fstype, flags, data);
  int err = errno;
  if (srcfd >= 0) close(srcfd);
  if (rc != 0) {
    close(fd);
    if (op.optional) return report({"skipped", "mount", op.target, std::to_string(err)});
    std::string what = op.self ? "bind" : op.bind ? "bind " + op.source : op.fstype;
    fail("mount " + what + " on", root + op.target, err);
  }
  close(fd);
  if (op.bind && (op.readonly || op.nosuid || op.nodev || op.noexec)) {
    // The new mount is what the target resolves to now.
    int mfd = resolve(rootfd, op.target, O_PATH);
    if (mfd < 0) fail("openat2", root + op.target, errno);
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = (op.readonly ? MOUNT_ATTR_RDONLY : 0) | (op.nosuid ? MOUNT_ATTR_NOSUID : 0) |
                    (op.nodev ? MOUNT_ATTR_NODEV : 0) | (op.noexec ? MOUNT_ATTR_NOEXEC : 0);
    if (sys_mount_setattr(mfd, "", AT_EMPTY_PATH | (op.recursive ? AT_RECURSIVE : 0), &attr) != 0)
      fail("mount_setattr (read-only)", root + op.target, errno);
    close(mfd);
  }
}

static void do_symlink(int rootfd, const std::string& root, const MountOp& op) {
  std::string parent, name;
  split_parent(op.target, &parent, &name);
  int pfd = ensure(rootfd, root, parent, true);
  if (symlinkat(op.source.c_str(), pfd, name.c_str()) != 0 && errno != EEXIST)
    fail("symlink", root + op.target, errno);
  close(pfd);
}

static void write_file(const MountOp& op) {
  std::string name;
  int dir = open_host_parent(op.target, &name);
  int fd = openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, op.mode);
  if (fd < 0) fail_host("open", op.target, errno);
  close(dir);
  size_t off = 0;
  while (off < op.data.size()) {
    ssize_t n = write(fd, op.data.data() + off, op.data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write", op.target, errno);
    off += size_t(n);
  }
  if (fchmod(fd, op.mode) != 0) fail("chmod", op.target, errno);
  close(fd);
}

// Detached, id-mapped copies of host trees, made before the box's namespaces exist (mapping a
// mount needs privilege over the filesystem) and moved into place by the stage steps.
static std::vector<int> g_trees;
static size_t g_next_tree = 0;

void prepare_idmapped_trees(const Plan& plan) {
  int userns = -1;
  for (const MountOp& op : plan.stage) {
    if (op.kind != MountOp::IDMAPPED) continue;
    if (userns < 0) userns = idmap_userns_fd(plan.idmap_tree);
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (op.recursive ? AT_RECURSIVE : 0);
    int fd = sys_open_tree(AT_FDCWD, op.source.c_str(), flags | AT_SYMLINK_NOFOLLOW);
    if (fd < 0) fail("open_tree", op.source, errno);
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = uint64_t(userns);
    if (sys_mount_setattr(fd, "", AT_EMPTY_PATH | (op.recursive ? AT_RECURSIVE : 0), &attr) != 0)
      fail("mount_setattr (id-mapped)", op.source, errno);
    g_trees.push_back(fd);
  }
  if (userns >= 0) close(userns);
}

// Stage steps act on host paths the plan chose itself (coop's own state directories), never
// through a symbolic link: parts of them (persist directories) are the box's to fill.
static void run_stage_op(const MountOp& op) {
  std::string name;
  switch (op.kind) {
    case MountOp::MOUNT: {
      int fd = open_host(op.target, O_PATH | O_DIRECTORY);
      if (fd < 0) fail_host("openat2", op.target, errno);
      char fdpath[64];
      snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
      if (mount(op.source.c_str(), fdpath, op.fstype.c_str(), fs_flags(op), op.data.empty() ? nullptr : op.data.c_str()) != 0)
        fail("mount " + op.fstype + " on", op.target, errno);
      close(fd);
      break;
    }
    case MountOp::MKDIR: {
      int parent = open_host_parent(op.target, &name);
      if (mkdirat(parent, name.c_str(), op.mode) != 0 && errno != EEXIST) fail("mkdir", op.target, errno);
      int fd = openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) fail_host("open", op.target, errno);
      if (fchmod(fd, op.mode) != 0) fail("chmod", op.target, errno);
      close(fd);
      close(parent);
      break;
    }
    case MountOp::FILE:
      write_file(op);
      break;
    case MountOp::WHITEOUT: {
      int parent = open_host_parent(op.target, &name);
      if (mknodat(parent, name.c_str(), S_IFCHR, makedev(0, 0)) != 0 && errno != EEXIST)
        fail("mknod (whiteout)", op.target, errno);
      close(parent);
      break;
    }
    case MountOp::IDMAPPED: {
      int fd = open_host(op.target, O_PATH | O_DIRECTORY);
      if (fd < 0 || g_next_tree >= g_trees.size()) fail_host("openat2", op.target, fd < 0 ? errno : EINVAL);
      if (sys_move_mount(g_trees[g_next_tree], "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | 0x00000040 /* T_EMPTY_PATH */) != 0)
        fail("move_mount (id-mapped " + op.source + ") to", op.target, errno);
      close(g_trees[g_next_tree++]);
      close(fd);
      break;
    }
    case MountOp::SYMLINK:
      break;
  }
}

void run_mount_ops(const Plan& plan) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    fail("mount (make / private)", "/", errno);
  for (const MountOp& op : plan.stage) run_stage_op(op);
  int rootfd = open_root(plan.root);
  for (const MountOp& op : plan.ops) {
    switch (op.kind) {
      case MountOp::MOUNT:
        do_mount(rootfd, plan.root, op);
        // A mount on the root itself: later paths must resolve through the new mount.
        if (op.target.find_first_not_of('/') == std::string::npos) {
          close(rootfd);
          rootfd = open_root(plan.root);
        }
        break;
      case MountOp::MKDIR:
        close(ensure(rootfd, plan.root, op.target, true, op.mode));
        break;
      case MountOp::SYMLINK:
        do_symlink(rootfd, plan.root, op);
        break;
      case MountOp::FILE:
      case MountOp::WHITEOUT:
      case MountOp::IDMAPPED:
        break;
    }
  }
  close(rootfd);
}

void pivot_into(const std::string& root) {
  if (chdir(root.c_str()) != 0) fail("chdir", root, errno);
  if (sys_pivot_root(".", ".") != 0) fail("pivot_root", root, errno);
  if (umount2(".", MNT_DETACH) != 0) fail("umount2 (old root)", root, errno);
  if (chdir("/") != 0) fail("chdir", "/", errno);
}

void setup_identity(const Plan& plan) {
  if (!plan.hostname.empty() && sethostname(plan.hostname.data(), plan.hostname.size()) != 0)
    fail("sethostname", plan.hostname, errno);
  if (plan.loopback) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail("socket", "lo", errno);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) fail("ioctl(SIOCGIFFLAGS)", "lo", errno);
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) fail("ioctl(SIOCSIFFLAGS)", "lo", errno);
    close(s);
  }
}

}  // namespace coop
