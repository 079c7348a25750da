// coop-net's loop: published ports (host connection -> new connection to 127.0.0.1:PORT
// inside the box), DNS queries (box -> the host's resolver and back), its children, and
// the box's init, whose end ends everything.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "helper/network.h"

namespace coop {

constexpr size_t kBuf = 64 * 1024;
constexpr size_t kMaxConns = 512;
// A proxy that ran at least this long is started again when it ends.
constexpr long kProxyRestartAfterMs = 1000;

// One direction of a relayed connection.
struct Flow {
  char buf[kBuf];
  size_t len = 0, off = 0;
  bool eof = false, shut = false;
};

struct Conn {
  int host = -1, box = -1;
  bool connecting = true, dead = false;
  Flow up;    // host -> box
  Flow down;  // box -> host
};

static void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A new connection to a published port: connect to it inside the box.
static void accept_port(int listener, unsigned box_port, std::vector<std::unique_ptr<Conn>>& conns) {
  int host = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (host < 0) return;
  if (conns.size() >= kMaxConns) {
    close(host);
    return;
  }
  int box = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_port = htons(uint16_t(box_port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (box < 0 || (connect(box, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)) {
    close(host);
    if (box >= 0) close(box);
    return;
  }
  nodelay(host);
  nodelay(box);
  auto c = std::make_unique<Conn>();
  c->host = host;
  c->box = box;
  conns.push_back(std::move(c));
}

// Reads into an empty flow buffer.
static void pull(int fd, Flow& f, bool* dead) {
  ssize_t n = read(fd, f.buf, kBuf);
  if (n > 0) {
    f.len = size_t(n);
    f.off = 0;
  } else if (n == 0) {
    f.eof = true;
  } else if (errno != EAGAIN && errno != EINTR) {
    *dead = true;
  }
}

static void push(int fd, Flow& f, bool* dead) {
  ssize_t n = write(fd, f.buf + f.off, f.len - f.off);
  if (n > 0) {
    f.off += size_t(n);
    if (f.off == f.len) f.len = f.off = 0;
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    *dead = true;
  }
}

static void finish(int to, Flow& f) {
  if (f.eof && f.len == 0 && !f.shut) {
    shutdown(to, SHUT_WR);
    f.shut = true;
  }
}

static short host_events(const Conn& c) {
  if (c.connecting) return 0;
  return short((c.up.len == 0 && !c.up.eof ? POLLIN : 0) | (c.down.len ? POLLOUT : 0));
}

static short box_events(const Conn& c) {
  if (c.connecting) return POLLOUT;
  return short((c.down.len == 0 && !c.down.eof ? POLLIN : 0) | (c.up.len ? POLLOUT : 0));
}

static void step(Conn& c, short hrev, short brev) {
  if (c.connecting) {
    if (!brev) return;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.box, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) c.dead = true;  // nothing listens on that port in the box: the host side sees a reset
    c.connecting = false;
    return;
  }
  if ((hrev & (POLLIN | POLLHUP | POLLERR)) && c.up.len == 0 && !c.up.eof) pull(c.host, c.up, &c.dead);
  if ((brev & (POLLIN | POLLHUP | POLLERR)) && c.down.len == 0 && !c.down.eof) pull(c.box, c.down, &c.dead);
  if (c.up.len) push(c.box, c.up, &c.dead);
  if (c.down.len) push(c.host, c.down, &c.dead);
  finish(c.box, c.up);
  finish(c.host, c.down);
  if (c.up.shut && c.down.shut) c.dead = true;
}

// ---- DNS ---------------------------------------------------------------------------------

// Queries in flight, by the (random) id they were sent upstream with; a slot is reused
// when kSlots newer queries came after it.
struct Pending {
  bool used = false;
  uint16_t sent_id = 0, client_id = 0;
  sockaddr_storage client = {};
  socklen_t len = 0;
};

constexpr size_t kSlots = 256;
static Pending pending[kSlots];
static size_t next_slot = 0;

static void dns_query(NetState& st) {
  static char buf[65536];
  sockaddr_storage from;
  socklen_t flen = sizeof from;
  ssize_t n = recvfrom(st.dns_in, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
  if (n < 12) return;
  size_t slot = next_slot++ % kSlots;
  uint16_t id;
  if (getrandom(&id, sizeof id, 0) != sizeof id) return;
  id = uint16_t((id & ~(kSlots - 1)) | slot);
  Pending& p = pending[slot];
  p.used = true;
  p.sent_id = id;
  memcpy(&p.client_id, buf, 2);
  p.client = from;
  p.len = flen;
  memcpy(buf, &id, 2);
  sendto(st.dns_out, buf, size_t(n), 0, reinterpret_cast<sockaddr*>(&st.upstream), st.upstream_len);
}

static void dns_answer(NetState& st) {
  static char buf[65536];
  sockaddr_storage from;
  socklen_t flen = sizeof from;
  ssize_t n = recvfrom(st.dns_out, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
  if (n < 12 || flen != st.upstream_len || memcmp(&from, &st.upstream, flen) != 0) return;
  uint16_t id;
  memcpy(&id, buf, 2);
  Pending& p = pending[id % kSlots];
  if (!p.used || p.sent_id != id) return;
  p.used = false;
  memcpy(buf, &p.client_id, 2);
  sendto(st.dns_in, buf, size_t(n), 0, reinterpret_cast<sockaddr*>(&p.client), p.len);
}

// ---- children and the end ----------------------------------------------------------------

static void reap(NetChild& c) {
  int status;
  while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  close(c.pidfd);
  c.pidfd = -1;
  c.pid = 0;
}

[[noreturn]] static void end_all(NetState& st) {
  NetChild* kids[] = {&st.backend, &st.proxy};
  for (NetChild* c : kids)
    if (c->pid) kill(c->pid, SIGTERM);
  long deadline = monotonic_ms() + 2000;
  for (NetChild* c : kids) {
    if (!c->pid) continue;
    struct pollfd p = {c->pidfd, POLLIN, 0};
    long left = deadline - monotonic_ms();
    if (left <= 0 || poll(&p, 1, int(left)) <= 0) kill(c->pid, SIGKILL);
    reap(*c);
  }
  _exit(0);
}

enum Kind { INIT, BACKEND, BACKEND_ERR, PROXY, PORT, DNS_IN, DNS_OUT, HOST, BOX };

void relay_loop(NetState& st) {
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<pollfd> fds;
  std::vector<std::pair<Kind, size_t>> what;
  for (;;) {
    fds.clear();
    what.clear();
    auto add = [&](int fd, short ev, Kind k, size_t i) {
      fds.push_back({ev ? fd : -1, ev, 0});
      what.push_back({k, i});
    };
    add(st.init_pidfd, POLLIN, INIT, 0);
    if (st.backend.pid) add(st.backend.pidfd, POLLIN, BACKEND, 0);
    if (st.backend_err >= 0) add(st.backend_err, POLLIN, BACKEND_ERR, 0);
    if (st.proxy.pid) add(st.proxy.pidfd, POLLIN, PROXY, 0);
    for (size_t i = 0; i < st.port_listen.size(); ++i) add(st.port_listen[i], POLLIN, PORT, i);
    if (st.dns_in >= 0) add(st.dns_in, POLLIN, DNS_IN, 0);
    if (st.dns_out >= 0) add(st.dns_out, POLLIN, DNS_OUT, 0);
    size_t first_conn = fds.size();
    for (size_t i = 0; i < conns.size(); ++i) {
      add(conns[i]->host, host_events(*conns[i]), HOST, i);
      add(conns[i]->box, box_events(*conns[i]), BOX, i);
    }
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    for (size_t j = 0; j < first_conn; ++j) {
      if (!fds[j].revents) continue;
      switch (what[j].first) {
        case INIT:
          end_all(st);
        case BACKEND:
          reap(st.backend);  // the box keeps its published ports, loses its way out
          break;
        case BACKEND_ERR: {
          char buf[4096];
          if (read(st.backend_err, buf, sizeof buf) <= 0) {
            close(st.backend_err);
            st.backend_err = -1;
          }
          break;
        }
        case PROXY: {
          bool restart = monotonic_ms() - st.proxy.started_ms >= kProxyRestartAfterMs;
          reap(st.proxy);
          if (restart) spawn_proxy(st);
          break;
        }
        case PORT:
          accept_port(st.port_listen[what[j].second], st.plan->ports[what[j].second].box_port, conns);
          break;
        case DNS_IN:
          dns_query(st);
          break;
        case DNS_OUT:
          dns_answer(st);
          break;
        default:
          break;
      }
    }
    for (size_t j = first_conn; j + 1 < fds.size(); j += 2) {
      Conn& c = *conns[what[j].second];
      step(c, fds[j].revents, fds[j + 1].revents);
    }
    for (size_t i = 0; i < conns.size();) {
      if (conns[i]->dead) {
        close(conns[i]->host);
        close(conns[i]->box);
        conns[i] = std::move(conns.back());
        conns.pop_back();
      } else {
        ++i;
      }
    }
  }
}

}  // namespace coop
