// A small JSON REST API for scripts (SPEC §10), a thin wrapper over the same gateway
// handlers the WebSocket protocol reaches — with the same `web` policy:
//   GET /api/boxes · POST /api/boxes {name?, workspace} · DELETE /api/boxes/:name
//   POST /api/boxes/:name/shell {command?}
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CoopError } from '../errors.js';
import type { Handlers } from '../ipc/server.js';
import { InvalidRequest, validateRequest } from '../ipc/validate.js';
import { sendJson } from './http.js';

/** Request bodies are small JSON objects. */
const MAX_BODY = 64 * 1024;

const STATUS: Record<string, number> = {
  BOX_NOT_FOUND: 404, PTY_NOT_FOUND: 404, BOX_EXISTS: 409, FORBIDDEN: 403, INVALID_COMMAND: 400, CONFIG_INVALID: 400,
  ROOTFS_NOT_BUILT: 409, BUSY: 503,
};

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new CoopError('INVALID_COMMAND', `request bodies are at most ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text.trim()) return resolve({});
      try {
        const v = JSON.parse(text) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) return resolve(v as Record<string, unknown>);
      } catch {
        // below
      }
      reject(new CoopError('INVALID_COMMAND', 'the request body must be a JSON object'));
    });
    req.on('error', reject);
  });
}

/** Runs one request through the handlers (the same validation as the socket's). */
async function run(h: Handlers, msg: Record<string, unknown>): Promise<object> {
  let req;
  try {
    req = validateRequest(msg);
  } catch (e) {
    throw new CoopError('INVALID_COMMAND', e instanceof InvalidRequest ? e.message : 'invalid request');
  }
  switch (req.cmd) {
    case 'ls':
      return h.ls(req);
    case 'create':
      return h.create(req);
    case 'kill':
      return h.kill(req);
    case 'shell':
      // Opens (or finds) the shell; nobody attaches here (the page or `coop shell attach` can).
      return (await h.shell(req)).response;
    default:
      throw new CoopError('INVALID_COMMAND', `${req.cmd} is not part of the REST API`);
  }
}

export async function handleRest(req: IncomingMessage, res: ServerResponse, path: string, h: Handlers): Promise<void> {
  try {
    let parts: string[]; // ['api', 'boxes', name?, 'shell'?]
    try {
      parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new CoopError('INVALID_COMMAND', 'the path is not valid percent-encoding');
    }
    if (parts[1] !== 'boxes' || parts.length > 4) throw new CoopError('BOX_NOT_FOUND', `nothing at ${path.slice(0, 200)}`);
    const [, , name, sub] = parts;
    let out: object;
    if (parts.length === 2 && req.method === 'GET') out = await run(h, { cmd: 'ls' });
    else if (parts.length === 2 && req.method === 'POST') {
      const b = await readJson(req);
      out = await run(h, { ...b, cmd: 'create', detach: true });
    } else if (parts.length === 3 && req.method === 'DELETE') out = await run(h, { cmd: 'kill', box: name });
    else if (parts.length === 4 && sub === 'shell' && req.method === 'POST') {
      const b = await readJson(req);
      out = await run(h, { cmd: 'shell', box: name, command: b.command, new: b.new, cols: 80, rows: 24 });
    } else throw new CoopError('INVALID_COMMAND', `${req.method} ${path.slice(0, 200)} is not part of the REST API`);
    sendJson(res, 200, { ok: true, ...out });
  } catch (e) {
    const code = e instanceof CoopError ? e.code : 'INTERNAL';
    sendJson(res, STATUS[code] ?? 500, { ok: false, error: code, message: e instanceof Error ? e.message : String(e) });
  }
}
