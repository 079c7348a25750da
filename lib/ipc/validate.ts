// Runtime checks of requests and stream control messages: anything malformed becomes
// INVALID_COMMAND with a message naming the field, never an exception or a crash.
import { checkConfigShape, isRecord } from '../config/check.js';
import type { ClientControl, Command, Request } from './messages.js';

export class InvalidRequest extends Error {}

type Field = 'string' | 'name' | 'uint' | 'dim' | 'port' | 'boolean' | 'config' | 'strings';

const SPECS: Record<Command, Record<string, [Field, boolean]>> = {
  create: { name: ['name', false], workspace: ['string', true], config: ['config', false], detach: ['boolean', false], term: ['string', false], cols: ['dim', false], rows: ['dim', false] },
  attach: { box: ['name', true], pty: ['uint', true], cols: ['dim', true], rows: ['dim', true], readonly: ['boolean', false], filtered: ['boolean', false] },
  shell: { box: ['name', true], command: ['string', false], new: ['boolean', false], cols: ['dim', true], rows: ['dim', true], term: ['string', false], cwd: ['string', false], plain: ['boolean', false] },
  ls: {},
  kill: { box: ['name', false], all: ['boolean', false], force: ['boolean', false] },
  restart: { box: ['name', true], pty: ['uint', true], config: ['config', false] },
  logs: { box: ['name', true], pty: ['uint', true], follow: ['boolean', false], lines: ['uint', false] },
  pty_ls: { box: ['name', true] },
  pty_kill: { box: ['name', true], pty: ['uint', true] },
  serve: { host: ['string', true], port: ['port', true], token: ['string', false] },
  serve_stop: {},
  tunnel: { stun: ['strings', false], page: ['string', false], timeout_ms: ['uint', false] },
  tunnel_answer: { answer: ['string', true] },
  tunnel_wait: { id: ['string', true], until: ['string', true] },
  status: {},
  shutdown: {},
};

/** Box names: no "/", no leading dot, printable, at most 64 characters. */
export const BOX_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const own = (o: Record<string, unknown>, k: string) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

function checkField(kind: Field, v: unknown, name: string): unknown {
  const bad = (what: string): never => {
    throw new InvalidRequest(`field "${name}": expected ${what}`);
  };
  switch (kind) {
    case 'string':
      return typeof v === 'string' && v.length <= 65536 ? v : bad('a string');
    case 'name':
      return typeof v === 'string' && BOX_NAME.test(v) ? v : bad('a box name (letters, digits, "_", "." and "-", no "/")');
    case 'uint':
      return Number.isSafeInteger(v) && (v as number) >= 0 ? v : bad('a whole number >= 0');
    case 'dim':
      return Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 10000 ? v : bad('a size from 1 to 10000');
    case 'port':
      return Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 65535 ? v : bad('a port from 0 to 65535');
    case 'boolean':
      return typeof v === 'boolean' ? v : bad('true or false');
    case 'strings':
      return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : bad('an array of strings');
    case 'config':
      try {
        return checkConfigShape(v);
      } catch (e) {
        return bad(`a resolved configuration (${(e as Error).message})`);
      }
  }
}

/** A request, checked and copied (unknown fields dropped). Throws InvalidRequest. */
export function validateRequest(msg: unknown): Request {
  if (!isRecord(msg)) throw new InvalidRequest('a request must be a map with a "cmd" field');
  const cmd = own(msg, 'cmd');
  if (typeof cmd !== 'string' || !Object.prototype.hasOwnProperty.call(SPECS, cmd)) {
    throw new InvalidRequest(`unknown command ${JSON.stringify(typeof cmd === 'string' ? cmd.slice(0, 40) : cmd ?? null)}`);
  }
  const out: Record<string, unknown> = { cmd };
  for (const [name, [kind, required]] of Object.entries(SPECS[cmd as Command])) {
    const v = own(msg, name);
    if (v === undefined || v === null) {
      if (required) throw new InvalidRequest(`field "${name}" is required for ${cmd}`);
      continue;
    }
    out[name] = checkField(kind, v, name);
  }
  if (cmd === 'kill' && !out.box && !out.all) throw new InvalidRequest('kill needs "box" or "all"');
  if (cmd === 'tunnel_wait' && out.until !== 'connected' && out.until !== 'closed') throw new InvalidRequest('field "until": expected "connected" or "closed"');
  return out as unknown as Request;
}

/** A client's stream control message, checked. Throws InvalidRequest. */
export function validateControl(msg: unknown): ClientControl {
  if (!isRecord(msg)) throw new InvalidRequest('a control message must be a map');
  const type = own(msg, 'type');
  if (type === 'detach') return { type };
  if (type === 'resize') {
    return { type, cols: checkField('dim', own(msg, 'cols'), 'cols') as number, rows: checkField('dim', own(msg, 'rows'), 'rows') as number };
  }
  throw new InvalidRequest(`unknown control message ${JSON.stringify(typeof type === 'string' ? type.slice(0, 40) : null)}`);
}
