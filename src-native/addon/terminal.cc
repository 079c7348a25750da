// BoxTerminal: the master side of a box's terminal, handed to the daemon by coop-helper, read
// and written from the event loop. Output is read straight into the Buffer that JavaScript
// gets; input waits in a bounded queue while the terminal does not take it (the caller pauses
// its client until onDrain). Nothing here ever blocks, and a terminal that has no writer left
// (EIO, hang-up) is not polled again.
//
//   new BoxTerminal(fd, onData(Buffer), onEnd(), onDrain())
//   write(Buffer) -> false once kInputHigh bytes wait: pause, then wait for onDrain
//   resize(cols, rows)   close()   queued (bytes waiting)
#include <fcntl.h>
#include <napi.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <string>

#include "addon/loop.h"

namespace coop {

// Output is read into chunks of this size (and shrunk to what was read).
constexpr size_t kReadChunk = 64 * 1024;
// Input the terminal has not taken yet, beyond which write() says "wait".
constexpr size_t kInputHigh = 64 * 1024;

class BoxTerminal : public Napi::ObjectWrap<BoxTerminal> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "BoxTerminal",
                       {InstanceMethod("write", &BoxTerminal::Write), InstanceMethod("resize", &BoxTerminal::Resize),
                        InstanceMethod("close", &BoxTerminal::Close),
                        InstanceAccessor("queued", &BoxTerminal::Queued, nullptr)});
  }

  explicit BoxTerminal(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BoxTerminal>(info), env_(info.Env()) {
    fd_ = info[0].As<Napi::Number>().Int32Value();
    on_data_ = Napi::Persistent(info[1].As<Napi::Function>());
    on_end_ = Napi::Persistent(info[2].As<Napi::Function>());
    on_drain_ = Napi::Persistent(info[3].As<Napi::Function>());
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
    fcntl(fd_, F_SETFD, FD_CLOEXEC);
    watch_ = new uv_poll_t;
    watch_->data = this;
    if (uv_poll_init(LoopOf(env_), watch_, fd_) != 0) {
      delete watch_;
      watch_ = nullptr;
      close(fd_);
      fd_ = -1;
      Napi::Error::New(env_, "coop: cannot watch the box terminal").ThrowAsJavaScriptException();
      return;
    }
    Ref();  // alive while watched, whatever JavaScript holds
    Arm(true);
  }

 private:
  Napi::Env env_;
  int fd_ = -1;
  uv_poll_t* watch_ = nullptr;
  bool reading_ = true;
  bool want_drain_ = false;
  int armed_ = 0;  // the events being watched
  std::string queue_;  // input not yet taken, from queue_off_
  size_t queue_off_ = 0;
  Napi::FunctionReference on_data_, on_end_, on_drain_;

  size_t queued() const { return queue_.size() - queue_off_; }

  // Watches what is wanted now; a change only (each uv_poll_start costs an epoll_ctl).
  void Arm(bool force = false) {
    if (!watch_) return;
    int events = (reading_ ? UV_READABLE : 0) | (queued() ? UV_WRITABLE : 0);
    if (events == armed_ && !force) return;
    armed_ = events;
    if (events) uv_poll_start(watch_, events, &BoxTerminal::OnReady);
    else uv_poll_stop(watch_);
  }

  void Shut() {
    if (!watch_) return;
    Unwatch(&watch_, &fd_);
    queue_.clear();
    queue_off_ = 0;
    on_data_.Reset();
    on_end_.Reset();
    on_drain_.Reset();
    Unref();
  }

  // Writes what the terminal takes now; false when it can take nothing more at all (gone).
  bool Flush() {
    while (queued()) {
      ssize_t n = write(fd_, queue_.data() + queue_off_, queued());
      if (n > 0) {
        queue_off_ += size_t(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      queue_.clear();  // no terminal to take it (EIO: its last reader is gone)
      queue_off_ = 0;
      return false;
    }
    if (!queued()) {
      queue_.clear();
      queue_off_ = 0;
    } else if (queue_off_ > kInputHigh) {
      queue_.erase(0, queue_off_);
      queue_off_ = 0;
    }
    return true;
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!watch_) return Napi::Boolean::New(env, true);  // closed: dropped, as with no process
    Napi::Buffer<char> b = info[0].As<Napi::Buffer<char>>();
    bool was_empty = queued() == 0;
    queue_.append(b.Data(), b.Length());
    if (was_empty) Flush();
    Arm();
    bool ok = queued() < kInputHigh;
    if (!ok) want_drain_ = true;
    return Napi::Boolean::New(env, ok);
  }

  Napi::Value Resize(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) {
      struct winsize ws = {};
      ws.ws_col = static_cast<unsigned short>(info[0].As<Napi::Number>().Uint32Value());
      ws.ws_row = static_cast<unsigned short>(info[1].As<Napi::Number>().Uint32Value());
      ioctl(fd_, TIOCSWINSZ, &ws);  // the kernel sends SIGWINCH to the terminal's foreground group
    }
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shut();
    return info.Env().Undefined();
  }

  Napi::Value Queued(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(queued())); }

  // Reads what is there now (up to one chunk): the bytes, and whether the terminal has ended.
  // A small read (typing, an echo) is taken at once without asking for more; under a flood
  // of output reads are gathered into the chunk (the kernel refills the terminal's 4 KiB
  // buffer meanwhile). What is left arrives as another event: epoll is level-triggered.
  char* ReadChunk(size_t* got, bool* ended) {
    char* buf = static_cast<char*>(malloc(kReadChunk));
    *got = 0;
    *ended = false;
    if (!buf) return nullptr;
    while (*got < kReadChunk) {
      ssize_t n = read(fd_, buf + *got, kReadChunk - *got);
      if (n > 0) {
        *got += size_t(n);
        if (size_t(n) < 512) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      *ended = true;  // EIO: no process holds the terminal any more
      break;
    }
    if (*got == 0) {
      free(buf);
      return nullptr;
    }
    char* shrunk = static_cast<char*>(realloc(buf, *got));
    return shrunk ? shrunk : buf;
  }

  static void OnReady(uv_poll_t* h, int status, int events) {
    auto* self = static_cast<BoxTerminal*>(h->data);
    Napi::Env env = self->env_;
    Napi::HandleScope scope(env);
    Napi::Reference<Napi::Object> keep = Napi::Persistent(self->Value());  // callbacks may close us
    bool error = status < 0;  // (libuv has stopped the watcher): the terminal is done with
    if (error) {
      events = UV_READABLE;
      self->armed_ = 0;
    }
    if ((events & UV_WRITABLE) && self->watch_) {
      bool alive = self->Flush();
      if (!alive || self->queued() < kInputHigh) {
        bool tell = self->want_drain_;
        self->want_drain_ = false;
        self->Arm();
        if (tell) CallBack(env, self->on_drain_, {});
      } else {
        self->Arm();
      }
    }
    if ((events & (UV_READABLE | UV_DISCONNECT)) && self->watch_ && self->reading_) {
      size_t got;
      bool ended;
      char* data = self->ReadChunk(&got, &ended);
      ended = ended || error;
      if (data) {
        Napi::Buffer<char> b = Napi::Buffer<char>::New(env, data, got, [](Napi::Env, char* p) { free(p); });
        CallBack(env, self->on_data_, {b});
      }
      if (ended && self->watch_) {
        self->reading_ = false;
        self->Arm();
        if (self->queued()) {
          self->queue_.clear();
          self->queue_off_ = 0;
        }
        bool tell = self->want_drain_;
        self->want_drain_ = false;
        if (tell) CallBack(env, self->on_drain_, {});
        if (self->watch_) CallBack(env, self->on_end_, {});
      }
    }
  }
};

void InitTerminal(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = BoxTerminal::Define(env);
  exports.Set("BoxTerminal", cls);
  // Keep the class alive for the life of the addon.
  static Napi::FunctionReference* ref = new Napi::FunctionReference(Napi::Persistent(cls));
  (void)ref;
}

}  // namespace coop
