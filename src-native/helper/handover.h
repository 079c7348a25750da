// A terminal the daemon serves itself: the helper hands the box terminal's master over and
// stays the process's parent, to report how it ended.
#pragma once
#include <sys/types.h>

namespace coop {

// Waits until the command holds its terminal (`opened` reaches its end), sends `master` to
// the daemon as a `terminal` record with the fd attached (SCM_RIGHTS) on control_fd, closes
// its own copy, then supervises: signals sent from outside are passed on, and when the daemon
// goes away (control_fd ends) or sends SIGHUP, the command's process group is hung up and,
// 5 s later, killed. Exits as the command did.
[[noreturn]] void hand_over_terminal(int master, pid_t child, int opened, int control_fd);

}  // namespace coop
