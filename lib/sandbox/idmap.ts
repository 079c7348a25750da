// Which ids a box maps (SPEC §4.2): in-box 0 is always the invoking user; in-box
// 1..65535 map onto the user's /etc/subuid range when there is one and newuidmap exists.
import { accessSync, constants, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import type { IdMapping, IdRange } from './plan.js';

export interface HostUser {
  uid: number;
  gid: number;
  name: string;
  home: string;
}

export interface SubidRange {
  start: number;
  count: number;
}

/** The user running coop. */
export function currentUser(): HostUser {
  const info = userInfo();
  return { uid: info.uid, gid: info.gid, name: info.username, home: info.homedir };
}

/** The first range for the user (by name or uid) in an /etc/subuid-style file, or null. */
export function readSubidRange(file: string, user: HostUser): SubidRange | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if (who !== user.name && who !== String(user.uid)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && c > 0) return { start: s, count: c };
  }
  return null;
}

/** An executable named `name` on PATH or in the usual system directories, or null. */
export function findProgram(name: string, path = process.env.PATH ?? ''): string | null {
  const dirs = [...path.split(delimiter), '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // keep looking
    }
  }
  return null;
}

export interface IdMappingOptions {
  subuidFile?: string;
  subgidFile?: string;
  /** Override tool discovery (tests). */
  tools?: { newuidmap: string; newgidmap: string } | null;
}

const IN_BOX_RANGE = 65535;

/**
 * True inside a user namespace that denies setgroups (root of `unshare -r`, some rootless
 * containers): the namespaces coop makes there must deny it too.
 */
function setgroupsDenied(): boolean {
  try {
    return readFileSync('/proc/self/setgroups', 'utf8').trim() === 'deny';
  } catch {
    return false;
  }
}

function withRange(own: number, range: SubidRange | null): IdRange[] {
  const out: IdRange[] = [{ inside: 0, outside: own, count: 1 }];
  if (range) out.push({ inside: 1, outside: range.start, count: Math.min(range.count, IN_BOX_RANGE) });
  return out;
}

/** The id mapping for boxes of `user`. */
export function idMappingFor(user: HostUser, opts: IdMappingOptions = {}): IdMapping {
  const subuid = readSubidRange(opts.subuidFile ?? '/etc/subuid', user);
  const subgid = readSubidRange(opts.subgidFile ?? '/etc/subgid', user);
  if (user.uid === 0) {
    // Root writes any map itself; it maps the same way as everyone (0 <-> 0), plus its range if any.
    return { uid: withRange(0, subuid), gid: withRange(user.gid, subgid), tools: null, setgroups: setgroupsDenied() ? 'deny' : 'allow' };
  }
  const tools =
    opts.tools !== undefined
      ? opts.tools
      : (() => {
          const newuidmap = findProgram('newuidmap');
          const newgidmap = findProgram('newgidmap');
          return newuidmap && newgidmap ? { newuidmap, newgidmap } : null;
        })();
  if (subuid && subgid && tools) {
    return { uid: withRange(user.uid, subuid), gid: withRange(user.gid, subgid), tools, setgroups: 'allow' };
  }
  return { uid: withRange(user.uid, null), gid: withRange(user.gid, null), tools: null, setgroups: 'deny' };
}

/** True when in-box ids other than 0 exist (several users inside the box). */
export const hasRange = (m: IdMapping) => m.uid.length > 1;
