#include "helper/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "helper/compat.h"
#include "helper/idmap.h"
#include "helper/report.h"

namespace coop {

static std::string ns_names(int flags) {
  std::string out;
  const struct { int flag; const char* name; } names[] = {
      {CLONE_NEWUSER, "user"}, {CLONE_NEWNS, "mount"}, {CLONE_NEWPID, "pid"},
      {CLONE_NEWUTS, "uts"},   {CLONE_NEWIPC, "ipc"},  {CLONE_NEWNET, "net"}, {CLONE_NEWCGROUP, "cgroup"}};
  for (const auto& n : names)
    if (flags & n.flag) out += (out.empty() ? "" : ",") + std::string(n.name);
  return out;
}

pid_t clone_mapped(const Plan& plan, int flags, int* netns_fd) {
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) fail("pipe2", "", errno);
  pid_t pid = sys_clone(flags);
  if (pid < 0) fail("clone", ns_names(flags), errno);
  if (pid == 0) {
    close(sync[1]);
    char byte;
    ssize_t n;
    while ((n = read(sync[0], &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1) _exit(kSetupFailed);  // the parent failed and said why
    close(sync[0]);
    return 0;
  }
  close(sync[0]);
  kill_on_fail(pid);
  if (!plan.cgroup.empty()) join_cgroup(plan.cgroup, pid);
  write_idmaps(pid, plan);
  if (netns_fd) {
    std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    *netns_fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (*netns_fd < 0) fail("open", path, errno);
  }
  if (write(sync[1], "x", 1) != 1) fail("write", "sync pipe", errno);
  close(sync[1]);
  kill_on_fail(0);
  return pid;
}

}  // namespace coop

namespace coop {

static std::string identity_map(const std::vector<IdRange>& ranges) {
  std::string out;
  for (const IdRange& r : ranges)
    out += std::to_string(r.inside) + " " + std::to_string(r.inside) + " " + std::to_string(r.count) + "\n";
  return out;
}

static void write_map(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail("open", path, errno);
  if (write(fd, text.data(), text.size()) != ssize_t(text.size())) fail("write", path, errno);
  close(fd);
}

int idmap_userns_fd(const std::vector<IdRange>& map) {
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) fail("pipe2", "", errno);
  pid_t holder = sys_clone(CLONE_NEWUSER);
  if (holder < 0) fail("clone", "user (id mapping of mounts)", errno);
  if (holder == 0) {
    // Only holds the namespace until the parent has opened it.
    close(go[1]);
    char byte;
    while (read(go[0], &byte, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  close(go[0]);
  std::string proc = "/proc/" + std::to_string(holder);
  std::string text;
  for (const IdRange& r : map)
    text += std::to_string(r.inside) + " " + std::to_string(r.outside) + " " + std::to_string(r.count) + "\n";
  write_map(proc + "/uid_map", text);
  write_map(proc + "/gid_map", text);
  int fd = open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open", proc + "/ns/user", errno);
  close(go[1]);
  while (waitpid(holder, nullptr, 0) < 0 && errno == EINTR) {
  }
  return fd;
}

void join_cgroup(const std::string& dir, pid_t pid) { write_map(dir + "/cgroup.procs", std::to_string(pid)); }

void nest_user_namespace(const Plan& plan) {
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) fail("pipe2", "", errno);
  pid_t writer = fork();
  if (writer < 0) fail("fork", "", errno);
  if (writer == 0) {
    // Stays in the outer namespace, where it may write the nested one's maps.
    close(go[1]);
    char byte;
    ssize_t n;
    while ((n = read(go[0], &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1) _exit(kSetupFailed);
    std::string proc = "/proc/" + std::to_string(getppid());
    write_map(proc + "/uid_map", identity_map(plan.uidmap));
    write_map(proc + "/gid_map", identity_map(plan.gidmap));
    _exit(0);
  }
  close(go[0]);
  if (unshare(CLONE_NEWUSER) != 0) fail("unshare", "user (nested)", errno);
  if (write(go[1], "x", 1) != 1) fail("write", "sync pipe", errno);
  close(go[1]);
  int status = 0;
  while (waitpid(writer, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) _exit(kSetupFailed);  // the writer said why
}

}  // namespace coop
