#include "helper/rmtree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "helper/report.h"
#include "helper/spawn.h"

namespace coop {

static int remove_at(int dirfd, const char* name, dev_t dev) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? 0 : errno;
  if (!S_ISDIR(st.st_mode)) return unlinkat(dirfd, name, 0) == 0 || errno == ENOENT ? 0 : errno;
  if (st.st_dev != dev) return EXDEV;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EACCES) {
    // An unreadable directory: make it ours to read — that directory, never what a link
    // put in its place since it was looked at points to.
    int path = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", path);
    if (path >= 0 && chmod(proc, 0700) == 0) fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (path >= 0) close(path);
  }
  if (fd < 0) return errno;
  DIR* dir = fdopendir(fd);
  if (!dir) {
    int err = errno;
    close(fd);
    return err;
  }
  int first = 0;
  while (struct dirent* e = readdir(dir)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    int err = remove_at(fd, e->d_name, dev);
    if (err && !first) first = err;
  }
  closedir(dir);
  if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT && !first) first = errno;
  return first;
}

int remove_tree(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return errno == ENOENT ? 0 : errno;
  return remove_at(AT_FDCWD, path.c_str(), st.st_dev);
}

static int remove_all(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    int err = remove_tree(p);
    if (err) fail("remove", p, err, 1);
  }
  return 0;
}

void do_rmtree(const Plan& plan) {
  pid_t pid = clone_mapped(plan, CLONE_NEWUSER);
  if (pid == 0) _exit(remove_all(plan.cleanup));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

}  // namespace coop
