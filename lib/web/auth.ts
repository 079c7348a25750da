// Who may use the web server (SPEC §10): whoever holds its token — given as `?token=` or
// `Authorization: Bearer`, nowhere else — compared in constant time; and a browser page may
// open a WebSocket only from the server's own origin.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A fresh token: 24 random bytes (192 bits), URL-safe. */
export const newToken = (): string => randomBytes(24).toString('base64url');

/** At least this long when given with --token (a short one could be guessed). */
export const MIN_TOKEN_LENGTH = 16;

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The token a request carries in an accepted place, or null (none, or more than one). */
export function presentedToken(req: IncomingMessage): string | null {
  const url = new URL(req.url ?? '/', 'http://x');
  const inQuery = url.searchParams.getAll('token');
  const header = req.headers.authorization;
  const bearer = typeof header === 'string' && /^Bearer [^\s]+$/.test(header) ? header.slice(7) : null;
  const found = [...inQuery, ...(bearer ? [bearer] : [])];
  if (found.length !== 1) return null; // none, or ambiguous
  return found[0]!;
}

/** Whether the request carries exactly our token (constant time in the token's content). */
export function authorized(req: IncomingMessage, token: string): boolean {
  const given = presentedToken(req);
  if (given === null) return false;
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * Whether a request's Origin (when it has one: browsers always send it on WebSocket
 * upgrades and on cross-site requests) is this server itself, as the browser reached it.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser (curl, scripts)
  const host = req.headers.host;
  if (!host) return false;
  try {
    const o = new URL(origin);
    return (o.protocol === 'http:' || o.protocol === 'https:') && o.host === host.toLowerCase();
  } catch {
    return false;
  }
}
