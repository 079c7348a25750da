// coop's init: PID 1 of every box.
#pragma once
#include <sys/types.h>

#include "helper/plan.h"

namespace coop {

// Runs as PID 1 and never returns.
//  run mode: starts the plan's process, reaps everything, passes on signals sent from
//            outside the box, writes the process's wait status to exit_fd and exits.
//  box mode: reports "ready", reaps orphans; SIGTERM sends SIGTERM to every process of
//            the box and exits once they are gone or after plan.grace_ms.
[[noreturn]] void run_init(const Plan& plan, int exit_fd, mode_t mask);

}  // namespace coop
