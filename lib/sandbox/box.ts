// Long-lived boxes: create one (its init lives on, detached from the caller), start
// processes inside it (setns into the init's namespaces), kill it. The daemon builds
// boxes on these; they work without it too.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { CoopConfig } from '../config/types.js';
import { CoopError } from '../errors.js';
import { helperPath } from '../native.js';
import { boxPaths, layerPaths, type BoxPaths } from '../paths.js';
import { findBoxInits, INIT_ENV, processStat, readEnviron, readStartTime } from './box-inits.js';
import { boxNamespaces, planBox, PlanError, processEnv, type BoxMount, type RootfsSource } from './box-plan.js';
import { boxSpecFor } from './box-spec.js';
import { createCgroup, removeCgroup } from './cgroup.js';
import { encodePlan } from './encode.js';
import { homeOf } from './env.js';
import { currentUser, idMappingFor } from './idmap.js';
import { HelperProcess, type StdioSlot } from './helper-process.js';
import { hardeningFor, type Confinement, type EnterPlan, type IdMapping, type Namespace } from './plan.js';
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
  paths: BoxPaths;
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

/** What is written to the box's record (BoxPaths.record): the box without its environment. */
export type BoxRecord = Omit<Box, 'env'>;

export interface CreateBoxOptions {
  config: CoopConfig;
  name: string;
  /** @deprecated The box mounts `config.sandbox.mounts`; this list replaces them when given. */
  mounts?: BoxMount[];
  coopHome?: string;
  callerEnv?: NodeJS.ProcessEnv;
  /** Directory relative `dir:` images resolve against (default the workspace). */
  baseDir?: string;
  /** Seconds the init waits for the box's processes after SIGTERM before it ends them (default 5). */
  graceMs?: number;
}

/** What the sandbox's createBox() takes: the options with the rootfs resolved (lib/image/rootfs.ts). */
export interface CreateBoxInRootfs extends CreateBoxOptions {
  rootfs: RootfsSource;
}

export { readEnviron, readStartTime };

/** True while the box's init process is alive (and is still that process). */
export const isRunning = (box: Pick<Box, 'pid' | 'startTime'>) => readStartTime(box.pid) === box.startTime;

/** Removes a box's layers (never its persist directories); for boxes whose init is gone. */
export async function removeLayers(p: BoxPaths, idmap: IdMapping): Promise<void> {
  const present = layerPaths(p).filter((x) => existsSync(x));
  if (!present.length) return;
  await removeTree(present, idmap).catch(() => {
    for (const x of present) rmSync(x, { recursive: true, force: true });
  });
}

/**
 * Before a box is made under a name: a box of that name must not be running (its record may
 * be garbled, so its init is looked for in /proc too); layers left by a box whose init died
 * are removed (persist directories stay).
 */
async function claimBoxDir(coopHome: string, name: string, idmap: IdMapping): Promise<void> {
  const paths = boxPaths(coopHome, name);
  const rec = readBoxRecord(paths);
  if (rec && isRunning(rec)) throw new CoopError('BOX_EXISTS', `box ${name} is already running (init pid ${rec.pid})`);
  if (!layerPaths(paths).some((x) => existsSync(x))) return;
  const init = findBoxInits(coopHome).get(name);
  if (init) {
    throw new CoopError('BOX_EXISTS', `box ${name} is still running (init pid ${init.pid}) but its record ${paths.record} is unreadable; end it with \`coop kill ${name}\` (persist directories are kept)`);
  }
  await removeLayers(paths, rec?.idmap ?? idmap);
}

/** Creates a box on the given rootfs whose init waits for processes to be started in it. */
export async function createBox(opts: CreateBoxInRootfs): Promise<Box> {
  let spec;
  let planned;
  try {
    spec = boxSpecFor({
      config: opts.config, rootfs: opts.rootfs, name: opts.name, coopHome: opts.coopHome, mounts: opts.mounts, init: 'box',
      callerEnv: opts.callerEnv,
    });
    planned = planBox({ ...spec, graceMs: opts.graceMs });
    planned.plan.cgroup = createCgroup(spec.name, { memory: opts.config.sandbox.memory, pids: opts.config.sandbox.pids }) ?? undefined;
  } catch (e) {
    throw e instanceof PlanError ? new CoopError('CONFIG_INVALID', e.message) : e;
  }
  await claimBoxDir(spec.coopHome, spec.name, spec.idmap);
  prepareHost(spec.coopHome, planned.volumes);
  const env = processEnv(spec);
  const rootfs = spec.rootfs.kind === 'dir' ? spec.rootfs.path : undefined;
  const helper = new HelperProcess(planned.plan, {
    argv0: 'coop-init',
    args: [spec.name],
    // The init keeps the box environment (secrets included) in memory — its own environ —
    // so that a restarted daemon can start processes in the box again without it on disk,
    // and its identity, so that the box is found even when its record is not.
    env: {
      [INIT_ENV.box]: spec.name, [INIT_ENV.workspace]: spec.workspace.host, [INIT_ENV.created]: String(spec.created),
      [INIT_ENV.boxEnv]: JSON.stringify(env), [INIT_ENV.dir]: spec.paths.dir, ...(rootfs ? { [INIT_ENV.rootfs]: rootfs } : {}),
    },
  });
  try {
    await helper.ready;
  } catch (e) {
    await helper.outcome;
    removeCgroup(planned.plan.cgroup);
    // An init that outlived the failed set-up is ended first: nothing is removed under it.
    const early = await Promise.race([helper.initPid, Promise.resolve(null)]);
    const started = early === null ? null : readStartTime(early);
    if (early !== null && started !== null && (await stopInit({ pid: early, startTime: started }))) throw e;
    // Only what this attempt made: never the box's directory, its persist dirs or volumes.
    await removeLayers(spec.paths, spec.idmap);
    throw e;
  }
  const pid = await helper.initPid;
  const startTime = readStartTime(pid);
  if (!startTime) {
    await removeLayers(spec.paths, spec.idmap);
    throw new CoopError('SANDBOX_FAILED', `box ${spec.name}: its init (pid ${pid}) ended right after starting`);
  }
  const box: Box = {
    name: spec.name, pid, startTime, namespaces: boxNamespaces(spec.network), idmap: spec.idmap, paths: spec.paths,
    workspace: spec.workspace, user: spec.user, home: homeOf(spec.user), shell: spec.shell, env,
    image: opts.config.sandbox.image, rootfs, created: spec.created,
    confine: spec.confine,
    cgroup: planned.plan.cgroup,
    network: networkSummary(opts.config.network),
  };
  const { env: _secret, ...record } = box;
  writeFileSync(spec.paths.record, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
  return box;
}

/**
 * A running box found again from its record (after a daemon restart): its init must still
 * run, be this box's init, and carry the box environment. Null otherwise.
 */
export function adoptBox(record: BoxRecord): Box | null {
  if (!isRunning(record)) return null;
  const environ = readEnviron(record.pid);
  if (!environ || environ[INIT_ENV.box] !== record.name || !environ[INIT_ENV.boxEnv]) return null;
  // Inits made before the identity variables existed lack COOP_BOX_DIR; others must match.
  if (environ[INIT_ENV.dir] !== undefined && environ[INIT_ENV.dir] !== record.paths.dir) return null;
  try {
    return { ...record, env: JSON.parse(environ[INIT_ENV.boxEnv]) as Record<string, string> };
  } catch {
    return null;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** Why a parsed box.json cannot be a record of the box `name`, or null when it can. */
function recordProblem(r: Record<string, unknown>, name: string): string | null {
  if (r.name !== name) return 'it names another box';
  if (!Number.isSafeInteger(r.pid) || (r.pid as number) <= 1 || !isStr(r.startTime)) return 'its init pid is missing';
  if (!Array.isArray(r.namespaces) || !r.namespaces.every(isStr)) return 'its namespaces are missing';
  const m = r.idmap;
  if (!isObject(m) || !Array.isArray(m.uid) || !Array.isArray(m.gid) || !isStr(m.setgroups)) return 'its id mapping is missing';
  const w = r.workspace;
  if (!isObject(w) || !isStr(w.host) || !isStr(w.path)) return 'its workspace is missing';
  if (![r.user, r.home, r.shell, r.image].every(isStr) || typeof r.created !== 'number') return 'a field is missing';
  if (r.rootfs !== undefined && !isStr(r.rootfs)) return 'its rootfs is not a path';
  return null;
}

/**
 * Reads the box's record (written by createBox); null when absent or not a valid
 * record. Its paths are always this box's own (never taken from the file).
 */
export function readBoxRecord(paths: BoxPaths): BoxRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(paths.record, 'utf8'));
  } catch {
    return null;
  }
  if (!isObject(parsed) || recordProblem(parsed, basename(paths.dir))) return null;
  return { ...(parsed as unknown as BoxRecord), paths };
}

/** The id mapping the caller's boxes use (for removing a box whose record is lost). */
export const callerIdMapping = (): IdMapping => idMappingFor(currentUser());

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
    hardening: hardeningFor(box.idmap),
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

/** Waits until the process is gone and reaped; on the deadline, true when it has at least exited. */
async function waitGone(box: Pick<Box, 'pid' | 'startTime'>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processStat(box.pid)?.startTime === box.startTime) {
    if (Date.now() >= deadline) return !isRunning(box);
    await sleep(20);
  }
  return true;
}

/** Ends a box's init: SIGTERM, SIGKILL after the grace time; true when it is still there. */
async function stopInit(box: Pick<Box, 'pid' | 'startTime'>, opts: { graceMs?: number; force?: boolean } = { force: true }): Promise<boolean> {
  const grace = opts.graceMs ?? 5000;
  if (isRunning(box)) {
    signal(box.pid, opts.force ? 'SIGKILL' : 'SIGTERM');
    if (!(await waitGone(box, opts.force ? 2000 : grace + 1000)) && isRunning(box)) {
      signal(box.pid, 'SIGKILL');
      await waitGone(box, 5000);
    }
  }
  return isRunning(box);
}

/**
 * Ends a box: SIGTERM to its init (which passes it to every process of the box and waits
 * up to its grace time), SIGKILL if it is still there after graceMs plus a margin, then
 * removes its root, upper and work directories. `persist` directories are kept.
 */
export async function killBox(box: Pick<Box, 'pid' | 'startTime' | 'paths' | 'idmap' | 'cgroup'>, opts: { graceMs?: number; force?: boolean } = {}): Promise<void> {
  if (await stopInit(box, opts)) throw new CoopError('SANDBOX_FAILED', `the init of the box at ${box.paths.dir} (pid ${box.pid}) did not end; its files are left in place`);
  removeCgroup(box.cgroup);
  const present = layerPaths(box.paths).filter((x) => existsSync(x));
  if (present.length) await removeTree(present, box.idmap);
}
