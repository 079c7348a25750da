// Cloning a child into new namespaces with its id maps written by the parent.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "helper/plan.h"

namespace coop {

// Clones with `flags` (which include CLONE_NEWUSER). In the child, returns 0 once the
// parent has written the maps; in the parent, returns the child's pid. On failure the
// parent kills the child, reports and exits. With netns_fd, the parent also opens the
// child's network namespace before letting it go on (coop-net works on it from outside).
pid_t clone_mapped(const Plan& plan, int flags, int* netns_fd = nullptr);

// Moves the calling process (the box's init, its mounts done) into a new user namespace
// nested in its own, mapping every id of the outer one to itself. Processes there keep
// root's powers over the box's files but none over its mount, PID, UTS, IPC or network
// namespaces, which the outer namespace owns: coop's mounts can no longer be unmounted,
// moved or made writable, and copies of them in new mount namespaces are locked.
void nest_user_namespace(const Plan& plan);

// A user namespace with `map` as its uid and gid maps, for id-mapped mounts (an fd).
int idmap_userns_fd(const std::vector<IdRange>& map);

// Moves process `pid` into the cgroup v2 directory `dir` (its limits then apply).
void join_cgroup(const std::string& dir, pid_t pid);

}  // namespace coop
