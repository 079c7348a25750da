// System calls Node does not expose: flock, SO_PEERCRED, the user namespace of a socket's
// peer, whiteout creation; and isatty, without loading Node's tty module (and net, streams).
#include <napi.h>
#include <poll.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "addon/errors.h"

namespace coop {

const char* errno_code(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EWOULDBLOCK: return "EWOULDBLOCK";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EROFS: return "EROFS";
    case ENOSPC: return "ENOSPC";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    default: return "EUNKNOWN";
  }
}

// flock(fd, exclusive, wait) -> true when taken, false when busy (only with wait=false).
static Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  bool exclusive = info[1].As<Napi::Boolean>();
  bool wait = info[2].As<Napi::Boolean>();
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  while (flock(fd, op) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK && !wait) return Napi::Boolean::New(env, false);
    return ThrowErrno(env, errno, "flock");
  }
  return Napi::Boolean::New(env, true);
}

// SO_PEERCRED of a connected Unix socket; false with errno set on failure.
static bool GetPeerCred(int fd, struct ucred* cred) {
  socklen_t len = sizeof(*cred);
  return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) == 0;
}

// peerCred(fd) -> {pid, uid, gid} of the process at the other end of a Unix socket.
// isatty(fd) -> whether fd is a terminal.
static Napi::Value IsATTY(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), isatty(info[0].As<Napi::Number>().Int32Value()) == 1);
}

static Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct ucred cred;
  if (!GetPeerCred(fd, &cred)) return ThrowErrno(env, errno, "getsockopt(SO_PEERCRED)");
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, cred.pid));
  out.Set("uid", Napi::Number::New(env, cred.uid));
  out.Set("gid", Napi::Number::New(env, cred.gid));
  return out;
}

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

// peerUserNs(fd) -> {ns, pinned}: the user namespace (the text of /proc/PID/ns/user) of the
// process that connected to a Unix socket. With SO_PEERPIDFD (Linux 6.5+) the answer is
// pinned to that very process: if it has exited by the time its namespace was read, its
// pid may belong to another process now, and ESRCH is thrown instead.
static Napi::Value PeerUserNs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct ucred cred;
  if (!GetPeerCred(fd, &cred)) return ThrowErrno(env, errno, "getsockopt(SO_PEERCRED)");
  if (cred.pid <= 0) return ThrowErrno(env, ESRCH, "getsockopt(SO_PEERCRED)");
  int pidfd = -1;
  socklen_t pidlen = sizeof(pidfd);
  bool pinned = getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &pidlen) == 0;
  if (!pinned && errno != ENOPROTOOPT) return ThrowErrno(env, errno, "getsockopt(SO_PEERPIDFD)");
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/user", static_cast<int>(cred.pid));
  char buf[256];
  ssize_t n = readlink(path, buf, sizeof(buf) - 1);
  int err = errno;
  bool gone = false;
  if (pinned) {
    struct pollfd p = {pidfd, POLLIN, 0};
    gone = poll(&p, 1, 0) != 0;  // readable (or an error): the process has exited
    close(pidfd);
  }
  if (n < 0) return ThrowErrno(env, err, "readlink", path);
  if (gone) return ThrowErrno(env, ESRCH, "peer process exited", path);
  Napi::Object out = Napi::Object::New(env);
  out.Set("ns", Napi::String::New(env, std::string(buf, static_cast<size_t>(n))));
  out.Set("pinned", Napi::Boolean::New(env, pinned));
  return out;
}

// mknodWhiteout(path): an overlayfs whiteout (character device 0/0); allowed unprivileged.
static Napi::Value MknodWhiteout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  if (mknod(path.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0 && errno != EEXIST)
    return ThrowErrno(env, errno, "mknod", path);
  return env.Undefined();
}

void InitSys(Napi::Env env, Napi::Object exports) {
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred));
  exports.Set("peerUserNs", Napi::Function::New(env, PeerUserNs));
  exports.Set("mknodWhiteout", Napi::Function::New(env, MknodWhiteout));
  exports.Set("isatty", Napi::Function::New(env, IsATTY));
}

}  // namespace coop
