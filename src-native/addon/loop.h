// Calling JavaScript from the event loop (libuv callbacks of the addon's own watchers), and
// ending such a watcher.
#pragma once
#include <napi.h>
#include <unistd.h>
#include <uv.h>

#include <initializer_list>

namespace coop {

inline uv_loop_t* LoopOf(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  return loop;
}

// Calls fn as a top-level callback: process.nextTick and promise jobs run after it, as for
// Node's own I/O callbacks, and an exception it throws becomes an uncaught exception.
inline void CallBack(Napi::Env env, const Napi::FunctionReference& fn, std::initializer_list<napi_value> args) {
  if (fn.IsEmpty()) return;
  napi_value result;
  napi_make_callback(env, nullptr, env.Global(), fn.Value(), args.size(), args.begin(), &result);
  if (env.IsExceptionPending()) {
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
    napi_fatal_exception(env, e);
  }
}

// Stops *watch and closes the fd it watched (libuv frees the watcher once it is closed);
// *watch becomes null and *fd -1.
inline void Unwatch(uv_poll_t** watch, int* fd) {
  uv_poll_stop(*watch);
  uv_close(reinterpret_cast<uv_handle_t*>(*watch), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  *watch = nullptr;
  close(*fd);
  *fd = -1;
}

}  // namespace coop
