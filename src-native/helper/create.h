// Modes of the helper: create a box, enter one, remove a box's files.
#pragma once
#include <sys/types.h>

#include "helper/plan.h"

namespace coop {

// Creates the box: clone into new namespaces, write id maps, build the filesystem,
// pivot_root, then become its init (run_init). Reports `pid N` and, from the init, `ready`.
// run mode: waits for the box, reports `exit code|signal N`, and
// exits the same way. box mode: returns at once (exit 0), the init lives on.
[[noreturn]] void do_create(const Plan& plan);

// The box's init after its filesystem is built: into the nested user namespace, confined,
// not dumpable, then coop's init (run_init).
[[noreturn]] void become_init(const Plan& plan, int exit_fd, mode_t mask);

// Executes coop-helper again as the box's init (same plan, status fd and environment);
// main() then calls become_init. See the comment at the call.
[[noreturn]] void reexec_as_init(mode_t mask);

// Joins the namespaces of a running box's init (verified by its start time), then runs
// the plan's process as a child and exits the same way it does.
[[noreturn]] void do_enter(const Plan& plan);

}  // namespace coop
