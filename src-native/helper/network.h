// A box's network, kept from outside the box (SPEC §4.3).
//
// A box with a network of its own (network.mode "none" or "private") may need processes
// outside it: the user-mode network (pasta or slirp4netns) that gives it a way out, the
// allowlist proxy, the relays of published ports and of DNS. One process keeps them:
// `coop-net`, this executable in net mode, started by the creating helper right after the
// box's namespaces exist. It
//   - listens on the host for published ports, starts the backend and the proxy (each
//     with PR_SET_PDEATHSIG, so they never outlive it), and a connector: a child left on
//     the host's network that makes the proxy's upstream connections,
//   - joins the box's outer user namespace and its network namespace (the box's own
//     processes, one user namespace further down, have no power over either),
//   - tells the box's init that the network is ready (it waits before running anything),
//   - then relays connections and DNS queries until the box's init ends (a pidfd), and
//     ends its children with it.
// Nothing of it depends on the daemon: it lives exactly as long as the box.
#pragma once
#include <sys/socket.h>
#include <sys/types.h>

#include <vector>

#include "helper/plan.h"

namespace coop {

// Create mode, in the creating helper: starts coop-net for the box whose init is `init`.
// netns_fd is the box's network namespace; ready_write the pipe the init waits on (coop-net
// writes a byte once the network is up, or exits, which the init takes as failure).
void start_network(const Plan& plan, pid_t init, int netns_fd, int ready_write);

// Net mode: the keeper described above.
[[noreturn]] void do_network(const Plan& plan);

// A process coop-net started (it dies with coop-net: PR_SET_PDEATHSIG).
struct NetChild {
  pid_t pid = 0;
  int pidfd = -1;
  long started_ms = 0;
};

// What coop-net holds once the network is set up.
//
// The allowlist proxy has two halves. coop-net listens on 127.0.0.1:proxy_port inside the
// box; for a CONNECT it asks the Node proxy process (over `decider`) whether the host may
// be reached and at which address, has the connector open that connection on the host,
// and relays the tunnel itself (splice). Every other request it passes, as it came, to the
// Node proxy's own listener (127.0.0.1:proxy_port+1 inside the box).
struct NetState {
  const NetPlan* plan = nullptr;
  int init_pidfd = -1;
  NetChild backend, proxy, connector;
  int backend_err = -1;               // the backend's stderr (drained)
  int proxy_listen = -1;              // coop-net's: 127.0.0.1:proxy_port inside the box
  int node_listen = -1;               // the Node proxy's: 127.0.0.1:proxy_port+1 inside the box
  int decider = -1;                   // to the Node proxy: "ID HOST PORT" -> "ID ok ADDR" | "ID no STATUS BODY"
  int dialer = -1;                    // to the connector: "ID ADDR PORT" -> "ID" + fd | "ID E ERRNO"
  std::vector<int> port_listen;       // host side, one per plan->ports entry
  int dns_in = -1, dns_out = -1;      // in the box / on the host
  sockaddr_storage upstream = {};
  socklen_t upstream_len = 0;
};

// Starts (again) the Node proxy: its listener as fd 3, a new decider channel as fd 4.
void spawn_proxy(NetState& st);

// Sends `fd` with a one-line message over a Unix socket; receives one (fd -1 when none came).
bool send_fd(int sock, const std::string& msg, int fd);
ssize_t recv_fd(int sock, char* buf, size_t len, int* fd);

long monotonic_ms();

// Net mode's loop (relay.cc): relays until the box's init ends, then ends the children.
[[noreturn]] void relay_loop(NetState& st);

}  // namespace coop
