// Running coop-helper with a plan. The addon starts it with posix_spawn (no fork of Node):
// the plan is read from fd 4, status records come back over a socket on fd 3 — with the
// box terminal's master fd attached when the helper hands one over (a daemon's PTY).
import { closeSync } from 'node:fs';
import type { Readable, Stream, Writable } from 'node:stream';
import { builtin } from '../lazy.js';
import { helperPath, native } from '../native.js';
import { encodePlan } from './encode.js';
import { toSandboxError, type SandboxError } from './errors.js';
import type { Plan } from './plan.js';
import { RecordDecoder, type WireRecord } from './wire.js';

/** One of the helper's stdio slots: a new pipe, /dev/null, ours, a stream with an fd, or an fd. */
export type StdioSlot = 'pipe' | 'ignore' | 'inherit' | Stream | number | null;

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

/** The helper as a child process: its pid, our ends of its piped stdio, how it exited. */
export interface HelperChild {
  /** Undefined when it could not be started. */
  readonly pid: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  exitCode: number | null;
  signalCode: NodeJS.Signals | null;
}

/** Linux signal numbers (node:os has them too, but is not loaded for this alone). */
const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19,
  SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28,
  SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};
const NAMES: Record<number, NodeJS.Signals> = Object.fromEntries(Object.entries(SIGNALS).map(([k, v]) => [v, k as NodeJS.Signals]));

/** Signal name for a Linux signal number. */
export const signalName = (n: number): NodeJS.Signals => NAMES[n] ?? (`SIG${n}` as NodeJS.Signals);

/** The fd the addon gives the child for a slot: -2 a new pipe, -1 /dev/null. */
function slotFd(slot: StdioSlot | undefined, i: number): number {
  if (slot === 'pipe') return -2;
  if (slot === 'inherit') return i;
  if (slot === 'ignore' || slot === null || slot === undefined) return -1;
  if (typeof slot === 'number') return slot;
  const s = slot as unknown as { fd?: number; _handle?: { fd?: number } };
  const fd = s.fd ?? s._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new TypeError(`stdio[${i}]: a stream without a file descriptor cannot be given to coop-helper`);
  return fd;
}

/** A running coop-helper. */
export class HelperProcess {
  readonly child: HelperChild;
  /** Host pid of the box's init, once reported (create mode). */
  readonly initPid: Promise<number>;
  /** Resolves when the box is set up (create mode), rejects with the setup error. */
  readonly ready: Promise<void>;
  /** Resolves when the helper has exited and its status socket is closed. */
  readonly outcome: Promise<HelperOutcome>;
  /**
   * A process started with a terminal size (EnterPlan.terminal): called with the master fd
   * of its terminal, which is then the caller's to serve and close. Unclaimed, it is closed.
   */
  onTerminal: ((fd: number) => void) | null = null;
  private native: { kill(sig: number): boolean; close(): void } | null = null;

  constructor(plan: Plan, opts: HelperOptions = {}) {
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
    const fdsWaiting: number[] = [];
    const onRecord = (r: WireRecord) => {
      switch (r[0]) {
        case 'pid':
          setPid(Number(r[1]));
          break;
        case 'ready':
          setReady();
          break;
        case 'terminal': {
          const fd = fdsWaiting.shift();
          if (fd === undefined) break;
          if (this.onTerminal) this.onTerminal(fd);
          else closeSync(fd);
          break;
        }
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

    const decoder = new RecordDecoder();
    let statusEnded!: () => void;
    let exited!: () => void;
    const socketClosed = new Promise<void>((res) => (statusEnded = res));
    const processExited = new Promise<void>((res) => (exited = res));
    const child: { -readonly [K in keyof HelperChild]: HelperChild[K] } = {
      pid: undefined, stdin: null, stdout: null, stderr: null, exitCode: null, signalCode: null,
    };
    this.child = child;
    const [a, b, c] = opts.stdio ?? ['ignore', 'ignore', 'ignore'];
    try {
      const env = Object.entries({ ...opts.env, COOP_STATUS_FD: '3', COOP_PLAN_FD: '4' }).map(([k, v]) => `${k}=${v}`);
      const spawned = native().spawnHelper(
        {
          file: helperPath(), argv: [opts.argv0 ?? 'coop-helper', ...(opts.args ?? [])], env,
          stdio: [slotFd(a, 0), slotFd(b, 1), slotFd(c, 2)], plan: encodePlan(plan), setsid: opts.detached ?? true,
        },
        (chunk, fds) => {
          fdsWaiting.push(...fds);
          if (chunk === null) {
            for (const fd of fdsWaiting.splice(0)) closeSync(fd);
            return statusEnded();
          }
          try {
            decoder.push(chunk).forEach(onRecord);
          } catch {
            spawned.close(); // garbled records: stop listening (the exit still comes)
          }
        },
        (code, signal) => {
          child.exitCode = code;
          child.signalCode = signal === null ? null : signalName(signal);
          outcome.helper = { code: child.exitCode, signal: child.signalCode };
          exited();
        },
      );
      this.native = spawned;
      child.pid = spawned.pid;
      const [in0, out1, err2] = spawned.stdio;
      const pipe = (fd: number, readable: boolean) => new (builtin('node:net').Socket)({ fd, readable, writable: !readable }); // (net: only for pipes)
      if (in0 >= 0) child.stdin = pipe(in0, false);
      if (out1 >= 0) child.stdout = pipe(out1, true);
      if (err2 >= 0) child.stderr = pipe(err2, true);
    } catch (e) {
      outcome.error = toSandboxError({ syscall: 'spawn', path: helperPath(), errno: 0, message: (e as Error).message });
      statusEnded();
      exited();
    }
    // One more turn of the event loop: output that was waiting in a pipe together with the
    // exit (both ready in the same poll) has been read by then, as with child_process.
    this.outcome = Promise.all([socketClosed, processExited]).then(() => new Promise<void>((r) => setImmediate(r))).then(() => {
      failReady(outcome.error ?? new Error('the box ended before it was ready'));
      return outcome;
    });
  }

  /**
   * Resolves once piped stdout and stderr that are being read have been read to their end
   * (a stream nobody ever read from is not waited for). Only for helpers whose end ends every
   * writer — run-mode boxes, whose processes die with their init — not for `enter`, where a
   * background process may hold the pipe for as long as the box lives.
   */
  async outputRead(): Promise<void> {
    await this.outcome;
    const read = [this.child.stdout, this.child.stderr].filter((s): s is Readable => !!s && s.readableFlowing !== null);
    if (!read.length) return;
    const { finished } = builtin('node:stream/promises');
    await Promise.all(read.map((s) => finished(s).catch(() => {})));
  }

  /** Sends a signal to the helper (which passes it on to the box's command); false once it has exited. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    const n = SIGNALS[signal];
    return n !== undefined && !!this.native?.kill(n);
  }
}
