#include "helper/plan.h"

#include <sched.h>

#include <cstdlib>

#include "helper/wire.h"

namespace coop {

static bool to_uint(const std::string& s, unsigned* out, int base = 10) {
  if (s.empty()) return false;
  char* end = nullptr;
  unsigned long v = strtoul(s.c_str(), &end, base);
  if (*end != '\0' || v > 0xffffffffUL) return false;
  *out = unsigned(v);
  return true;
}

static int ns_flag(const std::string& ns) {
  if (ns == "user") return CLONE_NEWUSER;
  if (ns == "mount") return CLONE_NEWNS;
  if (ns == "pid") return CLONE_NEWPID;
  if (ns == "uts") return CLONE_NEWUTS;
  if (ns == "ipc") return CLONE_NEWIPC;
  if (ns == "net") return CLONE_NEWNET;
  if (ns == "cgroup") return CLONE_NEWCGROUP;
  return 0;
}

static bool parse_mount(const Record& r, MountOp* op) {
  // mount FSTYPE SOURCE TARGET DATA FLAG...
  if (r.size() < 5) return false;
  op->kind = MountOp::MOUNT;
  op->fstype = r[1];
  op->source = r[2];
  op->target = r[3];
  op->data = r[4];
  for (size_t i = 5; i < r.size(); ++i) {
    const std::string& f = r[i];
    if (f == "bind") op->bind = true;
    else if (f == "rec") op->recursive = true;
    else if (f == "ro") op->readonly = true;
    else if (f == "optional") op->optional = true;
    else if (f == "nosuid") op->nosuid = true;
    else if (f == "nodev") op->nodev = true;
    else if (f == "noexec") op->noexec = true;
    else if (f == "ifexists") op->ifexists = true;
    else if (f == "self") op->self = true;
    else return false;
  }
  return true;
}

// A step record of kind mount, mkdir, symlink, file, idmapped or whiteout (the name without
// its "stage-" prefix), appended to steps; false when malformed.
static bool add_step(const std::string& kind, const Record& r, std::vector<MountOp>* steps) {
  MountOp op;
  if (kind == "mount") {
    if (!parse_mount(r, &op)) return false;
  } else if (kind == "mkdir" && r.size() == 3) {
    op.kind = MountOp::MKDIR;
    op.target = r[1];
    if (!to_uint(r[2], &op.mode, 8)) return false;
  } else if (kind == "symlink" && r.size() == 3) {
    op.kind = MountOp::SYMLINK;
    op.source = r[1];
    op.target = r[2];
  } else if (kind == "file" && r.size() == 4) {
    op.kind = MountOp::FILE;
    op.target = r[1];
    if (!to_uint(r[2], &op.mode, 8)) return false;
    op.data = r[3];
  } else if (kind == "idmapped" && r.size() == 4 && (r[3] == "rec" || r[3] == "norec")) {
    op.kind = MountOp::IDMAPPED;
    op.source = r[1];
    op.target = r[2];
    op.recursive = r[3] == "rec";
  } else if (kind == "whiteout" && r.size() == 2) {
    op.kind = MountOp::WHITEOUT;
    op.target = r[1];
  } else {
    return false;
  }
  steps->push_back(op);
  return true;
}

static bool parse_range(const Record& r, std::vector<IdRange>* out) {
  IdRange range;
  if (r.size() != 4 || !to_uint(r[1], &range.inside) || !to_uint(r[2], &range.outside) ||
      !to_uint(r[3], &range.count))
    return false;
  out->push_back(range);
  return true;
}

static bool to_fd(const std::string& s, int* out) {
  unsigned v;
  if (!to_uint(s, &v) || v > (1u << 20)) return false;
  *out = int(v);
  return true;
}

// net-* records (see lib/sandbox/wire.ts).
static bool apply_net(const Record& r, NetPlan* n) {
  const std::string& k = r[0];
  if (k == "net-outbound" && r.size() == 6 && (r[1] == "pasta" || r[1] == "slirp4netns")) {
    n->backend = r[1];
    n->backend_path = r[2];
    n->addr = r[3];
    n->gateway = r[5];
    if (!to_uint(r[4], &n->prefix) || n->prefix > 30) return false;
  } else if (k == "net-port" && r.size() == 4) {
    NetPort port;
    port.host_addr = r[1];
    if (!to_uint(r[2], &port.host_port) || !to_uint(r[3], &port.box_port)) return false;
    if (!port.host_port || port.host_port > 65535 || !port.box_port || port.box_port > 65535) return false;
    n->ports.push_back(port);
  } else if (k == "net-dns" && r.size() == 4) {
    n->dns_listen = r[1];
    n->dns_upstream = r[2];
    if (!to_uint(r[3], &n->dns_port) || !n->dns_port || n->dns_port > 65535) return false;
  } else if (k == "net-proxy" && r.size() >= 3) {
    if (!to_uint(r[1], &n->proxy_port) || !n->proxy_port || n->proxy_port > 65535) return false;
    n->proxy_argv.assign(r.begin() + 2, r.end());
  } else if (k == "net-fds" && r.size() == 4) {
    return to_fd(r[1], &n->netns_fd) && to_fd(r[2], &n->init_pidfd) && to_fd(r[3], &n->ready_fd);
  } else {
    return false;
  }
  if (k != "net-fds") n->raw.push_back(r);
  return true;
}

static bool apply(const Record& r, Plan* p) {
  const std::string& k = r[0];
  if (k.compare(0, 4, "net-") == 0) return apply_net(r, &p->net);
  if (k == "mode" && r.size() == 2) p->mode = r[1];
  else if (k == "name" && r.size() == 2) p->name = r[1];
  else if (k == "ns") {
    for (size_t i = 1; i < r.size(); ++i) {
      int f = ns_flag(r[i]);
      if (!f) return false;
      p->clone_flags |= f;
    }
  } else if (k == "uidmap") return parse_range(r, &p->uidmap);
  else if (k == "gidmap") return parse_range(r, &p->gidmap);
  else if (k == "idmap-tools" && r.size() == 3) {
    p->newuidmap = r[1];
    p->newgidmap = r[2];
  } else if (k == "setgroups" && r.size() == 2 && (r[1] == "deny" || r[1] == "allow")) {
    p->setgroups_deny = r[1] == "deny";
  } else if (k == "root" && r.size() == 2) p->root = r[1];
  else if (k == "mount" || k == "mkdir" || k == "symlink") return add_step(k, r, &p->ops);
  else if (k == "stage-mount" || k == "stage-mkdir" || k == "stage-file" || k == "stage-idmapped" || k == "stage-whiteout")
    return add_step(k.substr(6), r, &p->stage);
  else if (k == "idmap-tree") return parse_range(r, &p->idmap_tree);
  else if (k == "hostname" && r.size() == 2) p->hostname = r[1];
  else if (k == "loopback" && r.size() == 1) p->loopback = true;
  else if (k == "nest" && r.size() == 1) p->nest = true;
  else if (k == "cgroup" && r.size() == 2) p->cgroup = r[1];
  else if (k == "confine" && r.size() >= 2 && (r[1] == "default" || r[1] == "off")) {
    p->confine = r[1];
    for (size_t i = 2; i < r.size(); ++i) {
      if (r[i] == "no-setid") p->no_setid = true;
      else if (r[i] == "no-cgroupns") p->no_cgroupns = true;
      else return false;
    }
  }
  else if (k == "terminal" && (r.size() == 1 || r.size() == 3)) {
    p->terminal = true;
    if (r.size() == 3 && (!to_uint(r[1], &p->term_cols) || !to_uint(r[2], &p->term_rows))) return false;
  }
  else if (k == "init" && r.size() == 3 && (r[1] == "run" || r[1] == "box")) {
    p->init_mode = r[1];
    if (!to_uint(r[2], &p->grace_ms)) return false;
  } else if (k == "argv" && r.size() >= 2) {
    p->has_process = true;
    p->process.argv.assign(r.begin() + 1, r.end());
  } else if (k == "env") p->process.env.assign(r.begin() + 1, r.end());
  else if (k == "cwd" && r.size() == 2) p->process.cwd = r[1];
  else if (k == "user" && r.size() == 3) {
    if (!to_uint(r[1], &p->process.uid) || !to_uint(r[2], &p->process.gid)) return false;
  } else if (k == "cleanup" && r.size() == 2) p->cleanup.push_back(r[1]);
  else if (k == "target" && r.size() == 3) {
    unsigned pid;
    if (!to_uint(r[1], &pid) || pid == 0) return false;
    p->target_pid = int(pid);
    p->target_start = r[2];
  } else return false;
  return true;
}

bool parse_plan(const std::string& buf, Plan* plan, std::string* why) {
  size_t pos = 0;
  Record r;
  bool error = false;
  bool ended = false;
  while (read_record(buf, &pos, &r, &error)) {
    if (r.empty()) continue;
    if (r[0] == "end") {
      ended = true;
      break;
    }
    if (!apply(r, plan)) {
      *why = "bad plan record '" + r[0] + "'";
      return false;
    }
  }
  if (error || !ended) {
    *why = error ? "malformed plan encoding" : "plan ended early";
    return false;
  }
  if (plan->mode != "create" && plan->mode != "enter" && plan->mode != "rmtree" && plan->mode != "net") {
    *why = "plan has no valid mode";
    return false;
  }
  return true;
}

}  // namespace coop
