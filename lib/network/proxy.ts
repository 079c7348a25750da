// The allowlist proxy's HTTP side (SPEC §4.3). A box with network.allow has no way out but
// 127.0.0.1:3128 inside it, where coop-net listens: it relays CONNECT tunnels itself (with
// splice, after asking this process's decider — decide.ts) and hands every other request to
// this server, which listens on 127.0.0.1:3129 inside the box and runs on the host. Plain
// HTTP goes only to allowed names, with the same checks; everything else gets a 403 whose
// body names the key to change.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createDecider, type DeciderOptions } from './decide.js';

export type ProxyOptions = DeciderOptions;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

export function createProxy(opts: ProxyOptions): Server {
  const { decide, refused } = createDecider(opts);

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
