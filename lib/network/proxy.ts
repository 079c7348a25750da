// The allowlist proxy (SPEC §4.3): a box with network.allow has no way out but this
// HTTP/HTTPS proxy, which runs on the host and listens on 127.0.0.1:3128 inside the box
// (coop-net makes the socket there). CONNECT and plain HTTP go only to allowed names —
// the name the client asked for, its address checked before connecting (no loopback,
// private or link-local address unless network.allow lists it) — and everything else
// gets a 403 whose body names the key to change.
import { lookup } from 'node:dns/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Allowlist, bareHost, isAddress } from './allow.js';

export interface Refusal {
  method: string;
  host: string;
  port: number;
  /** What was wrong, e.g. `"evil.example" is not in network.allow`. */
  reason: string;
  /** How to allow it. */
  fix: string;
}

export interface ProxyOptions {
  allow: string[];
  /** network.hosts: names with fixed addresses, used instead of DNS. */
  hosts?: Record<string, string>;
  /** Called for every refused request. */
  onRefusal?: (r: Refusal) => void;
  /** Name resolution (default: the host's resolver). */
  resolve?: (name: string) => Promise<string[]>;
  /** This machine's addresses, refused like loopback ones (default: its interfaces'). */
  hostAddresses?: Set<string>;
}

type Decision = { ok: true; address: string } | { ok: false; status: number; reason: string; fix: string };

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

const defaultResolve = async (name: string) => (await lookup(name, { all: true, verbatim: true })).map((a) => a.address);

/** The body of a refusal the client gets. */
export const refusalText = (r: Pick<Refusal, 'reason' | 'fix'>) => `coop: blocked: ${r.reason}. ${r.fix}`;

/** One line about a refusal, for the box's terminal and `coop logs`. */
export const refusalNotice = (r: Refusal) => `coop blocked ${r.method} ${r.host}:${r.port}: ${r.reason}. ${r.fix}`;

export function createProxy(opts: ProxyOptions): Server {
  const allow = new Allowlist(opts.allow);
  const hosts = new Map(Object.entries(opts.hosts ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const resolve = opts.resolve ?? defaultResolve;

  async function decide(rawHost: string): Promise<Decision> {
    const host = bareHost(rawHost);
    const addFix = (what: string) => `To allow it, add "${what}" to network.allow in coop.toml (coop run: --allow ${what})`;
    if (isAddress(host)) {
      if (allow.listsAddress(host)) return { ok: true, address: host };
      return { ok: false, status: 403, reason: `${host} is not in network.allow`, fix: addFix(host) };
    }
    if (!allow.nameEntry(host)) return { ok: false, status: 403, reason: `"${host}" is not in network.allow`, fix: addFix(host) };
    let addresses: string[];
    try {
      addresses = hosts.has(host) ? [hosts.get(host)!] : await resolve(host);
    } catch (e) {
      return { ok: false, status: 502, reason: `"${host}" could not be resolved (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, fix: 'Check the name' };
    }
    let why = `"${host}" has no address`;
    for (const a of addresses) {
      const refused = allow.refuseAddress(a, opts.hostAddresses);
      if (!refused) return { ok: true, address: a };
      why = `"${host}" resolves to ${refused}`;
    }
    return { ok: false, status: 403, reason: why, fix: addresses.length ? addFix(addresses[0]!) : 'Check the name' };
  }

  function refused(method: string, host: string, port: number, d: Extract<Decision, { ok: false }>): string {
    if (d.status === 403) opts.onRefusal?.({ method, host: bareHost(host), port, reason: d.reason, fix: d.fix });
    return `${refusalText(d)}\n`;
  }

  const server = createServer(async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error();
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('coop proxy: expected an absolute http:// URL, or CONNECT for https\n');
      return;
    }
    const port = Number(url.port || 80);
    const d = await decide(url.hostname);
    if (!d.ok) {
      res.writeHead(d.status, { 'content-type': 'text/plain', connection: 'close' }).end(refused(req.method ?? 'GET', url.hostname, port, d));
      return;
    }
    const up = request({ host: d.address, port, method: req.method, path: `${url.pathname}${url.search}`, headers: endToEnd(req.headers), setHost: false }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.statusMessage, endToEnd(ur.headers));
      ur.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`coop proxy: ${url.host}: ${e.message}\n`);
      else res.destroy();
    });
    req.pipe(up);
  });

  server.on('connect', async (req, client: Socket, head: Buffer) => {
    client.on('error', () => client.destroy());
    const target = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(req.url ?? '');
    if (!target) {
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const [, host, portText] = target as unknown as [string, string, string];
    const port = Number(portText);
    const d = await decide(host);
    if (!d.ok) {
      const body = refused('CONNECT', host, port, d);
      const status = d.status === 403 ? '403 Forbidden' : '502 Bad Gateway';
      client.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const up = connect({ host: d.address, port });
    let open = false;
    up.on('connect', () => {
      open = true;
      up.setNoDelay(true);
      client.setNoDelay(true);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', (e) => {
      if (open) client.destroy();
      else client.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\ncoop proxy: ${host}:${port}: ${e.message}\n`);
    });
    // Each side's end ends the other (pipe); a broken side breaks the other.
    up.on('close', (hadError) => hadError && client.destroy());
    client.on('close', () => {
      up.end();
      setTimeout(() => up.destroy(), 5000).unref();
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  return server;
}
