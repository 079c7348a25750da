// `coop serve` for tests: start it through the CLI on a free port, and plain HTTP requests
// with exactly the headers a test gives.
import { request } from 'node:http';
import type { TestCoop } from './daemon.js';

export interface Served {
  url: string;
  port: number;
  token: string;
  /** http://127.0.0.1:PORT */
  base: string;
}

/** Runs `coop serve -p 0 [args]`; the local URL it printed. */
export async function serve(t: TestCoop, args: string[] = []): Promise<Served> {
  const r = await t.cli(['serve', '-p', '0', '--no-qr', ...args]);
  if (r.code !== 0) throw new Error(`coop serve failed (${r.code}): ${r.stderr}`);
  const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(r.stdout)?.[0];
  if (!url) throw new Error(`no URL in: ${r.stdout}`);
  const u = new URL(url);
  return { url, port: Number(u.port), token: u.searchParams.get('token')!, base: `http://127.0.0.1:${u.port}` };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function http(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The status line a WebSocket upgrade gets (101 when it is accepted). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
