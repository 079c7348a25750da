// The daemon (SPEC §5): owns every box's PTYs, answers the protocol on $COOP_HOME/sock,
// exits when idle, leaves boxes running when it stops, and takes running boxes over again
// when it starts.
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { CoopError } from '../errors.js';
import type { LsRow, StatusInfo } from '../ipc/messages.js';
import { serveConnection, type Handlers, type StreamSide } from '../ipc/server.js';
import { listenUnix } from '../ipc/unix.js';
import { packageRoot } from '../native.js';
import { daemonPaths, sessionPaths } from '../paths.js';
import { readBoxRecord } from '../sandbox/box.js';
import { removeTree } from '../sandbox/remove.js';
import { AGENT_PTY, Session, type SessionLog } from '../session/session.js';
import { sessionNames } from './discover.js';
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
}

export class Daemon {
  readonly sessions = new Map<string, Session>();
  private readonly connections = new Set<Socket>();
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
    };
    mkdirSync(opts.coopHome, { recursive: true, mode: 0o700 });
    const d = new Daemon(opts);
    d.server = await listenUnix(opts.socket, {
      onConnection: (s) => d.accept(s),
      onRefused: (uid) => d.log.write('refused', { uid }),
    });
    writeFileSync(d.paths.pid, `${process.pid}\n`, { mode: 0o600 });
    d.log.write('started', { pid: process.pid, socket: opts.socket });
    await d.adoptRunningBoxes();
    d.touch();
    return d;
  }

  // ---- lifecycle -----------------------------------------------------------------------

  private accept(socket: Socket): void {
    this.connections.add(socket);
    this.touch();
    socket.on('close', () => {
      this.connections.delete(socket);
      this.touch();
    });
    serveConnection(socket, this.handlers(), { onInternalError: (e) => this.log.write('internal-error', { message: (e as Error)?.message }) });
  }

  /** (Re)arms the idle timer when nothing is left to serve. */
  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.stopped || this.sessions.size > 0 || this.connections.size > 0) return;
    this.idleTimer = setTimeout(() => {
      this.log.write('idle-exit');
      void this.shutdown('idle');
    }, this.opts.idleMs);
    this.idleTimer.unref?.();
  }

  /** Boxes that outlived an earlier daemon: adopt them, start their agents again. */
  private async adoptRunningBoxes(): Promise<void> {
    for (const name of sessionNames(this.opts.coopHome)) {
      const paths = sessionPaths(this.opts.coopHome, name);
      if (!existsSync(paths.record)) continue;
      const s = Session.adopt(this.opts.coopHome, name, this.sessionLog);
      if (s) {
        this.sessions.set(name, s);
        this.log.write('adopted', { session: name, pid: s.box.pid });
        continue;
      }
      // Its init is gone (a reboot, a kill -9 of the box): remove its layers, keep persist.
      const rec = readBoxRecord(paths);
      if (rec) await removeTree([paths.root, paths.upper, paths.work, join(paths.dir, 'files'), paths.record], rec.idmap).catch(() => {});
      this.log.write('box-gone', { session: name });
    }
  }

  /** Stops serving; boxes keep running. Clients are told they were detached. */
  shutdown(reason: string): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopped = (async () => {
      if (this.idleTimer) clearTimeout(this.idleTimer);
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

  private readonly sessionLog: SessionLog = (event, fields) => this.log.write(event, fields);

  private session(name: string): Session {
    const s = this.sessions.get(name);
    if (!s) throw new CoopError('SESSION_NOT_FOUND', `no box named ${name}`);
    return s;
  }

  private async createSession(req: Parameters<Handlers['create']>[0]): Promise<{ session: string; existing: boolean }> {
    const workspace = req.config.workspace.mount;
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
    const name = req.name ?? nameFor(this.opts.coopHome, workspace, (n) => this.sessions.get(n)?.box.workspace.host ?? null);
    const creation = (async () => {
      claimName(this.opts.coopHome, name, workspace);
      const s = await Session.create({
        name, config: req.config, coopHome: this.opts.coopHome, term: req.term ?? 'xterm-256color',
        cols: req.cols ?? 80, rows: req.rows ?? 24, graceMs: this.opts.killGraceMs, log: this.sessionLog,
      });
      this.sessions.set(name, s);
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
    const killed: string[] = [];
    await Promise.all(
      names.map(async (name) => {
        const s = this.session(name);
        this.log.write('killing', { session: name, force });
        await s.kill(force);
        this.sessions.delete(name);
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
      coop_home: this.opts.coopHome, sessions: this.sessions.size, clients, rss_bytes: process.memoryUsage().rss,
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
      ls: () => ({ sessions: [...this.sessions.values()].map((s): LsRow => s.row()).sort((a, b) => a.name.localeCompare(b.name)) }),
      kill: async (req) => ({ killed: await this.kill(req.all ? [...this.sessions.keys()] : [req.session!], req.force ?? false) }),
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
