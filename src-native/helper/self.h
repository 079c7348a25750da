// What the helper remembers of its own start: its program (as an fd, so that it can run
// itself again after pivot_root) and its plan text and arguments.
#pragma once
#include <string>

namespace coop {

void remember_self(char** argv);
int self_exe_fd();
char** saved_argv();
void set_plan_text(const std::string& text);
const std::string& plan_text();

}  // namespace coop
