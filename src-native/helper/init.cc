#include "helper/init.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "helper/process.h"
#include "helper/report.h"
#include "helper/supervise.h"
#include "helper/terminal.h"

namespace coop {

static void noop(int) {}

// PID 1 only receives signals it has a handler for; install one for each, keep them
// blocked and take them with sigwaitinfo.
static void install_handlers(sigset_t* set) {
  supervised_set(set);
  struct sigaction sa = {};
  sa.sa_handler = noop;
  for (int sig = 1; sig < 32; ++sig)
    if (sigismember(set, sig)) sigaction(sig, &sa, nullptr);
  sigprocmask(SIG_BLOCK, set, nullptr);
}

static long now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

[[noreturn]] static void exit_with(int exit_fd, int status) {
  std::string text = std::to_string(status);
  if (write(exit_fd, text.data(), text.size()) < 0) {
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

[[noreturn]] static void run_mode(const Plan& plan, int exit_fd, mode_t mask, const sigset_t& set) {
  int master = plan.terminal ? open_box_terminal() : -1;
  report({"ready"});
  pid_t child = fork();
  if (child < 0) fail("fork", "", errno);
  if (child == 0) {
    close(exit_fd);
    if (master >= 0) attach_terminal(master);
    exec_process(plan.process, !plan.setgroups_deny, mask);
  }
  close_status_fd();
  if (master >= 0) exit_with(exit_fd, relay_terminal(master, child));
  for (;;) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
      if (pid == child) exit_with(exit_fd, status);
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    if (sig > 0 && sig != SIGCHLD && sent_from_outside(info)) kill(child, sig);
  }
}

[[noreturn]] static void box_mode(const Plan& plan, const sigset_t& set) {
  report({"ready"});
  close_status_fd();
  long deadline = 0;
  for (;;) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (deadline) {
      // Shutting down: done when nothing but us is left, or the grace time is over.
      if ((kill(-1, 0) != 0 && errno == ESRCH) || now_ms() >= deadline) _exit(0);
      struct timespec step = {0, 50 * 1000 * 1000};
      siginfo_t info;
      sigtimedwait(&set, &info, &step);
      continue;
    }
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    if (sig == SIGTERM) {
      kill(-1, SIGTERM);
      deadline = now_ms() + long(plan.grace_ms);
    } else if (sig == SIGINT || sig == SIGHUP) {
      kill(-1, sig);
    }
  }
}

void run_init(const Plan& plan, int exit_fd, mode_t mask) {
  prctl(PR_SET_NAME, "coop-init", 0, 0, 0);
  sigset_t set;
  install_handlers(&set);
  if (plan.init_mode == "run") run_mode(plan, exit_fd, mask, set);
  close(exit_fd);
  box_mode(plan, set);
}

}  // namespace coop
