// Removing a box's directories, whose files may belong to mapped (subordinate) ids.
#pragma once
#include <string>
#include <vector>

#include "helper/plan.h"

namespace coop {

// Removes path recursively without following symlinks or leaving its filesystem.
// Returns 0 or the first errno met.
int remove_tree(const std::string& path);

// mode rmtree: in a new user namespace with the plan's maps, removes plan.cleanup.
[[noreturn]] void do_rmtree(const Plan& plan);

}  // namespace coop
