#include "helper/seccomp.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <vector>

#include "helper/report.h"

namespace coop {

namespace {

// Refused calls by number, per architecture. New calls share one number on every
// architecture since 5.1 (io_uring, open_tree, ...), older ones differ.
#if defined(__x86_64__)
constexpr unsigned kNativeArch = AUDIT_ARCH_X86_64;
constexpr unsigned kX32Bit = 0x40000000;  // x32 calls: refused wholesale
#elif defined(__aarch64__)
constexpr unsigned kNativeArch = AUDIT_ARCH_AARCH64;
#else
#error "coop's seccomp filter knows x86_64 and aarch64"
#endif

const unsigned kRefused[] = {
    SYS_keyctl,      SYS_add_key,         SYS_request_key,  SYS_bpf,          SYS_perf_event_open,
    SYS_userfaultfd, SYS_init_module,     SYS_finit_module, SYS_delete_module, SYS_kexec_load,
    SYS_kexec_file_load, SYS_open_by_handle_at, SYS_io_uring_setup, SYS_io_uring_enter,
    SYS_io_uring_register, SYS_acct,      SYS_swapon,       SYS_swapoff,      SYS_syslog,
    SYS_lookup_dcookie, SYS_quotactl,
#if defined(__x86_64__)
    SYS_iopl,        SYS_ioperm,
#endif
};

#if defined(__x86_64__)
// The same calls through the 32-bit entry (int 0x80) of an x86_64 kernel.
const unsigned kRefusedI386[] = {
    288 /* keyctl */, 286 /* add_key */, 287 /* request_key */, 357 /* bpf */,
    336 /* perf_event_open */, 374 /* userfaultfd */, 128 /* init_module */,
    350 /* finit_module */, 129 /* delete_module */, 283 /* kexec_load */,
    342 /* open_by_handle_at */, 425, 426, 427 /* io_uring_* */, 51 /* acct */,
    87 /* swapon */, 115 /* swapoff */, 103 /* syslog */, 253 /* lookup_dcookie */,
    131 /* quotactl */, 110 /* iopl */, 101 /* ioperm */,
};
constexpr unsigned kIoctlI386 = 54;
#endif

const unsigned kRefusedIoctls[] = {TIOCSTI, TIOCLINUX};

using Prog = std::vector<sock_filter>;

void stmt(Prog* p, unsigned short code, unsigned k) { p->push_back(BPF_STMT(code, k)); }
void jump(Prog* p, unsigned short code, unsigned k, unsigned char jt, unsigned char jf) {
  p->push_back(BPF_JUMP(code, k, jt, jf));
}

constexpr unsigned kNr = offsetof(struct seccomp_data, nr);
constexpr unsigned kArch = offsetof(struct seccomp_data, arch);
// Low 32 bits of argument 1 (the kernel reads ioctl's request as an unsigned int,
// so the high half must not decide anything). Little-endian on both architectures.
constexpr unsigned kArg1Low = offsetof(struct seccomp_data, args) + 8;

const unsigned kDeny = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);

// Appends: refuse every call in `nrs`, refuse ioctl(fd, TIOCSTI|TIOCLINUX) when `ioctl_nr`
// matches, allow everything else. Expects the call number in the accumulator.
void table(Prog* p, const unsigned* nrs, size_t n, unsigned ioctl_nr) {
  for (size_t i = 0; i < n; ++i) {
    jump(p, BPF_JMP | BPF_JEQ | BPF_K, nrs[i], 0, 1);
    stmt(p, BPF_RET | BPF_K, kDeny);
  }
  size_t m = sizeof kRefusedIoctls / sizeof kRefusedIoctls[0];
  jump(p, BPF_JMP | BPF_JEQ | BPF_K, ioctl_nr, 0, static_cast<unsigned char>(1 + 2 * m));
  stmt(p, BPF_LD | BPF_W | BPF_ABS, kArg1Low);
  for (unsigned req : kRefusedIoctls) {
    jump(p, BPF_JMP | BPF_JEQ | BPF_K, req, 0, 1);
    stmt(p, BPF_RET | BPF_K, kDeny);
  }
  stmt(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
}

Prog build() {
  Prog p;
  stmt(&p, BPF_LD | BPF_W | BPF_ABS, kArch);
#if defined(__x86_64__)
  // Layout: [arch == x86_64 ? native : (arch == i386 ? i386 : deny)]
  Prog native, i386;
  stmt(&native, BPF_LD | BPF_W | BPF_ABS, kNr);
  jump(&native, BPF_JMP | BPF_JGE | BPF_K, kX32Bit, 0, 1);
  stmt(&native, BPF_RET | BPF_K, kDeny);
  table(&native, kRefused, sizeof kRefused / sizeof kRefused[0], SYS_ioctl);
  stmt(&i386, BPF_LD | BPF_W | BPF_ABS, kNr);
  table(&i386, kRefusedI386, sizeof kRefusedI386 / sizeof kRefusedI386[0], kIoctlI386);
  jump(&p, BPF_JMP | BPF_JEQ | BPF_K, kNativeArch, 0, static_cast<unsigned char>(native.size()));
  p.insert(p.end(), native.begin(), native.end());
  jump(&p, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 1, 0);
  stmt(&p, BPF_RET | BPF_K, kDeny);
  p.insert(p.end(), i386.begin(), i386.end());
#else
  jump(&p, BPF_JMP | BPF_JEQ | BPF_K, kNativeArch, 1, 0);
  stmt(&p, BPF_RET | BPF_K, kDeny);
  stmt(&p, BPF_LD | BPF_W | BPF_ABS, kNr);
  table(&p, kRefused, sizeof kRefused / sizeof kRefused[0], SYS_ioctl);
#endif
  return p;
}

}  // namespace

void set_no_new_privs() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("prctl(PR_SET_NO_NEW_PRIVS)", "", errno);
}

void install_seccomp() {
  set_no_new_privs();
  static const Prog prog = build();
  struct sock_fprog fprog = {static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
    fail("seccomp(SECCOMP_SET_MODE_FILTER)", "", errno);
}

void confine(const std::string& mode) {
  if (mode.empty()) return;
  // KEYCTL_JOIN_SESSION_KEYRING with no name: a new anonymous keyring. Kernels built
  // without keys have nothing to leak.
  if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, 0, 0, 0, 0) < 0 && errno != ENOSYS)
    fail("keyctl(KEYCTL_JOIN_SESSION_KEYRING)", "", errno);
  if (mode == "off") set_no_new_privs();
  else install_seccomp();
}

}  // namespace coop
