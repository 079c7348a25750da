// Starting the box's command: credentials, cwd, clean signal state, no inherited fds.
#pragma once
#include <sys/types.h>

#include "helper/plan.h"

namespace coop {

// Resets signal dispositions (all to default) and unblocks every signal.
void reset_signals();

// Closes every fd above 2 except keep and keep2 (-1 for none).
void close_fds_except(int keep, int keep2 = -1);

// Becomes the plan's process: never returns. Exits 127 when the command is missing,
// 126 when it cannot be executed, 125 when the process could not be prepared.
[[noreturn]] void exec_process(const Process& proc, bool setgroups_allowed, mode_t mask);

}  // namespace coop
