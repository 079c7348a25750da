// Which keys of a project file reach outside the box (SPEC §2, Trust): host paths outside
// the workspace (symlinks resolved), named volumes, [env] values that read the caller's
// environment, local images outside the workspace, a workspace.mount outside the file's
// directory, turning off the system-call filter, and network entries that reach this
// machine or beyond it: ports published on other addresses than loopback, allowlist
// addresses that are local, a local DNS server. Such a file needs `coop trust`.
import { realpathSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseImageSource } from '../image/source.js';
import { localRangeKind } from '../network/addresses.js';
import { expandValue } from './expand.js';
import type { Layer } from './layer.js';
import { parseAllowEntry, parseDnsServer, parsePort } from './network.js';
import type { BoxMount } from './types.js';

export interface Widening {
  /** Dotted key, e.g. "sandbox.mounts" or "env.TOKEN". */
  key: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** What it does, e.g. `mounts /home/u at /h, outside the workspace`. */
  what: string;
}

/** The path with every symlink of its existing part resolved. */
export function canonicalPath(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch (e) {
    const parent = dirname(abs);
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || parent === abs) return abs;
    return join(canonicalPath(parent), basename(abs));
  }
}

/** Whether p is dir or below it, after resolving symlinks of both. */
export function isInside(p: string, dir: string): boolean {
  const rel = relative(canonicalPath(dir), canonicalPath(p));
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !rel.startsWith('/'));
}

const shown = (p: string) => {
  const c = canonicalPath(p);
  return c === resolve(p) ? p : `${p} (= ${c})`;
};

/**
 * The keys of a project layer that reach outside the box. `workspace` is the workspace
 * directory of the call; relative paths in the layer are already absolute.
 */
export function wideningKeys(layer: Layer, workspace: string, home: string): Widening[] {
  const fileDir = dirname(layer.source);
  const out: Widening[] = [];
  const add = (key: string, what: string) => out.push({ key, line: layer.lines.get(key), what });
  const sandbox = layer.values.sandbox ?? {};
  if (typeof sandbox.image === 'string') {
    const src = parseImageSource(sandbox.image, fileDir);
    if (src.kind !== 'host' && src.kind !== 'registry' && !isInside(src.path, workspace)) {
      add('sandbox.image', `reads ${src.kind}:${shown(src.path)}, outside the workspace`);
    }
  }
  // (parsed when the layer was read: host sides resolved against this file's directory and `home`)
  for (const m of (sandbox.mounts as BoxMount[] | undefined) ?? []) {
    if (m.kind === 'volume') add('sandbox.mounts', `uses the named volume "${m.name}" (kept on the host, shared by boxes)`);
    else if (!isInside(m.host, workspace)) add('sandbox.mounts', `mounts ${shown(m.host)} at ${m.box}, outside the workspace`);
  }
  if (sandbox.seccomp === 'off') add('sandbox.seccomp', "turns off coop's system-call filter");
  const ca = sandbox.ca_certs;
  if (typeof ca === 'string' && ca && ca !== 'host' && !isInside(ca, workspace)) add('sandbox.ca_certs', `gives boxes and builds the file ${shown(ca)}, outside the workspace`);
  const network = layer.values.network ?? {};
  for (const entry of (network.ports as string[] | undefined) ?? []) {
    const p = parsePort(entry);
    if (p.hostAddress !== '127.0.0.1') add('network.ports', `publishes box port ${p.boxPort} on ${p.hostAddress}:${p.hostPort}, beyond this machine's loopback`);
  }
  for (const entry of (network.allow as string[] | undefined) ?? []) {
    const a = parseAllowEntry(entry);
    const kind = a.kind === 'address' ? localRangeKind(a.address, a.prefix) : null;
    if (kind) add('network.allow', `lets the box reach "${a.text}" (${kind}) through coop's proxy`);
  }
  for (const entry of (network.dns as string[] | undefined) ?? []) {
    const d = parseDnsServer(entry);
    const kind = localRangeKind(d.address, d.address.includes(':') ? 128 : 32);
    if (kind) add('network.dns', `sends the box's DNS queries to ${d.address}:${d.port} (${kind})`);
  }
  const mount = layer.values.workspace?.mount;
  if (typeof mount === 'string' && !isInside(mount, fileDir)) {
    add('workspace.mount', `is ${shown(mount)}, outside the directory of this file`);
  }
  for (const [name, raw] of Object.entries(layer.env)) {
    // With an empty environment every reference comes back as "unset": the names it reads.
    const { unset } = expandValue(raw, {}, { file: layer.source, line: layer.lines.get(`env.${name}`), key: `env.${name}` });
    if (unset.length) add(`env.${name}`, `expands ${[...new Set(unset)].map((n) => `$${n}`).join(', ')} from your environment`);
  }
  // In the order of the file (stable: entries of one key keep theirs).
  return out.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

/** One item of a message: `sandbox.mounts (line 3) mounts /root at /h, outside the workspace`. */
export const formatWidening = (w: Widening) => `${w.key}${w.line ? ` (line ${w.line})` : ''} ${w.what}`;
