#include "helper/report.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace coop {

static int g_status_fd = -1;
static pid_t g_kill_on_fail = 0;

void set_status_fd(int fd) { g_status_fd = fd; }
int status_fd() { return g_status_fd; }
void kill_on_fail(pid_t pid) { g_kill_on_fail = pid; }

void close_status_fd() {
  if (g_status_fd >= 0) close(g_status_fd);
  g_status_fd = -1;
}

static void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += size_t(n);
  }
}

void report(const Record& rec) {
  if (g_status_fd >= 0) write_all(g_status_fd, encode_record(rec));
}

void fail(const std::string& syscall, const std::string& path, int err, int exit_code,
          const std::string& message) {
  std::string text = message.empty() ? std::string(strerror(err)) : message;
  if (g_status_fd >= 0) {
    report({"error", syscall, path, std::to_string(err), text});
  } else {
    std::string line = "coop: " + syscall + (path.empty() ? "" : " " + path) + ": " + text + "\n";
    write_all(2, line);
  }
  if (g_kill_on_fail > 0) kill(g_kill_on_fail, SIGKILL);
  _exit(exit_code);
}

}  // namespace coop
