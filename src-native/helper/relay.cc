// coop-net's loop: published ports (a host connection -> a new connection to
// 127.0.0.1:PORT inside the box), the proxy's connections (a box client -> CONNECT
// tunnels it relays itself, anything else to the Node proxy), DNS queries (box -> the
// host's resolver and back), its children, and the box's init, whose end ends everything.
// Bytes move with splice(2) through a pipe per direction.
#include <fcntl.h>
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
#include <string>
#include <vector>

#include "helper/network.h"

namespace coop {

constexpr size_t kMaxConns = 512;
constexpr size_t kPipeSize = 256 * 1024;
constexpr size_t kMaxHead = 8192;
// A proxy that ran at least this long is started again when it ends.
constexpr long kProxyRestartAfterMs = 1000;

// One direction of a relayed connection: socket -> pipe -> socket.
struct Flow {
  int pr = -1, pw = -1;
  size_t len = 0;  // bytes in the pipe
  bool eof = false, shut = false;
};

enum class Stage { Head, Deciding, Dialing, Connecting, Relay };

struct Conn {
  int a = -1;  // who connected: a host client of a published port, or a box client of the proxy
  int b = -1;  // where it goes: the box's port, the upstream host, or the Node proxy
  Stage stage = Stage::Connecting;
  bool tunnel = false;  // a CONNECT: answer "200" once b is connected
  bool dead = false;
  unsigned id = 0;
  std::string head;  // proxy: what the client sent before b existed
  std::string to_b;  // written to b once connected
  Flow ab, ba;
  ~Conn() {
    for (int fd : {a, b, ab.pr, ab.pw, ba.pr, ba.pw})
      if (fd >= 0) close(fd);
  }
};

using Conns = std::vector<std::unique_ptr<Conn>>;

static void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static bool make_pipes(Conn& c) {
  for (Flow* f : {&c.ab, &c.ba}) {
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return false;
    fcntl(p[1], F_SETPIPE_SZ, int(kPipeSize));  // best effort
    f->pr = p[0];
    f->pw = p[1];
  }
  return true;
}

// Connects a new socket (in our network namespace: the box's) to 127.0.0.1:port.
static int connect_in_box(unsigned port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_port = htons(uint16_t(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

static Conn* accept_conn(int listener, Conns& conns) {
  int a = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (a < 0) return nullptr;
  auto c = std::make_unique<Conn>();
  c->a = a;
  if (conns.size() >= kMaxConns || !make_pipes(*c)) return nullptr;  // closes a
  nodelay(a);
  conns.push_back(std::move(c));
  return conns.back().get();
}

// Writes a short message (a fresh socket always has room for it); false when it did not fit.
static bool say(int fd, const std::string& text) { return write(fd, text.data(), text.size()) == ssize_t(text.size()); }

static void respond(Conn& c, const std::string& status, const std::string& body) {
  say(c.a, "HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\nConnection: close\r\n\r\n" + body);
  c.dead = true;
}

// ---- the proxy's requests ------------------------------------------------------------------

static unsigned next_id = 1;

static bool valid_host(const std::string& h) {
  if (h.empty() || h.size() > 255) return false;
  for (char ch : h)
    if (!(isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_' || ch == ':' || ch == '[' || ch == ']'))
      return false;
  return true;
}

// The request head is complete: a CONNECT goes to the decider, anything else to the Node proxy.
static void route_request(NetState& st, Conn& c, size_t end) {
  std::string line = c.head.substr(0, c.head.find("\r\n"));
  size_t s1 = line.find(' '), s2 = line.rfind(' ');
  std::string method = line.substr(0, s1);
  if (method == "CONNECT" && s1 != std::string::npos && s2 > s1) {
    std::string target = line.substr(s1 + 1, s2 - s1 - 1);
    size_t colon = target.rfind(':');
    std::string host = colon == std::string::npos ? "" : target.substr(0, colon);
    std::string port = colon == std::string::npos ? "" : target.substr(colon + 1);
    bool port_ok = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
                   std::stoul(port) >= 1 && std::stoul(port) <= 65535;
    if (!valid_host(host) || !port_ok) return respond(c, "400 Bad Request", "coop proxy: CONNECT needs HOST:PORT\n");
    if (st.decider < 0) return respond(c, "502 Bad Gateway", "coop proxy: not ready\n");
    c.tunnel = true;
    c.id = next_id++;
    c.to_b = c.head.substr(end);
    c.head = host + " " + port;  // kept for the connector's request
    if (!say(st.decider, std::to_string(c.id) + " " + c.head + "\n")) return respond(c, "502 Bad Gateway", "coop proxy: not ready\n");
    c.stage = Stage::Deciding;
    return;
  }
  c.b = connect_in_box(st.plan->proxy_port + 1);
  if (c.b < 0) return respond(c, "502 Bad Gateway", "coop proxy: not ready\n");
  c.to_b = c.head;
  c.stage = Stage::Connecting;
}

static void read_head(NetState& st, Conn& c) {
  char buf[4096];
  ssize_t n = read(c.a, buf, sizeof buf);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    c.dead = true;
    return;
  }
  if (n < 0) return;
  c.head.append(buf, size_t(n));
  size_t end = c.head.find("\r\n\r\n");
  if (end != std::string::npos) return route_request(st, c, end + 4);
  if (c.head.size() > kMaxHead) respond(c, "431 Request Header Fields Too Large", "coop proxy: request head too large\n");
}

static Conn* by_id(Conns& conns, unsigned id, Stage stage) {
  for (auto& c : conns)
    if (c->id == id && c->stage == stage && !c->dead) return c.get();
  return nullptr;
}

// Answers of the decider: "ID ok ADDRESS" -> ask the connector; "ID no STATUS BODY" -> refuse.
static void read_decisions(NetState& st, Conns& conns, std::string& pending) {
  char buf[4096];
  ssize_t n;
  while ((n = read(st.decider, buf, sizeof buf)) > 0) pending.append(buf, size_t(n));
  size_t nl;
  while ((nl = pending.find('\n')) != std::string::npos) {
    std::string line = pending.substr(0, nl);
    pending.erase(0, nl + 1);
    size_t s1 = line.find(' '), s2 = line.find(' ', s1 + 1);
    if (s1 == std::string::npos || s2 == std::string::npos) continue;
    Conn* c = by_id(conns, unsigned(strtoul(line.c_str(), nullptr, 10)), Stage::Deciding);
    if (!c) continue;
    std::string verdict = line.substr(s1 + 1, s2 - s1 - 1), rest = line.substr(s2 + 1);
    if (verdict == "ok") {
      std::string port = c->head.substr(c->head.rfind(' ') + 1);
      if (!send_fd(st.dialer, std::to_string(c->id) + " " + rest + " " + port, -1)) respond(*c, "502 Bad Gateway", "coop proxy: cannot connect\n");
      else c->stage = Stage::Dialing;
    } else {
      size_t sp = rest.find(' ');
      std::string status = rest.substr(0, sp), body = sp == std::string::npos ? "" : rest.substr(sp + 1) + "\n";
      respond(*c, status == "403" ? "403 Forbidden" : "502 Bad Gateway", body);
    }
  }
  if (n == 0) {  // the Node proxy is gone: nothing can be decided
    close(st.decider);
    st.decider = -1;
  }
}

// The connector's answers: "ID" with a connecting socket, or "ID E ERRNO".
static void read_dials(NetState& st, Conns& conns) {
  char buf[128];
  int fd;
  ssize_t n;
  while ((n = recv_fd(st.dialer, buf, sizeof buf - 1, &fd)) > 0) {
    buf[n] = 0;
    Conn* c = by_id(conns, unsigned(strtoul(buf, nullptr, 10)), Stage::Dialing);
    if (!c) {
      if (fd >= 0) close(fd);
      continue;
    }
    if (fd < 0) {
      const char* e = strchr(buf, 'E');
      respond(*c, "502 Bad Gateway", std::string("coop proxy: ") + strerror(e ? atoi(e + 2) : EIO) + "\n");
      continue;
    }
    c->b = fd;
    c->stage = Stage::Connecting;
  }
}

// ---- relaying ------------------------------------------------------------------------------

static void pull(int from, Flow& f, bool* dead) {
  ssize_t n = splice(from, nullptr, f.pw, nullptr, kPipeSize, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
  if (n > 0) f.len += size_t(n);
  else if (n == 0) f.eof = true;
  else if (errno != EAGAIN && errno != EINTR) *dead = true;
}

static void push(int to, Flow& f, bool* dead) {
  ssize_t n = splice(f.pr, nullptr, to, nullptr, f.len, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
  if (n > 0) f.len -= size_t(n);
  else if (n < 0 && errno != EAGAIN && errno != EINTR) *dead = true;
}

static void finish(int to, Flow& f) {
  if (f.eof && f.len == 0 && !f.shut) {
    shutdown(to, SHUT_WR);
    f.shut = true;
  }
}

static short a_events(const Conn& c) {
  if (c.stage == Stage::Head) return POLLIN;
  if (c.stage != Stage::Relay) return 0;
  return short((c.ab.len == 0 && !c.ab.eof ? POLLIN : 0) | (c.ba.len ? POLLOUT : 0));
}

static short b_events(const Conn& c) {
  if (c.stage == Stage::Connecting) return POLLOUT;
  if (c.stage != Stage::Relay) return 0;
  return short((c.ba.len == 0 && !c.ba.eof ? POLLIN : 0) | (c.ab.len ? POLLOUT : 0));
}

static void step(NetState& st, Conn& c, short arev, short brev) {
  if (c.stage == Stage::Head) {
    if (arev) read_head(st, c);
    return;
  }
  if (c.stage == Stage::Connecting) {
    if (!brev) return;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.b, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
      // Nothing listens there: a published port's client sees its connection closed.
      if (c.tunnel) respond(c, "502 Bad Gateway", std::string("coop proxy: ") + strerror(err) + "\n");
      else c.dead = true;
      return;
    }
    nodelay(c.b);
    if ((c.tunnel && !say(c.a, "HTTP/1.1 200 Connection Established\r\n\r\n")) || (!c.to_b.empty() && !say(c.b, c.to_b))) {
      c.dead = true;
      return;
    }
    c.to_b.clear();
    c.head.clear();
    c.stage = Stage::Relay;
    return;
  }
  if (c.stage != Stage::Relay) return;
  if ((arev & (POLLIN | POLLHUP | POLLERR)) && c.ab.len == 0 && !c.ab.eof) pull(c.a, c.ab, &c.dead);
  if ((brev & (POLLIN | POLLHUP | POLLERR)) && c.ba.len == 0 && !c.ba.eof) pull(c.b, c.ba, &c.dead);
  if (c.ab.len) push(c.b, c.ab, &c.dead);
  if (c.ba.len) push(c.a, c.ba, &c.dead);
  finish(c.b, c.ab);
  finish(c.a, c.ba);
  if (c.ab.shut && c.ba.shut) c.dead = true;
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
  NetChild* kids[] = {&st.backend, &st.proxy, &st.connector};
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

enum Kind { INIT, BACKEND, BACKEND_ERR, PROXY, PROXY_LISTEN, DECIDER, DIALER, PORT, DNS_IN, DNS_OUT, A, B };

void relay_loop(NetState& st) {
  Conns conns;
  std::string decisions;
  std::vector<pollfd> fds;
  std::vector<std::pair<Kind, size_t>> what;
  for (;;) {
    fds.clear();
    what.clear();
    auto add = [&](int fd, short ev, Kind k, size_t i) {
      fds.push_back({ev && fd >= 0 ? fd : -1, ev, 0});
      what.push_back({k, i});
    };
    add(st.init_pidfd, POLLIN, INIT, 0);
    if (st.backend.pid) add(st.backend.pidfd, POLLIN, BACKEND, 0);
    if (st.backend_err >= 0) add(st.backend_err, POLLIN, BACKEND_ERR, 0);
    if (st.proxy.pid) add(st.proxy.pidfd, POLLIN, PROXY, 0);
    if (st.proxy_listen >= 0) add(st.proxy_listen, POLLIN, PROXY_LISTEN, 0);
    if (st.decider >= 0) add(st.decider, POLLIN, DECIDER, 0);
    if (st.dialer >= 0) add(st.dialer, POLLIN, DIALER, 0);
    for (size_t i = 0; i < st.port_listen.size(); ++i) add(st.port_listen[i], POLLIN, PORT, i);
    if (st.dns_in >= 0) add(st.dns_in, POLLIN, DNS_IN, 0);
    if (st.dns_out >= 0) add(st.dns_out, POLLIN, DNS_OUT, 0);
    size_t first_conn = fds.size();
    for (size_t i = 0; i < conns.size(); ++i) {
      add(conns[i]->a, a_events(*conns[i]), A, i);
      add(conns[i]->b, b_events(*conns[i]), B, i);
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
          for (auto& c : conns)
            if (c->stage == Stage::Deciding) respond(*c, "502 Bad Gateway", "coop proxy: restarting\n");
          if (restart) spawn_proxy(st);
          break;
        }
        case PROXY_LISTEN:
          if (Conn* c = accept_conn(st.proxy_listen, conns)) c->stage = Stage::Head;
          break;
        case DECIDER:
          read_decisions(st, conns, decisions);
          break;
        case DIALER:
          read_dials(st, conns);
          break;
        case PORT:
          if (Conn* c = accept_conn(st.port_listen[what[j].second], conns)) {
            c->b = connect_in_box(st.plan->ports[what[j].second].box_port);
            if (c->b < 0) c->dead = true;
          }
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
      if (!c.dead) step(st, c, fds[j].revents, fds[j + 1].revents);
    }
    for (size_t i = 0; i < conns.size();) {
      if (conns[i]->dead) {
        conns[i] = std::move(conns.back());
        conns.pop_back();
      } else {
        ++i;
      }
    }
  }
}

}  // namespace coop
