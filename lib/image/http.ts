// GET requests for the registry client over node:http / node:https. (Node's fetch loads and
// compiles undici and its WebAssembly parser on first use, and the process then waits for that
// compilation before it can exit: some 150 ms of CPU for every `coop build`.)
// Redirects are followed, and credentials are never sent to another origin than the first.
import type { IncomingMessage, RequestOptions } from 'node:http';
import { builtin } from '../lazy.js';

/** A response whose body has not been read yet. */
export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  header(name: string): string | null;
  /** The body as a stream (read it, or call discard()). */
  readonly body: IncomingMessage;
  /** The whole body; fails when it is longer than `max` bytes. */
  buffer(max?: number): Promise<Buffer>;
  discard(): void;
}

/** A request that failed before a response: `code` is the system error (ECONNREFUSED, ...). */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** No byte for this long on a request's connection: it fails (as fetch's body timeout). */
const IDLE_MS = 300_000;
const MAX_REDIRECTS = 10;

function once(url: URL, headers: Record<string, string>): Promise<IncomingMessage> {
  const lib = url.protocol === 'https:' ? builtin('node:https') : builtin('node:http');
  const opts: RequestOptions = { method: 'GET', headers };
  return new Promise((resolve, reject) => {
    const req = lib.get(url, opts, resolve);
    req.setTimeout(IDLE_MS, () => req.destroy(new HttpError(`no answer from ${url.origin} for ${IDLE_MS / 1000} s`, 'ETIMEDOUT')));
    req.on('error', (e: NodeJS.ErrnoException) => reject(e instanceof HttpError ? e : new HttpError(e.message, e.code ?? e.message)));
  });
}

/** GET `url`, following redirects; `authorization` only goes to the URL's own origin. */
export async function httpGet(url: string | URL, headers: Record<string, string> = {}): Promise<HttpResponse> {
  let at = new URL(url);
  const origin = at.origin;
  for (let hops = 0; ; hops++) {
    const sent = at.origin === origin ? headers : Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
    const res = await once(at, sent);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location && hops < MAX_REDIRECTS) {
      res.resume();
      at = new URL(location, at);
      if (at.protocol !== 'https:' && at.protocol !== 'http:') throw new HttpError(`redirected to ${at.protocol}`, 'EPROTO');
      continue;
    }
    return wrap(res, status);
  }
}

function wrap(res: IncomingMessage, status: number): HttpResponse {
  return {
    status,
    ok: status >= 200 && status < 300,
    header: (name) => {
      const v = res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
    body: res,
    buffer: (max = Infinity) =>
      new Promise((resolve, reject) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > max) return res.destroy(new HttpError(`response larger than ${max} bytes`, 'E2BIG'));
          parts.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(parts)));
        res.on('error', reject);
        res.on('close', () => !res.complete && reject(new HttpError('the connection closed before the response was complete', 'ECONNRESET')));
      }),
    discard: () => void res.resume(),
  };
}
