{
  "targets": [
    {
      "target_name": "coop_native",
      "sources": [
        "src-native/addon/addon.cc",
        "src-native/addon/sys.cc",
        "src-native/addon/ring.cc",
        "src-native/addon/filter.cc",
        "src-native/addon/spawn.cc",
        "src-native/addon/terminal.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src-native"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fno-exceptions"]
    },
    {
      "target_name": "coop-helper",
      "type": "executable",
      "sources": [
        "src-native/helper/main.cc",
        "src-native/helper/wire.cc",
        "src-native/helper/plan.cc",
        "src-native/helper/report.cc",
        "src-native/helper/idmap.cc",
        "src-native/helper/mounts.cc",
        "src-native/helper/process.cc",
        "src-native/helper/init.cc",
        "src-native/helper/terminal.cc",
        "src-native/helper/handover.cc",
        "src-native/helper/supervise.cc",
        "src-native/helper/spawn.cc",
        "src-native/helper/create.cc",
        "src-native/helper/network.cc",
        "src-native/helper/relay.cc",
        "src-native/helper/rmtree.cc",
        "src-native/helper/seccomp.cc",
        "src-native/helper/self.cc"
      ],
      "include_dirs": ["src-native"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fno-exceptions", "-fno-rtti"],
      "ldflags": ["-static"]
    }
  ]
}
