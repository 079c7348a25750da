// `run()`: a one-shot box for scripts and CI (SPEC §9 `coop run`). No daemon: the box
// is created, runs one command with the caller's stdio (or pipes), and is removed.
import type { Readable, Writable } from 'node:stream';
import type { CoopConfig } from '../config/types.js';
import { CoopError } from '../errors.js';
import { planBox, PlanError, type BoxMount, type RootfsSource } from './box-plan.js';
import { boxSpecFor } from './box-spec.js';
import { createCgroup, removeCgroup } from './cgroup.js';
import { HelperProcess } from './helper-process.js';
import { prepareHost } from './prepare.js';

export interface RunOptions {
  /** The command and its arguments, run inside the box. */
  cmd: string[];
  /** Resolved configuration (lib/config's loadConfig). */
  config: CoopConfig;
  /** @deprecated The box mounts `config.sandbox.mounts`; this list replaces them when given. */
  mounts?: BoxMount[];
  /** Working directory inside the box; default the workspace path. */
  cwd?: string;
  /** 'pipe' (default): the handle's stdin/stdout/stderr are streams; 'inherit': the caller's; 'ignore': /dev/null. */
  stdio?: 'pipe' | 'inherit' | 'ignore';
  /**
   * Give the command a terminal of the box's own (so `tty`, job control and full-screen
   * programs work inside), relayed to the caller's stdin/stdout. Use with stdio 'inherit'
   * from a terminal in raw mode; pass window size changes with kill('SIGWINCH').
   */
  terminal?: boolean;
  /** The caller's environment (TERM, LANG); default process.env. Nothing else of it enters the box. */
  env?: NodeJS.ProcessEnv;
  coopHome?: string;
  name?: string;
  /** Directory relative `dir:` images resolve against (default the workspace). */
  baseDir?: string;
}

/** What the sandbox's run() takes: the options with the rootfs resolved (lib/image/rootfs.ts). */
export interface RunInRootfs extends RunOptions {
  rootfs: RootfsSource;
}

export interface RunResult {
  /** Box name (its hostname unless configured otherwise). */
  name: string;
  /** Exit code of the command, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started (exit 126/127): one line saying why. */
  failure?: string;
}

/**
 * The running box: a promise of how the command ended, which resolves once the command has
 * exited and, with stdio 'pipe', its stdout and stderr (when read) have been read to the end.
 */
export interface RunHandle extends Promise<RunResult> {
  readonly name: string;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Passes a signal to the command (through the helper and the box's init). */
  kill(signal?: NodeJS.Signals): void;
}

/** A handle of a box that could not be set up: its promise rejects with `err`. */
export const failedRun = (err: unknown, name = ''): RunHandle =>
  Object.assign(Promise.reject(err instanceof PlanError ? new CoopError('CONFIG_INVALID', err.message) : err), { name, stdin: null, stdout: null, stderr: null, kill() {} });

/**
 * Runs `cmd` in a fresh box on the given rootfs and resolves with how it ended. Rejects with
 * a SandboxError (or CoopError) when the box could not be set up.
 *
 * @example
 *   const { code } = await run({ cmd: ['make', 'test'], config, rootfs: { kind: 'dir', path: '/srv/rootfs' }, stdio: 'inherit' });
 */
export function run(opts: RunInRootfs): RunHandle {
  let spec;
  let planned;
  try {
    spec = boxSpecFor({
      config: opts.config, rootfs: opts.rootfs, name: opts.name, coopHome: opts.coopHome, mounts: opts.mounts, init: 'run',
      command: { argv: opts.cmd, cwd: opts.cwd }, callerEnv: opts.env,
    });
    planned = planBox({ ...spec, terminal: opts.terminal });
    planned.plan.cgroup = createCgroup(spec.name, { memory: opts.config.sandbox.memory, pids: opts.config.sandbox.pids }) ?? undefined;
  } catch (e) {
    return failedRun(e, opts.name);
  }
  const { plan, volumes } = planned;
  prepareHost(spec.coopHome, volumes);
  const s = opts.stdio ?? 'pipe';
  const helper = new HelperProcess(plan, {
    stdio: [s, s, s],
    argv0: 'coop-init',
    args: [spec.name],
    env: { COOP_SESSION: spec.name, COOP_WORKSPACE: spec.workspace.host, COOP_CREATED: String(spec.created) },
  });
  // Resolved once the command's output is read too (its writers all die with the box).
  const promise = helper.outputRead().then(() => helper.outcome).then((o): RunResult => {
    removeCgroup(plan.cgroup);
    if (o.exit) {
      const failed = o.error && o.error.syscall === 'execve';
      return { name: spec.name, ...o.exit, ...(failed ? { failure: `${o.error!.path}: ${o.error!.reason}` } : {}) };
    }
    if (o.error) throw o.error;
    const { code, signal } = o.helper;
    throw new CoopError('SANDBOX_FAILED', `the box's helper ended unexpectedly (${signal ?? `exit code ${code}`})`);
  });
  const child = helper.child;
  return Object.assign(promise, {
    name: spec.name,
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    kill: (signal?: NodeJS.Signals) => helper.kill(signal),
  });
}
