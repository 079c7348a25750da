// `coop serve` (SPEC §10): the daemon's HTTP and WebSocket listener. Every request needs the
// token (auth.ts); the page is one document (page.ts); `GET /ws` upgrades to a WebSocket
// that speaks the daemon's own protocol (binary messages, exactly the Unix socket's bytes)
// through the gateway as a `web` peer; a small JSON REST API for scripts wraps the same
// gateway handlers. The token is never logged and never written to disk.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { networkInterfaces } from 'node:os';
import { WebSocketServer } from 'ws';
import type { Gateway } from '../daemon/gateway.js';
import type { DaemonLog } from '../daemon/log.js';
import type { Peer } from '../daemon/policy.js';
import { CoopError } from '../errors.js';
import { MAX_FRAME } from '../ipc/frames.js';
import { authorized, MIN_TOKEN_LENGTH, newToken, sameOrigin } from './auth.js';
import { loadPage, type Page } from './page.js';
import { HEADERS, sendJson } from './http.js';
import { handleRest } from './rest.js';
import { WebSocketTransport } from './ws-transport.js';

export interface WebServerOptions {
  host: string;
  port: number;
  /** Default: a fresh random token. */
  token?: string;
  gateway: Gateway;
  log: DaemonLog;
  /** Directory of the page bundle (default dist/web of the package). */
  pageDir?: string;
}

const peerOf = (req: IncomingMessage): Peer => ({ kind: 'web', label: `${req.socket.remoteAddress}:${req.socket.remotePort}` });
const wildcard = (host: string) => host === '0.0.0.0' || host === '::';
const loopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');
const hostInUrl = (h: string) => (h.includes(':') ? `[${h}]` : h);

export class WebServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME + 64, perMessageDeflate: false });
  private readonly page: Page | { missing: string };

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    readonly token: string,
    private readonly opts: WebServerOptions,
  ) {
    this.page = loadPage(opts.pageDir);
  }

  static async start(opts: WebServerOptions): Promise<WebServer> {
    if (opts.token !== undefined && (opts.token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(opts.token))) {
      throw new CoopError('BAD_ARGUMENTS', `a --token must be at least ${MIN_TOKEN_LENGTH} printable characters without spaces; leave it out for a random one`);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new CoopError('BAD_ARGUMENTS', `cannot serve on ${opts.host}:${opts.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use; choose another with -p' : e.code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : e.message}`)));
      server.listen(opts.port, opts.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const web = new WebServer(server, opts.host, port, opts.token ?? newToken(), opts);
    server.on('request', (req, res) => web.request(req, res));
    server.on('upgrade', (req, socket, head) => web.upgrade(req, socket, head));
    server.on('clientError', (_e, socket) => socket.destroy());
    opts.log.write('web-started', { host: opts.host, port });
    return web;
  }

  /** The URLs to open, token included: this machine's first, then the LAN's. */
  urls(): string[] {
    const at = (h: string) => `http://${hostInUrl(h)}:${this.port}/?token=${encodeURIComponent(this.token)}`;
    if (!wildcard(this.host)) return [at(this.host)];
    const lan: string[] = [];
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) if (!a.internal && (a.family === 'IPv4' || this.host === '::')) lan.push(at(a.address));
    }
    return [at(this.host === '::' ? '::1' : '127.0.0.1'), ...lan];
  }

  /** Whether only this machine can reach it. */
  get loopbackOnly(): boolean {
    return loopback(this.host);
  }

  private refuse(res: ServerResponse, status: number, message: string): void {
    sendJson(res, status, { ok: false, error: status === 403 ? 'FORBIDDEN' : 'INVALID_COMMAND', message });
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    if (!authorized(req, this.token)) return this.refuse(res, 403, 'a valid token is required (?token= or Authorization: Bearer)');
    if (!sameOrigin(req)) return this.refuse(res, 403, 'requests from another origin are refused');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/' || path === '/index.html') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return this.refuse(res, 405, 'the page is read with GET');
      if ('missing' in this.page) return this.refuse(res, 500, this.page.missing);
      const { body, csp } = this.page.html();
      res.writeHead(200, { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp });
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    if (path.startsWith('/api/')) return void handleRest(req, res, path, this.opts.gateway.handlers(peerOf(req)));
    this.refuse(res, 404, `nothing at ${path.slice(0, 200)}`);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const deny = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    if (!authorized(req, this.token)) return deny('403 Forbidden');
    if (!sameOrigin(req)) {
      this.opts.log.write('web-refused', { why: 'foreign origin', from: req.socket.remoteAddress });
      return deny('403 Forbidden');
    }
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') return deny('404 Not Found');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.opts.gateway.serve(new WebSocketTransport(ws), peerOf(req));
    });
  }

  /** Stops listening and ends every WebSocket. */
  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.close(1001, 'the web server stopped');
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const ws of this.wss.clients) ws.terminate();
    this.opts.log.write('web-stopped', { host: this.host, port: this.port });
  }
}
