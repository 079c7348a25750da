// Resource limits of a box (`sandbox.memory`, `sandbox.pids`) in a delegated cgroup v2
// subtree (SPEC §4.1). A limit is applied or refused with the reason, never ignored: where
// no writable cgroup v2 subtree offers the controller, creating the box fails.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoopError } from '../errors.js';

export interface Limits {
  /** memory.max, e.g. "4g" ("" for none). */
  memory: string;
  /** pids.max (0 for none). */
  pids: number;
}

export interface CgroupHost {
  /** /proc/self/mountinfo text. */
  mountinfo: string;
  /** /proc/self/cgroup text. */
  selfCgroup: string;
}

export const readCgroupHost = (): CgroupHost => ({
  mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'),
  selfCgroup: readFileSync('/proc/self/cgroup', 'utf8'),
});

/** The cgroup v2 directory of this process, or null when there is no cgroup v2 hierarchy. */
export function ownCgroupDir(host: CgroupHost): string | null {
  const mount = host.mountinfo.split('\n').map((l) => l.split(' ')).find((f) => f[f.indexOf('-') + 1] === 'cgroup2');
  const line = host.selfCgroup.split('\n').find((l) => l.startsWith('0::'));
  if (!mount || !line) return null;
  return join(mount[4]!, line.slice(3)).replace(/(.)\/$/, '$1');
}

const bytes = (size: string): string => {
  const m = /^(\d+)([kmg]?)$/i.exec(size)!;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return String(Number(m[1]) * mult);
};

/** What to do when limits cannot be applied. */
export const CGROUP_FIX = 'remove sandbox.memory/sandbox.pids, or run coop in a cgroup v2 subtree delegated to you (e.g. `systemd-run --user --scope -p Delegate=yes coop ...`); see docs/security.md';

/**
 * The cgroup v2 directory this process's boxes would get their limits under, and why the
 * `controllers` cannot be used there (null when they can); `coop doctor` shows the same words.
 */
export function cgroupSubtree(controllers: string[], host: CgroupHost = readCgroupHost()): { parent: string | null; problem: string | null } {
  const parent = ownCgroupDir(host);
  if (!parent) return { parent, problem: 'this machine has no cgroup v2 hierarchy (cgroup v1 only)' };
  let available: string[] = [];
  try {
    available = readFileSync(join(parent, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  } catch {
    // reported below
  }
  const missing = controllers.filter((c) => !available.includes(c));
  if (missing.length) return { parent, problem: `the cgroup v2 subtree ${parent} offers no ${missing.join(', ')} controller (cgroup v1 may hold it)` };
  return { parent, problem: null };
}

/**
 * Creates the box's cgroup with its limits and returns its directory (processes are moved
 * into it by coop-helper), or null when no limit is set. Throws a one-line CoopError when
 * the limits cannot be applied here.
 */
export function createCgroup(name: string, limits: Limits, host: CgroupHost = readCgroupHost()): string | null {
  const wanted: [string, string, string][] = [];
  if (limits.memory) wanted.push(['memory', 'memory.max', bytes(limits.memory)]);
  if (limits.pids) wanted.push(['pids', 'pids.max', String(limits.pids)]);
  if (!wanted.length) return null;
  const keys = wanted.map(([c]) => `sandbox.${c}`).join(' and ');
  const { parent, problem } = cgroupSubtree(wanted.map(([c]) => c), host);
  if (problem || !parent) throw new CoopError('SANDBOX_FAILED', `${keys}: ${problem}; ${CGROUP_FIX}`);
  const dir = join(parent, `coop-${name}`);
  try {
    enableControllers(parent, wanted.map(([c]) => c));
    mkdirSync(dir, { recursive: true });
    for (const [, file, value] of wanted) writeFileSync(join(dir, file), value);
  } catch (e) {
    removeCgroup(dir);
    const err = e as NodeJS.ErrnoException;
    throw new CoopError('SANDBOX_FAILED', `${keys}: cannot set up ${dir}: ${err.code ?? err.message} (${err.syscall ?? 'write'} ${err.path ?? ''}); ${CGROUP_FIX}`);
  }
  return dir;
}

/**
 * Enables controllers for the children of `parent`. A cgroup with processes of its own
 * cannot have controllers enabled for its children ("no internal processes"), so this
 * process first moves into a child of its own, `coop-self`, inside the same subtree.
 */
function enableControllers(parent: string, controllers: string[]): void {
  const control = join(parent, 'cgroup.subtree_control');
  const line = controllers.map((c) => `+${c}`).join(' ');
  try {
    writeFileSync(control, line);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
    const self = join(parent, 'coop-self');
    mkdirSync(self, { recursive: true });
    writeFileSync(join(self, 'cgroup.procs'), String(process.pid));
    writeFileSync(control, line);
  }
}

/** Removes a box's cgroup once its processes are gone (best effort). */
export function removeCgroup(dir: string | null | undefined): void {
  if (!dir) return;
  try {
    rmdirSync(dir);
  } catch {
    // still in use, or already gone
  }
}
