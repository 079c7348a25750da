#include "helper/handover.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "helper/report.h"
#include "helper/supervise.h"
#include "helper/wire.h"

namespace coop {

// After a hang-up, the command has this long to end before it is killed.
constexpr long kHangupGraceMs = 5000;

static long now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool send_terminal(int sock, int master) {
  std::string rec = encode_record({"terminal"});
  struct iovec iov = {&rec[0], rec.size()};
  union {
    char space[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.space;
  msg.msg_controllen = sizeof control.space;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof(int));
  ssize_t n;
  while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  return n == ssize_t(rec.size());
}

void hand_over_terminal(int master, pid_t child, int opened, int control_fd) {
  char byte;
  while (read(opened, &byte, 1) < 0 && errno == EINTR) {
  }
  close(opened);
  bool sent = send_terminal(control_fd, master);
  close(master);  // from now on the daemon holds the only master: its end hangs the terminal up

  sigset_t set;
  supervised_set(&set);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) fail("signalfd", "", errno);
  long deadline = 0;  // set once hung up
  bool killed = false;
  auto hang_up = [&] {
    if (deadline) return;
    kill(-child, SIGHUP);
    kill(-child, SIGCONT);
    deadline = now_ms() + kHangupGraceMs;
    close(control_fd);
    control_fd = -1;
  };
  if (!sent) hang_up();
  for (;;) {
    struct pollfd fds[2] = {{sfd, POLLIN, 0}, {control_fd, POLLIN, 0}};
    int timeout = -1;
    if (deadline && !killed) timeout = int(deadline > now_ms() ? deadline - now_ms() : 0);
    int ready = poll(fds, 2, timeout);
    if (ready < 0 && errno != EINTR) fail("poll", "", errno);
    if (ready == 0 && deadline && !killed) {
      kill(-child, SIGKILL);
      kill(child, SIGKILL);
      killed = true;  // its SIGCHLD follows
      continue;
    }
    if (control_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[256];
      ssize_t n = read(control_fd, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) hang_up();  // the daemon is gone
    }
    if (fds[0].revents & POLLIN) {
      read_signals(sfd, child, mirror_exit, [&](int sig, bool sent) {
        if (!sent) return;
        if (sig == SIGHUP) hang_up();
        else kill(child, sig);
      });
    }
  }
}

}  // namespace coop
