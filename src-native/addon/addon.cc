// The coop_native addon: small, synchronous system calls Node lacks, the scrollback
// ring, the input filter, starting coop-helper, and the box terminals the daemon serves.
// Each concern registers itself from its own file.
#include <napi.h>

namespace coop {
void InitSys(Napi::Env env, Napi::Object exports);
void InitRing(Napi::Env env, Napi::Object exports);
void InitFilter(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitTerminal(Napi::Env env, Napi::Object exports);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  coop::InitSys(env, exports);
  coop::InitRing(env, exports);
  coop::InitFilter(env, exports);
  coop::InitSpawn(env, exports);
  coop::InitTerminal(env, exports);
  return exports;
}

NODE_API_MODULE(coop_native, Init)
