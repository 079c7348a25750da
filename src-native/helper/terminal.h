// A terminal inside the box: a pseudo-terminal of the box's own devpts instance, run by
// the box's init for a run-mode command when the caller is on a terminal.
#pragma once
#include <sys/types.h>

#include "helper/plan.h"

namespace coop {

// Puts the terminal on fd into raw mode (no echo, no newline translation): the box's own
// terminal does the line discipline; a second one on the way would echo and translate twice.
void make_raw(int fd);

// Opens /dev/ptmx of the box (after pivot_root); the window size is cols x rows, or
// copied from fd 0 when those are 0.
int open_box_terminal(unsigned cols = 0, unsigned rows = 0);

// In the command's process: new session, the terminal's slave as controlling terminal and stdio.
void attach_terminal(int master);

// Relays fd 0 -> master and master -> fd 1 until the command (pid) has ended and its
// output is drained; passes on signals sent from outside. Window sizes come from SIGWINCH
// (fd 0 is a terminal) or, with control_fd >= 0, from "W cols rows" lines read there.
// When fd 0 or control_fd reaches its end, the box terminal is hung up.
// Returns the command's wait status.
int relay_terminal(int master, pid_t pid, int control_fd = -1);

}  // namespace coop
