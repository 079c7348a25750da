// One PTY of a box: the process on it (started through coop-helper, which gives it a
// terminal of the box's own devpts and hands that terminal's master to us: the daemon reads
// and writes it itself), its scrollback, its clients, and — for the agent — the restart
// policy of SPEC §7.
import { closeSync } from 'node:fs';
import type { ExitReason, PtyRow } from '../ipc/messages.js';
import type { StreamSide } from '../ipc/server.js';
import { native, type NativeTerminal } from '../native.js';
import { enterPlan, isRunning, type Box } from '../sandbox/box.js';
import { HelperProcess } from '../sandbox/helper-process.js';
import type { PtyClient } from './client.js';
import { crashLoopNotice, exitedNotice, restartingNotice } from './notices.js';
import { createRing } from './ring.js';

export type PtyRole = 'agent' | 'shell';
export type PtyState = PtyRow['state'];
/** Exits this soon after a start count towards a crash loop. */
export const FAST_EXIT_MS = 5000;
/** This many fast exits in a row stop auto-restart. */
export const CRASH_LOOP_EXITS = 3;
/** A helper told to hang up gives its process 5 s; after this long it is killed itself. */
const HELPER_HANGUP_MS = 10_000;
/**
 * After the process ended, its last output may still be on its way through the terminal:
 * it is read until the terminal has no writer left, or stays quiet this long (a background
 * process still holds it).
 */
const DRAIN_QUIET_MS = 100;
/** Input kept for a terminal that has not been handed over yet. */
const EARLY_INPUT_MAX = 64 * 1024;

export interface PtyOptions {
  id: number;
  role: PtyRole;
  argv: string[];
  /** Shown in `ls`: the command as the user gave it. */
  label: string;
  term: string;
  cols: number;
  rows: number;
  /** Working directory in the box (default: the workspace path). */
  cwd?: string;
  /** Agent only. */
  autoRestart: boolean;
  restartDelayMs: number;
}

export class BoxPty {
  readonly id: number;
  readonly role: PtyRole;
  readonly ring = createRing();
  argv: string[];
  label: string;
  autoRestart: boolean;
  restartDelayMs: number;
  state: PtyState = 'stopped';
  /** How the last run ended. */
  lastExit: { code: number | null; signal: string | null } | null = null;
  /** Why the PTY is stopped or exited (told to clients that attach then). */
  stopReason: ExitReason | null = null;
  /** Called when the process ends (code or signal), before any restart. */
  onExit: ((code: number | null, signal: string | null) => void) | null = null;
  /** Called when a crash loop stops the agent. */
  onStopped: (() => void) | null = null;
  private proc: HelperProcess | null = null;
  /** The box terminal of the running process, once the helper has handed it over. */
  private terminal: NativeTerminal | null = null;
  /** Input that came before the terminal did. */
  private early: Buffer[] = [];
  private earlyBytes = 0;
  private readonly clients = new Set<PtyClient>();
  private cols: number;
  private rows: number;
  private readonly term: string;
  readonly cwd: string | undefined;
  private startedAt = 0;
  private fastExits = 0;
  private timer: NodeJS.Timeout | null = null;
  private restartNow = false;
  private removed = false;
  private removedAs: ExitReason = 'exited';
  /** Called when a shell PTY has ended and should be forgotten. */
  onGone: (() => void) | null = null;
  /** Called when the process ended because the box's init is gone. */
  onBoxGone: (() => void) | null = null;
  /** Client streams whose input waits until the process takes what it was given. */
  private readonly waitingInput = new Set<StreamSide>();
  private readonly watched = new WeakSet<StreamSide>();

  constructor(opts: PtyOptions, private readonly box: Box) {
    this.id = opts.id;
    this.role = opts.role;
    this.argv = opts.argv;
    this.label = opts.label;
    this.term = opts.term;
    this.cwd = opts.cwd;
    this.cols = opts.cols;
    this.rows = opts.rows;
    this.autoRestart = opts.autoRestart;
    this.restartDelayMs = opts.restartDelayMs;
  }

  get pid(): number | null {
    return this.proc?.child.pid ?? null;
  }

  row(): PtyRow {
    return { id: this.id, role: this.role, command: this.label, state: this.state, pid: this.pid };
  }

  /** The terminal's current size. */
  size(): { cols: number; rows: number } {
    return { cols: this.cols, rows: this.rows };
  }

  clientCounts(): Record<'local' | 'web' | 'tunnel', number> {
    const counts = { local: 0, web: 0, tunnel: 0 };
    for (const c of this.clients) counts[c.kind]++;
    return counts;
  }

  start(): void {
    if (this.removed) return;
    if (!isRunning(this.box)) return this.exited(null, null); // the box is gone: say so, start nothing
    const size = { cols: this.cols, rows: this.rows };
    const plan = enterPlan(this.box, { argv: this.argv, cwd: this.cwd, env: { TERM: this.term }, terminal: size });
    const proc = new HelperProcess(plan, { argv0: 'coop-enter' });
    this.proc = proc;
    this.state = 'running';
    this.stopReason = null;
    this.startedAt = Date.now();
    // The terminal's end: no writer left (EIO), or quiet for a while after the exit.
    let ended!: () => void;
    const drained = new Promise<void>((resolve) => (ended = resolve));
    let term: NativeTerminal | null = null;
    let exitedAlready = false;
    let quiet: NodeJS.Timeout | null = null;
    const settle = () => {
      if (quiet) clearTimeout(quiet);
      quiet = exitedAlready && term ? setTimeout(ended, DRAIN_QUIET_MS) : null;
    };
    proc.onTerminal = (fd) => {
      if (this.proc !== proc || this.removed || term) return closeSync(fd);
      term = new (native().BoxTerminal)(
        fd,
        (bytes) => {
          this.output(bytes);
          if (quiet) settle();
        },
        () => ended(),
        () => this.inputDrained(),
      );
      this.terminal = term;
      for (const b of this.early.splice(0)) term.write(b);
      this.earlyBytes = 0;
      if (term.queued < EARLY_INPUT_MAX) this.inputDrained();
      if (this.cols !== size.cols || this.rows !== size.rows) term.resize(this.cols, this.rows); // changed meanwhile
    };
    // All output first, then the exit.
    void proc.outcome.then(async (o) => {
      exitedAlready = true;
      if (term) settle();
      else ended();
      await drained;
      term?.close();
      if (this.terminal === term) this.terminal = null;
      if (this.proc !== proc) return;
      // 125: the box could not be entered; 126/127: the command could not be run (not found, not executable).
      if (o.error && [125, 126, 127].includes(o.helper.code ?? 0)) this.notice(`\r\n\x1b[1;31m[coop: ${o.error.message}]\x1b[0m\r\n`);
      this.exited(o.helper.signal ? null : o.helper.code, o.helper.signal);
    });
  }

  /** Output of the process, or coop's notices: into the ring and to every client. */
  private output(bytes: Buffer): void {
    this.ring.write(bytes);
    for (const c of this.clients) c.output(bytes);
  }

  /** coop's own text in the PTY's output (dim notices): into the scrollback and to every client. */
  notice(text: string): void {
    this.output(Buffer.from(text));
  }

  private endClients(code: number | null, signal: string | null, reason: ExitReason): void {
    this.stopReason = reason;
    for (const c of this.clients) {
      c.stream.control({ type: 'pty_exited', code, signal, reason });
      c.stream.close();
    }
    this.clients.clear();
  }

  private exited(code: number | null, signal: string | null): void {
    this.proc = null;
    this.early = [];
    this.earlyBytes = 0;
    this.lastExit = { code, signal };
    this.inputDrained(); // what was waiting for this process never will reach it
    if (!this.removed && !isRunning(this.box)) {
      // The box's init died (kill -9, OOM): nothing can run in it any more.
      this.removed = true;
      this.state = 'exited';
      this.notice(`\r\n\x1b[1;31m[coop: box ${this.box.name} is gone: its init process ended]\x1b[0m\r\n`);
      this.endClients(code, signal, 'killed');
      this.onBoxGone?.();
      return;
    }
    this.onExit?.(code, signal);
    if (this.restartNow) {
      this.restartNow = false;
      this.start();
      return;
    }
    if (this.role === 'shell' || this.removed) {
      this.state = 'exited';
      this.endClients(code, signal, this.removed ? this.removedAs : 'exited');
      if (this.role === 'shell') this.onGone?.();
      return;
    }
    this.notice(exitedNotice(code, signal));
    this.fastExits = Date.now() - this.startedAt < FAST_EXIT_MS ? this.fastExits + 1 : 0;
    if (!this.autoRestart || this.fastExits >= CRASH_LOOP_EXITS) {
      if (this.autoRestart) this.notice(crashLoopNotice(this.fastExits, FAST_EXIT_MS));
      this.state = this.autoRestart ? 'stopped' : 'exited';
      this.endClients(code, signal, this.autoRestart ? 'crash_loop' : 'exited');
      if (this.autoRestart) this.onStopped?.();
      return;
    }
    this.notice(restartingNotice(this.restartDelayMs));
    this.state = 'restarting';
    for (const c of this.clients) c.stream.control({ type: 'pty_restarting', delay_ms: this.restartDelayMs });
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, this.restartDelayMs);
  }

  /** Subscribes the client and replays the scrollback, in one turn: nothing lost, nothing twice. */
  attach(client: PtyClient, replayLines?: number): void {
    client.stream.send(replayLines === undefined ? this.ring.snapshot() : this.ring.tailLines(replayLines));
    client.stream.control({ type: 'replayed' });
    if (this.state === 'exited' || this.state === 'stopped') {
      const e = this.lastExit ?? { code: null, signal: null };
      client.stream.control({ type: 'pty_exited', code: e.code, signal: e.signal, reason: this.stopReason ?? 'exited' });
      client.stream.close();
      return;
    }
    this.clients.add(client);
    client.stream.onClose(() => {
      this.clients.delete(client);
      this.fitSize();
    });
    this.fitSize();
  }

  /**
   * Input from a client (already filtered when it must be). False when the process has not
   * taken what it was given before: the caller should wait (whenWritable) before writing more.
   */
  write(bytes: Buffer): boolean {
    if (this.terminal) return this.terminal.write(bytes);
    if (!this.proc) return true; // nowhere to go: dropped, as with no process
    // Starting: kept (within bounds) until the terminal is handed over.
    this.early.push(bytes);
    this.earlyBytes += bytes.length;
    return this.earlyBytes < EARLY_INPUT_MAX;
  }

  /** Pauses a client's input until the process has taken its backlog (or has gone). */
  whenWritable(stream: StreamSide): void {
    if (this.waitingInput.has(stream)) return;
    this.waitingInput.add(stream);
    stream.pauseInput();
    if (!this.watched.has(stream)) {
      this.watched.add(stream);
      stream.onClose(() => this.waitingInput.delete(stream));
    }
  }

  private inputDrained(): void {
    const waiting = [...this.waitingInput];
    this.waitingInput.clear();
    for (const s of waiting) s.resumeInput();
  }

  /** The smallest size among interactive clients (SPEC §7). */
  fitSize(): void {
    const sizes = [...this.clients].filter((c) => !c.readonly);
    if (sizes.length === 0) return;
    const cols = Math.min(...sizes.map((c) => c.cols));
    const rows = Math.min(...sizes.map((c) => c.rows));
    if (cols === this.cols && rows === this.rows) return;
    this.cols = cols;
    this.rows = rows;
    this.terminal?.resize(cols, rows);
  }

  /** Starts the process again (coop restart): at once, with a fresh crash-loop count. */
  restart(argv?: string[], label?: string): void {
    if (argv) this.argv = argv;
    if (label) this.label = label;
    this.fastExits = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.proc) {
      this.restartNow = true;
      this.signal('SIGTERM');
    } else this.start();
  }

  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig); // the helper passes it on to the process
  }

  /**
   * Ends the PTY for good: clients are told the PTY ended (`reason` killed: with its box).
   * The helper hangs up the terminal (and ends the process after its own grace time); one
   * that is still there well after that — stuck on a terminal nobody reads — is killed, as
   * it is at once when the whole box goes (`now`).
   */
  remove(now = false, reason: ExitReason = 'exited'): void {
    this.removed = true;
    this.removedAs = reason;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const proc = this.proc;
    if (!proc) return this.endClients(this.lastExit?.code ?? null, this.lastExit?.signal ?? null, reason);
    // Hung up as a real terminal is: its master closes.
    this.terminal?.close();
    this.terminal = null;
    if (now) return void proc.kill('SIGKILL');
    proc.kill('SIGHUP');
    setTimeout(() => {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.kill('SIGKILL');
    }, HELPER_HANGUP_MS).unref();
  }

  /** An agent a crash loop had stopped before a daemon takeover: stays stopped until `coop restart`. */
  keepStopped(): void {
    this.state = 'stopped';
    this.stopReason = 'crash_loop';
    this.notice('\x1b[1;31m[coop: the agent was stopped after a crash loop (before the daemon restarted); `coop restart` starts it again]\x1b[0m\r\n');
  }

  /** Tells every client the daemon is going away (the process stays, in its box). */
  detachAll(reason: string): void {
    for (const c of this.clients) {
      c.stream.control({ type: 'detached', reason });
      c.stream.close();
    }
    this.clients.clear();
  }
}
