// ScrollbackRing: the last N bytes of a PTY's output (SPEC §7), with a running offset so a
// client can tell what it has seen. Writes copy at most two segments; reads copy out.
#include <napi.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace coop {

class ScrollbackRing : public Napi::ObjectWrap<ScrollbackRing> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ScrollbackRing",
                       {InstanceMethod("write", &ScrollbackRing::Write),
                        InstanceMethod("snapshot", &ScrollbackRing::Snapshot),
                        InstanceMethod("since", &ScrollbackRing::Since),
                        InstanceMethod("tailLines", &ScrollbackRing::TailLines),
                        InstanceMethod("clear", &ScrollbackRing::Clear),
                        InstanceAccessor("written", &ScrollbackRing::Written, nullptr),
                        InstanceAccessor("size", &ScrollbackRing::Size, nullptr),
                        InstanceAccessor("capacity", &ScrollbackRing::Capacity, nullptr)});
  }

  explicit ScrollbackRing(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ScrollbackRing>(info) {
    double cap = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 262144;
    if (cap < 1 || cap > 1 << 30) {
      Napi::RangeError::New(info.Env(), "ScrollbackRing capacity must be between 1 byte and 1 GiB").ThrowAsJavaScriptException();
      cap = 1;
    }
    buf_.resize(size_t(cap));
  }

 private:
  std::vector<char> buf_;
  size_t head_ = 0;      // next write position
  size_t size_ = 0;      // bytes retained
  double written_ = 0;   // bytes ever written (exact up to 2^53)

  void Append(const char* data, size_t len) {
    written_ += double(len);
    size_t cap = buf_.size();
    if (len >= cap) {
      memcpy(buf_.data(), data + len - cap, cap);
      head_ = 0;
      size_ = cap;
      return;
    }
    size_t first = std::min(len, cap - head_);
    memcpy(buf_.data() + head_, data, first);
    memcpy(buf_.data(), data + first, len - first);
    head_ = (head_ + len) % cap;
    size_ = std::min(cap, size_ + len);
  }

  // Copies the last `len` retained bytes (len <= size_) into a new Buffer.
  Napi::Value CopyTail(Napi::Env env, size_t len) {
    Napi::Buffer<char> out = Napi::Buffer<char>::New(env, len);
    size_t cap = buf_.size();
    size_t start = (head_ + cap - len) % cap;
    size_t first = std::min(len, cap - start);
    memcpy(out.Data(), buf_.data() + start, first);
    memcpy(out.Data() + first, buf_.data(), len - first);
    return out;
  }

  char At(size_t fromEnd) const {  // 1 = the last byte
    size_t cap = buf_.size();
    return buf_[(head_ + cap - fromEnd) % cap];
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    if (!info[0].IsBuffer()) {
      Napi::TypeError::New(info.Env(), "write() takes a Buffer").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    Napi::Buffer<char> b = info[0].As<Napi::Buffer<char>>();
    Append(b.Data(), b.Length());
    return info.Env().Undefined();
  }

  Napi::Value Snapshot(const Napi::CallbackInfo& info) { return CopyTail(info.Env(), size_); }

  // since(offset): the retained bytes written after `offset`, or null when some were overwritten.
  Napi::Value Since(const Napi::CallbackInfo& info) {
    double offset = info[0].As<Napi::Number>().DoubleValue();
    if (offset > written_) offset = written_;
    double oldest = written_ - double(size_);
    if (offset < oldest) return info.Env().Null();
    return CopyTail(info.Env(), size_t(written_ - offset));
  }

  // tailLines(n): the last n lines (a final line without a newline counts as one).
  Napi::Value TailLines(const Napi::CallbackInfo& info) {
    double n = info[0].As<Napi::Number>().DoubleValue();
    if (n <= 0 || size_ == 0) return CopyTail(info.Env(), 0);
    size_t i = 1;
    if (At(1) == '\n') ++i;  // the newline ending the last line belongs to it
    size_t lines = 0;
    for (; i <= size_; ++i) {
      if (At(i) == '\n' && ++lines >= n) break;
    }
    return CopyTail(info.Env(), i > size_ ? size_ : i - 1);
  }

  Napi::Value Clear(const Napi::CallbackInfo& info) {
    head_ = 0;
    size_ = 0;
    return info.Env().Undefined();
  }

  Napi::Value Written(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), written_); }
  Napi::Value Size(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(size_)); }
  Napi::Value Capacity(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(buf_.size())); }
};

void InitRing(Napi::Env env, Napi::Object exports) { exports.Set("ScrollbackRing", ScrollbackRing::Define(env)); }

}  // namespace coop
