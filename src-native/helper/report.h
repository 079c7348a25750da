// Status reports to the TypeScript side, and failing with a precise message.
// With COOP_STATUS_FD set, reports are records on that fd (see lib/sandbox/wire.ts);
// otherwise failures are printed to stderr as one line.
#pragma once
#include <sys/types.h>

#include <string>

#include "helper/wire.h"

namespace coop {

// Exit code for "the sandbox could not be set up" (before the command ran).
constexpr int kSetupFailed = 125;

void set_status_fd(int fd);
int status_fd();
void close_status_fd();
void report(const Record& rec);

// A process to SIGKILL before failing (the half-made box child of the creating helper).
void kill_on_fail(pid_t pid);

// Reports `error SYSCALL PATH ERRNO MESSAGE` and exits with exit_code.
[[noreturn]] void fail(const std::string& syscall, const std::string& path, int err,
                       int exit_code = kSetupFailed, const std::string& message = "");

}  // namespace coop
