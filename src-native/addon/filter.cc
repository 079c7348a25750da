// InputFilter: the streaming filter for web and tunnel clients' input to an agent (SPEC §8).
//
// Two matchers run over the raw input:
//  - an Aho-Corasick automaton for sequences blocked anywhere (Ctrl+D, Ctrl+\, custom ones);
//  - a line tracker for the commands `exit`, `/exit` and `quit` followed by \r or \n, which are
//    blocked only when they are the whole input line (since the connection started or since
//    the last \r or \n).
// Matched bytes are dropped; bytes that could still become part of a match are held (the
// caller flushes them after a quiet period); everything else is forwarded in order. Ctrl+C
// passes once per debounce window.
#include <napi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <queue>
#include <string>
#include <vector>

namespace coop {

class AhoCorasick {
 public:
  AhoCorasick() { nodes_.emplace_back(); }

  void Add(const std::string& pattern) {
    int s = 0;
    for (unsigned char c : pattern) {
      if (nodes_[s].next[c] < 0) {
        nodes_[s].next[c] = int(nodes_.size());
        nodes_.emplace_back();
        nodes_.back().depth = nodes_[s].depth + 1;
      }
      s = nodes_[s].next[c];
    }
    nodes_[s].match = std::max(nodes_[s].match, int(pattern.size()));
  }

  // Completes the goto function over all 256 bytes (a DFA) and folds matches along fail links.
  void Build() {
    std::queue<int> q;
    for (int c = 0; c < 256; ++c) {
      int t = nodes_[0].next[c];
      if (t < 0) nodes_[0].next[c] = 0;
      else {
        nodes_[t].fail = 0;
        q.push(t);
      }
    }
    while (!q.empty()) {
      int s = q.front();
      q.pop();
      nodes_[s].match = std::max(nodes_[s].match, nodes_[nodes_[s].fail].match);
      for (int c = 0; c < 256; ++c) {
        int t = nodes_[s].next[c];
        int f = nodes_[nodes_[s].fail].next[c];
        if (t < 0) nodes_[s].next[c] = f;
        else {
          nodes_[t].fail = f;
          q.push(t);
        }
      }
    }
  }

  int Step(int s, unsigned char c) const { return nodes_[s].next[c]; }
  int Match(int s) const { return nodes_[s].match; }
  int Depth(int s) const { return nodes_[s].depth; }

 private:
  struct Node {
    std::array<int, 256> next;
    int fail = 0, match = 0, depth = 0;
    Node() { next.fill(-1); }
  };
  std::vector<Node> nodes_;
};

static const char* const kLineCommands[] = {"exit", "/exit", "quit"};

class InputFilter : public Napi::ObjectWrap<InputFilter> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "InputFilter",
                       {InstanceMethod("push", &InputFilter::Push), InstanceMethod("flush", &InputFilter::Flush),
                        InstanceAccessor("held", &InputFilter::Held, nullptr)});
  }

  // new InputFilter(ctrlCDebounceMs, [Buffer sequence, ...])
  explicit InputFilter(const Napi::CallbackInfo& info) : Napi::ObjectWrap<InputFilter>(info) {
    debounce_ms_ = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 500;
    ac_.Add(std::string(1, '\x04'));
    ac_.Add(std::string(1, '\x1c'));
    if (info.Length() > 1 && info[1].IsArray()) {
      Napi::Array seqs = info[1].As<Napi::Array>();
      for (uint32_t i = 0; i < seqs.Length(); ++i) {
        Napi::Value v = seqs.Get(i);
        if (!v.IsBuffer()) continue;
        Napi::Buffer<char> b = v.As<Napi::Buffer<char>>();
        if (b.Length() > 0) ac_.Add(std::string(b.Data(), b.Length()));
      }
    }
    ac_.Build();
  }

 private:
  struct LineState {
    std::string line;       // the current line so far, while it may still be a command
    bool diverged = false;  // the current line can no longer be a command
  };

  AhoCorasick ac_;
  int state_ = 0;
  LineState ls_;
  std::string held_;
  // The line state before each held byte: a dropped sequence counts as never typed, so
  // `e x Ctrl+D i t Enter` is still the line "exit".
  std::vector<LineState> before_;
  double debounce_ms_;
  double last_ctrl_c_ = -INFINITY;

  static bool IsCommand(const std::string& s) {
    for (const char* c : kLineCommands)
      if (s == c) return true;
    return false;
  }
  static bool IsCommandPrefix(const std::string& s) {
    for (const char* c : kLineCommands)
      if (std::string(c).compare(0, s.size(), s) == 0) return true;
    return false;
  }

  // Feeds one byte to the line tracker; returns the length of a completed line command, or 0.
  size_t LineFeed(char b) {
    if (b == '\r' || b == '\n') {
      size_t hit = !ls_.diverged && IsCommand(ls_.line) ? ls_.line.size() + 1 : 0;
      ls_ = LineState();
      return hit;
    }
    if (!ls_.diverged) {
      ls_.line.push_back(b);
      if (!IsCommandPrefix(ls_.line)) ls_ = LineState{"", true};
    }
    return 0;
  }

  // Removes a match of `len` bytes from the end of the held bytes and records it.
  void Drop(size_t len, Napi::Env env, Napi::Array& blocked) {
    len = std::min(len, held_.size());
    blocked.Set(blocked.Length(), Napi::Buffer<char>::Copy(env, held_.data() + held_.size() - len, len));
    held_.resize(held_.size() - len);
    before_.resize(held_.size());
  }

  // Forwards the held bytes that can no longer become part of a match.
  void Release(std::string& out) {
    size_t hold = std::max(size_t(ac_.Depth(state_)), ls_.diverged ? size_t(0) : ls_.line.size());
    if (held_.size() > hold) {
      size_t n = held_.size() - hold;
      out.append(held_, 0, n);
      held_.erase(0, n);
      before_.erase(before_.begin(), before_.begin() + long(n));
    }
  }

  // push(chunk, nowMs) -> { data: Buffer (to forward), blocked: Buffer[] (dropped matches) }
  Napi::Value Push(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsBuffer()) {
      Napi::TypeError::New(env, "push() takes a Buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Buffer<char> in = info[0].As<Napi::Buffer<char>>();
    double now = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0;
    std::string out;
    Napi::Array blocked = Napi::Array::New(env);
    for (size_t i = 0; i < in.Length(); ++i) {
      char b = in.Data()[i];
      if (b == '\x03') {
        if (now - last_ctrl_c_ < debounce_ms_) {
          blocked.Set(blocked.Length(), Napi::Buffer<char>::Copy(env, &b, 1));
          continue;
        }
        last_ctrl_c_ = now;
      }
      held_.push_back(b);
      before_.push_back(ls_);
      state_ = ac_.Step(state_, static_cast<unsigned char>(b));
      if (size_t ac_hit = size_t(ac_.Match(state_))) {
        size_t len = std::min(ac_hit, held_.size());
        ls_ = before_[held_.size() - len];  // as if the sequence had never been typed
        Drop(len, env, blocked);
        state_ = 0;
      } else if (size_t line_hit = LineFeed(b)) {
        Drop(line_hit, env, blocked);
        state_ = 0;
      }
      Release(out);
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("data", Napi::Buffer<char>::Copy(env, out.data(), out.size()));
    result.Set("blocked", blocked);
    return result;
  }

  // flush() -> the held bytes (after a quiet period); a partial sequence starts over, the
  // line tracker keeps its place (the rest of a slowly typed `exit` line is still caught).
  Napi::Value Flush(const Napi::CallbackInfo& info) {
    Napi::Value out = Napi::Buffer<char>::Copy(info.Env(), held_.data(), held_.size());
    held_.clear();
    before_.clear();
    state_ = 0;
    return out;
  }

  Napi::Value Held(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(held_.size())); }
};

void InitFilter(Napi::Env env, Napi::Object exports) { exports.Set("InputFilter", InputFilter::Define(env)); }

}  // namespace coop
