// The daemon (SPEC §5): the box service (service.ts) behind a gateway (gateway.ts) that
// serves each listener's transports with the policy of their peer's kind — the Unix socket
// ($COOP_HOME/sock, `local` peers), after `coop serve` HTTP/WebSocket (`web` peers,
// lib/web), and for each `coop tunnel` a WebRTC peer (`tunnel` peers, lib/tunnel). It exits when idle, leaves boxes running when it stops, and takes running
// boxes over again when it starts. A box whose init dies is cleaned up (layers, never
// persist) and forgotten; a live box it cannot serve (a garbled record) is listed as
// damaged, killable, and its files are left alone.
import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { MAX_CONNECTIONS } from '../ipc/limits.js';
import type { Request, Responses, StatusInfo } from '../ipc/messages.js';
import { listenUnix, peerCred } from '../ipc/unix.js';
import { packageRoot } from '../native.js';
import { daemonPaths } from '../paths.js';
import { AGENT_PTY } from '../ptys/served-box.js';
import { CoopError } from '../errors.js';
import type { Tunnels } from '../tunnel/tunnels.js';
import type { WebServer } from '../web/server.js';
import { scanBoxes } from '../sandbox/discover.js';
import { Gateway, type DaemonCommands } from './gateway.js';
import { DaemonLog } from './log.js';
import type { Roster } from './roster.js';
import { BoxService } from './service.js';

export interface DaemonOptions {
  coopHome: string;
  /** Socket path (default $COOP_HOME/sock). */
  socket?: string;
  /** Exit after this long with no boxes, no clients and no web server (default 30 s). */
  idleMs?: number;
  /** Grace time of `kill` before SIGKILL (default 5 s). */
  killGraceMs?: number;
  /** Simultaneous connections, all listeners together (default MAX_CONNECTIONS). */
  maxConnections?: number;
}

/** How often boxes are checked for an init that died (besides every ls and lookup). */
const SWEEP_MS = 2000;

export class Daemon {
  readonly service: BoxService;
  readonly gateway: Gateway;
  private sweeper: NodeJS.Timeout | null = null;
  private server: Server | null = null;
  private web: WebServer | null = null;
  /** Open tunnels (made on the first `coop tunnel`, with werift). */
  private tunnels: Tunnels | null = null;
  /** A `serve` under way (requests for it wait for one another). */
  private webChange: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | null = null;
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
    this.service = new BoxService(opts.coopHome, this.log, opts.killGraceMs, () => this.touch());
    this.gateway = new Gateway({
      service: this.service, log: this.log, changed: () => this.touch(), maxConnections: opts.maxConnections,
      daemon: {
        serve: (req) => this.serve(req),
        serveStop: () => this.serveStop(),
        tunnel: (req, owner) => this.tunnel(req, owner),
        tunnelAnswer: (answer) => this.tunnelAnswer(answer),
        tunnelWait: (req) => this.tunnelWait(req),
        status: () => this.status(),
        shutdown: () => setImmediate(() => void this.shutdown('shutdown requested')),
      },
    });
    this.done = new Promise((r) => (this.resolveStopped = r));
  }

  /** The boxes (served, damaged, gone). */
  get boxes(): Roster {
    return this.service.boxes;
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
      onConnection: (s) => d.gateway.serve(s, { kind: 'local', label: `pid ${peerCred(s)?.pid ?? '?'}` }),
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

  /** (Re)arms the idle timer when nothing is left to serve. */
  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.stopped || this.boxes.size > 0 || this.gateway.transports.size > 0 || this.web || this.tunnels?.size) return;
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
      this.service.detachAll(reason);
      this.tunnels?.closeAll('the coop daemon stopped');
      this.gateway.closeAll();
      const web = this.web;
      this.web = null;
      await web?.close().catch(() => {});
      try {
        unlinkSync(this.paths.socket);
      } catch {
        // already gone
      }
      rmSync(this.paths.pid, { force: true });
      this.log.write('stopped', { reason });
      setImmediate(() => this.resolveStopped());
    })();
    return this.stopped;
  }

  // ---- what only the daemon answers ------------------------------------------------------

  /** Starts the web server, or keeps the running one when nothing changes. */
  private serve(req: Extract<Request, { cmd: 'serve' }>): Promise<Responses['serve']> {
    const change = this.webChange.then(async () => {
      const cur = this.web;
      if (cur && cur.host === req.host && (req.port === 0 || cur.port === req.port) && (req.token === undefined || req.token === cur.token)) {
        return { urls: cur.urls(), token: cur.token };
      }
      if (cur) await this.stopWeb();
      const { WebServer } = await import('../web/server.js');
      this.web = await WebServer.start({
        host: req.host, port: req.port, token: req.token, gateway: this.gateway, log: this.log, tunnelAnswer: (a) => this.tunnelAnswer(a),
      });
      this.touch();
      return { urls: this.web.urls(), token: this.web.token };
    });
    this.webChange = change.catch(() => {});
    return change;
  }

  private async stopWeb(): Promise<void> {
    const web = this.web;
    this.web = null;
    await web?.close();
    this.touch();
  }

  private serveStop(): Promise<void> {
    const change = this.webChange.then(() => this.stopWeb());
    this.webChange = change.catch(() => {});
    return change;
  }

  // ---- tunnels ---------------------------------------------------------------------------

  private async tunnelManager(): Promise<Tunnels> {
    if (this.tunnels) return this.tunnels;
    const { Tunnels } = await import('../tunnel/tunnels.js');
    this.tunnels ??= new Tunnels({
      coopHome: this.opts.coopHome, log: this.log, changed: () => this.touch(),
      serve: (transport, label, t) => this.gateway.serve(transport, { kind: 'tunnel', label: `tunnel ${t.id.slice(0, 8)} ${label}` }),
    });
    return this.tunnels;
  }

  /** The connect page's address: the one given, else this daemon's web server (LAN first). */
  private connectPage(given: string | undefined): string {
    if (given !== undefined) {
      let u: URL;
      try {
        u = new URL(given);
      } catch {
        throw new CoopError('BAD_ARGUMENTS', `--page must be the address of the connect page (http:// or https://), not "${given.slice(0, 200)}"`);
      }
      if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.hash) {
        throw new CoopError('BAD_ARGUMENTS', `--page must be an http:// or https:// address without "#", not "${given.slice(0, 200)}"`);
      }
      return u.href;
    }
    if (!this.web) {
      throw new CoopError('BAD_ARGUMENTS', 'there is no connect page to send the browser to: start the web server (`coop serve`, `-H 0.0.0.0` for your LAN) or put the page on any static host (`coop serve --export DIR`) and pass its address with --page URL');
    }
    const urls = this.web.urls();
    const u = new URL(urls[urls.length > 1 ? 1 : 0]!);
    u.pathname = '/connect';
    return u.href;
  }

  private async tunnel(req: Extract<Request, { cmd: 'tunnel' }>, owner: Parameters<DaemonCommands['tunnel']>[1]): Promise<Responses['tunnel']> {
    const page = this.connectPage(req.page);
    const { DEFAULT_STUN, MAX_TIMEOUT_MS } = await import('../tunnel/tunnels.js');
    const timeoutMs = Math.min(req.timeout_ms ?? 120_000, MAX_TIMEOUT_MS);
    if (timeoutMs < 1000) throw new CoopError('BAD_ARGUMENTS', 'a tunnel timeout is at least 1 s');
    const stun = req.stun ?? DEFAULT_STUN;
    for (const u of stun) if (!/^stuns?:[^\s]{1,250}$/.test(u)) throw new CoopError('BAD_ARGUMENTS', `--stun must be a stun: URL (e.g. stun:stun.example.org:3478), not "${u.slice(0, 200)}"`);
    return (await this.tunnelManager()).open({ stun, timeoutMs, page, owner });
  }

  private async tunnelAnswer(answer: string): Promise<void> {
    if (!this.tunnels?.size) throw new CoopError('BAD_ARGUMENTS', 'no tunnel is waiting for an answer: run `coop tunnel` for a new link');
    await this.tunnels.answer(answer);
  }

  private async tunnelWait(req: Extract<Request, { cmd: 'tunnel_wait' }>): Promise<Responses['tunnel_wait']> {
    const end = await (await this.tunnelManager()).wait(req.id, req.until);
    if (req.until === 'connected' && end.state !== 'connected') throw new CoopError('TUNNEL_FAILED', `the tunnel failed: ${end.reason}`);
    return end.state === 'connected' ? { state: 'connected' } : { state: 'closed', reason: end.reason, lost: end.lost };
  }

  private status(): StatusInfo {
    const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
    return {
      pid: process.pid, version, uptime_s: Math.round((Date.now() - this.started) / 1000), socket: this.paths.socket,
      coop_home: this.opts.coopHome, boxes: this.boxes.size, clients: this.service.clientCount(), rss_bytes: process.memoryUsage().rss,
      tunnels: this.tunnels?.size ?? 0,
    };
  }
}

export { AGENT_PTY };
