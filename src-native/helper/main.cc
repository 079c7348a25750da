// coop-helper: executes a sandbox plan (see lib/sandbox/wire.ts for its encoding).
//
// The plan comes from the fd named by COOP_PLAN_FD ("<length>\n<records>") or from the
// COOP_PLAN environment variable (for callers that cannot pass fds, such as node-pty);
// reports go to COOP_STATUS_FD when set. The process is single-threaded on purpose:
// unshare/setns of a user namespace is refused to multi-threaded processes.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "helper/compat.h"
#include "helper/create.h"
#include "helper/network.h"
#include "helper/plan.h"
#include "helper/process.h"
#include "helper/report.h"
#include "helper/rmtree.h"
#include "helper/self.h"

using namespace coop;

static int env_fd(const char* name) {
  const char* v = getenv(name);
  if (!v || !*v) return -1;
  char* end = nullptr;
  long fd = strtol(v, &end, 10);
  return (*end == '\0' && fd >= 0 && fd < 1 << 20) ? int(fd) : -1;
}

static bool read_exact(int fd, char* buf, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = read(fd, buf + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += size_t(n);
  }
  return true;
}

static std::string read_plan_fd(int fd) {
  std::string header;
  char c;
  while (header.size() < 12 && read_exact(fd, &c, 1) && c != '\n') header += c;
  size_t len = size_t(strtoul(header.c_str(), nullptr, 10));
  if (len == 0 || len > (64u << 20)) fail("read", "plan", EINVAL, kSetupFailed, "bad plan header");
  std::string buf(len, '\0');
  if (!read_exact(fd, &buf[0], len)) fail("read", "plan", EIO, kSetupFailed, "plan truncated");
  return buf;
}

int main(int, char** argv) {
  int status = env_fd("COOP_STATUS_FD");
  int plan_fd = env_fd("COOP_PLAN_FD");
  const char* init_umask = getenv("COOP_INIT_UMASK");  // set when re-executed as a box's init
  if (status >= 0) {
    fcntl(status, F_SETFD, FD_CLOEXEC);
    set_status_fd(status);
  }
  // Nothing of the caller's beyond stdio and our two fds survives into the box. (coop-net
  // is started by the helper itself with the namespace, pidfd and pipe it needs.)
  if (!getenv("COOP_KEEP_FDS")) close_fds_except(status, plan_fd);
  remember_self(argv);

  std::string buf;
  if (plan_fd >= 0) {
    buf = read_plan_fd(plan_fd);
    if (plan_fd != status) close(plan_fd);
  } else if (char* env = getenv("COOP_PLAN")) {
    buf = env;
    memset(env, 0, strlen(env));  // not left readable in /proc/PID/environ
  } else {
    fail("read", "plan", EINVAL, kSetupFailed, "no plan: set COOP_PLAN_FD or COOP_PLAN");
  }
  Plan plan;
  std::string why;
  if (!parse_plan(buf, &plan, &why)) fail("parse", "plan", EINVAL, kSetupFailed, why);
  set_plan_text(buf);
  if (init_umask) become_init(plan, -1, mode_t(strtoul(init_umask, nullptr, 10)));
  if (plan.mode == "create") do_create(plan);
  if (plan.mode == "enter") do_enter(plan);
  if (plan.mode == "net") do_network(plan);
  do_rmtree(plan);
}
