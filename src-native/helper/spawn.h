// Cloning a child into new namespaces with its id maps written by the parent.
#pragma once
#include <sys/types.h>

#include "helper/plan.h"

namespace coop {

// Clones with `flags` (which include CLONE_NEWUSER). In the child, returns 0 once the
// parent has written the maps; in the parent, returns the child's pid. On failure the
// parent kills the child, reports and exits.
pid_t clone_mapped(const Plan& plan, int flags);

}  // namespace coop
