// `run()` on a terminal: the box's command gets a pseudo-terminal of its own (node-pty),
// never the caller's terminal itself. The caller relays bytes and sizes.
import { CoopError } from '../errors.js';
import { helperPath } from '../native.js';
import { planBox, PlanError } from './box-plan.js';
import { boxSpecFor } from './box-spec.js';
import { encodePlan } from './encode.js';
import { signalName } from './helper-process.js';
import { prepareHost } from './prepare.js';
import type { RunOptions, RunResult } from './run.js';

export interface PtyRunOptions extends Omit<RunOptions, 'stdio'> {
  cols: number;
  rows: number;
}

export interface PtyRun {
  readonly name: string;
  /** Resolves when the command has ended. */
  readonly done: Promise<RunResult>;
  /** Bytes typed by the user. */
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  /** Output of the box's terminal. */
  onData(listener: (data: string) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

/** Like run(), with the command on a new pseudo-terminal. Setup failures print on that terminal and end with code 125. */
export async function runOnPty(opts: PtyRunOptions): Promise<PtyRun> {
  let spec;
  let planned;
  try {
    spec = boxSpecFor({
      config: opts.config, name: opts.name, coopHome: opts.coopHome, mounts: opts.mounts, init: 'run',
      command: { argv: opts.cmd, cwd: opts.cwd }, callerEnv: opts.env, baseDir: opts.baseDir,
    });
    planned = planBox(spec);
  } catch (e) {
    throw e instanceof PlanError ? new CoopError('CONFIG_INVALID', e.message) : e;
  }
  prepareHost(spec.coopHome, planned.volumes);
  const pty = await import('node-pty');
  const term = pty.spawn(helperPath(), [spec.name], {
    name: spec.term ?? 'xterm-256color',
    cols: opts.cols,
    rows: opts.rows,
    cwd: '/',
    env: {
      COOP_PLAN: encodePlan(planned.plan).toString('utf8'),
      COOP_SESSION: spec.name, COOP_WORKSPACE: spec.workspace.host, COOP_CREATED: String(spec.created),
    },
  });
  const done = new Promise<RunResult>((resolve) => {
    term.onExit(({ exitCode, signal }) => {
      resolve(signal ? { name: spec.name, code: null, signal: signalName(signal) } : { name: spec.name, code: exitCode, signal: null });
    });
  });
  return {
    name: spec.name,
    done,
    write: (data: string | Buffer) => term.write(typeof data === 'string' ? data : data.toString('utf8')),
    resize: (cols: number, rows: number) => term.resize(cols, rows),
    onData: (listener: (data: string) => void) => void term.onData(listener),
    kill: (signal: NodeJS.Signals = 'SIGTERM') => term.kill(signal),
  };
}
