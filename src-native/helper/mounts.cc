#include "helper/mounts.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "helper/compat.h"
#include "helper/report.h"

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

// Opens `target` inside the root as O_PATH, creating what is missing: parents as
// 0755 directories, the last component as a directory (mode) or an empty file.
static int ensure(int rootfd, const std::string& root, const std::string& target, bool want_dir,
                  unsigned mode = 0755) {
  int fd = resolve(rootfd, target, O_PATH);
  if (fd >= 0) return fd;
  if (errno != ENOENT) fail("openat2", root + target, errno);
  std::string prefix;
  size_t start = 0;
  while (start < target.size()) {
    size_t end = target.find('/', start);
    if (end == std::string::npos) end = target.size();
    std::string name = target.substr(start, end - start);
    start = end + 1;
    if (name.empty() || name == ".") continue;
    bool last = target.find_first_not_of('/', end) == std::string::npos;
    std::string next = prefix + "/" + name;
    int f = resolve(rootfd, next, O_PATH);
    if (f >= 0) {
      close(f);
      prefix = next;
      continue;
    }
    if (errno != ENOENT) fail("openat2", root + next, errno);
    int parent = resolve(rootfd, prefix, O_PATH | O_DIRECTORY);
    if (parent < 0) fail("openat2", root + prefix, errno);
    if (last && !want_dir) {
      int nf = openat(parent, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (nf < 0 && errno != EEXIST) fail("open", root + next, errno);
      if (nf >= 0) close(nf);
    } else if (mkdirat(parent, name.c_str(), last ? mode : 0755) != 0 && errno != EEXIST) {
      fail("mkdir", root + next, errno);
    }
    close(parent);
    prefix = next;
  }
  fd = resolve(rootfd, target, O_PATH);
  if (fd < 0) fail("openat2", root + target, errno);
  return fd;
}

static void do_mount(const std::string& root, const MountOp& op) {
  bool want_dir = true;
  if (op.bind) {
    struct stat st;
    if (stat(op.source.c_str(), &st) != 0) {
      if (op.optional) return report({"skipped", "stat", op.source, std::to_string(errno)});
      fail("stat", op.source, errno);
    }
    want_dir = S_ISDIR(st.st_mode);
  }
  int rootfd = open_root(root);
  int fd = ensure(rootfd, root, op.target, want_dir);
  char fdpath[64];
  snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
  unsigned long flags;
  if (op.bind) {
    flags = MS_BIND | (op.recursive ? MS_REC : 0);
  } else {
    flags = (op.readonly ? MS_RDONLY : 0) | (op.nosuid ? MS_NOSUID : 0) | (op.nodev ? MS_NODEV : 0) |
            (op.noexec ? MS_NOEXEC : 0);
  }
  const char* data = op.data.empty() ? nullptr : op.data.c_str();
  const char* fstype = op.bind ? nullptr : op.fstype.c_str();
  if (mount(op.source.c_str(), fdpath, fstype, flags, data) != 0) {
    int err = errno;
    close(fd);
    close(rootfd);
    if (op.optional) return report({"skipped", "mount", op.target, std::to_string(err)});
    fail("mount " + (op.bind ? std::string("bind ") + op.source : op.fstype) + " on", root + op.target, err);
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
  close(rootfd);
}

static void split_parent(const std::string& path, std::string* parent, std::string* name) {
  size_t slash = path.find_last_of('/');
  *parent = slash == std::string::npos ? "" : path.substr(0, slash);
  *name = path.substr(slash == std::string::npos ? 0 : slash + 1);
}

static void do_symlink(const std::string& root, const MountOp& op) {
  int rootfd = open_root(root);
  std::string parent, name;
  split_parent(op.target, &parent, &name);
  int pfd = ensure(rootfd, root, parent, true);
  if (symlinkat(op.source.c_str(), pfd, name.c_str()) != 0 && errno != EEXIST)
    fail("symlink", root + op.target, errno);
  close(pfd);
  close(rootfd);
}

void run_mount_ops(const Plan& plan) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    fail("mount (make / private)", "/", errno);
  for (const MountOp& op : plan.ops) {
    switch (op.kind) {
      case MountOp::MOUNT:
        do_mount(plan.root, op);
        break;
      case MountOp::MKDIR: {
        int rootfd = open_root(plan.root);
        close(ensure(rootfd, plan.root, op.target, true, op.mode));
        close(rootfd);
        break;
      }
      case MountOp::SYMLINK:
        do_symlink(plan.root, op);
        break;
    }
  }
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
