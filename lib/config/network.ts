// [network] entries (SPEC §4.3): published ports, the allowlist, DNS servers, fixed
// host addresses. Each parser throws an Error whose message is the problem.
import { isIP } from 'node:net';

export interface PublishedPort {
  /** Host address to listen on: 127.0.0.1 unless the entry names one. */
  hostAddress: string;
  hostPort: number;
  boxPort: number;
}

const validPort = (p: string) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;

/** "8080:3000" (host 127.0.0.1:8080 -> box port 3000) or "0.0.0.0:8080:3000". */
export function parsePort(s: string): PublishedPort {
  const parts = s.split(':');
  const address = parts.length === 3 ? parts[0]! : '127.0.0.1';
  const [hostPort, boxPort] = parts.slice(-2);
  if (parts.length < 2 || parts.length > 3 || !validPort(hostPort!) || !validPort(boxPort!) || isIP(address) !== 4) {
    throw new Error(`"${s}" is not "HOST_PORT:BOX_PORT" or "ADDRESS:HOST_PORT:BOX_PORT" (an IPv4 address, ports from 1 to 65535)`);
  }
  return { hostAddress: address, hostPort: Number(hostPort), boxPort: Number(boxPort) };
}

/** The entry as written in coop.toml, for ls and status. */
export const formatPort = (p: PublishedPort) => `${p.hostAddress}:${p.hostPort}:${p.boxPort}`;

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** A DNS name (lowercase, no trailing dot): true when every label is valid. */
export function isDomainName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l));
}

/** One network.allow entry. */
export type AllowEntry =
  | { kind: 'name'; text: string; name: string; wildcard: boolean }
  | { kind: 'address'; text: string; address: string; prefix: number; family: 4 | 6 };

/** "example.com", "*.example.com" (any name below it), "10.1.2.3", "10.0.0.0/8", "fd00::/8". */
export function parseAllowEntry(s: string): AllowEntry {
  const text = s.trim().toLowerCase().replace(/\.$/, '');
  const [address, bits, extra] = text.split('/');
  const family = isIP(address!);
  if (family && extra === undefined) {
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (prefix >= 0 && prefix <= max) return { kind: 'address', text, address: address!, prefix, family: family as 4 | 6 };
  }
  const wildcard = text.startsWith('*.');
  const name = wildcard ? text.slice(2) : text;
  if (!isDomainName(name)) {
    throw new Error(`"${s}" is not a domain name ("example.com", "*.example.com"), an IP address or a CIDR range ("10.0.0.0/8")`);
  }
  return { kind: 'name', text, name, wildcard };
}

export interface DnsServer {
  address: string;
  port: number;
}

/** "192.0.2.53", "127.0.0.1:5353", "::1" or "[::1]:5353". */
export function parseDnsServer(s: string): DnsServer {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  const [address, port] = v6 ? [v6[1]!, v6[2]] : isIP(s) ? [s, undefined] : [s.slice(0, s.lastIndexOf(':')), s.slice(s.lastIndexOf(':') + 1)];
  if (!isIP(address) || (port !== undefined && !validPort(port))) {
    throw new Error(`"${s}" is not a DNS server address ("192.0.2.53", "127.0.0.1:5353", "[::1]:53")`);
  }
  return { address, port: port === undefined ? 53 : Number(port) };
}

export interface HostEntry {
  name: string;
  address: string;
}

/** "registry.internal=10.1.2.3". */
export function parseHostEntry(s: string): HostEntry {
  const eq = s.indexOf('=');
  const name = s.slice(0, eq).trim().toLowerCase();
  const address = s.slice(eq + 1).trim();
  if (eq < 0 || !isDomainName(name) || !isIP(address)) {
    throw new Error(`"${s}" is not "NAME=ADDRESS" (e.g. "registry.internal=10.1.2.3")`);
  }
  return { name, address };
}
