// IP addresses the allowlist proxy treats as local: a name that resolves to one of them is
// refused unless network.allow lists the address (or a range holding it) itself.
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** An address as 16 bytes (IPv4 as ::ffff:a.b.c.d), or null. */
export function toBytes(address: string): Uint8Array | null {
  const family = isIP(address);
  if (family === 4) return v4mapped(address.split('.').map(Number));
  if (family !== 6) return null;
  let text = address.toLowerCase();
  const out = new Uint8Array(16);
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = tail[1]!.split('.').map(Number);
    const words = ((v4[0]! << 8) | v4[1]!).toString(16) + ':' + ((v4[2]! << 8) | v4[3]!).toString(16);
    text = text.slice(0, -tail[1]!.length) + words;
  }
  const [head, rest] = text.includes('::') ? text.split('::') as [string, string] : [text, null];
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const fill = 8 - left.length - right.length;
  const words = [...left, ...Array(rest === null ? 0 : fill).fill('0'), ...right];
  words.forEach((w, i) => {
    const n = parseInt(w, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

function v4mapped(parts: number[]): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(parts, 12);
  return out;
}

/** True when the first `prefix` bits of a and b agree. */
export function samePrefix(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit += 8) {
    const take = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((a[bit >> 3]! & mask) !== (b[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** `address/prefix` in the 16-byte space (an IPv4 prefix counts from bit 96). */
export function inRange(address: Uint8Array, range: string, prefix: number): boolean {
  const r = toBytes(range);
  return r !== null && samePrefix(address, r, isIP(range) === 4 ? 96 + prefix : prefix);
}

const LOCAL_RANGES: [string, number, string][] = [
  ['0.0.0.0', 8, 'an unspecified'],
  ['127.0.0.0', 8, 'a loopback'],
  ['10.0.0.0', 8, 'a private'],
  ['172.16.0.0', 12, 'a private'],
  ['192.168.0.0', 16, 'a private'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT)'],
  ['169.254.0.0', 16, 'a link-local'],
  ['224.0.0.0', 4, 'a multicast'],
  ['240.0.0.0', 4, 'a reserved'],
  ['::', 128, 'an unspecified'],
  ['::1', 128, 'a loopback'],
  ['fe80::', 10, 'a link-local'],
  ['fc00::', 7, 'a private (unique local)'],
  ['ff00::', 8, 'a multicast'],
];

/**
 * Why an address is local ("a loopback address", "one of this machine's addresses"), or
 * null for a public one. IPv4 addresses inside IPv6 (::ffff:a.b.c.d, 64:ff9b::a.b.c.d)
 * count as the IPv4 address they hold.
 */
export function localKind(address: string, hostAddresses: Set<string> = ownAddresses()): string | null {
  let bytes = toBytes(address);
  if (!bytes) return 'an invalid';
  if (inRange(bytes, '64:ff9b::', 96)) bytes = v4mapped([...bytes.subarray(12)]);
  for (const [range, prefix, kind] of LOCAL_RANGES) if (inRange(bytes, range, prefix)) return `${kind} address`;
  const v4 = inRange(bytes, '::ffff:0.0.0.0', 96) ? [...bytes.subarray(12)].join('.') : null;
  if (hostAddresses.has(address) || (v4 && hostAddresses.has(v4))) return "one of this machine's addresses";
  return null;
}

/**
 * Why a range ("127.0.0.1", "10.0.0.0/8", "0.0.0.0/0") holds local addresses, or null: it
 * overlaps a loopback, private, link-local... range, or holds one of this machine's addresses.
 */
export function localRangeKind(address: string, prefix: number, hostAddresses: Set<string> = ownAddresses()): string | null {
  const bytes = toBytes(address);
  if (!bytes) return null;
  if (prefix === 0) return "every address, this machine's included";
  const bits = isIP(address) === 4 ? 96 + prefix : prefix;
  for (const [range, p, kind] of LOCAL_RANGES) {
    const r = toBytes(range)!;
    if (samePrefix(bytes, r, Math.min(bits, isIP(range) === 4 ? 96 + p : p))) return `${kind} address`;
  }
  for (const a of hostAddresses) {
    const b = toBytes(a);
    if (b && samePrefix(b, bytes, bits)) return "one of this machine's addresses";
  }
  return null;
}

let own: Set<string> | null = null;

/** The addresses of this machine's interfaces (checked once). */
export function ownAddresses(): Set<string> {
  own ??= new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.split('%')[0]!)));
  return own;
}
