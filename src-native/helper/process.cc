#include "helper/process.h"

#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "helper/compat.h"
#include "helper/report.h"

namespace coop {

// The kernel's struct sigaction, so the C library's reserved signals can be reset too.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
};

void reset_signals() {
  KernelSigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.handler = SIG_DFL;
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(uint64_t));
  }
  uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof none);
}

void close_fds_except(int keep, int keep2) {
  if (keep > keep2) std::swap(keep, keep2);  // ascending; -1 means none
  unsigned from = 3;
  for (int fd : {keep, keep2}) {
    if (fd < int(from)) continue;
    if (unsigned(fd) > from) sys_close_range(from, unsigned(fd) - 1);
    from = unsigned(fd) + 1;
  }
  sys_close_range(from, ~0U);
}

static std::string env_value(const std::vector<std::string>& env, const char* key) {
  size_t klen = strlen(key);
  for (const std::string& kv : env)
    if (kv.size() > klen && kv.compare(0, klen, key) == 0 && kv[klen] == '=') return kv.substr(klen + 1);
  return "";
}

void exec_process(const Process& proc, bool setgroups_allowed, mode_t mask) {
  if (setgroups_allowed && setgroups(0, nullptr) != 0) fail("setgroups", "", errno);
  if (setresgid(proc.gid, proc.gid, proc.gid) != 0) fail("setresgid", std::to_string(proc.gid), errno);
  if (setresuid(proc.uid, proc.uid, proc.uid) != 0) fail("setresuid", std::to_string(proc.uid), errno);
  if (chdir(proc.cwd.c_str()) != 0) fail("chdir", proc.cwd, errno);
  umask(mask);

  std::vector<char*> argv, envp;
  std::vector<std::string> args = proc.argv, env = proc.env;
  for (std::string& a : args) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(&e[0]);
  envp.push_back(nullptr);

  // The status fd stays open (close-on-exec) to report a failed execve.
  int keep = status_fd();
  close_fds_except(keep);
  reset_signals();

  const std::string& cmd = proc.argv[0];
  int err = ENOENT;
  if (cmd.find('/') != std::string::npos) {
    execve(cmd.c_str(), argv.data(), envp.data());
    err = errno;
  } else {
    std::string path = env_value(proc.env, "PATH");
    if (path.empty()) path = "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    bool denied = false;
    while (start <= path.size()) {
      size_t end = path.find(':', start);
      if (end == std::string::npos) end = path.size();
      std::string dir = path.substr(start, end - start);
      start = end + 1;
      std::string full = (dir.empty() ? "." : dir) + "/" + cmd;
      execve(full.c_str(), argv.data(), envp.data());
      if (errno == EACCES) denied = true;
      else if (errno != ENOENT && errno != ENOTDIR) {
        err = errno;
        break;
      }
    }
    if (err == ENOENT && denied) err = EACCES;
  }
  if (err == ENOENT) fail("execve", cmd, err, 127, "command not found");
  fail("execve", cmd, err, 126);
}

}  // namespace coop
