// Long-lived boxes: create one (its init lives on, detached from the caller), start
// processes inside it (setns into the init's namespaces), kill it. The daemon builds
// sessions on these; they work without it too.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { CoopConfig } from '../config/types.js';
import { CoopError } from '../errors.js';
import { helperPath } from '../native.js';
import type { SessionPaths } from '../paths.js';
import { boxNamespaces, planBox, PlanError, processEnv, type BoxMount } from './box-plan.js';
import { boxSpecFor } from './box-spec.js';
import { createCgroup, removeCgroup } from './cgroup.js';
import { encodePlan } from './encode.js';
import { homeOf } from './env.js';
import { HelperProcess, type StdioSlot } from './helper-process.js';
import type { Confinement, EnterPlan, IdMapping, Namespace } from './plan.js';
import { networkSummary, type NetworkSummary } from './network.js';
import { prepareHost } from './prepare.js';
import { removeTree } from './remove.js';

/** A running box, as its creator knows it. `env` may hold secrets: keep it in memory only. */
export interface Box {
  name: string;
  /** Host pid and start time of the box's init (together they identify it). */
  pid: number;
  startTime: string;
  namespaces: Namespace[];
  idmap: IdMapping;
  paths: SessionPaths;
  workspace: { host: string; path: string };
  /** In-box user name, its home and shell. */
  user: string;
  home: string;
  shell: string;
  /** Base environment of processes started in the box (includes `[env]`). */
  env: Record<string, string>;
  image: string;
  /** The built rootfs directory the box stands on (image boxes; absent for host). */
  rootfs?: string;
  created: number;
  /** `sandbox.seccomp` of the box: what processes started in it get (absent in old records: default). */
  confine?: Confinement;
  /** The box's cgroup v2 directory when it has limits (sandbox.memory, sandbox.pids). */
  cgroup?: string;
  /** Its network mode, published ports and allowlist (absent in old records). */
  network?: NetworkSummary;
}

/** What is written to sessions/<name>/box.json: the box without its environment. */
export type BoxRecord = Omit<Box, 'env'>;

export interface CreateBoxOptions {
  config: CoopConfig;
  name: string;
  mounts?: BoxMount[];
  coopHome?: string;
  callerEnv?: NodeJS.ProcessEnv;
  baseDir?: string;
  /** Seconds the init waits for the box's processes after SIGTERM before it ends them (default 5). */
  graceMs?: number;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null when gone. */
export function readStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** True while the box's init process is alive (and is still that process). */
export const isRunning = (box: Pick<Box, 'pid' | 'startTime'>) => readStartTime(box.pid) === box.startTime;

/** Creates a box whose init waits for processes to be started in it. */
export async function createBox(opts: CreateBoxOptions): Promise<Box> {
  let spec;
  let planned;
  try {
    spec = boxSpecFor({
      config: opts.config, name: opts.name, coopHome: opts.coopHome, mounts: opts.mounts, init: 'box',
      callerEnv: opts.callerEnv, baseDir: opts.baseDir,
    });
    planned = planBox({ ...spec, graceMs: opts.graceMs });
    planned.plan.cgroup = createCgroup(spec.name, { memory: opts.config.sandbox.memory, pids: opts.config.sandbox.pids }) ?? undefined;
  } catch (e) {
    throw e instanceof PlanError ? new CoopError('CONFIG_INVALID', e.message) : e;
  }
  prepareHost(spec.coopHome, planned.volumes);
  const env = processEnv(spec);
  const helper = new HelperProcess(planned.plan, {
    argv0: 'coop-init',
    args: [spec.name],
    // The init keeps the box environment (secrets included) in memory — its own environ —
    // so that a restarted daemon can start processes in the box again without it on disk.
    env: { COOP_SESSION: spec.name, COOP_WORKSPACE: spec.workspace.host, COOP_CREATED: String(spec.created), [BOX_ENV]: JSON.stringify(env) },
  });
  try {
    await helper.ready;
  } catch (e) {
    await helper.outcome;
    removeCgroup(planned.plan.cgroup);
    await removeTree([spec.paths.dir], spec.idmap).catch(() => rmSync(spec.paths.dir, { recursive: true, force: true }));
    throw e;
  }
  const pid = await helper.initPid;
  const startTime = readStartTime(pid);
  if (!startTime) throw new CoopError('SANDBOX_FAILED', `box ${spec.name}: its init (pid ${pid}) ended right after starting`);
  const box: Box = {
    name: spec.name, pid, startTime, namespaces: boxNamespaces(spec.network), idmap: spec.idmap, paths: spec.paths,
    workspace: spec.workspace, user: spec.user, home: homeOf(spec.user), shell: spec.shell, env,
    image: opts.config.sandbox.image, rootfs: spec.rootfs.kind === 'dir' ? spec.rootfs.path : undefined, created: spec.created,
    confine: spec.confine,
    cgroup: planned.plan.cgroup,
    network: networkSummary(opts.config.network),
  };
  const { env: _secret, ...record } = box;
  writeFileSync(spec.paths.record, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
  return box;
}

/** The variable of a box init's environ that holds the box environment. */
const BOX_ENV = 'COOP_BOX_ENV';

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
 * A running box found again from its record (after a daemon restart): its init must still
 * run, name the same session, and carry the box environment. Null otherwise.
 */
export function adoptBox(record: BoxRecord): Box | null {
  if (!isRunning(record)) return null;
  const environ = readEnviron(record.pid);
  if (!environ || environ.COOP_SESSION !== record.name || !environ[BOX_ENV]) return null;
  try {
    return { ...record, env: JSON.parse(environ[BOX_ENV]) as Record<string, string> };
  } catch {
    return null;
  }
}

/** Reads sessions/<name>/box.json (written by createBox). */
export function readBoxRecord(paths: SessionPaths): BoxRecord | null {
  try {
    return JSON.parse(readFileSync(paths.record, 'utf8')) as BoxRecord;
  } catch {
    return null;
  }
}

export interface BoxProcess {
  argv: string[];
  /** Working directory inside the box (default: the workspace path). */
  cwd?: string;
  /** Variables added to (or replacing) the box's environment, e.g. TERM. */
  env?: Record<string, string>;
  /** A terminal of the box's own, relayed to the starter's stdio (see EnterPlan.terminal). */
  terminal?: boolean | { cols: number; rows: number };
}

/** The plan that starts `proc` inside `box`. */
export function enterPlan(box: Box, proc: BoxProcess): EnterPlan {
  return {
    mode: 'enter',
    target: { pid: box.pid, startTime: box.startTime },
    namespaces: box.namespaces,
    setgroups: box.idmap.setgroups,
    confine: box.confine ?? 'default',
    cgroup: box.cgroup,
    process: { argv: proc.argv, env: { ...box.env, ...proc.env }, cwd: proc.cwd ?? box.workspace.path, uid: 0, gid: 0 },
    terminal: proc.terminal,
  };
}

/**
 * How to start `proc` in `box` from a PTY library that cannot pass extra fds (node-pty):
 * the helper reads its plan from the environment and prints failures on the terminal.
 */
export function enterCommand(box: Box, proc: BoxProcess): { file: string; args: string[]; env: Record<string, string> } {
  return { file: helperPath(), args: [], env: { COOP_PLAN: encodePlan(enterPlan(box, proc)).toString('utf8') } };
}

/** Starts `proc` in `box` as a child with the given stdio (default: ignored). */
export function spawnInBox(box: Box, proc: BoxProcess, stdio?: [StdioSlot, StdioSlot, StdioSlot]): HelperProcess {
  return new HelperProcess(enterPlan(box, proc), { argv0: 'coop-enter', stdio, detached: true });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function waitGone(box: Pick<Box, 'pid' | 'startTime'>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isRunning(box)) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * Ends a box: SIGTERM to its init (which passes it to every process of the box and waits
 * up to its grace time), SIGKILL if it is still there after graceMs plus a margin, then
 * removes its root, upper and work directories. `persist` directories are kept.
 */
export async function killBox(box: Pick<Box, 'pid' | 'startTime' | 'paths' | 'idmap' | 'cgroup'>, opts: { graceMs?: number; force?: boolean } = {}): Promise<void> {
  const grace = opts.graceMs ?? 5000;
  if (isRunning(box)) {
    signal(box.pid, opts.force ? 'SIGKILL' : 'SIGTERM');
    if (!(await waitGone(box, opts.force ? 2000 : grace + 1000)) && isRunning(box)) {
      signal(box.pid, 'SIGKILL');
      await waitGone(box, 5000);
    }
  }
  const p = box.paths;
  removeCgroup(box.cgroup);
  await removeTree([p.root, p.upper, p.work, `${p.dir}/files`, p.record], box.idmap);
}
