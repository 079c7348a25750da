// Box init processes as /proc shows them (SPEC §5): a box's init carries its identity in
// its own environment — COOP_SESSION, the box's directory and its environment — so a
// box is found even when its record on disk is gone or garbled.
import { readdirSync, readFileSync } from 'node:fs';
import { boxesDir, boxPaths } from '../paths.js';

/** Variables of a box init's environ (set by createBox). */
export const INIT_ENV = {
  box: 'COOP_SESSION',
  workspace: 'COOP_WORKSPACE',
  created: 'COOP_CREATED',
  /** The box environment (JSON): a restarted daemon starts processes with it. */
  boxEnv: 'COOP_BOX_ENV',
  /** The box's directory (BoxPaths.dir): which coop the box belongs to. */
  dir: 'COOP_BOX_DIR',
  /** The built rootfs the box stands on (image boxes). */
  rootfs: 'COOP_BOX_ROOTFS',
} as const;

/** State (R, S, Z...) and start time (clock ticks since boot) of a process, or null when gone. */
export function processStat(pid: number): { state: string; startTime: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTime: fields[19] ?? '' };
  } catch {
    return null;
  }
}

/**
 * Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null when the
 * process is gone — or has exited and waits to be reaped (a zombie runs nothing).
 */
export function readStartTime(pid: number): string | null {
  const st = processStat(pid);
  return st && st.state !== 'Z' && st.state !== 'X' ? st.startTime : null;
}

/** The environ of a process as a map (null when unreadable). */
export function readEnviron(pid: number): Record<string, string> | null {
  try {
    const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
    return Object.fromEntries(raw.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  } catch {
    return null;
  }
}

/**
 * True when pid is PID 1 of a PID namespace that is a direct child of ours — what a box
 * init is, and what no process inside a box can make of itself (its namespaces nest one
 * level deeper).
 */
function isNamespaceInit(pid: number): boolean {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
    const pids = line?.slice('NSpid:'.length).trim().split(/\s+/) ?? [];
    return pids.length === 2 && pids[1] === '1';
  } catch {
    return false;
  }
}

/** A live box init found in /proc. */
export interface FoundInit {
  name: string;
  pid: number;
  startTime: string;
  workspace: string;
  created: number;
  rootfs?: string;
  environ: Record<string, string>;
}

/** The init of a box of this $COOP_HOME at `pid`, or null when pid is something else. */
export function boxInitAt(coopHome: string, pid: number): FoundInit | null {
  const environ = readEnviron(pid);
  const name = environ?.[INIT_ENV.box];
  if (!environ || !name || name.includes('/') || !environ[INIT_ENV.boxEnv]) return null;
  if (environ[INIT_ENV.dir] !== boxPaths(coopHome, name).dir || !isNamespaceInit(pid)) return null;
  const startTime = readStartTime(pid);
  if (!startTime) return null;
  return {
    name, pid, startTime, environ,
    workspace: environ[INIT_ENV.workspace] ?? '',
    created: Number(environ[INIT_ENV.created]) || 0,
    rootfs: environ[INIT_ENV.rootfs] || undefined,
  };
}

/** Every live box init of this $COOP_HOME, by box name (a scan of the caller's processes). */
export function findBoxInits(coopHome: string): Map<string, FoundInit> {
  const found = new Map<string, FoundInit>();
  const me = process.getuid!();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return found;
  }
  const prefix = `${boxesDir(coopHome)}/`;
  for (const p of pids) {
    // Only our processes can be our boxes' inits (and only theirs are readable anyway).
    let environ: string;
    try {
      environ = readFileSync(`/proc/${p}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (!environ.includes(`${INIT_ENV.dir}=${prefix}`)) continue;
    const init = boxInitAt(coopHome, Number(p));
    if (init && ownedBy(Number(p), me) && !found.has(init.name)) found.set(init.name, init);
  }
  return found;
}

function ownedBy(pid: number, uid: number): boolean {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'));
    return Number(line?.split(/\s+/)[1]) === uid;
  } catch {
    return false;
  }
}
