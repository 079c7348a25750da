#include "helper/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string>

#include "helper/report.h"
#include "helper/supervise.h"

namespace coop {

static void copy_winsize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

void make_raw(int fd) {
  struct termios t;
  if (tcgetattr(fd, &t) != 0) return;  // not a terminal
  cfmakeraw(&t);
  tcsetattr(fd, TCSANOW, &t);
}

static void set_winsize(int fd, unsigned cols, unsigned rows) {
  struct winsize ws = {};
  ws.ws_col = static_cast<unsigned short>(cols);
  ws.ws_row = static_cast<unsigned short>(rows);
  ioctl(fd, TIOCSWINSZ, &ws);
}

int open_box_terminal(unsigned cols, unsigned rows) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) fail("open", "/dev/ptmx", errno);
  if (unlockpt(master) != 0) fail("unlockpt", "/dev/ptmx", errno);
  if (cols && rows) set_winsize(master, cols, rows);
  else copy_winsize(0, master);
  // The init holds the caller's terminal: keep box processes (same uid) from ptrace and /proc/1/fd.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return master;
}

void attach_terminal(int master) {
  char name[64];
  if (ptsname_r(master, name, sizeof name) != 0) fail("ptsname", "/dev/ptmx", errno);
  if (setsid() < 0) fail("setsid", "", errno);
  int slave = open(name, O_RDWR);
  if (slave < 0) fail("open", name, errno);
  if (ioctl(slave, TIOCSCTTY, 0) != 0) fail("ioctl(TIOCSCTTY)", name, errno);
  for (int fd = 0; fd < 3; ++fd)
    if (dup2(slave, fd) < 0) fail("dup2", name, errno);
  if (slave > 2) close(slave);
  close(master);
}

// Writes all of buf to fd (which may be non-blocking), waiting when it is full.
static bool write_all(int fd, const char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      poll(&p, 1, -1);
      continue;
    }
    if (n <= 0) return false;
    buf += n;
    len -= size_t(n);
  }
  return true;
}

// "W cols rows" lines from the control fd; false at its end.
static bool read_control(int fd, int master, std::string* pending) {
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  pending->append(buf, size_t(n));
  size_t nl;
  while ((nl = pending->find('\n')) != std::string::npos) {
    unsigned cols = 0, rows = 0;
    if (sscanf(pending->substr(0, nl).c_str(), "W %u %u", &cols, &rows) == 2 && cols && rows && cols < 10000 && rows < 10000)
      set_winsize(master, cols, rows);  // the kernel sends SIGWINCH to the terminal's foreground group
    pending->erase(0, nl + 1);
  }
  if (pending->size() > 1024) pending->clear();
  return true;
}

int relay_terminal(int master, pid_t pid, int control_fd) {
  sigset_t set;
  supervised_set(&set);
  sigaddset(&set, SIGWINCH);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) fail("signalfd", "", errno);
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  bool input_open = true;
  bool hung_up = false;
  std::string control;
  // Input waiting for the box's terminal: at most kInputMax is read ahead, so that a box that
  // does not read leaves it in our stdin pipe (and the daemon pauses that client) instead of
  // blocking the relay — output, window sizes and signals keep flowing meanwhile.
  std::string input;
  const size_t kInputMax = 65536;
  int status = 0;
  bool exited = false;
  char buf[65536];
  for (;;) {
    short master_events = short(POLLIN | (input.empty() ? 0 : POLLOUT));
    bool want_input = input_open && input.size() < kInputMax;
    struct pollfd fds[4] = {{sfd, POLLIN, 0}, {hung_up ? -1 : master, master_events, 0}, {want_input ? 0 : -1, POLLIN, 0}, {hung_up ? -1 : control_fd, POLLIN, 0}};
    // After a hang-up the command gets 5 s to end before it is killed.
    // After the command ended, its last output may still be on its way through the terminal
    // (the kernel moves slave writes to the master asynchronously): read until the terminal
    // reports EIO (no writer left) or stays quiet for 100 ms (a background process holds it).
    int ready = poll(fds, 4, exited ? 100 : hung_up ? 5000 : -1);
    if (ready < 0 && errno != EINTR) break;
    if (hung_up && ready == 0 && !exited) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      continue;
    }
    if (hung_up && exited) break;
    bool master_done = false, got_output = false;
    if (!hung_up && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) {
        write_all(1, buf, size_t(n));
        got_output = true;
      } else {
        master_done = n == 0 || (n < 0 && errno == EIO);
      }
    }
    // Once the command has ended: stop when its terminal has nothing more to give (all of its
    // output is out before the command's end is reported).
    if (exited && !got_output && (master_done || ready <= 0)) break;
    if (!hung_up && control_fd >= 0 && (fds[3].revents & (POLLIN | POLLHUP | POLLERR)) && !read_control(control_fd, master, &control)) {
      input_open = false;  // the daemon is gone: hang up as below
      hung_up = true;
      close(master);
      continue;
    }
    if (want_input && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(0, buf, std::min(sizeof buf, kInputMax - input.size()));
      if (n > 0) {
        input.append(buf, size_t(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        // Our own terminal is gone (its holder, e.g. the daemon, died): hang up the
        // command's terminal as a real one would, so the command does not linger unseen.
        input_open = false;
        hung_up = true;
        close(master);
        continue;
      }
    }
    if (!hung_up && !input.empty()) {
      ssize_t n = write(master, input.data(), input.size());
      if (n > 0) input.erase(0, size_t(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR) input.clear();  // no terminal to take it
    }
    if (fds[0].revents & POLLIN) {
      read_signals(
          sfd, pid,
          [&](int st) {
            status = st;
            exited = true;
          },
          [&](int sig, bool sent) {
            if (sig == SIGWINCH) copy_winsize(0, master);
            else if (sent) kill(pid, sig);
          });
    }
  }
  return status;
}

}  // namespace coop
