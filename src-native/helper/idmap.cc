#include "helper/idmap.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "helper/report.h"


namespace coop {

static void write_file(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail("open", path, errno);
  if (write(fd, text.data(), text.size()) != ssize_t(text.size())) fail("write", path, errno);
  close(fd);
}

static std::string map_text(const std::vector<IdRange>& ranges) {
  std::string out;
  for (const IdRange& r : ranges)
    out += std::to_string(r.inside) + " " + std::to_string(r.outside) + " " + std::to_string(r.count) + "\n";
  return out;
}

// Runs newuidmap/newgidmap PID IN OUT COUNT...; its stderr becomes the error message.
static void run_tool(const std::string& tool, pid_t pid, const std::vector<IdRange>& ranges) {
  std::vector<std::string> args = {tool, std::to_string(pid)};
  for (const IdRange& r : ranges) {
    args.push_back(std::to_string(r.inside));
    args.push_back(std::to_string(r.outside));
    args.push_back(std::to_string(r.count));
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(&a[0]);
  argv.push_back(nullptr);

  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) fail("pipe2", "", errno);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  pid_t child;
  char* no_env[] = {nullptr};
  int rc = posix_spawn(&child, tool.c_str(), &fa, nullptr, argv.data(), no_env);
  posix_spawn_file_actions_destroy(&fa);
  close(err[1]);
  if (rc != 0) fail("execve", tool, rc);
  std::string output;
  char buf[512];
  ssize_t n;
  while ((n = read(err[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) output.append(buf, size_t(n));
  close(err[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
    if (output.empty()) output = "exited with status " + std::to_string(WEXITSTATUS(status));
    fail(tool, std::to_string(pid), 0, kSetupFailed, output);
  }
}

void write_idmaps(pid_t pid, const Plan& plan) {
  std::string proc = "/proc/" + std::to_string(pid);
  if (!plan.newuidmap.empty()) {
    run_tool(plan.newuidmap, pid, plan.uidmap);
    run_tool(plan.newgidmap, pid, plan.gidmap);
    return;
  }
  write_file(proc + "/uid_map", map_text(plan.uidmap));
  if (plan.setgroups_deny) write_file(proc + "/setgroups", "deny");
  write_file(proc + "/gid_map", map_text(plan.gidmap));
}

}  // namespace coop
