#include "helper/self.h"

#include <fcntl.h>
#include <unistd.h>

namespace coop {

static int g_exe = -1;
static char** g_argv = nullptr;
static std::string g_plan;

void remember_self(char** argv) {
  g_argv = argv;
  g_exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
}
int self_exe_fd() { return g_exe; }
char** saved_argv() { return g_argv; }
void set_plan_text(const std::string& text) { g_plan = text; }
const std::string& plan_text() { return g_plan; }

}  // namespace coop
