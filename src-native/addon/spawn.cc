// spawnHelper: starts coop-helper with posix_spawn (glibc's is clone(CLONE_VM|CLONE_VFORK):
// nothing of Node's memory is copied, unlike child_process, which forks the whole process),
// then watches it from the event loop: its exit through a pidfd, its status socket (fd 3)
// through recvmsg, so that file descriptors it sends (a box terminal) arrive intact.
//
//   spawnHelper({file, argv, env, stdio: [slot x3], plan: Buffer, setsid}, onStatus, onExit)
//     slot: an fd of ours to give the child, -1 for /dev/null, -2 for a new pipe
//     onStatus(chunk: Buffer | null, fds: number[])   null at the socket's end
//     onExit(code: number | null, signal: number | null)
//   -> HelperChild {pid, stdio: [fd of our end of each new pipe, or -1], kill(sig), close()}
#include <fcntl.h>
#include <napi.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <string>
#include <vector>

#include "addon/errors.h"
#include "addon/loop.h"

extern char** environ;

namespace coop {

static int pidfd_open(pid_t pid) { return int(syscall(SYS_pidfd_open, pid, 0)); }
static int pidfd_send_signal(int pidfd, int sig) { return int(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0)); }

class HelperChild : public Napi::ObjectWrap<HelperChild> {
 public:
  static Napi::FunctionReference* ctor;

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "HelperChild",
                       {InstanceMethod("kill", &HelperChild::Kill), InstanceMethod("close", &HelperChild::Close),
                        InstanceAccessor("pid", &HelperChild::Pid, nullptr)});
  }

  explicit HelperChild(const Napi::CallbackInfo& info) : Napi::ObjectWrap<HelperChild>(info) {}

  // Takes over the pidfd and our end of the status socket; keeps itself alive until both end.
  void Start(Napi::Env env, pid_t pid, int pidfd, int status, Napi::Function on_status, Napi::Function on_exit) {
    env_ = env;
    pid_ = pid;
    pidfd_ = pidfd;
    status_ = status;
    on_status_ = Napi::Persistent(on_status);
    on_exit_ = Napi::Persistent(on_exit);
    uv_loop_t* loop = LoopOf(env);
    Ref();  // released when both watchers are closed
    exit_watch_ = new uv_poll_t;
    exit_watch_->data = this;
    uv_poll_init(loop, exit_watch_, pidfd_);
    uv_poll_start(exit_watch_, UV_READABLE, &HelperChild::OnExitReady);
    status_watch_ = new uv_poll_t;
    status_watch_->data = this;
    uv_poll_init(loop, status_watch_, status_);
    uv_poll_start(status_watch_, UV_READABLE, &HelperChild::OnStatusReady);
  }

 private:
  Napi::Env env_ = nullptr;
  pid_t pid_ = 0;
  int pidfd_ = -1;
  int status_ = -1;
  uv_poll_t* exit_watch_ = nullptr;
  uv_poll_t* status_watch_ = nullptr;
  Napi::FunctionReference on_status_, on_exit_;

  Napi::Value Pid(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), pid_); }

  // kill(sig) -> false once the process has been reaped (no pid reuse can be hit).
  Napi::Value Kill(const Napi::CallbackInfo& info) {
    int sig = info[0].As<Napi::Number>().Int32Value();
    bool ok = pidfd_ >= 0 && pidfd_send_signal(pidfd_, sig) == 0;
    return Napi::Boolean::New(info.Env(), ok);
  }

  // Stops reading the status socket (its end counts as reached).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopStatus();
    return info.Env().Undefined();
  }

  void MaybeRelease() {
    if (!exit_watch_ && !status_watch_) {
      on_status_.Reset();
      on_exit_.Reset();
      Unref();
    }
  }

  void StopStatus() {
    if (!status_watch_) return;
    Unwatch(&status_watch_, &status_);
    MaybeRelease();
  }

  static void OnExitReady(uv_poll_t* h, int, int) {
    auto* self = static_cast<HelperChild*>(h->data);
    siginfo_t si = {};
    int r;
    do r = waitid(P_PID, id_t(self->pid_), &si, WEXITED | WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0 && si.si_pid == 0) return;  // not yet (spurious wake-up)
    Unwatch(&self->exit_watch_, &self->pidfd_);  // h is exit_watch_
    Napi::Env env = self->env_;
    Napi::HandleScope scope(env);
    Napi::Value code = env.Null(), sig = env.Null();
    if (r == 0 && si.si_code == CLD_EXITED) code = Napi::Number::New(env, si.si_status);
    else if (r == 0) sig = Napi::Number::New(env, si.si_status);
    Napi::FunctionReference cb = std::move(self->on_exit_);
    self->MaybeRelease();
    CallBack(env, cb, {code, sig});
  }

  static void OnStatusReady(uv_poll_t* h, int, int) {
    auto* self = static_cast<HelperChild*>(h->data);
    Napi::Env env = self->env_;
    Napi::HandleScope scope(env);
    for (int round = 0; round < 16 && self->status_watch_; ++round) {
      char buf[4096];
      union {
        char space[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
      } control;
      struct iovec iov = {buf, sizeof buf};
      struct msghdr msg = {};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.space;
      msg.msg_controllen = sizeof control.space;
      ssize_t n = recvmsg(self->status_, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      Napi::Array fds = Napi::Array::New(env);
      for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const int* p = reinterpret_cast<const int*>(CMSG_DATA(c));
        for (size_t i = 0; i < count; ++i) fds.Set(fds.Length(), Napi::Number::New(env, p[i]));
      }
      if (n <= 0) {
        Napi::FunctionReference cb = Napi::Persistent(self->on_status_.Value());
        self->StopStatus();
        CallBack(env, cb, {env.Null(), fds});
        return;
      }
      Napi::FunctionReference& cb = self->on_status_;
      CallBack(env, cb, {Napi::Buffer<char>::Copy(env, buf, size_t(n)), fds});
    }
  }
};

Napi::FunctionReference* HelperChild::ctor = nullptr;

static bool GetFd(const Napi::Value& v, int* out) {
  if (!v.IsNumber()) return false;
  *out = v.As<Napi::Number>().Int32Value();
  return true;
}

struct Fds {
  std::vector<int> fds;
  ~Fds() {
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }
  int add(int fd) {
    fds.push_back(fd);
    return fd;
  }
  // Keeps fd open past our end (it is handed to the caller).
  void release(int fd) {
    for (int& f : fds)
      if (f == fd) f = -1;
  }
};

static Napi::Value SpawnHelper(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object opts = info[0].As<Napi::Object>();
  Napi::Function on_status = info[1].As<Napi::Function>();
  Napi::Function on_exit = info[2].As<Napi::Function>();
  std::string file = opts.Get("file").As<Napi::String>();
  std::vector<std::string> argv_s, env_s;
  Napi::Array a = opts.Get("argv").As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) argv_s.push_back(a.Get(i).As<Napi::String>());
  Napi::Array e = opts.Get("env").As<Napi::Array>();
  for (uint32_t i = 0; i < e.Length(); ++i) env_s.push_back(e.Get(i).As<Napi::String>());
  Napi::Array stdio = opts.Get("stdio").As<Napi::Array>();
  Napi::Buffer<char> plan = opts.Get("plan").As<Napi::Buffer<char>>();
  bool setsid = opts.Get("setsid").ToBoolean();

  Fds owned;  // closed on every way out, except what is released to the caller
  // fd 3: the status socket; fd 4: the plan, in a memfd (no write can block, whatever its size).
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return ThrowErrno(env, errno, "socketpair");
  owned.add(sv[0]);
  owned.add(sv[1]);
  int memfd = owned.add(int(syscall(SYS_memfd_create, "coop-plan", MFD_CLOEXEC)));
  if (memfd < 0) return ThrowErrno(env, errno, "memfd_create");
  std::string header = std::to_string(plan.Length()) + "\n";
  if (write(memfd, header.data(), header.size()) != ssize_t(header.size()) ||
      write(memfd, plan.Data(), plan.Length()) != ssize_t(plan.Length()))
    return ThrowErrno(env, errno, "write", "memfd");
  lseek(memfd, 0, SEEK_SET);

  int child_fd[5] = {-1, -1, -1, sv[1], memfd};
  int ours[3] = {-1, -1, -1};
  for (int i = 0; i < 3; ++i) {
    int slot = -1;
    GetFd(stdio.Get(uint32_t(i)), &slot);
    if (slot == -2) {
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0) return ThrowErrno(env, errno, "pipe2");
      owned.add(p[0]);
      owned.add(p[1]);
      child_fd[i] = i == 0 ? p[0] : p[1];
      ours[i] = i == 0 ? p[1] : p[0];
    } else if (slot >= 0) {
      child_fd[i] = slot;
    } else {
      child_fd[i] = owned.add(open("/dev/null", O_RDWR | O_CLOEXEC));
      if (child_fd[i] < 0) return ThrowErrno(env, errno, "open", "/dev/null");
    }
  }
  // Each source is first copied above the targets, so that no dup2 overwrites a later source.
  int high[5];
  for (int i = 0; i < 5; ++i) {
    high[i] = owned.add(fcntl(child_fd[i], F_DUPFD_CLOEXEC, 5));
    if (high[i] < 0) return ThrowErrno(env, errno, "fcntl(F_DUPFD)");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int i = 0; i < 5; ++i) posix_spawn_file_actions_adddup2(&fa, high[i], i);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
#ifdef POSIX_SPAWN_SETSID
  if (setsid) flags |= POSIX_SPAWN_SETSID;
#else
  if (setsid) flags |= POSIX_SPAWN_SETPGROUP;  // old C libraries: a process group at least
#endif
  posix_spawnattr_setflags(&attr, flags);

  std::vector<char*> argv, envp;
  for (std::string& s : argv_s) argv.push_back(&s[0]);
  argv.push_back(nullptr);
  for (std::string& s : env_s) envp.push_back(&s[0]);
  envp.push_back(nullptr);
  pid_t pid = 0;
  int err = posix_spawn(&pid, file.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return ThrowErrno(env, err, "posix_spawn", file);

  int pidfd = pidfd_open(pid);
  if (pidfd < 0) {
    int why = errno;
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return ThrowErrno(env, why, "pidfd_open");
  }
  fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
  owned.release(sv[0]);
  Napi::Array ends = Napi::Array::New(env, 3);
  for (int i = 0; i < 3; ++i) {
    if (ours[i] >= 0) owned.release(ours[i]);
    ends.Set(uint32_t(i), Napi::Number::New(env, ours[i]));
  }
  Napi::Object obj = HelperChild::ctor->New({});
  HelperChild::Unwrap(obj)->Start(env, pid, pidfd, sv[0], on_status, on_exit);
  obj.Set("stdio", ends);
  return obj;
}

void InitSpawn(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = HelperChild::Define(env);
  HelperChild::ctor = new Napi::FunctionReference(Napi::Persistent(cls));
  exports.Set("spawnHelper", Napi::Function::New(env, SpawnHelper, "spawnHelper"));
}

}  // namespace coop
