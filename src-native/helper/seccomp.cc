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

using Prog = std::vector<sock_filter>;

constexpr unsigned kNr = offsetof(struct seccomp_data, nr);
constexpr unsigned kArch = offsetof(struct seccomp_data, arch);
// Low 32 bits of an argument: what the kernel reads for an int (an ioctl request, a mode,
// clone flags' namespace bits), so the high half must not decide anything. Little-endian
// on both architectures.
constexpr unsigned arg_low(int i) { return unsigned(offsetof(struct seccomp_data, args) + 8 * unsigned(i)); }

const unsigned kDeny = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
const unsigned kNoSys = SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA);

// One rule: call `nr`, optionally only when argument `arg` equals `value` (kEq) or has any
// bit of `value` set (kSet), answers `ret`.
struct Rule {
  unsigned nr;
  enum Test { kAlways, kEq, kSet } test;
  int arg;
  unsigned value;
  unsigned ret;
};

void emit(Prog* p, const Rule& r) {
  if (r.test == Rule::kAlways) {
    p->push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r.nr, 0, 1));
    p->push_back(BPF_STMT(BPF_RET | BPF_K, r.ret));
    return;
  }
  unsigned short how = r.test == Rule::kEq ? BPF_JEQ : BPF_JSET;
  p->push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r.nr, 0, 4));
  p->push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg_low(r.arg)));
  p->push_back(BPF_JUMP(BPF_JMP | how | BPF_K, r.value, 0, 1));
  p->push_back(BPF_STMT(BPF_RET | BPF_K, r.ret));
  p->push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNr));
}

// The numbers of one system-call table (native, or i386 on x86_64); 0 = not on this table.
struct Table {
  const unsigned* refused;
  size_t n;
  unsigned ioctl, chmod, fchmod, fchmodat, fchmodat2, open, openat, creat, mknod, mknodat, openat2;
  unsigned unshare, clone, clone3;
  unsigned setxattr, lsetxattr, fsetxattr, setxattrat;
};

constexpr unsigned kSetId = 06000;          // S_ISUID | S_ISGID
constexpr unsigned kNewCgroup = 0x02000000;  // CLONE_NEWCGROUP

Prog rules_for(const Table& t, const ConfineOptions& o) {
  Prog p;
  p.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNr));
  for (size_t i = 0; i < t.n; ++i) emit(&p, {t.refused[i], Rule::kAlways, 0, 0, kDeny});
  emit(&p, {t.ioctl, Rule::kEq, 1, unsigned(TIOCSTI), kDeny});
  emit(&p, {t.ioctl, Rule::kEq, 1, unsigned(TIOCLINUX), kDeny});
  if (o.no_setid) {
    const Rule mode_rules[] = {
        {t.chmod, Rule::kSet, 1, kSetId, kDeny},    {t.fchmod, Rule::kSet, 1, kSetId, kDeny},
        {t.fchmodat, Rule::kSet, 2, kSetId, kDeny}, {t.fchmodat2, Rule::kSet, 2, kSetId, kDeny},
        {t.open, Rule::kSet, 2, kSetId, kDeny},     {t.openat, Rule::kSet, 3, kSetId, kDeny},
        {t.creat, Rule::kSet, 1, kSetId, kDeny},    {t.mknod, Rule::kSet, 1, kSetId, kDeny},
        {t.mknodat, Rule::kSet, 2, kSetId, kDeny},  {t.openat2, Rule::kAlways, 0, 0, kNoSys},
        // File capabilities are an extended attribute (security.capability); the name cannot
        // be read from here, so no extended attribute can be set.
        {t.setxattr, Rule::kAlways, 0, 0, kDeny},   {t.lsetxattr, Rule::kAlways, 0, 0, kDeny},
        {t.fsetxattr, Rule::kAlways, 0, 0, kDeny},  {t.setxattrat, Rule::kAlways, 0, 0, kDeny},
    };
    for (const Rule& r : mode_rules)
      if (r.nr) emit(&p, r);
  }
  if (o.no_cgroupns) {
    emit(&p, {t.unshare, Rule::kSet, 0, kNewCgroup, kDeny});
    emit(&p, {t.clone, Rule::kSet, 0, kNewCgroup, kDeny});
    emit(&p, {t.clone3, Rule::kAlways, 0, 0, kNoSys});  // its flags are out of reach: libc falls back to clone
  }
  p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return p;
}

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

#if defined(__x86_64__)
const Table kNative = {kRefused, sizeof kRefused / sizeof kRefused[0], SYS_ioctl, SYS_chmod, SYS_fchmod,
                       SYS_fchmodat, SYS_fchmodat2, SYS_open, SYS_openat, SYS_creat, SYS_mknod, SYS_mknodat,
                       SYS_openat2, SYS_unshare, SYS_clone, SYS_clone3, SYS_setxattr, SYS_lsetxattr,
                       SYS_fsetxattr, 463};
const Table kI386 = {kRefusedI386, sizeof kRefusedI386 / sizeof kRefusedI386[0], kIoctlI386, 15, 94, 306, 452, 5, 295, 8, 14,
                     297, 437, 310, 120, 435, 226, 227, 228, 463};
#else
const Table kNative = {kRefused, sizeof kRefused / sizeof kRefused[0], SYS_ioctl, 0, SYS_fchmod, SYS_fchmodat,
                       SYS_fchmodat2, 0, SYS_openat, 0, 0, SYS_mknodat, SYS_openat2, SYS_unshare, SYS_clone, SYS_clone3,
                       SYS_setxattr, SYS_lsetxattr, SYS_fsetxattr, 463};
#endif

Prog build(const ConfineOptions& o) {
  Prog p;
  p.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArch));
  Prog native = rules_for(kNative, o);
#if defined(__x86_64__)
  // [arch == x86_64 ? (x32 ? deny : native) : (arch == i386 ? i386 : deny)]
  native.insert(native.begin() + 1, {BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kX32Bit, 0, 1), BPF_STMT(BPF_RET | BPF_K, kDeny)});
  Prog i386 = rules_for(kI386, o);
  p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNativeArch, 0, 0));
  size_t skip = native.size();
  p.insert(p.end(), native.begin(), native.end());
  p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 1, 0));
  p.push_back(BPF_STMT(BPF_RET | BPF_K, kDeny));
  p.insert(p.end(), i386.begin(), i386.end());
  // Jump offsets are 8 bits: the native block is well below 255 instructions.
  p[1].jf = static_cast<unsigned char>(skip);
#else
  p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNativeArch, 1, 0));
  p.push_back(BPF_STMT(BPF_RET | BPF_K, kDeny));
  p.insert(p.end(), native.begin(), native.end());
#endif
  return p;
}

}  // namespace

void set_no_new_privs() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("prctl(PR_SET_NO_NEW_PRIVS)", "", errno);
}

void install_seccomp(const ConfineOptions& options) {
  set_no_new_privs();
  const Prog prog = build(options);
  struct sock_fprog fprog = {static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
    fail("seccomp(SECCOMP_SET_MODE_FILTER)", "", errno);
}

void confine(const std::string& mode, const ConfineOptions& options) {
  if (mode.empty()) return;
  // KEYCTL_JOIN_SESSION_KEYRING with no name: a new anonymous keyring. Kernels built
  // without keys have nothing to leak.
  if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, 0, 0, 0, 0) < 0 && errno != ENOSYS)
    fail("keyctl(KEYCTL_JOIN_SESSION_KEYRING)", "", errno);
  if (mode == "off") set_no_new_privs();
  else install_seccomp(options);
}

}  // namespace coop
