#include "helper/create.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "helper/compat.h"
#include "helper/init.h"
#include "helper/process.h"
#include "helper/mounts.h"
#include "helper/network.h"
#include "helper/report.h"
#include "helper/seccomp.h"
#include "helper/spawn.h"
#include "helper/supervise.h"
#include "helper/terminal.h"

namespace coop {

void do_create(const Plan& plan) {
  mode_t mask = umask(0);
  block_supervised_signals();
  int exitp[2];
  if (pipe2(exitp, O_CLOEXEC) != 0) fail("pipe2", "", errno);
  // A network kept from outside (network.h): the init waits for coop-net before it runs
  // anything, and takes the pipe's end without a byte as "it failed and said why".
  bool net = plan.net.active();
  int netready[2] = {-1, -1};
  if (net && pipe2(netready, O_CLOEXEC) != 0) fail("pipe2", "", errno);
  int netns = -1;

  pid_t pid = clone_mapped(plan, plan.clone_flags, net ? &netns : nullptr);
  if (pid == 0) {
    close(exitp[0]);
    if (net) close(netready[1]);
    if (!plan.root.empty()) {
      run_mount_ops(plan);
      pivot_into(plan.root);
    }
    setup_identity(plan);
    if (plan.nest) nest_user_namespace(plan);
    if (net) {
      char byte;
      ssize_t n;
      while ((n = read(netready[0], &byte, 1)) < 0 && errno == EINTR) {
      }
      if (n != 1) _exit(kSetupFailed);
      close(netready[0]);
    }
    confine(plan.confine);
    run_init(plan, exitp[1], mask);
  }
  close(exitp[1]);
  if (net) {
    close(netready[0]);
    kill_on_fail(pid);
    start_network(plan, pid, netns, netready[1]);
    kill_on_fail(0);
    close(netready[1]);
    close(netns);
  }
  report({"pid", std::to_string(pid)});
  if (plan.init_mode == "box") _exit(0);

  supervise(pid);
  // The init wrote its command's wait status; without it, setup failed (already reported).
  char buf[32] = {0};
  ssize_t n = read(exitp[0], buf, sizeof buf - 1);
  bool ran = n > 0;
  int status = ran ? atoi(buf) : kSetupFailed << 8;
  if (ran) {
    if (WIFSIGNALED(status)) report({"exit", "signal", std::to_string(WTERMSIG(status))});
    else report({"exit", "code", std::to_string(WEXITSTATUS(status))});
  }
  close_status_fd();
  mirror_exit(status);
}

// Field 22 (starttime) of /proc/PID/stat; the command name may hold spaces and ')'.
static std::string start_time(int pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return "";
  std::string s(buf, size_t(n));
  size_t p = s.rfind(')');
  if (p == std::string::npos) return "";
  // After ") " come fields 3.. ; starttime is field 22, i.e. the 20th after the name.
  size_t pos = p + 2;
  for (int field = 3; field < 22; ++field) {
    pos = s.find(' ', pos);
    if (pos == std::string::npos) return "";
    ++pos;
  }
  return s.substr(pos, s.find(' ', pos) - pos);
}

void do_enter(const Plan& plan) {
  mode_t mask = umask(0);
  umask(mask);
  std::string who = "box init " + std::to_string(plan.target_pid);
  if (!plan.cgroup.empty()) join_cgroup(plan.cgroup, getpid());  // host path: before setns
  int pidfd = sys_pidfd_open(plan.target_pid);
  if (pidfd < 0) fail("pidfd_open", who, errno);
  // Checked after pidfd_open: if the start time still matches, the pidfd is the box's init.
  if (start_time(plan.target_pid) != plan.target_start)
    fail("pidfd_open", who, ESRCH, kSetupFailed, "the box's init process is gone");
  if (setns(pidfd, plan.clone_flags) != 0) fail("setns", who, errno);
  close(pidfd);
  block_supervised_signals();
  // With a terminal: one of the box's own devpts (the mount namespace is the box's now),
  // relayed to our stdio. With a size in the plan, stdio are pipes (the daemon's) and the
  // status fd stays open to carry window sizes; otherwise stdio is a terminal.
  int master = plan.terminal ? open_box_terminal(plan.term_cols, plan.term_rows) : -1;
  int control = -1;
  if (master >= 0 && plan.term_cols) {
    control = fcntl(status_fd(), F_DUPFD_CLOEXEC, 3);
    fcntl(1, F_SETPIPE_SZ, 1 << 20);  // fewer wake-ups under heavy output (best effort)
  }
  else if (master >= 0) make_raw(0);  // a terminal of ours only carries bytes
  pid_t child = fork();
  if (child < 0) fail("fork", "", errno);
  if (child == 0) {
    if (master >= 0) attach_terminal(master);
    confine(plan.confine);
    exec_process(plan.process, !plan.setgroups_deny, mask);
  }
  close_status_fd();
  mirror_exit(master >= 0 ? relay_terminal(master, child, control) : supervise(child));
}

}  // namespace coop
