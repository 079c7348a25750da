// network.allow, decided: may the box reach this name, this address?
import { isIP } from 'node:net';
import { parseAllowEntry, type AllowEntry } from '../config/network.js';
import { inRange, localKind, toBytes } from './addresses.js';

export class Allowlist {
  private readonly entries: AllowEntry[];

  constructor(entries: string[]) {
    this.entries = entries.map(parseAllowEntry);
  }

  /** The entry that admits a host name (exact, or below a "*." entry), or null. */
  nameEntry(host: string): string | null {
    const name = host.toLowerCase().replace(/\.$/, '');
    for (const e of this.entries) {
      if (e.kind !== 'name') continue;
      if (e.wildcard ? name.endsWith(`.${e.name}`) : name === e.name) return e.text;
    }
    return null;
  }

  /** True when an address entry (an address or a range) holds `address`. */
  listsAddress(address: string): boolean {
    const bytes = toBytes(address);
    if (!bytes) return false;
    return this.entries.some((e) => e.kind === 'address' && inRange(bytes, e.address, e.prefix));
  }

  /**
   * Whether a connection to `address` (the one a name resolved to, or one asked for
   * directly) may go out: local addresses only when listed. Returns why not, or null.
   */
  refuseAddress(address: string, hostAddresses?: Set<string>): string | null {
    if (this.listsAddress(address)) return null;
    const kind = localKind(address, hostAddresses);
    return kind ? `${address} is ${kind}` : null;
  }
}

/** A host as a client names it ("[::1]" -> "::1"), lowercased. */
export function bareHost(host: string): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return h.toLowerCase().replace(/\.$/, '');
}

export const isAddress = (host: string) => isIP(host) !== 0;
