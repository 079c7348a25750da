// Running coop-helper with a plan: the plan goes in, and status records come back, over
// one socket on the helper's fd 3.
import { spawn, type ChildProcess, type IOType } from 'node:child_process';
import type { Stream } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import { helperPath } from '../native.js';
import { encodePlan } from './encode.js';
import { toSandboxError, type SandboxError } from './errors.js';
import type { Plan } from './plan.js';
import { RecordDecoder, type WireRecord } from './wire.js';

/** One of the helper's stdio slots, as child_process.spawn takes it. */
export type StdioSlot = IOType | Stream | number | null;

export interface HelperOptions {
  /** stdio of the helper (and of a run-mode box's command): default all 'ignore'. */
  stdio?: [StdioSlot, StdioSlot, StdioSlot];
  /** Environment of the helper process itself (the box never inherits it). */
  env?: Record<string, string>;
  /** argv[0] shown in ps and in the box's /proc/1/cmdline. */
  argv0?: string;
  args?: string[];
  /** Start in a new session (default true): terminal signals do not reach the box directly. */
  detached?: boolean;
}

/** What the helper reported by the time it exited. */
export interface HelperOutcome {
  /** The first error reported, as a one-line error with a hint. */
  error: SandboxError | null;
  /** A run-mode box's command: how it ended. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** The helper process's own exit. */
  helper: { code: number | null; signal: NodeJS.Signals | null };
  /** Optional mounts that were skipped, and warnings. */
  notes: string[];
}

const SIGNAL_NAMES: Record<number, NodeJS.Signals> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL',
  10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM', 24: 'SIGXCPU', 25: 'SIGXFSZ',
};

/** Signal name for a Linux signal number (falls back to SIGTERM's shape for unknown numbers). */
export const signalName = (n: number): NodeJS.Signals => SIGNAL_NAMES[n] ?? (`SIG${n}` as NodeJS.Signals);

/** A running coop-helper. */
export class HelperProcess {
  readonly child: ChildProcess;
  /** Host pid of the box's init, once reported (create mode). */
  readonly initPid: Promise<number>;
  /** Resolves when the box is set up (create mode), rejects with the setup error. */
  readonly ready: Promise<void>;
  /** Resolves when the helper has exited and its status socket is closed. */
  readonly outcome: Promise<HelperOutcome>;

  constructor(plan: Plan, opts: HelperOptions = {}) {
    const [a, b, c] = opts.stdio ?? ['ignore', 'ignore', 'ignore'];
    this.child = spawn(helperPath(), opts.args ?? [], {
      argv0: opts.argv0 ?? 'coop-helper',
      stdio: [a, b, c, 'pipe'],
      env: { ...opts.env, COOP_PLAN_FD: '3', COOP_STATUS_FD: '3' },
      detached: opts.detached ?? true,
    });
    const sock = this.child.stdio[3] as unknown as Readable & Writable;
    const body = encodePlan(plan);
    sock.write(Buffer.concat([Buffer.from(`${body.length}\n`), body]));

    let setPid!: (pid: number) => void;
    let setReady!: () => void;
    let failReady!: (e: Error) => void;
    this.initPid = new Promise((res) => (setPid = res));
    this.ready = new Promise((res, rej) => {
      setReady = res;
      failReady = rej;
    });
    this.ready.catch(() => {});

    const outcome: HelperOutcome = { error: null, exit: null, helper: { code: null, signal: null }, notes: [] };
    const decoder = new RecordDecoder();
    const onRecord = (r: WireRecord) => {
      switch (r[0]) {
        case 'pid':
          setPid(Number(r[1]));
          break;
        case 'ready':
          setReady();
          break;
        case 'error':
          outcome.error ??= toSandboxError({ syscall: r[1] ?? '', path: r[2] ?? '', errno: Number(r[3]), message: r[4] ?? '' });
          failReady(outcome.error);
          break;
        case 'exit':
          outcome.exit = r[1] === 'signal' ? { code: null, signal: signalName(Number(r[2])) } : { code: Number(r[2]), signal: null };
          break;
        case 'skipped':
          outcome.notes.push(`skipped ${r[1]} ${r[2]} (errno ${r[3]})`);
          break;
        case 'warning':
          outcome.notes.push(r[1] ?? '');
          break;
      }
    };
    const socketClosed = new Promise<void>((res) => {
      sock.on('data', (chunk: Buffer) => decoder.push(chunk).forEach(onRecord));
      sock.on('close', () => res());
      sock.on('error', () => res());
    });
    const exited = new Promise<void>((res) => {
      this.child.on('exit', (code, signal) => {
        outcome.helper = { code, signal };
        res();
      });
      this.child.on('error', (e) => {
        outcome.error ??= toSandboxError({ syscall: 'spawn', path: helperPath(), errno: 0, message: e.message });
        res();
      });
    });
    this.outcome = Promise.all([socketClosed, exited]).then(() => {
      failReady(outcome.error ?? new Error('the box ended before it was ready'));
      return outcome;
    });
  }

  /** A terminal process started with a size (EnterPlan.terminal): its new window size. */
  resize(cols: number, rows: number): void {
    const sock = this.child.stdio[3] as unknown as Writable | null;
    if (sock && !sock.destroyed) sock.write(`W ${cols} ${rows}\n`);
  }

  /** Sends a signal to the helper (a run-mode helper passes it on to the box's command). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }
}
