// The plan the helper executes: decoded from records, no defaults or decisions here
// (lib/sandbox/plan.ts builds it; lib/sandbox/wire.ts lists the record vocabulary).
#pragma once
#include <string>
#include <vector>

#include "helper/wire.h"

namespace coop {

struct IdRange {
  unsigned inside = 0, outside = 0, count = 0;
};

struct MountOp {
  enum Kind { MOUNT, MKDIR, SYMLINK, FILE, WHITEOUT, IDMAPPED } kind = MOUNT;
  std::string fstype;  // MOUNT: filesystem type, "" for a bind
  std::string source;  // MOUNT: device/host path; SYMLINK: link target
  std::string target;  // path inside the new root
  std::string data;    // MOUNT: filesystem options; FILE: contents
  bool bind = false, recursive = false, readonly = false, optional = false;
  bool nosuid = false, nodev = false, noexec = false;
  bool ifexists = false;  // MOUNT: skip when the target does not exist (never create it)
  bool self = false;      // MOUNT bind: the source is the target itself, inside the root
  unsigned mode = 0755;  // MKDIR
};

struct Process {
  std::vector<std::string> argv, env;
  std::string cwd = "/";
  unsigned uid = 0, gid = 0;
};

// A box's network outside the box (net mode; see network.h): the user-mode network
// process, published ports, the DNS relay and the allowlist proxy.
struct NetPort {
  std::string host_addr;
  unsigned host_port = 0, box_port = 0;
};

struct NetPlan {
  std::string backend;       // "pasta" | "slirp4netns" | "" (no way out but the proxy)
  std::string backend_path;  // its executable
  std::string addr, gateway;  // the box's IPv4 address and gateway
  unsigned prefix = 24;
  std::vector<NetPort> ports;
  std::string dns_listen;    // in-box address of the DNS relay ("" for none)
  std::string dns_upstream;  // host-side resolver it forwards to
  unsigned dns_port = 53;
  unsigned proxy_port = 0;   // in-box 127.0.0.1 port of the proxy (0 for none)
  std::vector<std::string> proxy_argv;
  // Net mode only: fds handed over by the creating helper.
  int netns_fd = -1, init_pidfd = -1, ready_fd = -1;
  // Create mode: the net-* records as received, passed on to the net-mode helper.
  std::vector<Record> raw;
  bool active() const { return !raw.empty(); }
};

struct Plan {
  std::string mode;  // create | enter | rmtree | net
  std::string name;
  int clone_flags = 0;
  std::vector<IdRange> uidmap, gidmap;
  std::string newuidmap, newgidmap;  // empty: write /proc/PID/{uid,gid}_map directly
  bool setgroups_deny = false;
  std::string root;
  std::vector<MountOp> stage;  // host paths, before the root is built
  // The mapping of stage-idmapped trees (on-disk id inside -> id seen outside), uids and gids.
  std::vector<IdRange> idmap_tree;
  std::vector<MountOp> ops;    // paths inside root
  std::string hostname;
  bool loopback = false;
  bool nest = false;       // create: the init moves into a nested user namespace (see spawn.h)
  std::string cgroup;      // cgroup v2 directory the box's processes join ("" for none)
  std::string confine;     // "default" (seccomp filter) | "off" | "" (nothing: userns-only helpers)
  bool no_setid = false, no_cgroupns = false;  // extra refusals (see seccomp.h)
  std::string init_mode;  // run | box
  bool terminal = false;  // the command gets a terminal of the box, relayed to stdio
  // Enter mode with a size: stdio are pipes, not a terminal; the window size comes from
  // here, then from "W cols rows" lines on the status fd.
  unsigned term_cols = 0, term_rows = 0;
  unsigned grace_ms = 5000;
  bool has_process = false;
  Process process;
  std::vector<std::string> cleanup;
  int target_pid = 0;
  std::string target_start;  // field 22 of /proc/PID/stat, as text
  NetPlan net;
};

// Decodes a plan; on error returns false with *why set.
bool parse_plan(const std::string& buf, Plan* plan, std::string* why);

}  // namespace coop
