// The coop_native addon: small, synchronous system calls Node lacks, the scrollback
// ring and the input filter. Each concern registers itself from its own file.
#include <napi.h>

namespace coop {
void InitSys(Napi::Env env, Napi::Object exports);
void InitRing(Napi::Env env, Napi::Object exports);
void InitFilter(Napi::Env env, Napi::Object exports);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  coop::InitSys(env, exports);
  coop::InitRing(env, exports);
  coop::InitFilter(env, exports);
  return exports;
}

NODE_API_MODULE(coop_native, Init)
