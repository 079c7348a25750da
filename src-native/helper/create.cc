#include "helper/create.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "helper/compat.h"
#include "helper/handover.h"
#include "helper/init.h"
#include "helper/process.h"
#include "helper/mounts.h"
#include "helper/network.h"
#include "helper/report.h"
#include "helper/seccomp.h"
#include "helper/self.h"
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

  prepare_idmapped_trees(plan);
  pid_t pid = clone_mapped(plan, plan.clone_flags, net ? &netns : nullptr);
  if (pid == 0) {
    close(exitp[0]);
    if (net) close(netready[1]);
    if (!plan.root.empty()) {
      run_mount_ops(plan);
      pivot_into(plan.root);
    }
    setup_identity(plan);
    if (net) {
      char byte;
      ssize_t n;
      while ((n = read(netready[0], &byte, 1)) < 0 && errno == EINTR) {
      }
      if (n != 1) _exit(kSetupFailed);
      close(netready[0]);
    }
    // A box's init lives on after the daemon that made it: it becomes a fresh program first
    // (so that its memory belongs to the box's outer user namespace, not to the host), and
    // then sheds the ability to be traced — see become_init.
    if (plan.init_mode == "box") reexec_as_init(mask);
    become_init(plan, exitp[1], mask);
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

void become_init(const Plan& plan, int exit_fd, mode_t mask) {
  if (plan.nest) nest_user_namespace(plan);
  confine(plan.confine, {plan.no_setid, plan.no_cgroupns});
  // Nothing in the box may trace or read its init (which holds the wait status of `coop run`
  // and, in a daemon's box, the box's environment). The box's processes have no capability
  // in the user namespace that owns the init's memory (the host's, or for a re-executed init
  // the box's outer one), so they are refused; the daemon, owner of that namespace, is not.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  run_init(plan, exit_fd, mask);
}

void reexec_as_init(mode_t mask) {
  const std::string& text = plan_text();
  int memfd = int(syscall(SYS_memfd_create, "coop-plan", 0));
  if (memfd < 0) fail("memfd_create", "", errno);
  std::string header = std::to_string(text.size()) + "\n";
  if (write(memfd, header.data(), header.size()) != ssize_t(header.size()) ||
      write(memfd, text.data(), text.size()) != ssize_t(text.size()))
    fail("write", "memfd", errno);
  lseek(memfd, 0, SEEK_SET);
  std::string plan_fd = "COOP_PLAN_FD=" + std::to_string(memfd);
  std::string status = "COOP_STATUS_FD=" + std::to_string(status_fd());
  std::string umask_env = "COOP_INIT_UMASK=" + std::to_string(mask);
  std::vector<char*> env;
  for (char** e = environ; *e; ++e)
    if (strncmp(*e, "COOP_PLAN", 9) != 0 && strncmp(*e, "COOP_STATUS_FD=", 15) != 0 && strncmp(*e, "COOP_INIT_UMASK=", 16) != 0)
      env.push_back(*e);
  env.push_back(&plan_fd[0]);
  env.push_back(&status[0]);
  env.push_back(&umask_env[0]);
  env.push_back(nullptr);
  fcntl(status_fd(), F_SETFD, 0);  // kept across the exec; main() sets close-on-exec again
  syscall(SYS_execveat, self_exe_fd(), "", saved_argv(), env.data(), AT_EMPTY_PATH);
  fail("execveat", "coop-helper (as the box's init)", errno);
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
  // With a size in the plan the daemon serves the terminal itself: its master is handed over
  // (on a dup of the status fd) once the command holds the other side (`opened` ends).
  bool hand_over = master >= 0 && plan.term_cols;
  int control = -1, opened[2] = {-1, -1};
  if (hand_over) {
    control = fcntl(status_fd(), F_DUPFD_CLOEXEC, 3);
    if (control < 0 || pipe2(opened, O_CLOEXEC) != 0) fail("pipe2", "", errno);
  } else if (master >= 0) {
    make_raw(0);  // a terminal of ours only carries bytes
  }
  pid_t child = fork();
  if (child < 0) fail("fork", "", errno);
  if (child == 0) {
    if (master >= 0) attach_terminal(master);
    if (hand_over) close(opened[1]);
    confine(plan.confine, {plan.no_setid, plan.no_cgroupns});
    exec_process(plan.process, !plan.setgroups_deny, mask);
  }
  close_status_fd();
  if (hand_over) {
    close(opened[1]);
    hand_over_terminal(master, child, opened[0], control);
  }
  mirror_exit(master >= 0 ? relay_terminal(master, child) : supervise(child));
}

}  // namespace coop
