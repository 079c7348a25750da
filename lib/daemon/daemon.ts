// The daemon (SPEC §5): owns every box's PTYs, answers the protocol on $COOP_HOME/sock,
// exits when idle, leaves boxes running when it stops, and takes running boxes over again
// when it starts. A box whose init dies is cleaned up (layers, never persist) and
// forgotten; a live box it cannot serve (a garbled record) is listed as damaged, killable,
// and its files are left alone.
import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { CoopError } from '../errors.js';
import { InputBudget, MAX_CONNECTIONS } from '../ipc/limits.js';
import type { StatusInfo } from '../ipc/messages.js';
import { refuseConnection, serveConnection, type Handlers, type StreamSide } from '../ipc/server.js';
import { listenUnix } from '../ipc/unix.js';
import { packageRoot } from '../native.js';
import { daemonPaths } from '../paths.js';
import { AGENT_PTY, Session, type SessionLog } from '../session/session.js';
import { scanBoxes } from './discover.js';
import { DaemonLog } from './log.js';
import { claimName, nameFor } from './names.js';
import { Roster } from './roster.js';

export interface DaemonOptions {
  coopHome: string;
  /** Socket path (default $COOP_HOME/sock). */
  socket?: string;
  /** Exit after this long with no boxes and no clients (default 30 s). */
  idleMs?: number;
  /** Grace time of `kill` before SIGKILL (default 5 s). */
  killGraceMs?: number;
  /** Simultaneous connections (default MAX_CONNECTIONS). */
  maxConnections?: number;
}

/** How often boxes are checked for an init that died (besides every ls and lookup). */
const SWEEP_MS = 2000;

export class Daemon {
  readonly boxes: Roster;
  private readonly connections = new Set<Socket>();
  private readonly budget = new InputBudget();
  private sweeper: NodeJS.Timeout | null = null;
  private server: Server | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly creating = new Map<string, Promise<Session>>();
  private readonly started = Date.now();
  private readonly paths;
  readonly log: DaemonLog;
  private stopped: Promise<void> | null = null;
  private resolveStopped!: () => void;
  /** Resolves when the daemon has shut down. */
  readonly done: Promise<void>;

  private constructor(private readonly opts: Required<DaemonOptions>) {
    this.paths = { ...daemonPaths(opts.coopHome), socket: opts.socket };
    this.log = new DaemonLog(this.paths.log);
    this.boxes = new Roster(opts.coopHome, this.log, () => this.touch());
    this.done = new Promise((r) => (this.resolveStopped = r));
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const opts: Required<DaemonOptions> = {
      coopHome: options.coopHome,
      socket: options.socket ?? daemonPaths(options.coopHome).socket,
      idleMs: options.idleMs ?? 30_000,
      killGraceMs: options.killGraceMs ?? 5000,
      maxConnections: options.maxConnections ?? MAX_CONNECTIONS,
    };
    mkdirSync(opts.coopHome, { recursive: true, mode: 0o700 });
    const d = new Daemon(opts);
    d.server = await listenUnix(opts.socket, {
      onConnection: (s) => d.accept(s),
      onRefused: (why, peer) => d.log.write('refused', { uid: peer?.uid ?? null, pid: peer?.pid ?? null, why }),
    });
    writeFileSync(d.paths.pid, `${process.pid}\n`, { mode: 0o600 });
    d.log.write('started', { pid: process.pid, socket: opts.socket });
    await d.boxes.takeOver(scanBoxes(opts.coopHome)); // boxes that outlived an earlier daemon
    d.sweeper = setInterval(() => d.boxes.sweep(), SWEEP_MS);
    d.sweeper.unref();
    d.touch();
    return d;
  }

  // ---- lifecycle -----------------------------------------------------------------------

  private accept(socket: Socket): void {
    if (this.connections.size >= this.opts.maxConnections) {
      this.log.write('refused', { why: `${this.connections.size} connections already` });
      refuseConnection(socket, 'BUSY', `the coop daemon already serves ${this.connections.size} connections (its limit); close some (attached terminals, followers) and try again`);
      return;
    }
    this.connections.add(socket);
    this.touch();
    socket.on('close', () => {
      this.connections.delete(socket);
      this.touch();
    });
    serveConnection(socket, this.handlers(), {
      budget: this.budget,
      onInternalError: (e) => this.log.write('internal-error', { message: (e as Error)?.message }),
    });
  }

  /** (Re)arms the idle timer when nothing is left to serve. */
  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.stopped || this.boxes.size > 0 || this.connections.size > 0) return;
    this.idleTimer = setTimeout(() => {
      this.log.write('idle-exit');
      void this.shutdown('idle');
    }, this.opts.idleMs);
    this.idleTimer.unref?.();
  }

  /** Stops serving; boxes keep running. Clients are told they were detached. */
  shutdown(reason: string): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopped = (async () => {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      if (this.sweeper) clearInterval(this.sweeper);
      this.server?.close();
      for (const s of this.boxes.sessions.values()) s.detachAll(reason);
      for (const c of this.connections) c.end();
      try {
        unlinkSync(this.paths.socket);
      } catch {
        // already gone
      }
      rmSync(this.paths.pid, { force: true });
      this.log.write('stopped', { reason });
      setImmediate(() => {
        for (const c of this.connections) c.destroy();
        this.resolveStopped();
      });
    })();
    return this.stopped;
  }

  // ---- requests ------------------------------------------------------------------------

  private readonly sessionLog: SessionLog = (event, fields) => this.log.write(event, fields);

  private session(name: string): Session {
    return this.boxes.lookup(name);
  }

  private async createSession(req: Parameters<Handlers['create']>[0]): Promise<{ session: string; existing: boolean }> {
    const workspace = req.config.workspace.mount;
    const sessions = this.boxes.sessions;
    this.boxes.sweep();
    this.boxes.refuseOverDamaged(req.name, workspace);
    if (req.name) {
      const existing = sessions.get(req.name);
      if (existing) {
        if (existing.box.workspace.host === workspace) return { session: req.name, existing: true };
        throw new CoopError('SESSION_EXISTS', `a box named ${req.name} already exists for ${existing.box.workspace.host}`);
      }
    } else {
      for (const s of sessions.values()) if (s.box.workspace.host === workspace) return { session: s.name, existing: true };
    }
    const pending = this.creating.get(workspace);
    if (pending) return { session: (await pending).name, existing: true };
    const name = req.name ?? nameFor(this.opts.coopHome, workspace, (n) => sessions.get(n)?.box.workspace.host ?? this.boxes.damaged.get(n)?.workspace ?? null);
    const creation = (async () => {
      await this.boxes.settled(name);
      claimName(this.opts.coopHome, name, workspace);
      const s = await Session.create({
        name, config: req.config, coopHome: this.opts.coopHome, term: req.term ?? 'xterm-256color',
        cols: req.cols ?? 80, rows: req.rows ?? 24, graceMs: this.opts.killGraceMs, log: this.sessionLog,
      });
      this.boxes.serve(s);
      this.log.write('created', { session: name, pid: s.box.pid });
      return s;
    })();
    this.creating.set(workspace, creation);
    try {
      await creation;
    } finally {
      this.creating.delete(workspace);
      this.touch();
    }
    return { session: name, existing: false };
  }

  private async kill(names: string[], force: boolean): Promise<string[]> {
    this.boxes.sweep();
    for (const name of names) if (!this.boxes.damaged.has(name)) this.session(name); // says why not
    await Promise.all(
      names.map(async (name) => {
        this.log.write('killing', { session: name, force });
        await this.boxes.kill(name, force, this.opts.killGraceMs);
      }),
    );
    this.touch();
    return [...names].sort();
  }

  private status(): StatusInfo {
    const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
    let clients = 0;
    for (const s of this.boxes.sessions.values()) clients += s.clientCount();
    return {
      pid: process.pid, version, uptime_s: Math.round((Date.now() - this.started) / 1000), socket: this.paths.socket,
      coop_home: this.opts.coopHome, sessions: this.boxes.size, clients, rss_bytes: process.memoryUsage().rss,
    };
  }

  private attachStream(name: string, pty: number, opts: { cols: number; rows: number; readonly: boolean; filtered: boolean }) {
    const s = this.session(name);
    const size = s.getPty(pty).size();
    return {
      response: { session: name, pty, ...size },
      start: (stream: StreamSide) => s.attach(pty, stream, { kind: 'local', ...opts }),
    };
  }

  private handlers(): Handlers {
    const notYet = (what: string) => () => {
      throw new CoopError('INVALID_COMMAND', `${what} is not available in this version of coop`);
    };
    return {
      create: (req) => this.createSession(req),
      attach: async (req) => this.attachStream(req.session, req.pty, { cols: req.cols, rows: req.rows, readonly: req.readonly ?? false, filtered: req.filtered ?? false }),
      shell: async (req) => {
        const s = this.session(req.session);
        const p = s.shell({ command: req.command, fresh: req.new, cols: req.cols, rows: req.rows, term: req.term, cwd: req.cwd, plain: req.plain });
        return this.attachStream(req.session, p.id, { cols: req.cols, rows: req.rows, readonly: false, filtered: false });
      },
      logsFollow: async (req) => {
        const s = this.session(req.session);
        const p = s.getPty(req.pty);
        return {
          response: p.size(),
          start: (stream: StreamSide) =>
            s.attach(p.id, stream, { kind: 'local', readonly: true, filtered: false, cols: 1, rows: 1, replayLines: req.lines }),
        };
      },
      ls: () => this.boxes.rows(),
      kill: async (req) => ({ killed: await this.kill(req.all ? [...this.boxes.sessions.keys(), ...this.boxes.damaged.keys()] : [req.session!], req.force ?? false) }),
      restart: (req) => {
        const needs_box = this.session(req.session).restart(req.pty, req.config);
        this.log.write('restarted', { session: req.session, pty: req.pty });
        return { needs_box };
      },
      logs: (req) => {
        const p = this.session(req.session).getPty(req.pty);
        return { data: req.lines !== undefined ? p.ring.tailLines(req.lines) : p.ring.snapshot(), ...p.size() };
      },
      pty_ls: (req) => ({ ptys: [...this.session(req.session).ptys.values()].map((p) => p.row()) }),
      pty_kill: (req) => {
        this.session(req.session).killPty(req.pty);
        return {};
      },
      serve: notYet('coop serve'),
      serve_stop: notYet('coop serve'),
      tunnel: notYet('coop tunnel'),
      status: () => this.status(),
      shutdown: () => {
        setImmediate(() => void this.shutdown('shutdown requested'));
        return {};
      },
    };
  }
}

export { AGENT_PTY };
