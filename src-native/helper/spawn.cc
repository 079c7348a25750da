#include "helper/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>

#include "helper/compat.h"
#include "helper/idmap.h"
#include "helper/report.h"

namespace coop {

static std::string ns_names(int flags) {
  std::string out;
  const struct { int flag; const char* name; } names[] = {
      {CLONE_NEWUSER, "user"}, {CLONE_NEWNS, "mount"}, {CLONE_NEWPID, "pid"},
      {CLONE_NEWUTS, "uts"},   {CLONE_NEWIPC, "ipc"},  {CLONE_NEWNET, "net"}};
  for (const auto& n : names)
    if (flags & n.flag) out += (out.empty() ? "" : ",") + std::string(n.name);
  return out;
}

pid_t clone_mapped(const Plan& plan, int flags) {
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
  write_idmaps(pid, plan);
  if (write(sync[1], "x", 1) != 1) fail("write", "sync pipe", errno);
  close(sync[1]);
  kill_on_fail(0);
  return pid;
}

}  // namespace coop
