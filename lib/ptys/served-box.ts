// A box: one box and its PTYs — 0 the agent, 1.. shells (SPEC §7).
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { posix, relative } from 'node:path';
import { createBox } from '../boxes.js';
import { parseSequence } from '../config/sequence.js';
import type { CoopConfig } from '../config/types.js';
import { CoopError } from '../errors.js';
import { PLAIN_READY, type LsRow } from '../ipc/messages.js';
import type { StreamSide } from '../ipc/server.js';
import { boxPaths } from '../paths.js';
import { adoptBox, isRunning, killBox, readBoxRecord, type Box } from '../sandbox/box.js';
import { readConfigRecord, writeConfigRecord, type ConfigRecord } from '../sandbox/config-record.js';
import { boxEnv } from '../sandbox/env.js';
import { PtyClient, type ClientKind } from './client.js';
import { LineFollower } from './follow.js';
import { BoxPty } from './pty.js';

export const AGENT_PTY = 0;

export interface AttachOptions {
  kind: ClientKind;
  readonly: boolean;
  /** Filter input (web and tunnel clients; an IPC client may ask for it). Agent PTY only. */
  filtered: boolean;
  cols: number;
  rows: number;
  /** Replay only the last N lines of the scrollback (logs -f -n N). */
  replayLines?: number;
}

const agentArgv = (c: CoopConfig) => [...(c.sandbox.agent ?? []), ...c.sandbox.args];

/** The agent's TERM: [env] TERM, else xterm-256color (not the TERM of whoever created the box). */
const agentTerm = (c: CoopConfig) => c.env.TERM || 'xterm-256color';

/** Operational events of a served box, for the daemon's log (never terminal content or env values). */
export type BoxLog = (event: string, fields: Record<string, string | number | boolean | null | undefined>) => void;

/** Settings that only a new box applies (`coop restart --box`). */
function needsNewBox(before: CoopConfig, after: CoopConfig): string[] {
  const keys: [string, (c: CoopConfig) => unknown][] = [
    ['sandbox.image', (c) => c.sandbox.image], ['sandbox.mounts', (c) => c.sandbox.mounts], ['sandbox.user', (c) => c.sandbox.user],
    ['sandbox.hostname', (c) => c.sandbox.hostname], ['sandbox.seccomp', (c) => c.sandbox.seccomp], ['sandbox.tmpfs_size', (c) => c.sandbox.tmpfs_size],
    ['sandbox.memory', (c) => c.sandbox.memory], ['sandbox.pids', (c) => c.sandbox.pids], ['workspace', (c) => c.workspace],
    ['network', (c) => c.network], ['session.persist', (c) => c.session.persist],
  ];
  if (after.sandbox.image !== 'host' && !after.sandbox.image.startsWith('dir:')) {
    keys.push(['sandbox.setup', (c) => c.sandbox.setup], ['sandbox.packages', (c) => c.sandbox.packages]);
  }
  return keys.filter(([, get]) => JSON.stringify(get(before)) !== JSON.stringify(get(after))).map(([k]) => k);
}

/** The command line that makes a `plain` shell's terminal quiet (no echo, no CRLF), says so, then runs argv. */
const plainArgv = (argv: string[]) => [
  '/bin/sh', '-c', `stty -echo -onlcr 2>/dev/null; printf '${PLAIN_READY.replace('\x1b', '\\033').replace('\x07', '\\007')}'; exec "$@"`, 'sh', ...argv,
];

export class ServedBox {
  readonly ptys = new Map<number, BoxPty>();
  private nextId = 1;
  stopping = false;
  /** The allowlist proxy's refusals, shown in the agent's PTY (SPEC §4.3). */
  private refusals: LineFollower | null = null;
  private log: BoxLog = () => {};
  /** Called once when a PTY found the box's init gone. */
  onBoxGone: (() => void) | null = null;

  private constructor(
    readonly box: Box,
    public config: CoopConfig,
    private readonly term: string,
  ) {}

  /** Marks the agent stopped by a crash loop, so that a daemon taking the box over keeps it stopped. */
  private get stoppedMark(): string {
    return this.box.paths.agentStopped;
  }

  private saveRecord(): void {
    writeConfigRecord(this.box.paths, this.config, this.term);
  }

  get name(): string {
    return this.box.name;
  }

  /** Creates the box and starts the agent on PTY 0. */
  static async create(opts: {
    name: string; config: CoopConfig; coopHome: string; term: string; cols: number; rows: number; graceMs?: number; log?: BoxLog;
  }): Promise<ServedBox> {
    const agent = agentArgv(opts.config);
    if (!opts.config.sandbox.agent) throw new CoopError('CONFIG_INVALID', 'no agent configured (sandbox.agent)');
    const box = await createBox({
      config: opts.config, name: opts.name, coopHome: opts.coopHome, callerEnv: { TERM: opts.term }, graceMs: opts.graceMs,
    });
    const s = new ServedBox(box, opts.config, opts.term);
    if (opts.log) s.log = opts.log;
    s.saveRecord();
    s.followRefusals(true);
    s.startAgent(agent, opts.cols, opts.rows);
    return s;
  }

  /**
   * Takes over a box that outlived its daemon: the box, its files and processes not on a
   * PTY survived; the agent is started again in it. Throws a CoopError saying what is
   * missing when the box cannot be taken over.
   */
  static adopt(coopHome: string, name: string, log?: BoxLog): ServedBox {
    const paths = boxPaths(coopHome, name);
    const rec = readBoxRecord(paths);
    const box = rec && adoptBox(rec);
    if (!box) throw new CoopError('SANDBOX_FAILED', `box ${name}: its record ${paths.record} is unusable or its init is gone`);
    let saved: ConfigRecord;
    try {
      saved = readConfigRecord(paths);
    } catch (e) {
      throw new CoopError('SANDBOX_FAILED', (e as Error).message);
    }
    const s = new ServedBox(box, saved.config, saved.term);
    if (log) s.log = log;
    s.startAgent(agentArgv(saved.config), 80, 24, existsSync(s.stoppedMark));
    s.followRefusals(false);
    return s;
  }

  /** Each line the proxy adds to network.log becomes a dim notice in the agent's PTY (and so in `coop logs`). */
  private followRefusals(fromStart: boolean): void {
    if (!this.box.network?.allow.length) return;
    this.refusals = new LineFollower(this.box.paths.networkLog, (line) => {
      this.ptys.get(AGENT_PTY)?.notice(`\r\n\x1b[2m[${line}]\x1b[0m\r\n`);
    }, fromStart);
  }

  private startAgent(argv: string[], cols: number, rows: number, stopped = false): void {
    const p = new BoxPty(
      {
        id: AGENT_PTY, role: 'agent', argv, label: argv.join(' '), term: agentTerm(this.config), cols, rows,
        autoRestart: this.config.session.auto_restart, restartDelayMs: this.config.session.restart_delay_ms,
      },
      this.box,
    );
    p.onExit = (code, signal) => this.log('agent-exited', { box: this.name, ...(signal ? { signal } : { code }) });
    p.onStopped = () => {
      this.log('agent-stopped', { box: this.name, reason: 'crash loop' });
      writeFileSync(this.stoppedMark, '', { mode: 0o600 });
    };
    p.onBoxGone = () => this.boxGone();
    this.ptys.set(AGENT_PTY, p);
    if (stopped) p.keepStopped();
    else p.start();
  }

  /** True while the box's init lives. */
  get alive(): boolean {
    return isRunning(this.box);
  }

  private boxGone(): void {
    const cb = this.onBoxGone;
    this.onBoxGone = null;
    cb?.();
  }

  getPty(id: number): BoxPty {
    const p = this.ptys.get(id);
    if (!p) throw new CoopError('PTY_NOT_FOUND', `box ${this.name} has no PTY ${id}`);
    return p;
  }

  /** The box path of a host directory: inside the workspace, its place there; else the workspace. */
  boxPathOf(hostDir: string | undefined): string {
    const ws = this.box.workspace;
    if (!hostDir) return ws.path;
    const rel = relative(ws.host, hostDir);
    if (rel.startsWith('..') || rel.startsWith('/')) return ws.path;
    return rel ? posix.join(ws.path, ...rel.split('/')) : ws.path;
  }

  /**
   * A shell PTY: a live one with the same command and directory unless `fresh` (or `plain`),
   * else a new one. `cwd` is the caller's host directory; `plain`: see ShellRequest.plain.
   */
  shell(opts: { command?: string; fresh?: boolean; cols: number; rows: number; term?: string; cwd?: string; plain?: boolean }): BoxPty {
    const label = opts.command ?? this.box.shell;
    const cwd = this.boxPathOf(opts.cwd);
    if (!opts.fresh && !opts.plain) {
      for (const p of this.ptys.values()) if (p.role === 'shell' && p.label === label && p.state === 'running' && (p.cwd ?? this.box.workspace.path) === cwd) return p;
    }
    const id = this.nextId++;
    const inner = opts.command ? ['/bin/sh', '-c', opts.command] : [this.box.shell];
    const argv = opts.plain ? plainArgv(inner) : inner;
    const p = new BoxPty(
      { id, role: 'shell', argv, label, term: opts.term ?? this.term, cols: opts.cols, rows: opts.rows, cwd, autoRestart: false, restartDelayMs: 0 },
      this.box,
    );
    p.onGone = () => this.ptys.delete(id);
    p.onBoxGone = () => this.boxGone();
    this.ptys.set(id, p);
    p.start();
    return p;
  }

  /** Attaches a client stream to a PTY (replay, then live). */
  attach(id: number, stream: StreamSide, opts: AttachOptions): void {
    const p = this.getPty(id);
    const filter =
      opts.filtered && p.role === 'agent'
        ? { ctrlCDebounceMs: this.config.input_filter.ctrl_c_debounce_ms, sequences: this.config.input_filter.block_sequences.map(parseSequence) }
        : null;
    const client = new PtyClient(stream, { kind: opts.kind, readonly: opts.readonly, cols: opts.cols, rows: opts.rows, filter }, p.ring, (b) => {
      // The process is not reading: take no more of this client's input until it has.
      if (!p.write(b)) p.whenWritable(stream);
    });
    stream.onControl((msg) => {
      if (msg.type === 'resize') {
        client.cols = msg.cols;
        client.rows = msg.rows;
        p.fitSize();
      } else {
        stream.control({ type: 'detached' });
        stream.close();
      }
    });
    p.attach(client, opts.replayLines);
  }

  /**
   * Restarts a PTY; for the agent, with a freshly loaded configuration when given: its
   * command and [env] apply to the restarted agent (and later shells). Returns the changed
   * settings that only a new box applies.
   */
  restart(id: number, config?: CoopConfig): string[] {
    const p = this.getPty(id);
    if (id === AGENT_PTY) rmSync(this.stoppedMark, { force: true });
    if (config && id === AGENT_PTY) {
      const pending = needsNewBox(this.config, config);
      this.applyEnv(config);
      this.config = config;
      this.saveRecord();
      p.autoRestart = config.session.auto_restart;
      p.restartDelayMs = config.session.restart_delay_ms;
      const argv = agentArgv(config);
      if (argv.length) p.restart(argv, argv.join(' '));
      else p.restart();
      return pending;
    }
    p.restart();
    return [];
  }

  /** The box environment with the new configuration's [env] instead of the old one's. */
  private applyEnv(config: CoopConfig): void {
    const env = this.box.env;
    const lang = this.config.env.LANG === undefined ? env.LANG : undefined;
    const fresh = boxEnv({
      user: this.box.user, home: this.box.home, shell: this.box.shell, term: env.TERM, lang, box: this.name,
      workspaceHost: this.box.workspace.host, created: this.box.created, extra: config.env,
    });
    for (const k of Object.keys(env)) delete env[k];
    Object.assign(env, fresh);
  }

  killPty(id: number): void {
    if (id === AGENT_PTY) throw new CoopError('INVALID_COMMAND', 'PTY 0 is the agent; use `coop restart` or `coop kill`');
    this.getPty(id).remove();
  }

  row(): LsRow {
    const clients = { local: 0, web: 0, tunnel: 0 };
    for (const p of this.ptys.values()) {
      const c = p.clientCounts();
      clients.local += c.local;
      clients.web += c.web;
      clients.tunnel += c.tunnel;
    }
    return {
      name: this.name, workspace: this.box.workspace.host, pid: this.box.pid, created: this.box.created,
      state: this.stopping ? 'stopping' : 'running', ptys: [...this.ptys.values()].map((p) => p.row()), clients,
      ...(this.box.network ? { network: this.box.network } : {}),
    };
  }

  clientCount(): number {
    const r = this.row().clients;
    return r.local + r.web + r.tunnel;
  }

  /** Ends every process of the box and removes its layers (persist directories stay). */
  async kill(force: boolean): Promise<void> {
    this.stopping = true;
    this.refusals?.close();
    for (const p of this.ptys.values()) p.remove(force, 'killed');
    await killBox(this.box, { force });
  }

  /** The daemon is going away: clients are told, processes stay. */
  detachAll(reason: string): void {
    this.refusals?.close();
    for (const p of this.ptys.values()) p.detachAll(reason);
  }
}
