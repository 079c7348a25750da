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
import type { GoneRow, LsRow, StatusInfo } from '../ipc/messages.js';
import { refuseConnection, serveConnection, type Handlers, type StreamSide } from '../ipc/server.js';
import { listenUnix } from '../ipc/unix.js';
import { packageRoot } from '../native.js';
import { daemonPaths, sessionPaths } from '../paths.js';
import { callerIdMapping, isRunning, killBox, readBoxRecord, removeLayers } from '../sandbox/box.js';
import { AGENT_PTY, Session } from '../session/session.js';
import { scanBoxes, type DamagedBox } from './discover.js';
import { DaemonLog } from './log.js';
import { claimName, nameFor } from './names.js';

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
/** Boxes that ended on their own, remembered for the commands that still name them. */
const GONE_KEPT = 64;

export class Daemon {
  readonly sessions = new Map<string, Session>();
  /** Live boxes that cannot be served (their record is unusable): listed and killable only. */
  readonly damaged = new Map<string, DamagedBox>();
  /** Boxes whose init died lately, by name. */
  private readonly gone = new Map<string, GoneRow>();
  /** Layer removals under way, by box name (a new box of that name waits for them). */
  private readonly removing = new Map<string, Promise<void>>();
  private readonly connections = new Set<Socket>();
  private readonly budget = new InputBudget();
  /** Damaged boxes being killed (their cleanup is the kill's). */
  private readonly killing = new Set<string>();
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
    await d.adoptRunningBoxes();
    d.sweeper = setInterval(() => d.sweep(), SWEEP_MS);
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
    if (this.stopped || this.sessions.size > 0 || this.damaged.size > 0 || this.connections.size > 0) return;
    this.idleTimer = setTimeout(() => {
      this.log.write('idle-exit');
      void this.shutdown('idle');
    }, this.opts.idleMs);
    this.idleTimer.unref?.();
  }

  /** Boxes that outlived an earlier daemon: adopt them, start their agents again. */
  private async adoptRunningBoxes(): Promise<void> {
    const found = scanBoxes(this.opts.coopHome);
    for (const rec of found.running) {
      try {
        const s = Session.adopt(this.opts.coopHome, rec.name);
        this.serve(s);
        this.log.write('adopted', { session: rec.name, pid: s.box.pid });
      } catch (e) {
        // Alive but not servable: listed as damaged, its files left alone.
        this.damaged.set(rec.name, {
          name: rec.name, pid: rec.pid, startTime: rec.startTime, workspace: rec.workspace.host, created: rec.created,
          rootfs: rec.rootfs, problem: (e as Error).message,
        });
        this.log.write('damaged', { session: rec.name, pid: rec.pid });
      }
    }
    for (const d of found.damaged) {
      this.damaged.set(d.name, d);
      this.log.write('damaged', { session: d.name, pid: d.pid });
    }
    // Their init is gone (a reboot, a kill -9 of the box): remove their layers, keep persist.
    for (const name of found.dead) {
      const paths = sessionPaths(this.opts.coopHome, name);
      await removeLayers(paths, readBoxRecord(paths)?.idmap ?? callerIdMapping());
      this.log.write('box-gone', { session: name });
    }
  }

  private serve(s: Session): void {
    this.sessions.set(s.name, s);
    this.gone.delete(s.name);
    s.onBoxGone = () => this.reap(s);
  }

  /** A box whose init died: forgotten, its layers removed (persist kept), remembered as gone. */
  private reap(s: Session): void {
    if (this.sessions.get(s.name) !== s || s.stopping) return; // (a kill under way cleans up itself)
    this.sessions.delete(s.name);
    s.stopping = true;
    for (const p of s.ptys.values()) p.remove();
    const message = `box ${s.name} is gone: its init process (pid ${s.box.pid}) ended; its layers were removed and its persist directories kept — \`coop\` in ${s.box.workspace.host} starts it again`;
    this.remember({ name: s.name, workspace: s.box.workspace.host, message });
    this.log.write('box-gone', { session: s.name, pid: s.box.pid });
    this.removeInBackground(s.name, removeLayers(s.box.paths, s.box.idmap));
    this.touch();
  }

  private remember(row: GoneRow): void {
    this.gone.delete(row.name);
    this.gone.set(row.name, row);
    while (this.gone.size > GONE_KEPT) this.gone.delete(this.gone.keys().next().value!);
  }

  private removeInBackground(name: string, removal: Promise<void>): void {
    const p = removal.catch((e) => this.log.write('remove-failed', { session: name, message: (e as Error).message })).finally(() => {
      if (this.removing.get(name) === p) this.removing.delete(name);
    });
    this.removing.set(name, p);
  }

  /** Finds boxes whose init died since the last look. */
  private sweep(): void {
    for (const s of [...this.sessions.values()]) if (!s.stopping && !s.alive) this.reap(s);
    for (const d of [...this.damaged.values()]) {
      if (this.killing.has(d.name) || isRunning(d)) continue;
      this.damaged.delete(d.name);
      this.log.write('box-gone', { session: d.name, pid: d.pid });
      this.removeInBackground(d.name, removeLayers(sessionPaths(this.opts.coopHome, d.name), callerIdMapping()));
      this.touch();
    }
  }

  /** Stops serving; boxes keep running. Clients are told they were detached. */
  shutdown(reason: string): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopped = (async () => {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      if (this.sweeper) clearInterval(this.sweeper);
      this.server?.close();
      for (const s of this.sessions.values()) s.detachAll(reason);
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

  /** A box that can be served; a clear error for one that is damaged, gone or unknown. */
  private session(name: string): Session {
    this.sweep();
    const s = this.sessions.get(name);
    if (s) return s;
    const d = this.damaged.get(name);
    if (d) throw new CoopError('SANDBOX_FAILED', `box ${name} cannot be served: ${d.problem}; end it with \`coop kill ${name}\` (persist directories are kept)`);
    const g = this.gone.get(name);
    if (g) throw new CoopError('SESSION_NOT_FOUND', g.message);
    throw new CoopError('SESSION_NOT_FOUND', `no box named ${name}`);
  }

  private async createSession(req: Parameters<Handlers['create']>[0]): Promise<{ session: string; existing: boolean }> {
    this.sweep();
    const workspace = req.config.workspace.mount;
    for (const d of this.damaged.values()) {
      if (d.name === req.name || (!req.name && d.workspace === workspace)) {
        throw new CoopError('SESSION_EXISTS', `box ${d.name} of ${d.workspace || 'this workspace'} is running but damaged: ${d.problem}; end it with \`coop kill ${d.name}\` (persist directories are kept)`);
      }
    }
    if (req.name) {
      const existing = this.sessions.get(req.name);
      if (existing) {
        if (existing.box.workspace.host === workspace) return { session: req.name, existing: true };
        throw new CoopError('SESSION_EXISTS', `a box named ${req.name} already exists for ${existing.box.workspace.host}`);
      }
    } else {
      for (const s of this.sessions.values()) if (s.box.workspace.host === workspace) return { session: s.name, existing: true };
    }
    const pending = this.creating.get(workspace);
    if (pending) return { session: (await pending).name, existing: true };
    const name = req.name ?? nameFor(this.opts.coopHome, workspace, (n) => this.sessions.get(n)?.box.workspace.host ?? this.damaged.get(n)?.workspace ?? null);
    const creation = (async () => {
      await this.removing.get(name);
      claimName(this.opts.coopHome, name, workspace);
      const s = await Session.create({
        name, config: req.config, coopHome: this.opts.coopHome, term: req.term ?? 'xterm-256color',
        cols: req.cols ?? 80, rows: req.rows ?? 24, graceMs: this.opts.killGraceMs,
      });
      this.serve(s);
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
    this.sweep();
    for (const name of names) if (!this.sessions.has(name) && !this.damaged.has(name)) this.session(name); // says why not
    const killed: string[] = [];
    await Promise.all(
      names.map(async (name) => {
        this.log.write('killing', { session: name, force });
        const d = this.damaged.get(name);
        if (d) {
          // Its record is unusable: the init found in /proc is ended, then the layers go.
          const paths = sessionPaths(this.opts.coopHome, name);
          this.killing.add(name);
          try {
            await killBox({ pid: d.pid, startTime: d.startTime, paths, idmap: readBoxRecord(paths)?.idmap ?? callerIdMapping() }, { force, graceMs: this.opts.killGraceMs });
          } finally {
            this.killing.delete(name);
          }
          this.damaged.delete(name);
        } else {
          const s = this.sessions.get(name)!;
          await s.kill(force);
          this.sessions.delete(name);
        }
        killed.push(name);
      }),
    );
    this.touch();
    return killed.sort();
  }

  private status(): StatusInfo {
    const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
    let clients = 0;
    for (const s of this.sessions.values()) clients += s.clientCount();
    return {
      pid: process.pid, version, uptime_s: Math.round((Date.now() - this.started) / 1000), socket: this.paths.socket,
      coop_home: this.opts.coopHome, sessions: this.sessions.size + this.damaged.size, clients, rss_bytes: process.memoryUsage().rss,
    };
  }

  private attachStream(name: string, pty: number, opts: { cols: number; rows: number; readonly: boolean; filtered: boolean }) {
    const s = this.session(name);
    s.getPty(pty);
    return {
      response: { session: name, pty },
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
        const p = s.shell({ command: req.command, fresh: req.new, cols: req.cols, rows: req.rows, term: req.term });
        return this.attachStream(req.session, p.id, { cols: req.cols, rows: req.rows, readonly: false, filtered: false });
      },
      logsFollow: async (req) => {
        const s = this.session(req.session);
        const p = s.getPty(req.pty);
        return {
          response: {},
          start: (stream: StreamSide) =>
            s.attach(p.id, stream, { kind: 'local', readonly: true, filtered: false, cols: 1, rows: 1, replayLines: req.lines }),
        };
      },
      ls: () => {
        this.sweep();
        const rows = [...this.sessions.values()].map((s): LsRow => s.row());
        for (const d of this.damaged.values()) {
          rows.push({
            name: d.name, workspace: d.workspace, pid: d.pid, created: d.created, state: 'damaged', ptys: [],
            clients: { local: 0, web: 0, tunnel: 0 }, problem: `${d.problem}; end it with \`coop kill ${d.name}\``,
          });
        }
        const sessions = rows.sort((a, b) => a.name.localeCompare(b.name));
        return this.gone.size ? { sessions, gone: [...this.gone.values()] } : { sessions };
      },
      kill: async (req) => ({ killed: await this.kill(req.all ? [...this.sessions.keys(), ...this.damaged.keys()] : [req.session!], req.force ?? false) }),
      restart: (req) => {
        this.session(req.session).restart(req.pty, req.config);
        this.log.write('restarted', { session: req.session, pty: req.pty });
        return {};
      },
      logs: (req) => {
        const p = this.session(req.session).getPty(req.pty);
        return { data: req.lines !== undefined ? p.ring.tailLines(req.lines) : p.ring.snapshot() };
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
