// Throwing Node-style system errors ({code, errno, syscall, path}) from the addon.
#pragma once
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <string>

namespace coop {

const char* errno_code(int err);

// Throws an Error shaped like Node's own fs errors and returns undefined.
inline Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& path = "") {
  std::string msg = std::string(errno_code(err)) + ": " + strerror(err) + ", " + syscall;
  if (!path.empty()) msg += " '" + path + "'";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, errno_code(err)));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) e.Set("path", Napi::String::New(env, path));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace coop
