#include "helper/supervise.h"

#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "helper/process.h"

namespace coop {

static const int kPassedOn[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

void supervised_set(sigset_t* set) {
  sigemptyset(set);
  sigaddset(set, SIGCHLD);
  for (int sig : kPassedOn) sigaddset(set, sig);
}

void block_supervised_signals() {
  sigset_t set;
  supervised_set(&set);
  sigprocmask(SIG_BLOCK, &set, nullptr);
}

bool sent_from_outside(const siginfo_t& info) { return info.si_code <= 0 && info.si_pid == 0; }

int supervise(pid_t child) {
  sigset_t set;
  supervised_set(&set);
  for (;;) {
    int status;
    pid_t done = waitpid(child, &status, WNOHANG);
    if (done == child) return status;
    if (done < 0 && errno != EINTR) return 0;
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    if (sig > 0 && sig != SIGCHLD && info.si_code <= 0 && info.si_pid != child) kill(child, sig);
  }
}

void read_signals(int sfd, pid_t child, const std::function<void(int status)>& on_exit,
                  const std::function<void(int signo, bool sent)>& on_signal) {
  struct signalfd_siginfo si;
  while (read(sfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGCHLD) {
      int st;
      pid_t done;
      while ((done = waitpid(-1, &st, WNOHANG)) > 0)
        if (done == child) on_exit(st);
    } else {
      on_signal(int(si.ssi_signo), int(si.ssi_code) <= 0 && si.ssi_pid != uint32_t(child));
    }
  }
}

void mirror_exit(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    reset_signals();
    kill(getpid(), sig);
    _exit(128 + sig);
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

}  // namespace coop
