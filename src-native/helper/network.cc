#include "helper/network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "helper/compat.h"
#include "helper/process.h"
#include "helper/report.h"
#include "helper/self.h"

namespace coop {

// How long the backend may take to configure the box's interface.
constexpr long kBackendTimeoutMs = 10000;

long monotonic_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// In a forked child: fds[i] becomes fd 3+i; every other fd above 2 is closed.
static void place_fds(std::vector<int> fds) {
  for (int& fd : fds) fd = fcntl(fd, F_DUPFD, 100);
  for (size_t i = 0; i < fds.size(); ++i) dup2(fds[i], int(3 + i));
  sys_close_range(unsigned(3 + fds.size()), ~0U);
}

static void null_stdio(bool out_too) {
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return;
  dup2(null, 0);
  if (out_too) dup2(null, 1);
  close(null);
}

static std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (std::string& a : args) out.push_back(&a[0]);
  out.push_back(nullptr);
  return out;
}

// ---- create mode: start coop-net --------------------------------------------------------

void start_network(const Plan& plan, pid_t init, int netns_fd, int ready_write) {
  int pidfd = sys_pidfd_open(init);
  if (pidfd < 0) fail("pidfd_open", "box init", errno);
  int planp[2];
  if (pipe2(planp, O_CLOEXEC) != 0) fail("pipe2", "", errno);
  pid_t child = fork();
  if (child < 0) fail("fork", "coop-net", errno);
  if (child == 0) {
    setsid();
    null_stdio(true);
    place_fds({status_fd(), planp[0], netns_fd, pidfd, ready_write, self_exe_fd()});
    fcntl(8, F_SETFD, FD_CLOEXEC);  // this program, run again below
    std::vector<std::string> args = {"coop-net", plan.name};
    std::vector<std::string> env = {"COOP_STATUS_FD=3", "COOP_PLAN_FD=4", "COOP_KEEP_FDS=5,6,7"};
    std::vector<char*> argv = c_argv(args), envp = c_argv(env);
    syscall(SYS_execveat, 8, "", argv.data(), envp.data(), AT_EMPTY_PATH);
    fail("execveat", "coop-helper (as coop-net)", errno);
  }
  close(planp[0]);
  close(pidfd);
  std::string body = encode_record({"mode", "net"}) + encode_record({"name", plan.name});
  for (const Record& r : plan.net.raw) body += encode_record(r);
  body += encode_record({"net-fds", "5", "6", "7"}) + encode_record({"end"});
  std::string msg = std::to_string(body.size()) + "\n" + body;
  if (write(planp[1], msg.data(), msg.size()) != ssize_t(msg.size())) fail("write", "coop-net plan", errno);
  close(planp[1]);
}

// ---- net mode ----------------------------------------------------------------------------

static bool parse_addr(const std::string& addr, unsigned port, sockaddr_storage* ss, socklen_t* len) {
  memset(ss, 0, sizeof *ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET, addr.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(uint16_t(port));
    *len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, addr.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(uint16_t(port));
    *len = sizeof *v6;
    return true;
  }
  return false;
}

// A bound socket (listening for TCP); -1 with errno set on failure.
static int bound_socket(int type, const std::string& addr, unsigned port) {
  sockaddr_storage ss;
  socklen_t len;
  if (!parse_addr(addr, port, &ss, &len)) {
    errno = EINVAL;
    return -1;
  }
  int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || (type == SOCK_STREAM && listen(fd, 128) != 0)) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// Joins the box's outer user namespace and its network namespace, and brings its loopback
// up (the init does too, maybe later: an address of 127/8 bound while lo is down would
// answer from 127.0.0.1).
static void join_box(int userns, int netns) {
  if (setns(userns, CLONE_NEWUSER) != 0) fail("setns", "the box's user namespace", errno);
  if (setns(netns, CLONE_NEWNET) != 0) fail("setns", "the box's network namespace", errno);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) fail("ioctl(SIOCGIFFLAGS)", "lo", errno);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) fail("ioctl(SIOCSIFFLAGS)", "lo", errno);
  close(s);
}

bool send_fd(int sock, const std::string& text, int fd) {
  struct iovec iov = {const_cast<char*>(text.data()), text.size()};
  char ctrl[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = ctrl;
    msg.msg_controllen = sizeof ctrl;
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  return sendmsg(sock, &msg, MSG_NOSIGNAL) == ssize_t(text.size());
}

ssize_t recv_fd(int sock, char* buf, size_t len, int* fd) {
  *fd = -1;
  struct iovec iov = {buf, len};
  char ctrl[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (n >= 0 && c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof *fd);
  return n;
}

// The Node proxy's listener, made inside the box's network namespace by a short-lived
// child (joining a user namespace cannot be undone, and the proxy itself runs on the host).
static int listener_in_box(int userns, int netns, unsigned port) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) fail("socketpair", "", errno);
  pid_t child = fork();
  if (child < 0) fail("fork", "", errno);
  if (child == 0) {
    close(sv[0]);
    join_box(userns, netns);
    int fd = bound_socket(SOCK_STREAM, "127.0.0.1", port);
    if (fd < 0) fail("bind", "127.0.0.1:" + std::to_string(port) + " in the box", errno);
    _exit(send_fd(sv[1], "x", fd) ? 0 : kSetupFailed);
  }
  close(sv[1]);
  char byte;
  int fd;
  ssize_t n = recv_fd(sv[0], &byte, 1, &fd);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  close(sv[0]);
  if (n != 1 || fd < 0) _exit(kSetupFailed);  // the child said why
  return fd;
}

// The connector: stays on the host's network and opens the proxy's upstream connections.
// Requests "ID ADDRESS PORT"; answers "ID" with the connecting socket, or "ID E ERRNO".
[[noreturn]] static void connector_main(int sock) {
  char buf[256];
  for (;;) {
    int unused;
    ssize_t n = recv_fd(sock, buf, sizeof buf - 1, &unused);
    if (n <= 0) _exit(0);  // coop-net is gone
    if (unused >= 0) close(unused);
    buf[n] = 0;
    char id[32], addr[64];
    unsigned port = 0;
    if (sscanf(buf, "%31s %63s %u", id, addr, &port) != 3 || !port || port > 65535) continue;
    sockaddr_storage ss;
    socklen_t len;
    int fd = -1, err = 0;
    if (!parse_addr(addr, port, &ss, &len)) err = EINVAL;
    else if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) err = errno;
    else if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) err = errno;
    if (err) send_fd(sock, std::string(id) + " E " + std::to_string(err), -1);
    else send_fd(sock, id, fd);
    if (fd >= 0) close(fd);
  }
}

static NetChild start_connector(int* dialer) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) fail("socketpair", "", errno);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) fail("fork", "connector", errno);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(1);
    prctl(PR_SET_NAME, "coop-net-dial", 0, 0, 0);
    dup2(sv[1], 3);
    sys_close_range(4, ~0U);
    connector_main(3);
  }
  close(sv[1]);
  fcntl(sv[0], F_SETFL, O_NONBLOCK);
  *dialer = sv[0];
  NetChild c;
  c.pid = pid;
  c.pidfd = sys_pidfd_open(pid);
  return c;
}

// Forks a child that dies with us and execs argv with `fds` as 3, 4, ... and stderr_fd as 2.
static NetChild spawn_child(std::vector<std::string> args, const std::vector<int>& fds, int stderr_fd) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) fail("fork", args[0], errno);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(1);
    null_stdio(true);
    if (stderr_fd >= 0) dup2(stderr_fd, 2);
    place_fds(fds);
    reset_signals();
    std::vector<char*> argv = c_argv(args);
    char* no_env[] = {nullptr};
    execve(args[0].c_str(), argv.data(), no_env);
    _exit(127);
  }
  NetChild c;
  c.pid = pid;
  c.pidfd = sys_pidfd_open(pid);
  c.started_ms = monotonic_ms();
  if (c.pidfd < 0) fail("pidfd_open", args[0], errno);
  return c;
}

void spawn_proxy(NetState& st) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return;
  st.proxy = spawn_child(st.plan->proxy_argv, {st.node_listen, sv[1]}, 2);
  close(sv[1]);
  fcntl(sv[0], F_SETFL, O_NONBLOCK);
  if (st.decider >= 0) close(st.decider);
  st.decider = sv[0];
}

struct Backend {
  int ready = -1;  // read end: bytes arrive once the interface is configured
  int exit_w = -1;  // slirp4netns: it ends when this closes
};

// Starts pasta or slirp4netns on the box's namespaces.
static Backend start_backend(NetState& st, int userns, int netns) {
  const NetPlan& n = *st.plan;
  int ready[2], err[2], ex[2] = {-1, -1};
  if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC | O_NONBLOCK) != 0) fail("pipe2", "", errno);
  Backend b;
  std::vector<std::string> args = {n.backend_path};
  std::vector<int> fds = {userns, netns, ready[1]};  // -> 3, 4, 5
  if (n.backend == "pasta") {
    // -f: stays our child; -P: its pid arrives on the pipe once the interface is set up.
    // No port forwarding (-t/-u/-T/-U none: coop relays published ports itself) and no
    // mapping of the gateway to the host's loopback (--no-map-gw).
    if (geteuid() == 0) args.insert(args.end(), {"--runas", "0:0"});  // the box's namespaces are root's
    args.insert(args.end(), {"-f", "-q", "-4", "--config-net", "-I", "eth0", "-a", n.addr, "-n", std::to_string(n.prefix),
                             "-g", n.gateway, "--no-map-gw", "--no-dhcp", "-t", "none", "-u", "none", "-T", "none",
                             "-U", "none", "-P", "/proc/self/fd/5", "--userns", "/proc/self/fd/3", "--netns",
                             "/proc/self/fd/4"});
  } else {
    if (pipe2(ex, O_CLOEXEC) != 0) fail("pipe2", "", errno);
    fds.push_back(ex[0]);  // -> 6
    std::string cidr = n.addr.substr(0, n.addr.rfind('.')) + ".0/" + std::to_string(n.prefix);
    // --enable-sandbox (its own mount namespace, capabilities dropped) works for root only.
    if (geteuid() == 0) args.push_back("--enable-sandbox");
    args.insert(args.end(), {"--configure", "--mtu=65520", "--disable-host-loopback", "--disable-dns", "--enable-seccomp",
                             "--cidr=" + cidr, "--userns-path=/proc/self/fd/3", "--netns-type=path", "--ready-fd=5",
                             "--exit-fd=6", "/proc/self/fd/4", "eth0"});
  }
  st.backend = spawn_child(args, fds, err[1]);
  close(ready[1]);
  close(err[1]);
  if (ex[0] >= 0) close(ex[0]);
  b.ready = ready[0];
  b.exit_w = ex[1];
  st.backend_err = err[0];
  return b;
}

// The backend's last words (without pasta's complaints about syslog).
static std::string last_line(int fd) {
  std::string text;
  char buf[4096];
  ssize_t got;
  while ((got = read(fd, buf, sizeof buf)) > 0) text.append(buf, size_t(got));
  std::string last;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.find("syslog") == std::string::npos) last = line;
    start = end + 1;
  }
  return last;
}

// True once the box has a default route (read in our network namespace: the box's).
static bool has_default_route() {
  int fd = open("/proc/self/net/route", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  // Lines: Iface Destination Gateway ...; a default route has destination 00000000.
  for (char* line = strchr(buf, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
    char* tab = strchr(line + 1, '\t');
    if (tab && strncmp(tab + 1, "00000000", 8) == 0) return true;
  }
  return false;
}

// Waits until the backend has configured the box's interface: its address and default
// route are in place (packets the box sends before the backend's loop runs wait in the tap
// device's queue), or it reports ready (pasta: its pid; slirp4netns: "1"), whichever comes
// first. pasta fills socket pools for tens of milliseconds after configuring the interface.
static void await_backend(NetState& st, const Backend& b) {
  const std::string& name = st.plan->backend;
  long deadline = monotonic_ms() + kBackendTimeoutMs;
  for (;;) {
    if (has_default_route()) break;
    struct pollfd p[3] = {{b.ready, POLLIN, 0}, {st.backend.pidfd, POLLIN, 0}, {st.init_pidfd, POLLIN, 0}};
    long left = deadline - monotonic_ms();
    if (left <= 0) {
      kill(st.backend.pid, SIGKILL);
      fail("network", "", ETIMEDOUT, kSetupFailed, name + " did not set up the box's network within " +
           std::to_string(kBackendTimeoutMs / 1000) + " s");
    }
    int n = poll(p, 3, 1);
    if (n < 0 && errno == EINTR) continue;
    if (p[2].revents) _exit(kSetupFailed);  // the box is gone (its init said why)
    char buf[32];
    if (p[0].revents & POLLIN && read(b.ready, buf, sizeof buf) > 0) break;
    if (p[0].revents || p[1].revents) {
      int status = 0;
      waitpid(st.backend.pid, &status, 0);
      std::string why = last_line(st.backend_err);
      std::string how = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                            : "exited with code " + std::to_string(WEXITSTATUS(status));
      fail("network", "", 0, kSetupFailed,
           st.plan->backend_path + " " + how + " before the box's network was up" + (why.empty() ? "" : ": " + why));
    }
  }
  // b.ready stays open: the backend may still write to it (a closed pipe would kill it).
}

static void write_sysctl(const char* path, const char* value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (write(fd, value, strlen(value)) < 0) {
  }
  close(fd);
}

void do_network(const Plan& plan) {
  prctl(PR_SET_NAME, "coop-net", 0, 0, 0);
  reset_signals();  // the creating helper's blocked signals
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;  // each relayed connection holds two sockets and two pipes
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  signal(SIGPIPE, SIG_IGN);
  const NetPlan& n = plan.net;
  NetState st;
  st.plan = &n;
  st.init_pidfd = n.init_pidfd;
  int userns = ioctl(n.netns_fd, NS_GET_USERNS);
  if (userns < 0) fail("ioctl(NS_GET_USERNS)", "the box's network namespace", errno);

  // On the host: published ports, the DNS relay's upstream socket, the backend.
  for (const NetPort& p : n.ports) {
    int fd = bound_socket(SOCK_STREAM, p.host_addr, p.host_port);
    int err = errno;
    std::string where = p.host_addr + ":" + std::to_string(p.host_port);
    if (fd < 0)
      fail("network.ports", "", err, kSetupFailed,
           "cannot publish box port " + std::to_string(p.box_port) + " on " + where + ": " + strerror(err) +
               (err == EADDRINUSE ? " (another process listens there: choose another host port in network.ports)" : ""));
    st.port_listen.push_back(fd);
  }
  if (!n.dns_listen.empty()) {
    if (!parse_addr(n.dns_upstream, n.dns_port, &st.upstream, &st.upstream_len))
      fail("parse", n.dns_upstream, EINVAL, kSetupFailed, "bad DNS server address");
    st.dns_out = socket(st.upstream.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (st.dns_out < 0) fail("socket", "DNS relay", errno);
  }
  Backend backend;
  if (!n.backend.empty()) backend = start_backend(st, userns, n.netns_fd);
  if (n.proxy_port) {
    st.node_listen = listener_in_box(userns, n.netns_fd, n.proxy_port + 1);
    spawn_proxy(st);
    st.connector = start_connector(&st.dialer);
  }

  // Into the box's network namespace: new connections to published ports start here.
  join_box(userns, n.netns_fd);
  close(userns);
  close(n.netns_fd);
  // In-box root may bind ports below 1024 and ping in its own network namespace.
  write_sysctl("/proc/sys/net/ipv4/ip_unprivileged_port_start", "0");
  write_sysctl("/proc/sys/net/ipv4/ping_group_range", "0 0");
  if (n.proxy_port) {
    st.proxy_listen = bound_socket(SOCK_STREAM, "127.0.0.1", n.proxy_port);
    if (st.proxy_listen < 0) fail("bind", "127.0.0.1:" + std::to_string(n.proxy_port) + " in the box (proxy)", errno);
  }
  if (!n.dns_listen.empty()) {
    st.dns_in = bound_socket(SOCK_DGRAM, n.dns_listen, 53);
    if (st.dns_in < 0) fail("bind", n.dns_listen + ":53 in the box (DNS relay)", errno);
  }
  if (!n.backend.empty()) await_backend(st, backend);

  if (write(n.ready_fd, "n", 1) != 1) _exit(kSetupFailed);  // the init is gone
  close(n.ready_fd);
  close_status_fd();
  (void)backend.exit_w;  // held open: slirp4netns ends when it closes (with us)
  relay_loop(st);
}

}  // namespace coop
