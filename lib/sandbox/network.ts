// A box's network (SPEC §4.3): what [network] asks for, checked and completed from the
// host (which user-mode network program is installed, a subnet that does not clash, the
// host's DNS server), then turned into the plan coop-net follows and into what the box
// sees (proxy variables, /etc/resolv.conf, /etc/hosts).
import { accessSync, constants, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { formatPort, parseAllowEntry, parseDnsServer, parseHostEntry, parsePort, type DnsServer, type HostEntry, type PublishedPort } from '../config/network.js';
import type { NetworkSection } from '../config/types.js';
import { CoopError } from '../errors.js';
import { packageRoot } from '../native.js';
import { findProgram } from './idmap.js';
import type { NetworkPlan } from './plan.js';

/** Where the allowlist proxy listens inside a box. */
export const PROXY_PORT = 3128;
/** Where the DNS relay listens inside a private box. */
export const DNS_LISTEN = '127.0.0.53';

export type Backend = { kind: 'pasta' | 'slirp4netns'; path: string };

/** A box's network beyond its mode; null for "host", and for "none" with nothing published. */
export interface BoxNetwork {
  ports: PublishedPort[];
  /** network.allow, normalised; non-empty: the proxy is the only way out. */
  allow: string[];
  hosts: HostEntry[];
  /** The way out of a "private" box without an allowlist. */
  outbound: { backend: Backend; address: string; prefix: number; gateway: string } | null;
  /** Upstream of the box's DNS relay (with `outbound`). */
  dns: DnsServer | null;
  /** search/options lines of the host's resolv.conf, kept in the box's. */
  resolvOptions: string;
  /** The proxy's command (with `allow`). */
  proxy: string[] | null;
}

/** What `coop ls` and `coop status` show of a box's network. */
export interface NetworkSummary {
  mode: NetworkSection['mode'];
  ports: string[];
  allow: string[];
}

/**
 * The mode a box gets: network.allow takes it off the host's network whatever network.mode
 * says ("none" underneath: the proxy is the only way out), the safer reading of the two.
 */
export const effectiveMode = (n: NetworkSection): NetworkSection['mode'] => (n.allow.length && n.mode === 'host' ? 'none' : n.mode);

export const networkSummary = (n: NetworkSection): NetworkSummary => ({
  mode: effectiveMode(n),
  ports: n.ports.map((p) => formatPort(parsePort(p))),
  allow: n.allow.map((a) => parseAllowEntry(a).text),
});

/**
 * pasta (Debian's "passt") first, slirp4netns second; COOP_NETWORK_BACKEND=pasta|slirp4netns
 * picks one (benchmarks and tests compare them).
 */
export function findBackend(env: NodeJS.ProcessEnv = process.env): Backend | null {
  const wanted = env.COOP_NETWORK_BACKEND;
  for (const kind of ['pasta', 'slirp4netns'] as const) {
    if (wanted && wanted !== kind) continue;
    const path = findProgram(kind, env.PATH);
    if (path) return { kind, path };
  }
  return null;
}

/** pasta and slirp4netns open /dev/net/tun inside the box's user namespace. */
function checkTun(): void {
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CoopError('SANDBOX_FAILED', 'network.mode "private" needs /dev/net/tun, which this system lacks: load the tun module (modprobe tun), or use mode "none"');
    }
    throw new CoopError('SANDBOX_FAILED', 'network.mode "private" needs read-write access to /dev/net/tun, which is closed to you here (most systems make it mode 0666): run "sudo chmod 0666 /dev/net/tun" or add a udev rule, or use mode "none"');
  }
}

/** 10.0.2.0/24 as slirp4netns and QEMU use, unless the host has an address there. */
export function chooseSubnet(hostAddresses: string[]): { address: string; prefix: number; gateway: string } {
  for (let third = 2; third < 250; third++) {
    const base = `10.0.${third}.`;
    if (!hostAddresses.some((a) => a.startsWith(base))) return { address: `${base}100`, prefix: 24, gateway: `${base}2` };
  }
  return { address: '10.0.2.100', prefix: 24, gateway: '10.0.2.2' };
}

/** The first usable nameserver of a resolv.conf, and its search/options lines. */
export function parseResolvConf(text: string): { server: DnsServer | null; options: string } {
  let server: DnsServer | null = null;
  const options: string[] = [];
  for (const line of text.split('\n')) {
    const [word, value] = line.trim().split(/\s+/);
    if (word === 'nameserver' && value && !server && isIP(value) && !value.includes('%')) server = { address: value, port: 53 };
    else if (word === 'search' || word === 'domain' || word === 'options') options.push(line.trim());
  }
  return { server, options: options.map((l) => `${l}\n`).join('') };
}

const readOrEmpty = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

export interface NetworkContext {
  name: string;
  /** 'box' (the daemon's): refusals go to `log`; 'run': to the caller's stderr. */
  init: 'run' | 'box';
  /** File the proxy appends refusals to (daemon boxes). */
  log: string;
  env?: NodeJS.ProcessEnv;
}

/** Each entry parsed; a bad one (from a client that skipped coop.toml's checks) is a CoopError naming the key. */
function entries<T>(key: string, list: string[], parse: (s: string) => T): T[] {
  return list.map((s) => {
    try {
      return parse(s);
    } catch (e) {
      throw new CoopError('CONFIG_INVALID', `network.${key}: ${(e as Error).message}`);
    }
  });
}

/** Checks [network] and gathers what the host must tell about it. Throws CoopError. */
export function boxNetworkFor(n: NetworkSection, ctx: NetworkContext): BoxNetwork | null {
  const ports = entries('ports', n.ports, parsePort);
  const allow = entries('allow', n.allow, parseAllowEntry).map((a) => a.text);
  const hosts = entries('hosts', n.hosts, parseHostEntry);
  const plain = { ports, allow, hosts, outbound: null, dns: null, resolvOptions: '', proxy: null };
  const mode = effectiveMode(n);
  if (mode === 'host' && ports.length) {
    throw new CoopError('CONFIG_INVALID', 'network.ports needs network.mode = "private" (in "host" mode the box already shares the host\'s ports)');
  }
  if (mode === 'host' || (mode === 'none' && !ports.length && !allow.length)) return hosts.length ? plain : null;
  let outbound: BoxNetwork['outbound'] = null;
  let dns: DnsServer | null = null;
  let resolvOptions = '';
  if (mode === 'private' && !allow.length) {
    const backend = findBackend(ctx.env);
    if (!backend) {
      throw new CoopError('SANDBOX_FAILED', 'network.mode "private" needs pasta (package "passt") or slirp4netns: install one (e.g. apt-get install passt), or use mode "none"');
    }
    checkTun();
    const own = Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((i) => i.address));
    outbound = { backend, ...chooseSubnet(own) };
    const resolv = parseResolvConf(readOrEmpty('/etc/resolv.conf'));
    dns = n.dns.length ? entries('dns', n.dns.slice(0, 1), parseDnsServer)[0]! : resolv.server;
    resolvOptions = resolv.options;
  }
  const proxy = allow.length
    ? [process.execPath, join(packageRoot, 'dist', 'bin', 'coop-proxy.cjs'), JSON.stringify({
        box: ctx.name, allow, hosts: Object.fromEntries(hosts.map((h) => [h.name, h.address])), log: ctx.init === 'box' ? ctx.log : '-',
      })]
    : null;
  return { ports, allow, hosts, outbound, dns, resolvOptions, proxy };
}

/** The plan coop-net follows; undefined when nothing needs keeping from outside. */
export function networkPlan(net: BoxNetwork | null): NetworkPlan | undefined {
  if (!net || (!net.outbound && !net.ports.length && !net.proxy)) return undefined;
  const o = net.outbound;
  return {
    outbound: o ? { backend: o.backend.kind, path: o.backend.path, address: o.address, prefix: o.prefix, gateway: o.gateway } : null,
    ports: net.ports,
    dns: o && net.dns ? { listen: DNS_LISTEN, upstream: net.dns.address, port: net.dns.port } : null,
    proxy: net.proxy ? { port: PROXY_PORT, argv: net.proxy } : null,
  };
}

/** Variables that send HTTP(S) clients to the proxy (both spellings: tools read either). */
export function proxyEnv(net: BoxNetwork | null): Record<string, string> {
  if (!net?.proxy) return {};
  const url = `http://127.0.0.1:${PROXY_PORT}`;
  const none = 'localhost,127.0.0.1,::1';
  return { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url, NO_PROXY: none, no_proxy: none };
}

/** The box's /etc/resolv.conf when it has a DNS relay, else null. */
export function resolvConfFor(net: BoxNetwork | null): string | null {
  if (!net?.outbound || !net.dns) return null;
  return `# Written by coop: queries go through coop's relay to ${net.dns.address}\nnameserver ${DNS_LISTEN}\n${net.resolvOptions}`;
}

/** Lines for the box's /etc/hosts (network.hosts). */
export const hostsLines = (net: BoxNetwork | null) => (net?.hosts ?? []).map((h) => `${h.address}\t${h.name}\n`).join('');
