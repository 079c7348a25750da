// Writing a new user namespace's uid/gid maps, directly or through newuidmap/newgidmap.
#pragma once
#include <sys/types.h>

#include "helper/plan.h"

namespace coop {

// Writes the maps of the plan for process pid; fails (exits) on error.
void write_idmaps(pid_t pid, const Plan& plan);

}  // namespace coop
